// Dashboard panels: one per run (curves, KL per dimension, image grids) and comparisons of several runs (overlaid
// curves, a metrics table), drawn by dist/webview/dashboardMain.js. The panel asks for its state with 'ready' and
// gets the whole history from the run folders ('init'); live events follow as 'append', throttled. A hidden panel
// gets nothing and replays everything when shown, so no update is ever lost. Restored after a window reload.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { EngineEvent, EvalResult } from '../core/protocol';
import { effectiveStatus, readMetrics, readRunRecord, runFiles, writeFileAtomic } from '../core/runFolder';
import { DashboardEvent, DisplayStatus, isDashboardEvent, isFromDashboard, RunSeries, ToDashboard } from '../core/webviewProtocol';
import { runColorVar } from './experimentsTree';
import type { RunManager } from './runManager';
import { settings } from './settings';
import { throttle } from './throttle';
import { webviewHtml } from './webviewHtml';

export const DASHBOARD_VIEW_TYPE = 'vaeLab.dashboard';

interface PanelState {
  runDirs: string[];
  mode: 'run' | 'compare';
}

export interface DashboardPanel {
  panel: vscode.WebviewPanel;
  mode: 'run' | 'compare';
  runDirs: string[];
  /** Files written by the panel's export buttons (for tests and the "saved" message). */
  exports: string[];
  /** Messages from the webview that were ignored, as logged (malformed, or about a run this panel does not show). */
  ignored: string[];
  /** Handles a message from the webview (validated first): what onDidReceiveMessage calls. */
  receive(message: unknown): void;
}

export class Dashboards implements vscode.Disposable {
  private readonly panels = new Map<string, DashboardPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Called when a panel asks for the latent explorer of a run. */
  openExplorer: (runDir: string) => void = () => undefined;

  constructor(private readonly context: vscode.ExtensionContext, private readonly manager: RunManager, private readonly log: (line: string) => void) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: PanelState | undefined) => {
          const runDirs = (state?.runDirs ?? []).filter((d) => typeof d === 'string' && fs.existsSync(runFiles.record(d)));
          if (runDirs.length === 0) {
            panel.dispose();
            return;
          }
          this.attach(panel, state!.mode === 'compare' ? 'compare' : 'run', runDirs);
        },
      }),
    );
  }

  /** Open (or reveal) the dashboard of a run. */
  open(runDir: string): DashboardPanel {
    return this.show('run', [path.resolve(runDir)]);
  }

  /** Open a comparison of several runs. */
  compare(runDirs: string[]): DashboardPanel {
    return this.show('compare', runDirs.map((d) => path.resolve(d)));
  }

  panelFor(runDir: string): DashboardPanel | undefined {
    return this.panels.get(key('run', [path.resolve(runDir)]));
  }

  private show(mode: 'run' | 'compare', runDirs: string[]): DashboardPanel {
    const existing = this.panels.get(key(mode, runDirs));
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const title = mode === 'run' ? (() => {
      const rec = readRunRecord(runDirs[0]);
      return `VAE: ${rec.experiment} ${rec.runId}`;
    })() : `VAE: compare ${runDirs.length} runs`;
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, title, vscode.ViewColumn.Active, this.options(runDirs));
    return this.attach(panel, mode, runDirs);
  }

  private options(runDirs: string[]): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.context.extensionUri, 'media'), ...runDirs.map((d) => vscode.Uri.file(d))],
    };
  }

  private attach(panel: vscode.WebviewPanel, mode: 'run' | 'compare', runDirs: string[]): DashboardPanel {
    const k = key(mode, runDirs);
    const entry: DashboardPanel = { panel, mode, runDirs, exports: [], ignored: [], receive: () => undefined };
    const ignore = (why: string) => {
      entry.ignored.push(why);
      this.log(`dashboard: ignored ${why}`);
    };
    this.panels.set(k, entry);
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'vae-lab.svg');
    panel.webview.options = this.options(runDirs);
    panel.webview.html = this.html(panel.webview);
    const pending = new Map<string, DashboardEvent[]>();
    let ready = false;
    const flush = throttle(() => {
      if (!ready || !panel.visible) {
        pending.clear(); // replayed in full by the next 'ready'
        return;
      }
      for (const [runDir, events] of pending) {
        const msg: ToDashboard = { type: 'append', runDir, events, imageUris: this.imageUris(panel.webview, runDir, events), status: this.status(runDir) };
        void panel.webview.postMessage(msg);
      }
      pending.clear();
    }, () => settings().uiUpdateIntervalMs);
    entry.receive = (m: unknown) => {
      if (!isFromDashboard(m)) return ignore(`a malformed message ${JSON.stringify(m)?.slice(0, 120)}`);
      switch (m.type) {
        case 'ready':
          ready = true;
          pending.clear();
          void panel.webview.postMessage(this.init(panel.webview, mode, runDirs));
          return;
        case 'exportPng':
          this.saveExport(entry, `${m.chart}.png`, Buffer.from(m.dataUrl.slice('data:image/png;base64,'.length), 'base64'));
          return;
        case 'exportCsv':
          if (!runDirs.includes(path.resolve(m.runDir))) return ignore('an export for a run this panel does not show');
          this.saveExport(entry, 'metrics.csv', Buffer.from(m.csv, 'utf8'));
          return;
        case 'openExplorer':
          if (runDirs.includes(path.resolve(m.runDir))) this.openExplorer(path.resolve(m.runDir));
          else ignore('an explorer request for a run this panel does not show');
          return;
      }
    };
    const subs = [
      this.manager.onEvent(({ job, event }) => {
        if (!job.runDir || !isDashboardEvent(event)) return;
        const dir = path.resolve(job.runDir);
        if (!runDirs.includes(dir)) return;
        pending.set(dir, [...(pending.get(dir) ?? []), event]);
        if (event.type === 'finished' || event.type === 'cancelled' || event.type === 'failed') flush.flush();
        else flush();
      }),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) ready = false; // the webview is discarded while hidden and says 'ready' again
      }),
      panel.webview.onDidReceiveMessage((m: unknown) => entry.receive(m)),
    ];
    panel.onDidDispose(() => {
      this.panels.delete(k);
      flush.dispose();
      for (const s of subs) s.dispose();
    });
    return entry;
  }

  /** Exports go to <first run>/exports/, never anywhere a message could name. */
  private saveExport(entry: DashboardPanel, name: string, data: Buffer): void {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = path.join(entry.runDirs[0], 'exports', `${entry.mode === 'compare' ? 'compare-' : ''}${stamp}-${name}`);
    try {
      writeFileAtomic(file, data);
      entry.exports.push(file);
      void vscode.window.showInformationMessage(`Saved ${path.basename(file)} in the run folder.`, 'Reveal').then((c) => c && vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(file)));
    } catch (err) {
      void vscode.window.showErrorMessage(`Could not save ${file}: ${(err as Error).message}`);
    }
  }

  private status(runDir: string): DisplayStatus {
    if (this.manager.findByRunDir(runDir)) return 'running';
    try {
      return effectiveStatus(readRunRecord(runDir));
    } catch {
      return 'failed';
    }
  }

  private imageUris(webview: vscode.Webview, runDir: string, events: EngineEvent[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of events) {
      if (e.type !== 'images') continue;
      for (const rel of [e.reconstructions, e.samples, ...(e.extra ?? []).map((x) => x.path)]) {
        if (rel) out[rel] = webview.asWebviewUri(vscode.Uri.file(path.join(runDir, rel))).toString();
      }
    }
    return out;
  }

  private init(webview: vscode.Webview, mode: 'run' | 'compare', runDirs: string[]): ToDashboard {
    const runs: RunSeries[] = [];
    for (const runDir of runDirs) {
      try {
        const rec = readRunRecord(runDir);
        const events = readMetrics(runDir).filter(isDashboardEvent);
        let evaluation: EvalResult | undefined;
        try {
          evaluation = JSON.parse(fs.readFileSync(runFiles.evaluation(runDir), 'utf8')) as EvalResult;
        } catch {
          evaluation = undefined;
        }
        runs.push({
          runDir,
          label: `${rec.experiment} / ${rec.runId}`,
          kind: rec.config.model.kind,
          color: runColorVar(runDir),
          status: this.status(runDir),
          statusReason: rec.statusReason,
          epochs: rec.config.training.epochs,
          latentDim: rec.config.model.latentDim,
          events,
          imageUris: this.imageUris(webview, runDir, events),
          evaluation,
        });
      } catch (err) {
        this.log(`dashboard: cannot read ${runDir}: ${(err as Error).message}`);
      }
    }
    return { type: 'init', mode, runs };
  }

  private html(webview: vscode.Webview): string {
    return webviewHtml(webview, this.context.extensionUri, {
      title: 'VAE Lab dashboard',
      script: 'dashboardMain.js',
      body: `<header class="top">
  <div><h2 id="title">Loading…</h2><span id="status" class="badge"></span></div>
  <div class="actions"><button id="open-explorer" class="run-only">Latent explorer</button><button id="export-csv" class="run-only">Export CSV</button></div>
</header>
<p id="subtitle" class="muted"></p>
<p id="reason" class="muted"></p>
<div id="compare-table" class="compare-only"></div>
<section id="images" class="run-only" hidden>
  <header><h3>Reconstructions and prior samples</h3><input id="epoch-slider" type="range" min="0" max="0" value="0" aria-label="Epoch"><span id="epoch-label" class="muted"></span></header>
  <div class="images">
    <figure><figcaption>Validation inputs (odd rows) and their reconstructions (even rows)</figcaption><img id="recon-img" alt="Reconstructions"></figure>
    <figure><figcaption>Samples decoded from z ~ N(0, I)</figcaption><img id="samples-img" alt="Prior samples"></figure>
  </div>
</section>
<div id="kind-views" class="run-only images"></div>
<div id="charts" class="grid"></div>`,
    });
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function key(mode: 'run' | 'compare', runDirs: string[]): string {
  return `${mode}:${[...runDirs].sort().join('|')}`;
}

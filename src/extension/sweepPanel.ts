// Sweep panels ("VAE: Open Sweep"): one per sweep folder, drawn by dist/webview/sweepMain.js from ready-to-draw data
// (sweepModel.ts): the rate-distortion plane, a metric against a swept parameter, and the leaderboard. The panel asks
// with 'ready' and gets 'init'; while it is visible, changes to sweep.json and to the children's run.json and eval.json
// (a file watcher, and a poll of their modification times while the sweep runs) send 'update', throttled. A hidden
// panel gets nothing and is sent everything again when shown. Restored after a window reload.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { readRunRecord, runFiles } from '../core/runFolder';
import { SweepRecord, sweepFiles } from '../core/sweep';
import { FromSweepView, isFromSweepView, SweepViewData, ToSweepView } from '../core/sweepViewProtocol';
import { settings } from './settings';
import { buildSweepView, latestSamplesImage } from './sweepModel';
import { isSweepFolder, loadSweep } from './sweeps';
import { throttle } from './throttle';
import { webviewHtml } from './webviewHtml';

export const SWEEP_VIEW_TYPE = 'vaeLab.sweep';
/** How often a visible panel of a running sweep looks at its files' modification times (watchers can miss events). */
const POLL_MS = 1500;

interface PanelState {
  dir: string;
}

export interface SweepPanel {
  panel: vscode.WebviewPanel;
  dir: string;
  /** What the webview last reported drawing (points on the rate-distortion plane, leaderboard rows, ELBO lines). */
  rendered?: Extract<FromSweepView, { type: 'rendered' }>;
  /** Resolves the next time the webview reports a drawing. */
  nextRender(): Promise<Extract<FromSweepView, { type: 'rendered' }>>;
  /** Messages that were ignored, as logged. */
  ignored: string[];
  /** The last view sent. */
  lastView?: SweepViewData;
  /** Handles a message from the webview (validated first). */
  receive(message: unknown): void;
}

export class SweepPanels implements vscode.Disposable {
  private readonly panels = new Map<string, SweepPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Opens a child's run dashboard (set by the extension). */
  openRun: (runDir: string) => void = () => undefined;

  constructor(private readonly context: vscode.ExtensionContext, private readonly log: (line: string) => void) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(SWEEP_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: PanelState | undefined) => {
          if (!state || typeof state.dir !== 'string' || !isSweepFolder(state.dir)) {
            panel.dispose();
            return;
          }
          this.attach(panel, path.resolve(state.dir));
        },
      }),
    );
  }

  /** Open (or reveal) the panel of a sweep folder. */
  open(dir: string): SweepPanel {
    const d = path.resolve(dir);
    const existing = this.panels.get(d);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const record = loadSweep(d);
    const panel = vscode.window.createWebviewPanel(SWEEP_VIEW_TYPE, `VAE sweep: ${record.experiment} ${record.sweepId}`, vscode.ViewColumn.Active, this.options(d));
    return this.attach(panel, d);
  }

  panelFor(dir: string): SweepPanel | undefined {
    return this.panels.get(path.resolve(dir));
  }

  private options(dir: string): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      // The children's images are read from the sweep folder.
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.context.extensionUri, 'media'), vscode.Uri.file(dir)],
    };
  }

  private attach(panel: vscode.WebviewPanel, dir: string): SweepPanel {
    let ready = false;
    let waiters: ((r: Extract<FromSweepView, { type: 'rendered' }>) => void)[] = [];
    const entry: SweepPanel = {
      panel,
      dir,
      ignored: [],
      receive: () => undefined,
      nextRender: () => new Promise((r) => waiters.push(r)),
    };
    const ignore = (why: string) => {
      entry.ignored.push(why);
      this.log(`sweep panel: ignored ${why}`);
    };
    this.panels.set(dir, entry);
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'vae-lab.svg');
    panel.webview.options = this.options(dir);
    panel.webview.html = this.html(panel.webview);

    let signature = '';
    const send = (type: 'init' | 'update') => {
      if (!ready || !panel.visible) return;
      let view: SweepViewData;
      try {
        view = this.view(panel.webview, dir);
      } catch (err) {
        this.log(`sweep panel: cannot read ${dir}: ${(err as Error).message}`);
        return;
      }
      entry.lastView = view;
      const msg: ToSweepView = { type, view };
      void panel.webview.postMessage(msg);
    };
    const update = throttle(() => send('update'), () => Math.max(500, settings().uiUpdateIntervalMs));
    const changedOnDisk = () => {
      const s = filesSignature(dir, entry.lastView);
      if (s !== signature) {
        signature = s;
        update();
      }
    };
    entry.receive = (m: unknown) => {
      if (!isFromSweepView(m)) return ignore(`a malformed message ${JSON.stringify(m)?.slice(0, 120)}`);
      switch (m.type) {
        case 'ready':
          ready = true;
          signature = filesSignature(dir, entry.lastView);
          send('init');
          return;
        case 'openRun': {
          const runDir = path.resolve(m.runDir);
          const known = entry.lastView?.runs.some((r) => path.resolve(r.runDir) === runDir) && path.dirname(path.dirname(runDir)) === dir;
          if (!known || !fs.existsSync(runFiles.record(runDir))) return ignore(`a request to open ${m.runDir}, not a run of this sweep`);
          this.openRun(runDir);
          return;
        }
        case 'rendered':
          entry.rendered = m;
          for (const w of waiters) w(m);
          waiters = [];
          return;
      }
    };
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '**/{sweep.json,run.json,eval.json}'));
    // While the sweep runs, a poll of the modification times as well: file watchers may not cover the runs folder.
    const poll = setInterval(() => {
      if (ready && panel.visible && entry.lastView && (entry.lastView.status === 'running' || entry.lastView.counts.running > 0 || entry.lastView.counts.queued > 0)) changedOnDisk();
    }, POLL_MS);
    const subs = [
      watcher,
      watcher.onDidChange(() => changedOnDisk()),
      watcher.onDidCreate(() => changedOnDisk()),
      watcher.onDidDelete(() => changedOnDisk()),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) ready = false; // the webview is discarded while hidden and says 'ready' again
      }),
      panel.webview.onDidReceiveMessage((m: unknown) => entry.receive(m)),
    ];
    panel.onDidDispose(() => {
      this.panels.delete(dir);
      clearInterval(poll);
      update.dispose();
      for (const s of subs) s.dispose();
    });
    return entry;
  }

  /** The view of a sweep for this webview: the refreshed record, with each child's latest samples image as a URI. */
  private view(webview: vscode.Webview, dir: string): SweepViewData {
    const record: SweepRecord = loadSweep(dir);
    return buildSweepView(record, dir, {
      samplesUri: (_c, runDir) => {
        let names: string[];
        try {
          names = fs.readdirSync(runFiles.images(runDir));
        } catch {
          return undefined;
        }
        const latest = latestSamplesImage(names);
        return latest ? webview.asWebviewUri(vscode.Uri.file(path.join(runFiles.images(runDir), latest))).toString() : undefined;
      },
      totalEpochs: (c) => {
        try {
          return readRunRecord(path.join(dir, c.dir)).config.training.epochs;
        } catch {
          return undefined;
        }
      },
    });
  }

  private html(webview: vscode.Webview): string {
    return webviewHtml(webview, this.context.extensionUri, {
      title: 'VAE Lab sweep',
      script: 'sweepMain.js',
      body: `<header class="top">
  <div><h2 id="title">Loading…</h2><span id="status" class="badge"></span></div>
  <p id="counts" class="muted" aria-live="polite"></p>
</header>
<p id="subtitle" class="muted"></p>
<div class="grid sweep-grid">
  <section class="card" id="rd-card" aria-labelledby="rd-title">
    <header>
      <h3 id="rd-title">Rate–distortion plane</h3>
      <div class="controls">
        <div class="toggle" role="group" aria-label="Split"><button id="split-val" aria-pressed="true">validation</button><button id="split-test" aria-pressed="false">test</button></div>
        <div class="toggle" role="group" aria-label="Points"><button id="mode-mean" aria-pressed="true">mean ± sd</button><button id="mode-seeds" aria-pressed="false">each seed</button></div>
        <label>colour <select id="color-param" aria-label="Colour by parameter"></select></label>
      </div>
    </header>
    <svg id="rd-plot" class="plot-svg" role="group" aria-label="Rate-distortion plane"></svg>
    <div id="rd-legend" class="legend"></div>
    <p id="rd-note" class="muted"></p>
  </section>
  <section class="card" id="mp-card" aria-labelledby="mp-title">
    <header>
      <h3 id="mp-title">Metric against parameter</h3>
      <div class="controls">
        <label>metric <select id="metric" aria-label="Metric"></select></label>
        <label>parameter <select id="x-param" aria-label="Parameter"></select></label>
      </div>
    </header>
    <svg id="mp-plot" class="plot-svg" role="group" aria-label="Metric against parameter"></svg>
    <div id="mp-legend" class="legend"></div>
  </section>
</div>
<section id="board" aria-labelledby="board-title">
  <h3 id="board-title">Leaderboard</h3>
  <p class="muted">Validation numbers in nats per example; rate = KL(q(z|x) ‖ p(z)), distortion = −E<sub>q</sub>[log p(x|z)]. Click a header to sort, a row (or Enter on it) to open the run's dashboard.</p>
  <table id="leaderboard"></table>
</section>
<div id="tooltip" class="sweep-tooltip" role="tooltip" hidden><div id="tooltip-text"></div><img id="tooltip-img" alt="Prior samples of the run"></div>`,
    });
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** Modification times of sweep.json and the children's run.json and eval.json: changes when anything drawn may have. */
function filesSignature(dir: string, view: SweepViewData | undefined): string {
  const parts: string[] = [];
  const stat = (f: string) => {
    try {
      const s = fs.statSync(f);
      parts.push(`${s.mtimeMs}:${s.size}`);
    } catch {
      parts.push('-');
    }
  };
  stat(sweepFiles.record(dir));
  for (const r of view?.runs ?? []) {
    stat(runFiles.record(r.runDir));
    stat(runFiles.evaluation(r.runDir));
  }
  return parts.join('|');
}

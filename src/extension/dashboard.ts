// One dashboard panel per run: status, per-epoch metrics and the latest image grids, updated live while the run
// trains and restored after a window reload (WebviewPanelSerializer). Strict CSP; local files only through
// asWebviewUri and localResourceRoots.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { EngineEvent } from '../core/protocol';
import { effectiveStatus, readMetrics, readRunRecord, runFiles } from '../core/runFolder';
import type { RunManager } from './runManager';
import { throttle } from './throttle';
import { settings } from './settings';

export const DASHBOARD_VIEW_TYPE = 'vaeLab.dashboard';

interface PanelState {
  runDir: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export class Dashboards implements vscode.Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly context: vscode.ExtensionContext, private readonly manager: RunManager) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: PanelState | undefined) => {
          if (!state?.runDir || !fs.existsSync(runFiles.record(state.runDir))) {
            panel.dispose();
            return;
          }
          this.attach(panel, state.runDir);
        },
      }),
    );
  }

  /** Open (or reveal) the dashboard of a run folder. */
  open(runDir: string): vscode.WebviewPanel {
    const key = path.resolve(runDir);
    const existing = this.panels.get(key);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const rec = readRunRecord(runDir);
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, `VAE: ${rec.experiment} ${rec.runId}`, vscode.ViewColumn.Active, this.options(runDir));
    this.attach(panel, runDir);
    return panel;
  }

  panelFor(runDir: string): vscode.WebviewPanel | undefined {
    return this.panels.get(path.resolve(runDir));
  }

  private options(runDir: string): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [vscode.Uri.file(runDir), vscode.Uri.joinPath(this.context.extensionUri, 'media')] };
  }

  private attach(panel: vscode.WebviewPanel, runDir: string): void {
    const key = path.resolve(runDir);
    this.panels.set(key, panel);
    panel.webview.options = this.options(runDir);
    let dirty = true;
    const render = throttle(() => {
      if (!panel.visible) {
        dirty = true; // shown again later with the latest state: nothing is lost while hidden
        return;
      }
      dirty = false;
      panel.webview.html = this.html(panel.webview, runDir);
    }, () => Math.max(500, settings().uiUpdateIntervalMs));
    render.flush();
    const subs = [
      this.manager.onEvent(({ job, event }) => {
        if (job.runDir && path.resolve(job.runDir) === key && relevant(event)) render();
      }),
      panel.onDidChangeViewState(() => {
        if (panel.visible && dirty) render.flush();
      }),
    ];
    panel.onDidDispose(() => {
      this.panels.delete(key);
      render.dispose();
      for (const s of subs) s.dispose();
    });
  }

  private html(webview: vscode.Webview, runDir: string): string {
    const nonce = crypto.randomBytes(16).toString('base64');
    let body: string;
    try {
      body = this.body(webview, runDir);
    } catch (err) {
      body = `<p class="error">${escapeHtml((err as Error).message)}</p>`;
    }
    // Persist the run folder so that the serializer can restore the panel after a window reload.
    const state = JSON.stringify({ runDir } satisfies PanelState).replace(/</g, '\\u003c');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource}; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">
  body { color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 0 16px 24px; }
  table { border-collapse: collapse; margin: 8px 0 16px; }
  th, td { border-bottom: 1px solid var(--vscode-panel-border); padding: 3px 10px; text-align: right; font-variant-numeric: tabular-nums; }
  th { color: var(--vscode-descriptionForeground); font-weight: normal; }
  .status { color: var(--vscode-descriptionForeground); }
  .error { color: var(--vscode-errorForeground); }
  .images { display: flex; gap: 24px; flex-wrap: wrap; }
  figure { margin: 0; }
  figcaption { color: var(--vscode-descriptionForeground); margin-bottom: 4px; }
  img { image-rendering: pixelated; border: 1px solid var(--vscode-panel-border); max-width: 100%; }
</style>
</head>
<body>${body}<script nonce="${nonce}">acquireVsCodeApi().setState(${state});</script></body>
</html>`;
  }

  private body(webview: vscode.Webview, runDir: string): string {
    const rec = readRunRecord(runDir);
    const job = this.manager.findByRunDir(runDir);
    const status = job ? 'running' : effectiveStatus(rec);
    const events = readMetrics(runDir);
    const epochs = events.filter((e): e is Extract<EngineEvent, { type: 'epoch' }> => e.type === 'epoch');
    const images = events.filter((e): e is Extract<EngineEvent, { type: 'images' }> => e.type === 'images').pop();
    const f = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(2));
    const rows = epochs
      .map((e) => `<tr><td>${e.epoch + 1}</td><td>${f(e.train.loss)}</td><td>${f(e.validation.loss)}</td><td>${f(e.validation.elbo)}</td><td>${f(e.validation.recon)}</td><td>${f(e.validation.kl)}</td><td>${e.seconds.toFixed(1)}</td></tr>`)
      .join('');
    const img = (rel: string | undefined, caption: string) => {
      if (!rel || !fs.existsSync(path.join(runDir, rel))) return '';
      const src = webview.asWebviewUri(vscode.Uri.file(path.join(runDir, rel)));
      return `<figure><figcaption>${escapeHtml(caption)}</figcaption><img src="${src.toString()}" alt="${escapeHtml(caption)}"></figure>`;
    };
    const last = job?.lastStep;
    return `<h2>${escapeHtml(rec.experiment)} <span class="status">${escapeHtml(rec.runId)}</span></h2>
<p class="status" data-status="${status}">Status: <strong>${status}</strong>${rec.statusReason ? ` (${escapeHtml(rec.statusReason)})` : ''} · ${escapeHtml(rec.config.model.kind)} · backend ${escapeHtml(rec.backend?.name ?? '?')}${last ? ` · step ${last.step} · loss ${last.metrics.loss.toFixed(2)}` : ''}</p>
${rec.error ? `<p class="error">${escapeHtml(rec.error)}</p>` : ''}
<table><thead><tr><th>epoch</th><th>train loss</th><th>val loss</th><th>val ELBO</th><th>val recon</th><th>val KL</th><th>seconds</th></tr></thead><tbody>${rows}</tbody></table>
<div class="images">${img(images?.reconstructions, `Reconstructions, epoch ${images ? images.epoch + 1 : ''} (inputs above, reconstructions below)`)}${img(images?.samples, 'Samples from the prior N(0, I)')}</div>`;
  }

  dispose(): void {
    for (const p of this.panels.values()) p.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function relevant(e: EngineEvent): boolean {
  return e.type === 'epoch' || e.type === 'images' || e.type === 'finished' || e.type === 'cancelled' || e.type === 'failed' || e.type === 'started' || e.type === 'step';
}

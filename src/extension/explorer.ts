// The latent explorer panel of a run: asks the engine to write <run>/explorer/ (codes of the test set, the decoder
// from the final model or the latest checkpoint) when it is missing or older than the run, then lets
// dist/webview/explorerMain.js decode in the panel with TF.js.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { EXPLORER_FILES, ExplorerMeta } from '../core/explorer';
import { readRunRecord } from '../core/runFolder';
import { isFromExplorer, ToExplorer } from '../core/webviewProtocol';
import { webviewHtml } from './webviewHtml';
import type { RunManager } from './runManager';

export const EXPLORER_VIEW_TYPE = 'vaeLab.explorer';

export interface ExplorerPanel {
  panel: vscode.WebviewPanel;
  runDir: string;
  /** Slider-to-paint latencies (ms) reported by the panel. */
  latencies: number[];
  /** Resolves once the panel has drawn (or rejects with the error it reported). */
  loaded: Promise<void>;
}

function readMeta(runDir: string): ExplorerMeta | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, EXPLORER_FILES.dir, EXPLORER_FILES.meta), 'utf8')) as ExplorerMeta;
  } catch {
    return undefined;
  }
}

export class Explorers implements vscode.Disposable {
  private readonly panels = new Map<string, ExplorerPanel>();

  constructor(private readonly context: vscode.ExtensionContext, private readonly manager: RunManager, private readonly log: (line: string) => void) {}

  panelFor(runDir: string): ExplorerPanel | undefined {
    return this.panels.get(path.resolve(runDir));
  }

  async open(runDir: string): Promise<ExplorerPanel | undefined> {
    const dir = path.resolve(runDir);
    const existing = this.panels.get(dir);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const rec = readRunRecord(dir);
    if (!rec.lastCheckpoint) {
      void vscode.window.showInformationMessage(`${rec.experiment}/${rec.runId} has no checkpoint yet: the explorer needs trained weights.`);
      return undefined;
    }
    let meta = readMeta(dir);
    if (!meta || meta.step !== rec.progress.step || meta.source.startsWith('checkpoint') !== (rec.status !== 'completed')) {
      try {
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Preparing the latent explorer for ${rec.experiment}/${rec.runId}` }, () => this.manager.explore(dir));
      } catch (err) {
        void vscode.window.showErrorMessage(`The latent explorer could not be prepared: ${(err as Error).message}`);
        return undefined;
      }
      meta = readMeta(dir);
      if (!meta) return undefined;
    }
    const panel = vscode.window.createWebviewPanel(EXPLORER_VIEW_TYPE, `VAE latent space: ${rec.experiment} ${rec.runId}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.context.extensionUri, 'media'), vscode.Uri.file(path.join(dir, EXPLORER_FILES.dir))],
    });
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'vae-lab.svg');
    let settle!: { resolve: () => void; reject: (e: Error) => void };
    const loaded = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    loaded.catch(() => undefined);
    const entry: ExplorerPanel = { panel, runDir: dir, latencies: [], loaded };
    this.panels.set(dir, entry);
    const m = meta;
    panel.webview.html = this.html(panel.webview);
    const sub = panel.webview.onDidReceiveMessage((msg: unknown) => {
      if (!isFromExplorer(msg)) {
        this.log(`explorer: ignored a malformed message ${JSON.stringify(msg)?.slice(0, 120)}`);
        return;
      }
      if (msg.type === 'ready') {
        const uri = (name: string) => panel.webview.asWebviewUri(vscode.Uri.file(path.join(dir, EXPLORER_FILES.dir, name))).toString();
        const init: ToExplorer = { type: 'init', meta: m, decoderUrl: uri(`${EXPLORER_FILES.decoder}/model.json`), imagesUrl: uri(EXPLORER_FILES.images) };
        void panel.webview.postMessage(init);
      } else if (msg.type === 'loaded') {
        settle.resolve();
      } else if (msg.type === 'error') {
        this.log(`explorer: ${msg.message}`);
        settle.reject(new Error(msg.message));
      } else {
        entry.latencies.push(...msg.samples);
      }
    });
    panel.onDidDispose(() => {
      this.panels.delete(dir);
      sub.dispose();
    });
    return entry;
  }

  private html(webview: vscode.Webview): string {
    return webviewHtml(webview, this.context.extensionUri, {
      title: 'VAE Lab latent explorer',
      script: 'explorerMain.js',
      // The panel fetches the decoder and the test images from the run folder.
      extraCsp: `; connect-src ${webview.cspSource}`,
      body: `<header class="top"><div><h2 id="title">Latent explorer</h2></div></header>
<p id="subtitle" class="muted"></p>
<p id="loading">Loading the decoder…</p>
<div id="content" hidden>
  <section class="card">
    <header><h3>Decode a code: one slider per latent dimension</h3><div><select id="condition" hidden aria-label="Class to generate"></select> <button id="reset">Reset to 0</button> <button id="random">Sample z ~ N(0, I)</button> <button id="use-a">Use A in sliders</button></div></header>
    <div class="row"><canvas id="decoded" class="pixels" aria-label="Decoded example"></canvas><div id="sliders" class="sliders"></div></div>
    <p id="slider-note" class="muted"></p>
  </section>
  <div class="grid">
    <section class="card" id="manifold-section">
      <header><h3>2-D manifold</h3><div><select id="dim-x" aria-label="Horizontal dimension"></select> × <select id="dim-y" aria-label="Vertical dimension"></select></div></header>
      <canvas id="manifold" class="pixels" aria-label="Manifold"></canvas>
      <p class="muted">Decoded on a 15 × 15 grid of the two chosen dimensions at the normal quantiles of 0.05 … 0.95 (Kingma and Welling), other dimensions 0.</p>
    </section>
    <section class="card">
      <header><h3>Test-set codes by label</h3></header>
      <canvas id="scatter" class="scatter" aria-label="Scatter of codes"></canvas>
      <p id="legend"></p><p id="scatter-note" class="muted"></p>
    </section>
    <section class="card">
      <header><h3>Selected examples A and B</h3></header>
      <canvas id="selection" class="pixels" aria-label="Selected examples"></canvas>
      <p id="selection-note" class="muted"></p>
    </section>
    <section class="card">
      <header><h3>Interpolation from A to B</h3></header>
      <p class="muted">Linear</p><canvas id="interp-linear" class="pixels" aria-label="Linear interpolation"></canvas>
      <p class="muted">Spherical</p><canvas id="interp-slerp" class="pixels" aria-label="Spherical interpolation"></canvas>
      <p class="muted">Traversal of <select id="traverse-dim" aria-label="Dimension to traverse"></select> from −3 to 3, starting at A</p>
      <canvas id="traversal" class="pixels" aria-label="Traversal"></canvas>
    </section>
    <section class="card">
      <header><h3>Sampling the code space</h3><button id="resample">New samples</button></header>
      <p class="muted" id="prior-label">z ~ N(0, I), the prior</p><canvas id="prior-samples" class="pixels" aria-label="Prior samples"></canvas>
      <p class="muted">z ~ a Gaussian fitted to the test-set codes</p><canvas id="fitted-samples" class="pixels" aria-label="Fitted samples"></canvas>
      <p class="muted" id="mixture-label" hidden></p><canvas id="mixture-samples" class="pixels" aria-label="Post-hoc mixture samples" hidden></canvas>
      <p id="prior-note" class="note"></p>
    </section>
  </div>
</div>`,
    });
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
  }
}

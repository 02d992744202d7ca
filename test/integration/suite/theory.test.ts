// The Theory Lab inside a real VS Code: a tiny 2-D VAE on the bundled MNIST (1 epoch), `vae-lab theory <run>
// posterior` run through the CLI first, then "VAE: Open Theory Lab" on the run: the webview receives the posterior's
// file and draws it (it reports what it drew, counted in its DOM: canvases, table rows, KaTeX formulas rendered under
// the strict CSP); the panel's compute path runs the CLI for montecarlo and for another test example clicked in the
// scatter, and a lesson that does not apply (linear-pca on a VAE) shows the CLI's one-line reason.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MonteCarloResult, PosteriorResult, TheoryLesson } from '../../../src/core/theory';
import { theoryFiles } from '../../../src/core/theory';
import type { FromTheoryView } from '../../../src/core/theoryViewProtocol';
import type { VaeLabApi } from '../../../src/extension/extension';
import type { RunJob } from '../../../src/extension/runManager';
import type { TheoryPanel } from '../../../src/extension/theoryPanel';
import { cspViolations } from '../../shared/csp';
import { activateApi, waitFor, workspaceDir } from '../helpers';

type Rendered = Extract<FromTheoryView, { type: 'rendered' }>;

function rendered(panel: TheoryPanel, lesson: TheoryLesson, accept: (r: Rendered) => boolean, what: string, timeoutMs = 30000): Promise<Rendered> {
  return waitFor(`the Theory Lab to draw ${what}`, () => {
    const r = panel.rendered[lesson];
    return r && accept(r) ? r : undefined;
  }, timeoutMs);
}

describe('Theory Lab in VS Code', () => {
  let api: VaeLabApi;
  let ext: vscode.Extension<VaeLabApi>;

  before(async () => {
    ({ ext, api } = await activateApi());
  });

  it('"VAE: Open Theory Lab" shows the posterior computed by vae-lab theory, renders KaTeX under the CSP, and computes lessons on request', async function () {
    this.timeout(120000);
    const file = path.join(workspaceDir(), 'theory2d.vae.json');
    fs.writeFileSync(
      file,
      JSON.stringify(
        {
          name: 'theory2d',
          description: 'A tiny 2-D VAE for the Theory Lab test.',
          data: { source: 'mnist', options: { limit: 400 } },
          model: { kind: 'vae', latentDim: 2, encoder: { type: 'mlp', hidden: [32] } },
          training: { epochs: 1, batchSize: 50, seed: 1 },
          logging: { metricsEvery: 2 },
        },
        null,
        2,
      ),
    );
    const job = (await vscode.commands.executeCommand('vaeLab.train', vscode.Uri.file(file))) as RunJob;
    assert.ok(job, 'a run was started');
    assert.strictEqual(await job.done, 'completed', job.error);
    const runDir = job.runDir!;

    // The CLI first, as a user would from a terminal.
    const cli = spawnSync(process.execPath, [path.join(ext.extensionPath, 'dist', 'cli.js'), 'theory', runDir, 'posterior'], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    assert.strictEqual(cli.status, 0, cli.stderr);
    const posterior = JSON.parse(fs.readFileSync(theoryFiles.lesson(runDir, 'posterior', 0), 'utf8')) as PosteriorResult;

    // The command is in the palette and on finished runs with a checkpoint in the tree's context menu.
    assert.ok((await vscode.commands.getCommands(true)).includes('vaeLab.openTheoryLab'));
    const pkg = ext.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } };
    const menu = pkg.contributes.menus['view/item/context'].find((m) => m.command === 'vaeLab.openTheoryLab');
    assert.ok(menu?.when?.includes('viewItem =~ /^run\\.(completed|'), menu?.when);

    const panel = (await vscode.commands.executeCommand('vaeLab.openTheoryLab', runDir)) as TheoryPanel;
    assert.ok(panel, 'the Theory Lab is open');
    assert.strictEqual(api.theoryPanels.panelFor(runDir), panel);
    assert.strictEqual(await vscode.commands.executeCommand('vaeLab.openTheoryLab', runDir), panel, 'one panel per run, reused');

    // The page: strict CSP, the bundle with the nonce, KaTeX's stylesheet from the extension (no remote fonts).
    const html = panel.panel.webview.html;
    assert.match(html, /<script nonce="[^"]+" src="[^"]+theoryMain\.js">/);
    assert.match(html, /<link rel="stylesheet" href="[^"]+\/dist\/webview\/katex\/katex\.min\.css">/);
    assert.deepStrictEqual(cspViolations(html, panel.panel.webview.cspSource), []);
    assert.ok(fs.existsSync(path.join(ext.extensionPath, 'dist', 'webview', 'katex', 'fonts', 'KaTeX_Main-Regular.woff2')), 'KaTeX fonts are shipped in dist/webview/katex/fonts');

    // The posterior: drawn from the file (heatmap with the ellipses and the codes' scatter), its numbers as sent.
    const drawn = await rendered(panel, 'posterior', (r) => r.status === 'ready', 'the posterior');
    assert.ok(drawn.plots >= 2, `${drawn.plots} plots: the posterior map and the codes' scatter`);
    assert.ok(drawn.rows >= 7 + Object.keys(posterior.iwae).length, `${drawn.rows} table rows`);
    assert.ok(drawn.katex >= 2, `${drawn.katex} KaTeX formulas rendered in the DOM`);
    assert.strictEqual(drawn.katexErrors, 0);
    const fonts = await waitFor('the webview to report its fonts', () => panel.fontsLoaded, 20000);
    assert.ok(fonts.includes('KaTeX_Main'), `KaTeX's fonts loaded from the extension under the CSP: ${fonts.join(', ')}`);
    const sent = panel.lastView!.lessons.posterior;
    assert.strictEqual(sent.status, 'ready');
    assert.deepStrictEqual(sent.status === 'ready' && (sent.result as PosteriorResult).iwae, posterior.iwae, 'the numbers sent are the file\'s');
    assert.strictEqual(sent.status === 'ready' && (sent.result as PosteriorResult).logPx, posterior.logPx);
    // Every lesson's section is drawn, with its formulas; the ones without a file offer "Compute".
    for (const l of ['montecarlo', 'reparam', 'holes', 'linear-pca', 'likelihoods'] as const) {
      const r = await rendered(panel, l, () => true, l);
      assert.strictEqual(r.status, 'missing', l);
      assert.ok(r.katex >= 1 && r.katexErrors === 0, `${l}: ${r.katex} formulas, ${r.katexErrors} errors`);
    }

    // The compute path: the extension runs `vae-lab theory <run> montecarlo` and sends the new file.
    const mc = await panel.compute('montecarlo');
    assert.strictEqual(mc.status, 'ready', JSON.stringify(mc).slice(0, 300));
    const mcFile = JSON.parse(fs.readFileSync(theoryFiles.lesson(runDir, 'montecarlo'), 'utf8')) as MonteCarloResult;
    assert.strictEqual(mc.status === 'ready' && (mc.result as MonteCarloResult).kl.closedForm, mcFile.kl.closedForm);
    const mcDrawn = await rendered(panel, 'montecarlo', (r) => r.status === 'ready', 'the Monte Carlo lesson');
    assert.strictEqual(mcDrawn.plots, 2, 'the KL and the reconstruction term against L');
    assert.strictEqual(mcDrawn.rows, 2 + mcFile.kl.rows.length);

    // A lesson that does not apply: the CLI's one-line reason.
    const na = await panel.compute('linear-pca');
    assert.strictEqual(na.status, 'notApplicable', JSON.stringify(na));
    assert.match(na.status === 'notApplicable' ? na.reason : '', /linear-pca needs a linear-ae; this run is a vae with latentDim 2/);
    await rendered(panel, 'linear-pca', (r) => r.status === 'notApplicable', 'the reason linear-pca does not apply');
    assert.ok(!fs.existsSync(theoryFiles.lesson(runDir, 'linear-pca')));

    // A click on another code in the scatter: the posterior of test example 1 is computed and shown.
    delete panel.rendered.posterior;
    panel.receive({ type: 'showExample', example: 1 });
    await rendered(panel, 'posterior', (r) => r.status === 'ready' && panel.lastView?.example === 1, 'the posterior of test example 1', 60000);
    const one = panel.lastView!.lessons.posterior;
    assert.strictEqual(one.status === 'ready' && (one.result as PosteriorResult).settings.example, 1);
    assert.ok(fs.existsSync(theoryFiles.lesson(runDir, 'posterior', 1)));
    assert.deepStrictEqual(panel.lastView!.examples, [0, 1]);
    // A lesson computed from a terminal shows up in the open panel (file watcher).
    const term = spawnSync(process.execPath, [path.join(ext.extensionPath, 'dist', 'cli.js'), 'theory', runDir, 'likelihoods'], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    assert.strictEqual(term.status, 0, term.stderr);
    const lik = await rendered(panel, 'likelihoods', (r) => r.status === 'ready', 'the likelihoods lesson written from a terminal', 20000);
    assert.ok(lik.rows >= 10, `${lik.rows} rows`);
    // Anything else is ignored.
    const ignored = panel.ignored.length;
    panel.receive({ type: 'compute', lesson: '../../etc' });
    panel.receive({ type: 'showExample', example: 100000 });
    assert.strictEqual(panel.ignored.length, ignored + 2);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});

// Hardening inside VS Code: the bad-input corpus (test/corpus/badInput.ts) through "VAE: Train", a runs folder that
// cannot be written, and four runs with their dashboards open while the extension host's event loop is measured.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import * as vscode from 'vscode';
import type { VaeLabApi } from '../../../src/extension/extension';
import type { RunJob } from '../../../src/extension/runManager';
import { CorpusCase, writeCorpus } from '../../corpus/badInput';
import { activateApi, waitFor, workspaceDir, workspaceFile } from '../helpers';

describe('VAE Lab hardening', () => {
  let api: VaeLabApi;
  const config = () => vscode.workspace.getConfiguration('vaeLab');

  before(async () => {
    ({ api } = await activateApi());
  });

  /** Write the corpus into the workspace, run `check` on the cases of one stage, and remove it again. */
  async function withCorpus(stage: CorpusCase['stage'], atLeast: number, check: (c: CorpusCase) => Promise<void>): Promise<void> {
    const root = fs.mkdtempSync(path.join(workspaceDir(), 'corpus-'));
    try {
      const cases = writeCorpus(root).filter((c) => c.stage === stage);
      assert.ok(cases.length >= atLeast, `${cases.length} ${stage} cases`);
      for (const c of cases) await check(c);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }

  it('every malformed experiment of the corpus gets its message as a diagnostic, and "VAE: Train" starts nothing', async () => {
    await withCorpus('config', 40, async (c) => {
      const uri = vscode.Uri.file(c.file);
      const before = api.manager.list().length;
      const job = await vscode.commands.executeCommand('vaeLab.train', uri);
      assert.strictEqual(job, undefined, `${c.name}: nothing is started`);
      assert.strictEqual(api.manager.list().length, before, `${c.name}: nothing is queued`);
      // VS Code does not open binary files as text: the command says so (an error message) instead of diagnostics.
      if (c.name === 'binary garbage') return;
      const messages = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'VAE Lab').map((d) => d.message);
      const hit = messages.find((m) => c.expect.test(m) && (c.pointer === '(document)' || m.startsWith(`${c.pointer}: `)));
      assert.ok(hit, `${c.name}: expected ${c.pointer} ${c.expect}, got ${messages.join(' | ')}`);
    });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('every corrupt data file of the corpus fails its run with one message naming the file, and no run folder', async () => {
    await withCorpus('data', 10, async (c) => {
      const job = (await vscode.commands.executeCommand('vaeLab.train', vscode.Uri.file(c.file))) as RunJob;
      assert.ok(job, `${c.name}: the engine is started (the experiment itself is valid)`);
      assert.strictEqual(await job.done, 'failed', c.name);
      assert.ok(job.error?.startsWith(`${c.names}: `), `${c.name}: "${job.error}" names ${c.names}`);
      assert.match(job.error ?? '', c.expect, c.name);
      assert.ok(!job.runDir || !fs.existsSync(job.runDir), `${c.name}: no run folder`);
    });
  });

  it('a runs folder that cannot be written fails the run with a clear message, and the extension keeps working', async () => {
    const blocker = path.join(workspaceDir(), 'not-a-folder');
    fs.writeFileSync(blocker, 'a file where the runs folder should be');
    try {
      await config().update('runsFolder', path.join(blocker, 'runs'), vscode.ConfigurationTarget.Workspace);
      const job = (await vscode.commands.executeCommand('vaeLab.train', workspaceFile('tiny.vae.json'))) as RunJob;
      assert.strictEqual(await job.done, 'failed');
      assert.match(job.error ?? '', /^cannot create .*not-a-folder\/runs\/tiny\/[^:]+: ENOTDIR, not a directory\. Check that the runs folder exists and is writable/);
      await config().update('runsFolder', undefined, vscode.ConfigurationTarget.Workspace);
      const again = (await vscode.commands.executeCommand('vaeLab.train', workspaceFile('tiny.vae.json'))) as RunJob;
      assert.strictEqual(await again.done, 'completed', again.error);
    } finally {
      await config().update('runsFolder', undefined, vscode.ConfigurationTarget.Workspace);
      fs.rmSync(blocker, { force: true });
    }
  });

  it('hostile messages from a dashboard webview are ignored and logged, and never write outside the run folder', async () => {
    const job = (await vscode.commands.executeCommand('vaeLab.train', workspaceFile('tiny.vae.json'))) as RunJob;
    assert.strictEqual(await job.done, 'completed', job.error);
    const runDir = job.runDir!;
    await vscode.commands.executeCommand('vaeLab.openDashboard', runDir);
    const entry = api.dashboards.panelFor(runDir)!;
    const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(path.join(dir, d.name)) : [path.join(dir, d.name)]));
    const before = new Set(files(workspaceDir()));
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    const hostile: unknown[] = [
      { type: 'exportPng', chart: '../../../escaped', dataUrl: png },
      { type: 'exportPng', chart: '/etc/passwd', dataUrl: png },
      { type: 'exportPng', chart: 'loss', dataUrl: 'data:text/html;base64,PHNjcmlwdD4=' },
      { type: 'exportCsv', runDir: os.tmpdir(), csv: 'x' },
      { type: 'exportCsv', runDir: path.join(runDir, '..', '..'), csv: 'x' },
      { type: 'openExplorer', runDir: '/etc' },
      { type: 'runShell', command: 'touch /tmp/vae-lab-pwned' },
      { type: 'ready', extra: { __proto__: { polluted: true } } },
      'ready',
      null,
      [],
    ];
    for (const m of hostile) entry.receive(m);
    assert.ok(entry.ignored.length >= hostile.length - 1, entry.ignored.join(' | '));
    assert.deepStrictEqual(entry.exports, [], 'nothing was exported');
    assert.strictEqual(api.explorers.panelFor('/etc'), undefined);
    const added = files(workspaceDir()).filter((f) => !before.has(f));
    assert.deepStrictEqual(added, [], 'no file was written');
    assert.ok(!fs.existsSync('/tmp/vae-lab-pwned'));
    // The legitimate message still works, and writes only into <run>/exports/.
    entry.receive({ type: 'exportCsv', runDir, csv: 'step,loss\n1,2\n' });
    assert.strictEqual(entry.exports.length, 1);
    assert.strictEqual(path.dirname(entry.exports[0]), path.join(runDir, 'exports'));
    assert.match(path.basename(entry.exports[0]), /metrics\.csv$/);
  });

  it('four runs with their dashboards open: the queue limit holds and the event loop stays responsive (p95 < 50 ms)', async () => {
    await config().update('maxParallelRuns', 2, vscode.ConfigurationTarget.Workspace);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    let maxRunning = 0;
    const poll = setInterval(() => (maxRunning = Math.max(maxRunning, api.manager.active().filter((j) => j.state === 'running').length)), 20);
    try {
      delay.enable();
      const jobs: RunJob[] = [];
      for (let i = 0; i < 4; i++) jobs.push((await vscode.commands.executeCommand('vaeLab.train', workspaceFile('load.vae.json'))) as RunJob);
      assert.deepStrictEqual(jobs.map((j) => j.state), ['running', 'running', 'queued', 'queued']);
      // Open each run's dashboard as soon as its folder exists (queued runs get theirs when they start).
      const opened = new Set<RunJob>();
      const openDashboards = async () => {
        for (const j of jobs) {
          if (j.runDir && !opened.has(j)) {
            opened.add(j);
            await vscode.commands.executeCommand('vaeLab.openDashboard', j.runDir);
          }
        }
        return opened.size === jobs.length ? true : undefined;
      };
      await waitFor('four dashboards', openDashboards, 120000);
      const states = await Promise.all(jobs.map((j) => j.done));
      assert.deepStrictEqual(states, ['completed', 'completed', 'completed', 'completed']);
      delay.disable();
      const p = (q: number) => delay.percentile(q) / 1e6;
      const figures = { runs: 4, maxParallelRuns: 2, maxRunningSeen: maxRunning, eventLoopDelayMs: { p50: p(50), p95: p(95), p99: p(99), max: delay.max / 1e6 }, samples: delay.count };
      const out = path.join(process.env.VAE_LAB_TEST_ARTIFACTS ?? workspaceDir(), 'load.json');
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, JSON.stringify(figures, null, 2) + '\n');
      console.log(`load: ${JSON.stringify(figures)}`);
      assert.strictEqual(maxRunning, 2, 'never more than maxParallelRuns at once');
      assert.ok(figures.eventLoopDelayMs.p95 < 50, `event-loop delay p95 ${figures.eventLoopDelayMs.p95.toFixed(1)} ms`);
    } finally {
      clearInterval(poll);
      delay.disable();
      await config().update('maxParallelRuns', 2, vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});

// Runs inside a real VS Code extension host (see test/integration/run.mjs). The workspace holds copies of
// examples/*.vae.json plus tiny.vae.json (trains in seconds) and slow.vae.json (trains long enough to stop it).
import * as assert from 'assert';
import { ChildProcess, fork, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { EngineEvent } from '../../../src/core/protocol';
import { readRunRecord } from '../../../src/core/runFolder';
import type { VaeLabApi } from '../../../src/extension/extension';
import type { RunJob } from '../../../src/extension/runManager';
import { cspViolations } from '../../shared/csp';
import { activateApi, treeRuns, waitFor, workspaceDir, workspaceFile } from '../helpers';

describe('VAE Lab in VS Code', () => {
  let api: VaeLabApi;
  let ext: vscode.Extension<VaeLabApi>;

  before(async () => {
    ({ ext, api } = await activateApi());
  });

  it('activates from the development folder, without loading tfjs in the extension host', () => {
    assert.ok(ext.isActive);
    const loaded = Object.keys(require.cache).filter((k) => k.includes('@tensorflow'));
    assert.deepStrictEqual(loaded, [], 'the extension host never loads tfjs');
    const bundle = fs.readFileSync(path.join(ext.extensionPath, 'dist', 'extension.js'), 'utf8');
    assert.ok(!bundle.includes('registerKernel'), 'the extension bundle contains no tfjs code');
  });

  it('registers all its commands', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of ['train', 'stop', 'resume', 'openDashboard', 'newExperiment', 'evaluateRun', 'compareRuns', 'exportRun', 'deleteRun', 'downloadDataset']) {
      assert.ok(all.includes(`vaeLab.${id}`), `vaeLab.${id} is registered`);
    }
    const pkg = ext.packageJSON as { contributes: { commands: { command: string; category: string }[] } };
    assert.ok(pkg.contributes.commands.every((c) => c.category === 'VAE'));
  });

  it('lists the example experiments in the tree', async () => {
    const names = (await api.tree.experiments()).map((e) => e.experimentName);
    for (const n of ['mnist-vae', 'mnist-ae', 'mnist-beta-vae', 'shapes-beta-vae', 'toy2d-vae', 'tiny', 'slow']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
    const roots = await api.tree.getChildren();
    assert.strictEqual(roots.length, names.length);
  });

  it('"VAE: Train" runs a tiny experiment to completion in a child process; the tree shows it completed', async () => {
    const events: EngineEvent[] = [];
    const sub = api.manager.onEvent(({ event }) => events.push(event));
    const job = (await vscode.commands.executeCommand('vaeLab.train', workspaceFile('tiny.vae.json'))) as RunJob;
    assert.ok(job, 'a job was started');
    const pid = await waitFor('the engine process', () => job.child?.pid);
    assert.notStrictEqual(pid, process.pid, 'training runs in its own process');
    assert.strictEqual(await job.done, 'completed', job.error);
    sub.dispose();
    const types = events.map((e) => e.type);
    assert.strictEqual(types[0], 'started');
    assert.ok(types.includes('epoch') && types.includes('checkpoint'));
    assert.strictEqual(types[types.length - 1], 'finished');
    const runs = await treeRuns(api, 'tiny');
    assert.strictEqual(runs[0].status, 'completed');
    assert.strictEqual(runs[0].runDir, job.runDir);
    assert.ok(String(runs[0].description).startsWith('completed'));
    assert.ok(runs[0].runDir!.startsWith(path.join(workspaceDir(), '.vae-runs', 'tiny')));
    const record = readRunRecord(job.runDir!);
    assert.strictEqual(record.status, 'completed');
    // The workspace allows 2 parallel runs: each engine gets its share of the cores for the wasm backend's threads.
    const parallel = vscode.workspace.getConfiguration('vaeLab').get<number>('maxParallelRuns') ?? 1;
    const share = Math.max(1, Math.min(4, Math.floor(os.cpus().length / parallel)));
    if (record.backend?.name === 'wasm' && !process.env.VAE_LAB_WASM_THREADS) assert.match(record.backend.detail, new RegExp(`, ${share} thread\\(s\\)`), record.backend.detail);
  });

  it('trains on the webgpu backend from the extension\'s engine process, and records the adapter', async function () {
    this.timeout(180000);
    // What the engine's Node sees here (the same backends folder and Node as the extension's child processes).
    const listed = spawnSync(process.execPath, [path.join(ext.extensionPath, 'dist', 'cli.js'), 'backend', 'list', '--json'], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    const webgpu = (JSON.parse(listed.stdout.trim().split('\n').pop()!) as { backends: { name: string; available: boolean; reason?: string }[] }).backends.find((b) => b.name === 'webgpu')!;
    if (!webgpu.available) {
      if (process.env.CI === 'true') assert.fail(`webgpu must be available in CI: ${webgpu.reason}`);
      this.skip();
    }
    const doc = JSON.parse(fs.readFileSync(workspaceFile('tiny.vae.json').fsPath, 'utf8'));
    const file = path.join(workspaceDir(), 'tiny-gpu.vae.json');
    fs.writeFileSync(file, JSON.stringify({ ...doc, name: 'tiny-gpu', backend: 'webgpu' }, null, 2));
    const job = (await vscode.commands.executeCommand('vaeLab.train', vscode.Uri.file(file))) as RunJob;
    assert.strictEqual(await job.done, 'completed', job.error);
    const record = readRunRecord(job.runDir!);
    assert.strictEqual(record.backend?.name, 'webgpu');
    assert.ok(record.backend?.adapter && typeof record.backend.adapter.fallback === 'boolean', JSON.stringify(record.backend));
    assert.ok(fs.existsSync(path.join(job.runDir!, 'images', 'samples-epoch-002.png')));
  });

  it('Stop ends the engine process within 1 s, with a checkpoint, and the run can be resumed', async () => {
    const job = (await vscode.commands.executeCommand('vaeLab.train', workspaceFile('slow.vae.json'))) as RunJob;
    await waitFor('training steps', () => job.lastStep, 60000);
    const child = job.child as ChildProcess;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const t0 = Date.now();
    await vscode.commands.executeCommand('vaeLab.stop', job.runDir);
    await exited;
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 1000, `the engine exited ${elapsed} ms after Stop`);
    assert.strictEqual(await job.done, 'cancelled');
    const rec = readRunRecord(job.runDir!);
    assert.strictEqual(rec.status, 'cancelled');
    assert.ok(rec.lastCheckpoint, 'a checkpoint was written on the way out');
    const runs = await treeRuns(api, 'slow');
    assert.strictEqual(runs.find((r) => r.runDir === job.runDir)?.status, 'cancelled');
    assert.match(String(runs.find((r) => r.runDir === job.runDir)?.contextValue), /^run\.cancelled\.checkpoint/);
    // Resume continues from the checkpoint in the same folder; stop it again right away.
    const resumed = (await vscode.commands.executeCommand('vaeLab.resume', job.runDir)) as RunJob;
    const started = await waitFor('the resumed start', () => resumed.started, 60000);
    assert.ok(started.resumed && started.step === rec.lastCheckpoint!.step, `resumed at step ${started.step}`);
    await vscode.commands.executeCommand('vaeLab.stop', job.runDir);
    assert.strictEqual(await resumed.done, 'cancelled');
  });

  it('an invalid experiment gets diagnostics at the right place, and "VAE: Train" starts nothing', async () => {
    const file = workspaceFile('invalid.vae.json');
    fs.writeFileSync(file.fsPath, '{\n  "name": "invalid",\n  "training": {\n    "batchSize": 0,\n    "epochz": 3\n  }\n}\n');
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const diags = await waitFor('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(file).filter((x) => x.source === 'VAE Lab');
      return d.length >= 2 ? d : undefined;
    });
    const batch = diags.find((d) => d.message === '/training/batchSize: must be at least 1.');
    assert.ok(batch, diags.map((d) => d.message).join(' | '));
    assert.strictEqual(batch.range.start.line, 3);
    assert.strictEqual(doc.getText(batch.range), '0');
    const unknown = diags.find((d) => d.message.startsWith('/training/epochz: unknown field "epochz"'));
    assert.ok(unknown && doc.getText(unknown.range) === '"epochz"', 'the unknown key itself is underlined');
    const before = api.manager.list().length;
    const job = await vscode.commands.executeCommand('vaeLab.train', file);
    assert.strictEqual(job, undefined);
    assert.strictEqual(api.manager.list().length, before, 'no run was queued');
    assert.ok(!fs.existsSync(path.join(workspaceDir(), '.vae-runs', 'invalid')), 'no run folder was created');
    const item = (await api.tree.experiments()).find((e) => e.experimentName === 'invalid');
    assert.strictEqual(item?.contextValue, 'experiment.invalid');
  });

  it('a run whose engine died without the extension (crash, window reload) shows as interrupted and resumes to completion', async () => {
    // An engine started outside this window's run manager, killed hard after its first checkpoint.
    const engine = fork(path.join(ext.extensionPath, 'dist', 'engine.js'), [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    const runDir = await new Promise<string>((resolve, reject) => {
      let dir = '';
      engine.on('message', (m: EngineEvent) => {
        if (m.type === 'started') dir = m.runDir;
        if (m.type === 'checkpoint') resolve(dir);
        if (m.type === 'failed') reject(new Error(m.error));
      });
      engine.send({ type: 'train', experimentFile: workspaceFile('tiny.vae.json').fsPath, runsRoot: path.join(workspaceDir(), '.vae-runs'), overrides: ['training.epochs=4', 'training.checkpointEvery=1'] });
    });
    engine.kill('SIGKILL');
    await new Promise((r) => engine.once('exit', r));
    assert.strictEqual(readRunRecord(runDir).status, 'running', 'the record still says running');
    const item = await waitFor('the interrupted run in the tree', async () => (await treeRuns(api, 'tiny')).find((r) => r.runDir === runDir && r.status === 'interrupted'));
    assert.match(String(item.contextValue), /^run\.interrupted\.checkpoint/);
    const job = (await vscode.commands.executeCommand('vaeLab.resume', item)) as RunJob;
    assert.strictEqual(await job.done, 'completed', job.error);
    assert.strictEqual((await treeRuns(api, 'tiny')).find((r) => r.runDir === runDir)?.status, 'completed');
  });

  it('a crashed engine marks its run failed with its last error', async () => {
    const job = (await vscode.commands.executeCommand('vaeLab.train', workspaceFile('slow.vae.json'))) as RunJob;
    await waitFor('training steps', () => job.lastStep, 60000);
    job.child!.kill('SIGKILL');
    assert.strictEqual(await job.done, 'failed');
    assert.match(job.error ?? '', /exited unexpectedly \(signal SIGKILL\)/);
    const rec = readRunRecord(job.runDir!);
    assert.strictEqual(rec.status, 'failed');
    assert.match(rec.error ?? '', /SIGKILL/);
  });

  it('runs beyond the parallel limit wait in a queue', async () => {
    await vscode.workspace.getConfiguration('vaeLab').update('maxParallelRuns', 1, vscode.ConfigurationTarget.Workspace);
    const a = (await vscode.commands.executeCommand('vaeLab.train', workspaceFile('tiny.vae.json'))) as RunJob;
    const b = (await vscode.commands.executeCommand('vaeLab.train', workspaceFile('tiny.vae.json'))) as RunJob;
    assert.strictEqual(a.state, 'running');
    assert.strictEqual(b.state, 'queued');
    assert.strictEqual(await a.done, 'completed');
    assert.strictEqual(await b.done, 'completed');
  });

  it('Evaluate, Compare, Export, Dashboard and Delete work on finished runs', async () => {
    const done = (await treeRuns(api, 'tiny')).filter((r) => r.status === 'completed');
    assert.ok(done.length >= 2);
    const result = (await vscode.commands.executeCommand('vaeLab.evaluateRun', done[0])) as { metrics: { elbo: number } };
    assert.ok(Number.isFinite(result.metrics.elbo) && result.metrics.elbo < 0);
    assert.ok(fs.existsSync(path.join(done[0].runDir!, 'eval.json')));
    const cmp = (await vscode.commands.executeCommand('vaeLab.compareRuns', done[0], [done[0], done[1]])) as { mode: string; runDirs: string[]; panel: vscode.WebviewPanel };
    assert.strictEqual(cmp.mode, 'compare');
    assert.deepStrictEqual([...cmp.runDirs].sort(), [done[0].runDir, done[1].runDir].sort());
    const dest = fs.mkdtempSync(path.join(workspaceDir(), 'export-'));
    const out = (await vscode.commands.executeCommand('vaeLab.exportRun', done[0], dest)) as string;
    assert.ok(fs.existsSync(path.join(out, 'model', 'decoder', 'model.json')));
    assert.ok(!fs.existsSync(path.join(out, 'checkpoints')));
    await vscode.commands.executeCommand('vaeLab.openDashboard', done[0]);
    const panel = api.dashboards.panelFor(done[0].runDir!);
    assert.ok(panel, 'the dashboard panel is open');
    assert.match(panel.panel.webview.html, /default-src 'none'/);
    assert.match(panel.panel.webview.html, /<script nonce="[^"]+" src="[^"]+dashboardMain\.js">/);
    // Every kind of webview page passes the CSP check: default-src 'none', scripts by nonce only, no remote origins.
    await vscode.commands.executeCommand('vaeLab.openExplorer', done[0]);
    const explorer = api.explorers.panelFor(done[0].runDir!);
    assert.ok(explorer, 'the latent explorer is open');
    const pages: [string, vscode.Webview][] = [['dashboard', panel.panel.webview], ['compare', cmp.panel.webview], ['explorer', explorer.panel.webview]];
    for (const [name, w] of pages) assert.deepStrictEqual(cspViolations(w.html, w.cspSource), [], `${name}: ${w.html.slice(0, 400)}`);
    assert.ok(await vscode.commands.executeCommand('vaeLab.deleteRun', done[1], true));
    assert.ok(!fs.existsSync(done[1].runDir!));
  });
});

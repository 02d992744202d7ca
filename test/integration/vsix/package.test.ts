// Runs inside VS Code against the extension installed from vae-lab.vsix (not the development folder): what users
// install is what is tested.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { readRunRecord } from '../../../src/core/runFolder';
import type { InstallBackendOutcome } from '../../../src/extension/installBackend';
import type { RunJob } from '../../../src/extension/runManager';
import { activateApi, treeRuns, workspaceFile } from '../helpers';

describe('VAE Lab installed from its .vsix', () => {
  it('is the installed package, carrying what the engine needs and nothing else', async () => {
    const { ext } = await activateApi();
    const root = ext.extensionPath;
    assert.ok(!fs.existsSync(path.join(root, 'src')), `${root} is an installed extension, not the development folder`);
    const threaded = ['dist/wasm/tfjs-backend-wasm-threaded-simd.wasm', 'dist/wasm/tfjs-backend-wasm-threaded-simd.js', 'dist/wasm/tfjs-backend-wasm-threaded-simd.worker.js'];
    for (const f of ['dist/extension.js', 'dist/engine.js', 'dist/cli.js', 'dist/wasm/tfjs-backend-wasm-simd.wasm', 'dist/wasm/tfjs-backend-wasm.wasm', ...threaded, 'dist/data/mnist-10k.bin', 'schema/vae-experiment.schema.json', 'examples/mnist-vae.vae.json']) {
      assert.ok(fs.existsSync(path.join(root, f)), `${f} is in the package`);
    }
    for (const f of ['node_modules', 'src', 'test', 'out', 'dist/engine.js.map', 'dist/cli.js.map']) assert.ok(!fs.existsSync(path.join(root, f)), `${f} is not in the package`);
  });

  it('trains the MNIST example to completion', async () => {
    const { api } = await activateApi();
    const job = (await vscode.commands.executeCommand('vaeLab.train', workspaceFile('mnist-vae.vae.json'))) as RunJob;
    assert.ok(job);
    assert.strictEqual(await job.done, 'completed', job.error);
    const rec = readRunRecord(job.runDir!);
    assert.strictEqual(rec.status, 'completed');
    assert.strictEqual(rec.backend?.name, 'wasm');
    // The package's threaded build starts in the extension's engine (the runner asks for 2 threads).
    if (process.env.VAE_LAB_WASM_THREADS === '2') assert.match(rec.backend!.detail, /SIMD, 2 thread\(s\), transposed/, rec.backend!.detail);
    assert.strictEqual(rec.progress.epoch, 10);
    assert.ok(rec.finalMetrics && rec.finalMetrics.loss < 140, `validation loss after 10 epochs: ${rec.finalMetrics?.loss}`);
    assert.ok(fs.existsSync(path.join(job.runDir!, 'model', 'encoder', 'model.json')));
    assert.strictEqual((await treeRuns(api, 'mnist-vae'))[0].status, 'completed');
  });

  it('"VAE: Install Backend" installs tensorflow (the wheel route) into the configured folder, and "auto" then trains on it', async function () {
    this.timeout(15 * 60 * 1000);
    const { api } = await activateApi();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-backends-'));
    const config = vscode.workspace.getConfiguration('vaeLab');
    await config.update('backendsFolder', dir, vscode.ConfigurationTarget.Global);
    try {
      const outcome = (await vscode.commands.executeCommand('vaeLab.installBackend', { backend: 'tensorflow', route: 'wheel' })) as InstallBackendOutcome;
      assert.ok(outcome?.ok, outcome?.message);
      assert.match(outcome.message, /tensorflow installed \(wheel route, \d+ s\): 4\.22\.0 \[tfjs-node with libtensorflow/);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'tensorflow', 'vae-lab-backend.json'), 'utf8')) as { route: string; version: string };
      assert.deepStrictEqual([manifest.route, manifest.version], ['wheel', '4.22.0']);
      assert.deepStrictEqual(fs.readdirSync(dir), ['tensorflow'], 'no staging folder left behind');
      const doc = JSON.parse(fs.readFileSync(workspaceFile('mnist-vae.vae.json').fsPath, 'utf8'));
      const file = path.join(path.dirname(workspaceFile('mnist-vae.vae.json').fsPath), 'native.vae.json');
      fs.writeFileSync(file, JSON.stringify({ ...doc, name: 'native', training: { ...doc.training, epochs: 2 } }, null, 2));
      const job = (await vscode.commands.executeCommand('vaeLab.train', vscode.Uri.file(file))) as RunJob;
      assert.strictEqual(await job.done, 'completed', job.error);
      const rec = readRunRecord(job.runDir!);
      assert.strictEqual(rec.backend?.name, 'tensorflow', JSON.stringify(rec.backend));
      assert.strictEqual(rec.backend?.requested, 'auto');
      assert.ok(rec.backend?.detail.includes(dir), rec.backend?.detail);
      assert.ok(rec.finalMetrics && rec.finalMetrics.loss < 200, `validation loss after 2 epochs: ${rec.finalMetrics?.loss}`);
      assert.strictEqual((await treeRuns(api, 'native'))[0].status, 'completed');
    } finally {
      await config.update('backendsFolder', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});

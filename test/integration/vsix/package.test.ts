// Runs inside VS Code against the extension installed from vae-lab.vsix (not the development folder): what users
// install is what is tested.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { readRunRecord } from '../../../src/core/runFolder';
import type { RunJob } from '../../../src/extension/runManager';
import { activateApi, treeRuns, workspaceFile } from '../helpers';

describe('VAE Lab installed from its .vsix', () => {
  it('is the installed package, carrying what the engine needs and nothing else', async () => {
    const { ext } = await activateApi();
    const root = ext.extensionPath;
    assert.ok(!fs.existsSync(path.join(root, 'src')), `${root} is an installed extension, not the development folder`);
    const threaded = ['dist/wasm/tfjs-backend-wasm-threaded-simd.wasm', 'dist/wasm/tfjs-backend-wasm-threaded-simd.js', 'dist/wasm/tfjs-backend-wasm-threaded-simd.worker.js'];
    for (const f of ['dist/extension.js', 'dist/engine.js', 'dist/wasm/tfjs-backend-wasm-simd.wasm', 'dist/wasm/tfjs-backend-wasm.wasm', ...threaded, 'dist/data/mnist-10k.bin', 'schema/vae-experiment.schema.json', 'examples/mnist-vae.vae.json']) {
      assert.ok(fs.existsSync(path.join(root, f)), `${f} is in the package`);
    }
    for (const f of ['node_modules', 'src', 'test', 'out', 'dist/engine.js.map', 'dist/cli.js']) assert.ok(!fs.existsSync(path.join(root, f)), `${f} is not in the package`);
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
});

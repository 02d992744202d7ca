// The WebGPU backend (tfjs-backend-webgpu on Dawn, from the backends folder) against wasm, with real data, on whatever
// adapter Dawn finds: in CI a software Vulkan device (Mesa lavapipe, `npm run setup:vulkan`), elsewhere a GPU.
// `npm test` installs Dawn first (scripts/setup-backends.mjs); CI requires it. Where no adapter can be had the tests
// skip with the reason. Every read on these paths must be asynchronous: a synchronous read of a GPU tensor throws in
// Node, so these runs fail if one comes back; the last test checks the same on wasm with synchronous reads forbidden.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test, type TestContext } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { EXPLORER_FILES } from '../../src/core/explorer';
import { readRunRecord } from '../../src/core/runFolder';
import { initBackend } from '../../src/engine/backends/index';
import { dawnNotInstalledReason, findDawn, probeAdapter } from '../../src/engine/backends/webgpu';
import { evaluateRun } from '../../src/engine/evalRun';
import { prepareExplorer } from '../../src/engine/explorerData';
import { loadLayersModelFromDir } from '../../src/engine/modelIO';
import { resumeRun } from '../../src/engine/trainer';
import { REPO, collectingHooks, resumableExperiment, runMetrics, tmpDir, trainOn, useWasm, writeJson, catalogExample } from './helpers';

const skip = findDawn() ? false : `WebGPU runtime not installed: ${dawnNotInstalledReason()}`;
let noAdapter: string | undefined;
before(async () => {
  if (skip) return;
  try {
    await probeAdapter();
  } catch (err) {
    noAdapter = `no WebGPU adapter here: ${(err as Error).message}`;
  }
});
/** Skip (with the reason) where Dawn is installed but finds no adapter. */
function adapterOr(t: TestContext): boolean {
  if (noAdapter) t.skip(noAdapter);
  return !noAdapter;
}
const CLI = path.join(REPO, 'dist', 'cli.js');

test('webgpu starts on the adapter Dawn offers and records it; auto never trains on a software adapter', { skip }, async (t) => {
  if (!adapterOr(t)) return;
  const info = await initBackend('webgpu');
  assert.equal(info.name, 'webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  assert.ok(info.adapter, 'the adapter is recorded');
  assert.match(info.detail, /^WebGPU \(Dawn \d+\.\d+\.\d+\) on /);
  assert.equal(tf.env().getBool('WEBGPU_CPU_FORWARD'), false, 'small ops stay on the GPU');
  const auto = await initBackend('auto');
  if (info.adapter!.fallback) {
    assert.notEqual(auto.name, 'webgpu');
    assert.match(auto.notUsed!.find((n) => n.name === 'webgpu')!.reason, /software one.*ask for "webgpu" by name/);
  } else assert.equal(auto.name, 'webgpu');
  const listed = spawnSync(process.execPath, [CLI, 'backend', 'list', '--json'], { cwd: REPO, encoding: 'utf8' });
  const webgpu = (JSON.parse(listed.stdout) as { backends: { name: string; available: boolean; auto: boolean; adapter?: { fallback: boolean } }[] }).backends[0];
  assert.deepEqual([webgpu.name, webgpu.available, webgpu.auto, webgpu.adapter?.fallback], ['webgpu', true, !info.adapter!.fallback, info.adapter!.fallback]);
});

test('the reference VAE on webgpu: the same first loss as wasm (1e-4 relative), and 3 epochs end within 1 nat', { skip }, async (t) => {
  if (!adapterOr(t)) return;
  const dir = tmpDir('gpu-ref');
  const file = path.join(dir, 'mnist-vae.vae.json');
  fs.copyFileSync(path.join(REPO, 'examples', 'mnist-vae.vae.json'), file);
  const overrides = ['logging.metricsEvery=1', 'training.epochs=3'];
  const gpu = await trainOn(file, 'webgpu', overrides);
  const cpu = await trainOn(file, 'wasm', overrides);
  const rec = readRunRecord(gpu.out.runDir);
  assert.equal(rec.backend?.name, 'webgpu');
  assert.ok(rec.backend?.adapter, 'run.json records the adapter');
  assert.equal(rec.status, 'completed');
  const a = gpu.steps[0].metrics.loss;
  const b = cpu.steps[0].metrics.loss;
  assert.ok(Math.abs(a - b) / Math.abs(b) < 1e-4, `first loss: webgpu ${a}, wasm ${b}`);
  const lastGpu = gpu.epochs[2].validation.loss;
  const lastWasm = cpu.epochs[2].validation.loss;
  assert.ok(Math.abs(lastGpu - lastWasm) < 1, `validation loss after 3 epochs: webgpu ${lastGpu}, wasm ${lastWasm}`);
  assert.ok(fs.existsSync(path.join(gpu.out.runDir, 'images', 'samples-epoch-003.png')), 'image grids were written (read asynchronously)');
  process.stdout.write(`# first loss webgpu ${a} wasm ${b} (relative ${(Math.abs(a - b) / b).toExponential(2)}); epoch 3 validation ${lastGpu.toFixed(3)} vs ${lastWasm.toFixed(3)}\n`);
});

test('on webgpu, cancel and resume give the metrics and weights of an uninterrupted run', { skip }, async (t) => {
  if (!adapterOr(t)) return;
  const dir = tmpDir('gpu-resume');
  const file = resumableExperiment(dir);
  const full = await trainOn(file, 'webgpu');
  const cut = await trainOn(file, 'webgpu', [], 5);
  assert.equal(cut.out.status, 'cancelled');
  const resumed = await resumeRun(cut.out.runDir, collectingHooks());
  assert.equal(resumed.status, 'completed');
  assert.equal(readRunRecord(cut.out.runDir).backend?.name, 'webgpu');
  assert.deepEqual(runMetrics(cut.out.runDir), runMetrics(full.out.runDir));
  const weights = async (runDir: string) => Promise.all((await loadLayersModelFromDir(path.join(runDir, 'model', 'decoder'))).getWeights().map(async (w) => Array.from(await w.data())));
  assert.deepEqual(await weights(cut.out.runDir), await weights(full.out.runDir));
  // A run stopped on the GPU (say, the device was lost) continues on another backend with resume --backend.
  const moved = await trainOn(file, 'webgpu', [], 5);
  const hooks = collectingHooks();
  assert.equal((await resumeRun(moved.out.runDir, hooks, { backend: 'wasm' })).status, 'completed');
  const rec = readRunRecord(moved.out.runDir);
  assert.deepEqual([rec.backend?.name, rec.config.backend], ['wasm', 'wasm']);
  assert.ok(hooks.events.some((e) => e.type === 'log' && /resuming on backend wasm, the run started on webgpu/.test(e.message)));
});

test('a conv VAE on webgpu: first loss as on wasm, trains, evaluates and exports the explorer', { skip }, async (t) => {
  if (!adapterOr(t)) return;
  const dir = tmpDir('gpu-conv');
  const doc = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'shapes-beta-vae.vae.json'), 'utf8'));
  delete doc.$schema;
  doc.data.options.count = 600;
  doc.training.epochs = 1;
  doc.logging = { metricsEvery: 1 };
  const file = writeJson(path.join(dir, 'shapes.vae.json'), doc);
  const gpu = await trainOn(file, 'webgpu');
  const cpu = await trainOn(file, 'wasm');
  const a = gpu.steps[0].metrics.loss;
  const b = cpu.steps[0].metrics.loss;
  assert.ok(Math.abs(a - b) / Math.abs(b) < 1e-4, `first loss: webgpu ${a}, wasm ${b}`);
  assert.ok(gpu.steps[gpu.steps.length - 1].metrics.loss < a, 'the loss falls');
  await initBackend('webgpu');
  const ev = await evaluateRun(gpu.out.runDir, { k: 20, llExamples: 40, samples: 2 });
  assert.equal(ev.backend, 'webgpu');
  assert.ok(Number.isFinite(ev.metrics.loss) && Number.isFinite(ev.mig!), `test loss ${ev.metrics.loss}, MIG ${ev.mig}`);
  const meta = await prepareExplorer(gpu.out.runDir);
  assert.equal(meta.means.length, meta.n);
  assert.ok(fs.existsSync(path.join(gpu.out.runDir, EXPLORER_FILES.dir, EXPLORER_FILES.decoder, 'model.json')));
});

test('no synchronous read on the training, evaluation, image, checkpoint and explorer paths of any example (wasm, sync reads forbidden)', async (t) => {
  await useWasm();
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const saved = { dataSync: proto.dataSync, arraySync: proto.arraySync, bufferSync: proto.bufferSync };
  const forbid = (name: string) =>
    function (this: tf.Tensor) {
      throw new Error(`${name}() on a tensor of shape [${this.shape.join(', ')}]: GPU backends cannot read synchronously in Node`);
    };
  for (const name of Object.keys(saved)) proto[name] = forbid(name);
  try {
    const examples = path.join(REPO, 'examples');
    for (const f of fs.readdirSync(examples).filter((n) => n.endsWith('.vae.json'))) {
      const doc = JSON.parse(fs.readFileSync(path.join(examples, f), 'utf8'));
      delete doc.$schema;
      const catalog = catalogExample(doc.data.source, 300);
      if (catalog && 'skip' in catalog) {
        t.diagnostic(`${f} skipped: ${catalog.skip}`);
        continue;
      }
      doc.data = { ...doc.data, options: catalog ? catalog.options : doc.data.source === 'mnist' ? { limit: 300 } : { ...doc.data.options, count: 300 } };
      doc.training = { ...doc.training, epochs: 1, checkpointEvery: 1 };
      const file = writeJson(path.join(tmpDir(`nosync-${doc.name}`), f), doc);
      const { out } = await trainOn(file, 'wasm');
      assert.equal(out.status, 'completed', f);
      await evaluateRun(out.runDir, { k: 5, llExamples: 10, samples: 1 });
      await prepareExplorer(out.runDir);
    }
  } finally {
    Object.assign(proto, saved);
  }
});

// The native TensorFlow backend (tfjs-node from the backends folder) against wasm and cpu, with real data. `npm test`
// installs it first (scripts/setup-backends.mjs, the same `vae-lab backend install tensorflow` a user runs); CI
// requires it. Where it cannot be installed the tests skip with the reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { EXPLORER_FILES } from '../../src/core/explorer';
import { readRunRecord } from '../../src/core/runFolder';
import { initBackend } from '../../src/engine/backends/index';
import { ADAM_KERNEL } from '../../src/engine/backends/fusedKernels';
import { findTfjsNode, notInstalledReason } from '../../src/engine/backends/tensorflow';
import { evaluateRun } from '../../src/engine/evalRun';
import { prepareExplorer } from '../../src/engine/explorerData';
import { loadLayersModelFromDir } from '../../src/engine/modelIO';
import { resumeRun } from '../../src/engine/trainer';
import { REPO, collectingHooks, resumableExperiment, runMetrics, tmpDir, trainOn, writeJson, catalogExample } from './helpers';

const installed = findTfjsNode();
const skip = installed ? false : `tensorflow backend not installed: ${notInstalledReason()}`;
const CLI = path.join(REPO, 'dist', 'cli.js');

const train = (file: string, backend: 'tensorflow' | 'wasm', overrides: string[] = [], cancelAtStep?: number) => trainOn(file, backend, overrides, cancelAtStep);

test('tfjs-node registers with the engine\'s own tfjs: one engine, its kernels, none of the wasm kernels', { skip }, async () => {
  const info = await initBackend('tensorflow');
  assert.equal(info.name, 'tensorflow');
  assert.equal(info.version, tf.version.tfjs);
  assert.match(info.detail, /^tfjs-node with libtensorflow \d+\.\d+/);
  assert.equal(tf.getBackend(), 'tensorflow');
  assert.ok(tf.getKernel('Conv2DBackpropFilter', 'tensorflow'), 'tfjs-node\'s kernels are registered with this tfjs');
  assert.equal(tf.getKernel(ADAM_KERNEL, 'tensorflow'), undefined, 'the fused wasm Adam stays a wasm kernel');
  // A tensor made before the switch and one made after meet in one kernel (the two-engine crash of tfjs-node).
  await initBackend('wasm');
  const before = tf.tensor1d([1, 2, 3]);
  await initBackend('tensorflow');
  const after = tf.tensor1d([1, 1, 1]);
  assert.deepEqual(Array.from(await tf.sub(before, after).data()), [0, 1, 2]);
});

test('conv2d and conv2dTranspose gradients on tensorflow match the cpu backend', { skip }, async () => {
  const grads = () =>
    tf.tidy(() => {
      const x = tf.randomNormal([3, 9, 9, 2], 0, 1, 'float32', 11) as tf.Tensor4D;
      const f = tf.randomNormal([4, 4, 2, 5], 0, 1, 'float32', 12) as tf.Tensor4D;
      const ft = tf.randomNormal([3, 3, 4, 5], 0, 1, 'float32', 13) as tf.Tensor4D;
      const loss = (xv: tf.Tensor, fv: tf.Tensor, ftv: tf.Tensor) => {
        const h = tf.relu(tf.conv2d(xv as tf.Tensor4D, fv as tf.Tensor4D, 2, 'same'));
        const y = tf.conv2dTranspose(h, ftv as tf.Tensor4D, [3, 10, 10, 4], 2, 'same');
        return tf.sum(tf.square(y)) as tf.Scalar;
      };
      return tf.grads(loss)([x, f, ft]).map((g) => Array.from(g.dataSync()));
    });
  await initBackend('cpu');
  const expected = grads();
  await initBackend('tensorflow');
  const got = grads();
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(...expected[i].map(Math.abs));
    const worst = Math.max(...expected[i].map((e, j) => Math.abs(e - got[i][j])));
    assert.ok(worst / scale < 1e-5, `gradient ${i}: max difference ${worst} at scale ${scale}`);
  }
});

test('the reference VAE: the same first loss on wasm and tensorflow (1e-4 relative), and 10 epochs end within 1 nat', { skip }, async () => {
  const dir = tmpDir('tf-ref');
  const file = path.join(dir, 'mnist-vae.vae.json');
  fs.copyFileSync(path.join(REPO, 'examples', 'mnist-vae.vae.json'), file);
  const overrides = ['logging.metricsEvery=1', 'logging.imagesEvery=100'];
  const tfRun = await train(file, 'tensorflow', overrides);
  const wasmRun = await train(file, 'wasm', overrides);
  assert.equal(readRunRecord(tfRun.out.runDir).backend?.name, 'tensorflow');
  assert.equal(readRunRecord(wasmRun.out.runDir).backend?.name, 'wasm');
  // Same seed: same weights, same first batch, same noise; the first step's loss is computed before any update.
  const a = tfRun.steps[0].metrics.loss;
  const b = wasmRun.steps[0].metrics.loss;
  assert.equal(tfRun.steps[0].step, 1);
  assert.ok(Math.abs(a - b) / Math.abs(b) < 1e-4, `first loss: tensorflow ${a}, wasm ${b}`);
  const lastTf = tfRun.epochs[9].validation.loss;
  const lastWasm = wasmRun.epochs[9].validation.loss;
  assert.equal(tfRun.epochs.length, 10);
  assert.ok(Math.abs(lastTf - lastWasm) < 1, `validation loss after 10 epochs: tensorflow ${lastTf}, wasm ${lastWasm}`);
  process.stdout.write(`# first loss tensorflow ${a} wasm ${b} (relative ${(Math.abs(a - b) / b).toExponential(2)}); epoch 10 validation ${lastTf.toFixed(3)} vs ${lastWasm.toFixed(3)}\n`);
});

test('on tensorflow, cancel and resume give exactly the metrics and weights of an uninterrupted run', { skip }, async () => {
  const dir = tmpDir('tf-resume');
  const file = resumableExperiment(dir);
  const full = await train(file, 'tensorflow');
  const cut = await train(file, 'tensorflow', [], 5);
  assert.equal(cut.out.status, 'cancelled');
  const resumed = await resumeRun(cut.out.runDir, collectingHooks());
  assert.equal(resumed.status, 'completed');
  assert.equal(readRunRecord(cut.out.runDir).backend?.name, 'tensorflow');
  assert.deepEqual(runMetrics(cut.out.runDir), runMetrics(full.out.runDir));
  const wa = (await loadLayersModelFromDir(path.join(full.out.runDir, 'model', 'decoder'))).getWeights().map((w) => Array.from(w.dataSync()));
  const wb = (await loadLayersModelFromDir(path.join(cut.out.runDir, 'model', 'decoder'))).getWeights().map((w) => Array.from(w.dataSync()));
  assert.deepEqual(wa, wb);
});

test('every example trains one short epoch on tensorflow, evaluates, and exports the explorer', { skip }, async (t) => {
  const examples = path.join(REPO, 'examples');
  for (const f of fs.readdirSync(examples).filter((n) => n.endsWith('.vae.json'))) {
    const doc = JSON.parse(fs.readFileSync(path.join(examples, f), 'utf8'));
    const catalog = catalogExample(doc.data.source, 600);
    if (catalog && 'skip' in catalog) {
      t.diagnostic(`${f} skipped: ${catalog.skip}`);
      continue;
    }
    if (catalog) doc.data = { ...doc.data, options: catalog.options };
    else if (doc.data.source === 'mnist') doc.data = { ...doc.data, options: { limit: 600 } };
    else doc.data = { ...doc.data, options: { ...doc.data.options, count: 600 } };
    doc.training = { ...doc.training, epochs: 1 };
    delete doc.$schema;
    const dir = tmpDir(`tf-${doc.name}`);
    const file = writeJson(path.join(dir, f), doc);
    const { out, steps } = await train(file, 'tensorflow');
    assert.equal(out.status, 'completed', f);
    assert.equal(readRunRecord(out.runDir).backend?.name, 'tensorflow', f);
    for (const s of steps) assert.ok(Number.isFinite(s.metrics.loss), `${f}: loss ${s.metrics.loss}`);
    const ev = await evaluateRun(out.runDir, { k: 20, llExamples: 50, samples: 2 });
    assert.equal(ev.backend, 'tensorflow', f);
    assert.ok(Number.isFinite(ev.metrics.loss), `${f}: test loss ${ev.metrics.loss}`);
    const explorer = await prepareExplorer(out.runDir);
    assert.equal(explorer.n, Math.min(600, explorer.n));
    assert.ok(fs.existsSync(path.join(out.runDir, EXPLORER_FILES.dir, EXPLORER_FILES.decoder, 'model.json')), `${f}: explorer decoder`);
  }
});

test('vae-lab backend list shows tensorflow available and picked by auto, and why a missing backend is missing', { skip }, () => {
  const r = spawnSync(process.execPath, [CLI, 'backend', 'list'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^tensorflow +yes(?: \(auto picks it\))? +4\.22\.0 +tfjs-node with libtensorflow/m);
  assert.match(r.stdout, /^wasm +yes +4\.22\.0 +SIMD/m);
  assert.match(r.stdout, /^cpu +yes +4\.22\.0 +pure JavaScript/m);
  const json = spawnSync(process.execPath, [CLI, 'backend', 'list', '--json'], { cwd: REPO, encoding: 'utf8' });
  const listed = JSON.parse(json.stdout) as { backends: { name: string; available: boolean; auto: boolean; adapter?: { fallback: boolean } }[]; installed: Record<string, { route?: string } | null> };
  // webgpu comes first in the list; auto picks it only on a real (not software) adapter, as on no machine here.
  assert.deepEqual(listed.backends.map((b) => b.name), ['webgpu', 'tensorflow', 'wasm', 'cpu']);
  const gpu = listed.backends[0];
  const realGpu = gpu.available && gpu.adapter?.fallback === false;
  assert.equal(gpu.auto, realGpu, 'auto picks webgpu exactly when its adapter is a real GPU');
  assert.deepEqual(listed.backends.slice(1).map((b) => [b.name, b.available, b.auto]), [['tensorflow', true, !realGpu], ['wasm', true, false], ['cpu', true, false]]);
  // A fresh backends folder: tensorflow is missing, says how to get it, and auto falls to wasm.
  const empty = spawnSync(process.execPath, [CLI, 'backend', 'list', '--dir', tmpDir('empty-backends')], { cwd: REPO, encoding: 'utf8' });
  assert.match(empty.stdout, /^tensorflow +no +@tensorflow\/tfjs-node is not installed in .*empty-backends.*vae-lab backend install tensorflow/m);
  assert.match(empty.stdout, /^wasm +yes \(auto picks it\)/m);
});

test('backend install refuses bad input in one line and changes nothing', () => {
  const dir = tmpDir('install-bad');
  fs.mkdirSync(path.join(dir, 'tensorflow'));
  fs.writeFileSync(path.join(dir, 'tensorflow', 'keep.txt'), 'an earlier install');
  const cases: [string[], RegExp, number][] = [
    [['backend', 'install', 'pytorch', '--dir', dir], /backend install takes tensorflow, tensorflow-gpu or webgpu, got "pytorch"/, 2],
    [['backend', 'install', 'tensorflow', '--from-wheel', '--download', '--dir', dir], /exclude each other/, 2],
    [['backend', 'install', 'tensorflow', '--wheel', path.join(dir, 'nope.whl'), '--dir', dir], /the wheel .*nope\.whl does not exist.*Nothing was changed/, 1],
    [['backend', 'install', 'tensorflow-gpu', '--from-wheel', '--dir', dir], /tensorflow-gpu installs only by download.*Nothing was changed/, 1],
  ];
  for (const [args, message, code] of cases) {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, encoding: 'utf8' });
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.equal(fs.readFileSync(path.join(dir, 'tensorflow', 'keep.txt'), 'utf8'), 'an earlier install');
  assert.deepEqual(fs.readdirSync(dir), ['tensorflow'], 'no staging folder left behind');
});

// The kernels VAE Lab adds or replaces for speed (src/engine/backends/fusedKernels.ts, src/engine/backend.ts) against the
// op-by-op computations they stand in for.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveExperiment } from '../../src/core/config';
import { ADAM_KERNEL, adamModuleBytes, installFusedAdam } from '../../src/engine/backends/fusedKernels';
import { bernoulliLogLik } from '../../src/engine/objectives/likelihood';
import { Optimizer } from '../../src/engine/optimizers';
import { useWasm } from './helpers';

before(useWasm);

const adamCfg = (o: Record<string, unknown>) => resolveExperiment({ name: 'k', training: { optimizer: { type: 'adam', ...o } } }).training.optimizer;

/** Five Adam steps on variables of awkward sizes (1, 7 = 4 + 3, 33 x 31), returning the weights and moments. */
async function adamRun(weightDecay: number, clipNorm: number): Promise<number[][]> {
  const shapes = [[1], [7], [33, 31]];
  const vars = shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, 'float32', 10 + i)));
  const opt = new Optimizer(adamCfg({ learningRate: 0.01, weightDecay }), vars);
  for (let step = 0; step < 5; step++) {
    const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 3, 'float32', 1 + 100 * step + i));
    opt.apply(grads, 0.01, clipNorm)?.dispose();
    tf.dispose(grads);
  }
  const snap = await opt.snapshot();
  const out = [...vars.map((v) => Array.from(v.dataSync())), ...snap.slots.flat().map((a) => Array.from(a))];
  opt.dispose();
  vars.forEach((v) => v.dispose());
  return out;
}

function assertClose(a: number[][], b: number[][], tol: number, what: string): void {
  assert.equal(a.length, b.length);
  a.forEach((xs, i) => xs.forEach((x, j) => assert.ok(Math.abs(x - b[i][j]) <= tol * Math.max(1, Math.abs(b[i][j])), `${what}: array ${i}[${j}] ${x} vs ${b[i][j]}`)));
}

for (const backend of ['wasm', 'cpu']) {
  test(`the fused Adam kernel on ${backend} equals the op-by-op update (weight decay, clipping, sizes not divisible by 4)`, async () => {
    await tf.setBackend(backend);
    try {
      installFusedAdam(backend);
      for (const [wd, clip] of [[0, 0], [0.01, 0.5]]) {
        assert.ok(tf.getKernel(ADAM_KERNEL, backend));
        const fused = await adamRun(wd, clip);
        tf.unregisterKernel(ADAM_KERNEL, backend);
        const reference = await adamRun(wd, clip);
        installFusedAdam(backend);
        assertClose(fused, reference, 2e-6, `weight decay ${wd}, clip ${clip}`);
        // and the update did something: the weights moved from their start
        assert.ok(fused[2].some((x, j) => Math.abs(x - tf.randomNormal([33, 31], 0, 1, 'float32', 12).dataSync()[j]) > 1e-3));
      }
    } finally {
      await tf.setBackend('wasm');
    }
  });
}

test('the SIMD Adam module is valid WebAssembly for plain and shared memories', () => {
  for (const shared of [false, true]) {
    assert.ok(WebAssembly.validate(adamModuleBytes(shared)), `shared ${shared}`);
    const memory = new WebAssembly.Memory(shared ? { initial: 1, maximum: 2, shared: true } : { initial: 1 });
    const { adam } = new WebAssembly.Instance(new WebAssembly.Module(adamModuleBytes(shared)), { env: { memory } }).exports as {
      adam: (...a: number[]) => void;
    };
    // One group of 4: p = 1, g = 2, m = v = 0, t = 1: m = 0.2, v = 0.004, p = 1 - lr * 0.2 / (sqrt(0.004) / sqrt(0.001) + eps) ... = 1 - lr
    const f = new Float32Array(memory.buffer, 0, 28);
    f.fill(1, 0, 4);
    f.fill(2, 4, 8);
    const bc1 = 0.1;
    const bc2 = Math.sqrt(0.001);
    adam(0, 16, 32, 48, 64, 80, 96, 1, 1, 0.05 / bc1, bc2, 0.9, 0.1, 0.999, 0.001, 1e-8, 0);
    for (let k = 0; k < 4; k++) {
      assert.ok(Math.abs(f[20 + k] - 0.2) < 1e-6, 'm');
      assert.ok(Math.abs(f[24 + k] - 0.004) < 1e-7, 'v');
      assert.ok(Math.abs(f[16 + k] - 0.95) < 1e-5, `p ${f[16 + k]}`);
    }
  }
});

test('clone on wasm shares data (no copy) and stays correct when the original is disposed or reassigned', () => {
  const v = tf.variable(tf.tensor1d([1, 2, 3]));
  const c = v.clone();
  assert.equal(c.dataId, v.dataId, 'the clone shares the data');
  v.assign(tf.tensor1d([7, 8, 9]));
  assert.deepEqual(Array.from(c.dataSync()), [1, 2, 3]);
  const d = c.clone();
  c.dispose();
  assert.deepEqual(Array.from(d.dataSync()), [1, 2, 3]);
  d.dispose();
  assert.deepEqual(Array.from(v.dataSync()), [7, 8, 9]);
  v.dispose();
});

test('the Bernoulli log-likelihood gradient (written out) equals autodiff of the stable formula', () => {
  const x = tf.tidy(() => tf.step(tf.randomUniform([6, 50], -1, 1, 'float32', 3)));
  const l = tf.randomNormal([6, 50], 0, 4, 'float32', 4);
  const w = tf.randomNormal([6], 0, 1, 'float32', 5);
  const mine = tf.grad((t) => bernoulliLogLik(x, t).mul(w).sum())(l).dataSync();
  const stable = (t: tf.Tensor) => tf.neg(tf.relu(t).sub(t.mul(x)).add(tf.log1p(tf.exp(tf.neg(tf.abs(t))))).sum(1));
  const ref = tf.grad((t) => stable(t).mul(w).sum())(l).dataSync();
  ref.forEach((r, i) => assert.ok(Math.abs(r - mine[i]) < 1e-5, `element ${i}: ${mine[i]} vs ${r}`));
  // the value itself is unchanged
  const values = bernoulliLogLik(x, l).dataSync();
  stable(l).dataSync().forEach((r, i) => assert.ok(Math.abs(r - values[i]) < 1e-3));
  tf.dispose([x, l, w]);
});

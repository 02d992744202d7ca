import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveExperiment } from '../../src/core/config';
import { Optimizer } from '../../src/engine/optimizers';
import { klScheduleWeight, learningRateAt } from '../../src/engine/schedules';
import { useWasm } from './helpers';

before(useWasm);

const optCfg = (o: Record<string, unknown>) => resolveExperiment({ name: 'o', training: { optimizer: o } }).training.optimizer;

/** Run `steps` updates of f(w) = sum((w - target)^2) and return the trajectory of w[0]. */
function trajectory(makeStep: (w: tf.Variable) => (g: tf.Tensor) => void, steps: number): number[] {
  const w = tf.variable(tf.tensor1d([3, -2, 0.5]));
  const step = makeStep(w);
  const target = tf.tensor1d([1, 1, 1]);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { grads } = tf.variableGrads(() => w.sub(target).square().sum() as tf.Scalar, [w]);
    step(grads[w.name]);
    out.push(w.dataSync()[0]);
    tf.dispose(grads);
  }
  w.dispose();
  return out;
}

test('Adam matches TF.js Adam step for step', () => {
  const mine = trajectory((w) => {
    const o = new Optimizer(optCfg({ type: 'adam', learningRate: 0.1 }), [w]);
    return (g) => o.apply([g], 0.1, 0)?.dispose();
  }, 30);
  const ref = tf.train.adam(0.1, 0.9, 0.999, 1e-8);
  const theirs = trajectory((w) => (g) => ref.applyGradients([{ name: w.name, tensor: g }]), 30);
  // TF.js keeps beta^t as a float32 running product, VAE Lab computes it in float64: tiny drift only.
  for (let i = 0; i < 30; i++) assert.ok(Math.abs(mine[i] - theirs[i]) < 1e-4 * Math.max(1, Math.abs(theirs[i])), `step ${i}: ${mine[i]} vs ${theirs[i]}`);
  assert.ok(Math.abs(mine[29] - 1) < Math.abs(3 - 1), 'it moves toward the minimum');
});

test('SGD with momentum and RMSProp follow their update rules and converge on a quadratic', () => {
  for (const o of [{ type: 'sgd', learningRate: 0.1 }, { type: 'sgd', learningRate: 0.05, momentum: 0.9 }, { type: 'rmsprop', learningRate: 0.05 }, { type: 'rmsprop', learningRate: 0.02, momentum: 0.5 }]) {
    const traj = trajectory((w) => {
      const opt = new Optimizer(optCfg(o), [w]);
      return (g) => opt.apply([g], o.learningRate, 0)?.dispose();
    }, 200);
    assert.ok(Math.abs(traj[199] - 1) < 0.05, `${JSON.stringify(o)} ends at ${traj[199]}`);
  }
  // Plain SGD: w <- w - lr * 2 (w - 1) from 3: 3 - 0.1 * 4 = 2.6 exactly.
  const first = trajectory((w) => {
    const sgd = new Optimizer(optCfg({ type: 'sgd' }), [w]);
    return (g) => sgd.apply([g], 0.1, 0)?.dispose();
  }, 1);
  assert.ok(Math.abs(first[0] - 2.6) < 1e-6);
});

test('gradient clipping bounds the global norm of the update', () => {
  let norm = 0;
  const traj = trajectory((w) => {
    const opt = new Optimizer(optCfg({ type: 'sgd' }), [w]);
    return (g) => {
      const n = opt.apply([g], 1, 0.5)!;
      norm = n.dataSync()[0];
      n.dispose();
    };
  }, 1);
  // The gradient at w = (3, -2, 0.5) is (4, -6, -1), norm sqrt(53); clipped to 0.5, w[0] moves by 0.5 * 4 / sqrt(53).
  assert.ok(Math.abs(norm - Math.sqrt(53)) < 1e-4);
  assert.ok(Math.abs(traj[0] - (3 - (0.5 * 4) / Math.sqrt(53))) < 1e-5);
});

test('optimizer state round-trips through a snapshot', async () => {
  const w = tf.variable(tf.tensor1d([1, 2]));
  const a = new Optimizer(optCfg({ type: 'adam' }), [w]);
  a.apply([tf.tensor1d([0.5, -0.5])], 0.01, 0)?.dispose();
  const snap = await a.snapshot();
  const b = new Optimizer(optCfg({ type: 'adam' }), [w]);
  b.restore(snap);
  assert.equal(b.t, 1);
  assert.deepEqual(await b.snapshot(), snap);
  assert.throws(() => new Optimizer(optCfg({ type: 'sgd' }), [w]).restore(snap), /does not match/);
});

test('KL schedules: constant, linear warm-up and cyclical', () => {
  const base = { warmupSteps: 100, cycles: 4, rampFraction: 0.5 };
  assert.equal(klScheduleWeight({ ...base, type: 'constant' }, 7, 1000), 1);
  assert.equal(klScheduleWeight({ ...base, type: 'linear' }, 0, 1000), 0);
  assert.equal(klScheduleWeight({ ...base, type: 'linear' }, 50, 1000), 0.5);
  assert.equal(klScheduleWeight({ ...base, type: 'linear' }, 500, 1000), 1);
  // 4 cycles of 250 steps: ramp over the first 125 steps of each, then hold at 1.
  assert.equal(klScheduleWeight({ ...base, type: 'cyclical' }, 0, 1000), 0);
  assert.equal(klScheduleWeight({ ...base, type: 'cyclical' }, 62.5, 1000), 0.5);
  assert.equal(klScheduleWeight({ ...base, type: 'cyclical' }, 200, 1000), 1);
  assert.equal(klScheduleWeight({ ...base, type: 'cyclical' }, 250, 1000), 0);
});

test('learning-rate schedules: step, exponential, cosine and warm-up', () => {
  const s = { gamma: 0.5, stepEpochs: 2, minLearningRate: 0.1, warmupSteps: 0 };
  assert.equal(learningRateAt(1, { ...s, type: 'constant' }, 5, 50, 100), 1);
  assert.equal(learningRateAt(1, { ...s, type: 'step' }, 1, 10, 100), 1);
  assert.equal(learningRateAt(1, { ...s, type: 'step' }, 4, 40, 100), 0.25);
  assert.equal(learningRateAt(1, { ...s, type: 'exponential' }, 3, 30, 100), 0.125);
  assert.equal(learningRateAt(1, { ...s, type: 'cosine' }, 0, 0, 100), 1);
  assert.ok(Math.abs(learningRateAt(1, { ...s, type: 'cosine' }, 5, 50, 100) - 0.55) < 1e-12);
  assert.ok(Math.abs(learningRateAt(1, { ...s, type: 'cosine' }, 9, 100, 100) - 0.1) < 1e-12);
  assert.equal(learningRateAt(1, { ...s, type: 'constant', warmupSteps: 10 }, 0, 4, 100), 0.5);
});

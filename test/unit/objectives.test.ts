import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { elbo, klWeightedLoss, reparameterize } from '../../src/engine/objectives/elbo';
import { gaussianKlPerDim, logNormal, logStandardNormal } from '../../src/engine/objectives/kl';
import { bernoulliLogLik, bernoulliLogLikNaive, gaussianLogLik } from '../../src/engine/objectives/likelihood';
import { Rng } from '../../src/engine/rng';
import { useWasm } from './helpers';

before(useWasm);

test('closed-form KL equals a Monte Carlo estimate with L = 10,000 within 1%', () => {
  // 50 dimensions: the estimator's relative standard error is then about 0.2%, so 1% is a real check of the formula.
  const rng = new Rng(3);
  const d = 50;
  const mu = Array.from({ length: d }, () => rng.normal());
  const logVar = Array.from({ length: d }, () => rng.uniform(-2, 1));
  const mean = tf.tensor2d([mu]);
  const lv = tf.tensor2d([logVar]);
  const closed = gaussianKlPerDim(mean, lv).sum().dataSync()[0];
  // KL = E_q[log q(z) - log p(z)], z ~ q, estimated with 10,000 samples.
  const L = 10000;
  const eps = tf.randomNormal([L, d], 0, 1, 'float32', 11);
  const z = reparameterize(mean, lv, eps);
  const logRatio = tf.sub(logNormal(z, mean, lv), logStandardNormal(z));
  const mc = logRatio.mean().dataSync()[0];
  const stdErr = Math.sqrt(tf.moments(logRatio).variance.dataSync()[0] / L);
  assert.ok(stdErr / closed < 0.004, `the check is only meaningful if the standard error (${stdErr}) is well below 1% of ${closed}`);
  assert.ok(closed > 1, `KL should be well away from 0 for a meaningful relative check, got ${closed}`);
  assert.ok(Math.abs(mc - closed) / closed < 0.01, `closed form ${closed} vs Monte Carlo ${mc}`);
});

test('KL is zero for the prior itself and positive otherwise', () => {
  const zero = gaussianKlPerDim(tf.zeros([1, 4]), tf.zeros([1, 4])).sum().dataSync()[0];
  assert.ok(Math.abs(zero) < 1e-7);
  const pos = gaussianKlPerDim(tf.tensor2d([[0.1, 0, 0, 0]]), tf.tensor2d([[0, 0.2, 0, 0]])).dataSync();
  assert.ok(pos[0] > 0 && pos[1] > 0 && pos[2] === 0);
});

test('stable Bernoulli log-likelihood equals the naive formula where both are finite', () => {
  const rng = new Rng(5);
  const n = 500;
  const logits = Array.from({ length: n }, () => rng.uniform(-12, 12));
  const x = Array.from({ length: n }, () => rng.next());
  const stable = bernoulliLogLik(tf.tensor2d(x, [n, 1]), tf.tensor2d(logits, [n, 1])).dataSync();
  const naive = bernoulliLogLikNaive(tf.tensor2d(x, [n, 1]), tf.tensor2d(logits, [n, 1])).dataSync();
  let compared = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(naive[i])) continue;
    compared++;
    // float32 naive form loses precision as |l| grows; compare with a tolerance relative to the magnitude
    assert.ok(Math.abs(stable[i] - naive[i]) <= 1e-3 * Math.max(1, Math.abs(naive[i])), `logit ${logits[i]} x ${x[i]}: ${stable[i]} vs ${naive[i]}`);
  }
  assert.ok(compared > n * 0.9);
});

test('stable Bernoulli log-likelihood stays finite at the extremes where the naive one does not', () => {
  const logits = tf.tensor2d([[-200, -100, 100, 200, 0]]);
  const x = tf.tensor2d([[1, 0.5, 0, 0.3, 1]]);
  const stable = bernoulliLogLik(x, logits).dataSync()[0];
  const naive = bernoulliLogLikNaive(x, logits).dataSync()[0];
  assert.ok(Number.isFinite(stable), `stable ${stable}`);
  assert.ok(!Number.isFinite(naive), 'the naive form overflows here (which is why it is not used)');
  // exact value: sum of x*l - softplus(l)
  const l = [-200, -100, 100, 200, 0];
  const xs = [1, 0.5, 0, 0.3, 1];
  const exact = l.reduce((s, li, i) => s + xs[i] * li - (Math.max(li, 0) + Math.log1p(Math.exp(-Math.abs(li)))), 0);
  assert.ok(Math.abs(stable - exact) / Math.abs(exact) < 1e-5, `${stable} vs ${exact}`);
});

test('Gaussian log-likelihood matches the density formula', () => {
  const x = tf.tensor2d([[0.5, -1, 2]]);
  const m = tf.tensor2d([[0, 0, 1]]);
  const sigma = 0.7;
  const got = gaussianLogLik(x, m, tf.scalar(Math.log(sigma))).dataSync()[0];
  const xs = [0.5, -1, 2];
  const ms = [0, 0, 1];
  const exact = xs.reduce((s, xi, i) => s - 0.5 * ((xi - ms[i]) / sigma) ** 2 - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI), 0);
  assert.ok(Math.abs(got - exact) < 1e-5, `${got} vs ${exact}`);
});

test('reparameterized gradient of E[z^2] matches the analytic gradient', () => {
  // E[z^2] = mu^2 + sigma^2 with sigma^2 = exp(logVar): d/dmu = 2 mu, d/dlogVar = exp(logVar).
  const mu = tf.variable(tf.tensor1d([0.7, -1.2, 0.1]));
  const logVar = tf.variable(tf.tensor1d([-0.5, 0.3, 0.0]));
  const L = 200000;
  const eps = tf.randomNormal([L, 3], 0, 1, 'float32', 21);
  const { grads } = tf.variableGrads(() => reparameterize(mu, logVar, eps).square().mean(0).sum() as tf.Scalar, [mu, logVar]);
  const gMu = grads[mu.name].dataSync();
  const gLv = grads[logVar.name].dataSync();
  const muV = mu.dataSync();
  const lvV = logVar.dataSync();
  for (let i = 0; i < 3; i++) {
    assert.ok(Math.abs(gMu[i] - 2 * muV[i]) < 0.02, `d/dmu[${i}] ${gMu[i]} vs ${2 * muV[i]}`);
    assert.ok(Math.abs(gLv[i] - Math.exp(lvV[i])) < 0.02, `d/dlogVar[${i}] ${gLv[i]} vs ${Math.exp(lvV[i])}`);
  }
});

test('the ELBO is reconstruction minus KL, and L samples average the reconstruction term', () => {
  const b = 4;
  const d = 3;
  const mean = tf.randomNormal([b, d], 0, 1, 'float32', 1) as tf.Tensor2D;
  const logVar = tf.randomNormal([b, d], -1, 0.3, 'float32', 2) as tf.Tensor2D;
  const target = tf.randomUniform([b, 5], 0, 1, 'float32', 3);
  const W = tf.randomNormal([d, 5], 0, 1, 'float32', 4);
  const decode = (z: tf.Tensor2D) => z.matMul(W);
  const one = elbo({ target, posterior: { mean, logVar }, decode, logLik: bernoulliLogLik, samples: 1, seed: 9 });
  const e = one.elbo.dataSync();
  const r = one.recon.dataSync();
  const k = one.kl.dataSync();
  for (let i = 0; i < b; i++) assert.ok(Math.abs(e[i] - -(r[i] + k[i])) < 1e-4);
  // With many samples, the reconstruction estimate approaches the exact expectation; its spread shrinks like 1/sqrt(L).
  const many = [0, 1, 2, 3].map((s) => elbo({ target, posterior: { mean, logVar }, decode, logLik: bernoulliLogLik, samples: 400, seed: 100 + s }).recon.dataSync()[0]);
  const few = [0, 1, 2, 3].map((s) => elbo({ target, posterior: { mean, logVar }, decode, logLik: bernoulliLogLik, samples: 1, seed: 200 + s }).recon.dataSync()[0]);
  const spread = (v: number[]) => Math.max(...v) - Math.min(...v);
  assert.ok(spread(many) < spread(few), `spread with L=400 (${spread(many)}) should be below L=1 (${spread(few)})`);
  // The KL term does not depend on sampling.
  assert.deepEqual(Array.from(elbo({ target, posterior: { mean, logVar }, decode, logLik: bernoulliLogLik, samples: 3, seed: 1 }).kl.dataSync()), Array.from(k));
});

test('free bits and capacity shape the KL penalty as documented', () => {
  const klPerDim = tf.tensor2d([
    [0.1, 2.0],
    [0.3, 1.0],
  ]);
  const terms = { recon: tf.tensor1d([10, 20]), kl: klPerDim.sum(1) as tf.Tensor1D, klPerDim, elbo: tf.tensor1d([0, 0]) };
  const plain = klWeightedLoss(terms, { weight: 1, freeBits: 0 });
  assert.ok(Math.abs(plain.loss.dataSync()[0] - (15 + 1.7)) < 1e-5);
  // free bits 0.5: dimension 0's batch mean 0.2 is lifted to 0.5; dimension 1 (1.5) is unchanged.
  const fb = klWeightedLoss(terms, { weight: 2, freeBits: 0.5 });
  assert.ok(Math.abs(fb.klPenalty.dataSync()[0] - 2.0) < 1e-5);
  assert.ok(Math.abs(fb.loss.dataSync()[0] - (15 + 4.0)) < 1e-5);
  const cap = klWeightedLoss(terms, { weight: 4, freeBits: 0, capacity: 3 });
  assert.ok(Math.abs(cap.klPenalty.dataSync()[0] - 1.3) < 1e-5);
});

test('the wasm matmul fix gives the same products as the untouched cpu kernels for every transpose combination', async () => {
  const a = tf.randomNormal([2, 5, 7], 0, 1, 'float32', 1);
  const b = tf.randomNormal([2, 7, 3], 0, 1, 'float32', 2);
  const cases: [tf.Tensor, tf.Tensor, boolean, boolean][] = [
    [a, b, false, false],
    [tf.transpose(a, [0, 2, 1]), b, true, false],
    [a, tf.transpose(b, [0, 2, 1]), false, true],
    [tf.transpose(a, [0, 2, 1]), tf.transpose(b, [0, 2, 1]), true, true],
  ];
  // a b^T with b larger than a (dy W^T in backprop) takes another route: (b a^T)^T
  const big = tf.randomNormal([2, 40, 7], 0, 1, 'float32', 3);
  cases.push([a, big, false, true], [tf.randomNormal([6, 9], 0, 1, 'float32', 4), tf.randomNormal([30, 9], 0, 1, 'float32', 5), false, true]);
  const wasmResults = cases.map(([x, y, ta, tb]) => Array.from(tf.matMul(x, y, ta, tb).dataSync()));
  const fusedWasm = Array.from(tf.fused.matMul({ a: tf.transpose(a, [0, 2, 1]), b, transposeA: true, bias: tf.ones([3]), activation: 'relu' }).dataSync());
  const inputs = cases.map(([x, y, ta, tb]) => [x.arraySync(), y.arraySync(), ta, tb] as const);
  const aT = tf.transpose(a, [0, 2, 1]).arraySync();
  const bArr = b.arraySync();
  await tf.setBackend('cpu');
  try {
    inputs.forEach(([x, y, ta, tb], i) => {
      const ref = tf.matMul(tf.tensor(x), tf.tensor(y), ta, tb).dataSync();
      assert.equal(ref.length, wasmResults[i].length, `case ${i}: size`);
      ref.forEach((v, j) => assert.ok(Math.abs(v - wasmResults[i][j]) < 1e-4, `case ${i}`));
    });
    const fusedRef = tf.fused.matMul({ a: tf.tensor(aT), b: tf.tensor(bArr), transposeA: true, bias: tf.ones([3]), activation: 'relu' }).dataSync();
    fusedRef.forEach((v, j) => assert.ok(Math.abs(v - fusedWasm[j]) < 1e-4, 'fused'));
  } finally {
    await tf.setBackend('wasm');
  }
});

test('the wasm Conv2DBackpropFilter kernel added by VAE Lab matches the cpu gradients of conv2d and conv2dTranspose', async () => {
  const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const w = tf.randomNormal([4, 4, 3, 5], 0, 1, 'float32', 6) as tf.Tensor4D;
  const wt = tf.randomNormal([4, 4, 3, 5], 0, 1, 'float32', 8) as tf.Tensor4D;
  const grads = () => {
    const out: number[][] = [];
    for (const pad of ['same', 'valid'] as const) {
      out.push(Array.from(tf.grad((f) => tf.conv2d(x, f as tf.Tensor4D, 2, pad).square().sum())(w).dataSync()));
    }
    // transposed convolution [2, 5, 5, 5] -> [2, 10, 10, 3]: its filter gradient also needs Conv2DBackpropFilter
    const small = tf.randomNormal([2, 5, 5, 5], 0, 1, 'float32', 7) as tf.Tensor4D;
    out.push(Array.from(tf.grad((f) => tf.conv2dTranspose(small, f as tf.Tensor4D, [2, 10, 10, 3], 2, 'same').square().sum())(wt).dataSync()));
    return out;
  };
  const onWasm = grads();
  await tf.setBackend('cpu');
  try {
    const onCpu = grads();
    onCpu.forEach((ref, i) => ref.forEach((v, j) => assert.ok(Math.abs(v - onWasm[i][j]) < 1e-3 * Math.max(1, Math.abs(v)), `case ${i} element ${j}: ${v} vs ${onWasm[i][j]}`)));
  } finally {
    await tf.setBackend('wasm');
  }
});

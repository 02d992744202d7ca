// Metrics of `vae-lab eval` that researchers compare (issue 16), checked against closed forms on synthetic codes:
// I(x; z) under q, and the disentanglement scores SAP and DCI beside MIG.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { disentanglementScores } from '../../src/engine/disentanglement';
import { fitGmm, gmmLogLikelihood, sampleGmm } from '../../src/engine/gmm';
import { solveSymmetric } from '../../src/engine/linalg';
import { mutualInformationGap } from '../../src/engine/mig';
import { mutualInformation } from '../../src/engine/objectives/mutualInformation';
import { Rng } from '../../src/engine/rng';
import { useWasm } from './helpers';

before(useWasm);

/** Posteriors N(mu_i, s^2 I) with mu_i ~ N(0, a I) in d dimensions, and the noise for one z per example. */
function gaussianChannel(n: number, d: number, a: number, s: number, seed: number) {
  const rng = new Rng(seed);
  const rows = (f: () => number) => tf.tensor2d(Array.from({ length: n }, () => Array.from({ length: d }, f)));
  return { mean: rows(() => Math.sqrt(a) * rng.normal()), logVar: tf.fill([n, d], Math.log(s * s)) as tf.Tensor2D, eps: rows(() => rng.normal()) };
}

test('I(x; z) under q: the Gaussian channel closed form 0.5 log(1 + a / s^2) per dimension, 0 when q(z|x) ignores x, log N when codes identify examples', async () => {
  for (const [d, a, s] of [[1, 1, 0.5], [2, 1, 0.7]]) {
    const exact = 0.5 * d * Math.log(1 + a / (s * s));
    const c = gaussianChannel(2000, d, a, s, 7 + d);
    const mi = await mutualInformation(c.mean, c.logVar, c.eps);
    tf.dispose([c.mean, c.logVar, c.eps]);
    console.log(`Gaussian channel d=${d}, a=${a}, s=${s}: I ${mi.toFixed(4)}, closed form ${exact.toFixed(4)}`);
    assert.ok(Math.abs(mi - exact) < 0.06, `d=${d}: I ${mi} vs ${exact}`);
  }
  // Every example has the same posterior: z carries nothing about x.
  const same = gaussianChannel(1000, 4, 0, 1, 3);
  const zero = await mutualInformation(same.mean, same.logVar, same.eps);
  assert.ok(Math.abs(zero) < 1e-4, `collapsed posterior: I ${zero}`);
  // Narrow posteriors far apart: each code identifies its example, I = log N.
  const apart = gaussianChannel(500, 3, 100, 0.01, 4);
  const full = await mutualInformation(apart.mean, apart.logVar, apart.eps);
  assert.ok(Math.abs(full - Math.log(500)) < 1e-3, `separated codes: I ${full} vs log 500 = ${Math.log(500)}`);
  tf.dispose([same.mean, same.logVar, same.eps, apart.mean, apart.logVar, apart.eps]);
});

/** N examples of factors: two continuous (uniform) and, with `withClass`, a class with 3 values. */
function factorsOf(n: number, withClass: boolean, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => [rng.next(), rng.next(), ...(withClass ? [Math.floor(rng.next() * 3)] : [])]);
}

test('SAP and DCI: near 1 for codes disentangled by construction, near 0 when a rotation mixes them, informative either way', () => {
  const rng = new Rng(12);
  // One code per factor (with a little noise) and a nuisance dimension.
  const f = factorsOf(2000, true, 5);
  const codes = f.map((v) => [v[0] + 0.02 * rng.normal(), 2 * v[1] + 0.02 * rng.normal(), v[2] + 0.05 * rng.normal(), 0.1 * rng.normal()]);
  const good = disentanglementScores(codes, f);
  console.log(`disentangled: ${JSON.stringify(good)}`);
  assert.ok(good.sap > 0.8, `SAP ${good.sap}`);
  assert.ok(good.dci.disentanglement > 0.8 && good.dci.completeness > 0.8, JSON.stringify(good.dci));
  assert.ok(good.dci.informativeness > 0.95, JSON.stringify(good.dci));
  // The same two continuous factors seen through a 45-degree rotation: every code carries both equally.
  const g = factorsOf(2000, false, 6).map(([a, b]) => [(a - 0.5) * Math.sqrt(12), (b - 0.5) * Math.sqrt(12)]);
  const mixed = g.map(([a, b]) => [(a + b) / Math.SQRT2 + 0.02 * rng.normal(), (a - b) / Math.SQRT2 + 0.02 * rng.normal()]);
  const bad = disentanglementScores(mixed, g);
  console.log(`rotated: ${JSON.stringify(bad)}`);
  assert.ok(bad.sap < 0.1, `SAP ${bad.sap}`);
  assert.ok(bad.dci.disentanglement < 0.1 && bad.dci.completeness < 0.1, JSON.stringify(bad.dci));
  assert.ok(bad.dci.informativeness > 0.95, 'a rotation loses no information');
  // MIG agrees (its plug-in estimator on the same codes).
  assert.ok(mutualInformationGap(codes, f).mig > 0.5 && mutualInformationGap(mixed, g).mig < 0.15);
  // A constant factor is left out and named.
  assert.deepEqual(disentanglementScores(codes, f.map((v) => [...v, 7])).constantFactors, [3]);
});

test('solveSymmetric solves a positive-definite system and refuses an indefinite one', () => {
  const a = [[4, 1, 0], [1, 3, 1], [0, 1, 2]];
  const x = solveSymmetric(a, [1, 2, 3]);
  a.forEach((row, i) => assert.ok(Math.abs(row.reduce((s, v, j) => s + v * x[j], 0) - [1, 2, 3][i]) < 1e-12));
  assert.throws(() => solveSymmetric([[1, 2], [2, 1]], [1, 1]), /not positive definite/);
});

test('post-hoc Gaussian mixture: EM recovers a known mixture, its density integrates to 1, its samples have the mixture\'s moments', () => {
  const rng = new Rng(21);
  // 0.3 N((-3, 0), diag(1, 0.25)) + 0.7 N((3, 1), [[1, 0.8], [0.8, 1]]).
  const draw = () => {
    if (rng.next() < 0.3) return [-3 + rng.normal(), 0.5 * rng.normal()];
    const a = rng.normal();
    const b = rng.normal();
    return [3 + a, 1 + 0.8 * a + 0.6 * b];
  };
  const train = Array.from({ length: 4000 }, draw);
  const heldOut = Array.from({ length: 2000 }, draw);
  const g = fitGmm(train, 2, { seed: 3 });
  const [small, large] = [...g.components].sort((a, b) => a.weight - b.weight);
  assert.ok(Math.abs(small.weight - 0.3) < 0.03 && Math.abs(large.weight - 0.7) < 0.03, `weights ${small.weight}, ${large.weight}`);
  assert.ok(Math.hypot(small.mean[0] + 3, small.mean[1]) < 0.1 && Math.hypot(large.mean[0] - 3, large.mean[1] - 1) < 0.1, JSON.stringify(g.components.map((c) => c.mean)));
  // The large component's correlation: L L^T's off-diagonal.
  const cov01 = large.chol[1][0] * large.chol[0][0];
  assert.ok(Math.abs(cov01 - 0.8) < 0.08, `covariance ${cov01}`);
  // Held-out log-likelihood against the true mixture's.
  const trueLogLik = (z: number[]) => {
    const n1 = Math.log(0.3) - 0.5 * ((z[0] + 3) ** 2 + (z[1] / 0.5) ** 2) - Math.log(2 * Math.PI * 0.5);
    const det = 1 - 0.64;
    const dx = z[0] - 3;
    const dy = z[1] - 1;
    const n2 = Math.log(0.7) - (0.5 * (dx * dx - 1.6 * dx * dy + dy * dy)) / det - Math.log(2 * Math.PI * Math.sqrt(det));
    return Math.max(n1, n2) + Math.log(Math.exp(n1 - Math.max(n1, n2)) + Math.exp(n2 - Math.max(n1, n2)));
  };
  const fitted = gmmLogLikelihood(g, heldOut).reduce((a, b) => a + b, 0) / heldOut.length;
  const truth = heldOut.map(trueLogLik).reduce((a, b) => a + b, 0) / heldOut.length;
  assert.ok(Math.abs(fitted - truth) < 0.03, `held-out log-likelihood ${fitted} vs the true mixture's ${truth}`);
  // The density integrates to 1 (midpoint rule on [-9, 9] x [-6, 8]).
  const h = 0.05;
  let mass = 0;
  const cells: number[][] = [];
  for (let x = -9 + h / 2; x < 9; x += h) for (let y = -6 + h / 2; y < 8; y += h) cells.push([x, y]);
  for (const l of gmmLogLikelihood(g, cells)) mass += Math.exp(l) * h * h;
  assert.ok(Math.abs(mass - 1) < 1e-3, `mass ${mass}`);
  // Samples: the mixture's mean 0.3 * (-3, 0) + 0.7 * (3, 1) = (1.2, 0.7).
  const s = sampleGmm(g, 20000, new Rng(8));
  const m = [0, 1].map((j) => s.reduce((a, z) => a + z[j], 0) / s.length);
  assert.ok(Math.abs(m[0] - 1.2) < 0.06 && Math.abs(m[1] - 0.7) < 0.04, `sample mean ${m}`);
});

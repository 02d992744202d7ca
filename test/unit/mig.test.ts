import assert from 'node:assert/strict';
import { test } from 'node:test';
import { discretize, entropy, mutualInformation, mutualInformationGap } from '../../src/engine/mig';
import { Rng } from '../../src/engine/rng';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} should be within ${tol} of ${expected}`);

/** n rows of K independent factors: discrete with `levels` values each, or continuous uniform if levels = 0. */
function makeFactors(rng: Rng, n: number, K: number, levels: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: K }, () => (levels > 0 ? rng.int(levels) : rng.next())));
}

test('discretize: equal-width bins, maximum in the last bin, constant input in bin 0', () => {
  assert.deepEqual(discretize([0, 0.24, 0.25, 0.5, 0.99, 1], 4), [0, 0, 1, 2, 3, 3]);
  assert.deepEqual(discretize([-3, 7, 2], 2), [0, 1, 1]);
  assert.deepEqual(discretize([5, 5, 5], 10), [0, 0, 0]);
  const rng = new Rng(1);
  const bins = discretize(Array.from({ length: 1000 }, () => rng.normal()), 20);
  assert.ok(bins.every((b) => Number.isInteger(b) && b >= 0 && b < 20));
  assert.ok(bins.includes(0) && bins.includes(19));
  assert.throws(() => discretize([1, NaN], 3), RangeError);
});

test('entropy and mutual information of discrete labels', () => {
  close(entropy([0, 1, 2, 3, 3, 2, 1, 0]), Math.log(4), 1e-15, 'uniform over 4');
  assert.equal(entropy([7, 7, 7]), 0);
  close(entropy([0, 0, 0, 1]), -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)), 1e-15);
  const rng = new Rng(2);
  const x = Array.from({ length: 500 }, () => rng.int(6));
  close(mutualInformation(x, x), entropy(x), 1e-12, 'I(x; x) = H(x)');
  // Relabelling is a bijection: no information lost.
  close(mutualInformation(x, x.map((v) => 10 - 3 * v)), entropy(x), 1e-12, 'I(x; f(x))');
  // Exactly independent: each pair (a, b) appears equally often.
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) { a.push(i); b.push(j); }
  close(mutualInformation(a, b), 0, 1e-15, 'independent');
  // A deterministic function loses information: I(x; x mod 2) = H(x mod 2) < H(x).
  const parity = x.map((v) => v % 2);
  close(mutualInformation(x, parity), entropy(parity), 1e-12);
  // Symmetric.
  const y = x.map((v) => (v + rng.int(3)) % 6);
  close(mutualInformation(x, y), mutualInformation(y, x), 1e-12);
  assert.throws(() => mutualInformation([1, 2], [1]), RangeError);
});

test('MIG ≈ 1 when each code dimension is a noisy copy of exactly one factor', () => {
  const rng = new Rng(3);
  const n = 5000;
  // Discrete factors (5 levels each), codes = permuted factors + small noise, plus one uninformative dimension.
  const factors = makeFactors(rng, n, 3, 5);
  const codes = factors.map((f) => [2 * f[2] + 0.1 * rng.normal(), rng.normal(), -f[0] + 0.05 * rng.normal(), f[1] + 0.05 * rng.normal()]);
  const r = mutualInformationGap(codes, factors);
  assert.ok(r.mig > 0.9, `MIG ${r.mig}`);
  assert.deepEqual(r.perFactor.map((f) => f.best), [2, 3, 0]);
  r.perFactor.forEach((f) => close(f.entropy, Math.log(5), 0.01, 'entropy of 5 uniform levels'));
  assert.equal(r.mi.length, 4);
  assert.equal(r.mi[0].length, 3);

  // Continuous factors, binned into 20 bins like the codes.
  const cont = makeFactors(rng, n, 2, 0);
  const r2 = mutualInformationGap(cont.map((f) => [f[0] + 0.005 * rng.normal(), f[1] + 0.005 * rng.normal()]), cont);
  assert.ok(r2.mig > 0.8, `MIG ${r2.mig} (continuous)`);
});

test('MIG ≈ 0 when the codes ignore the factors', () => {
  const rng = new Rng(4);
  const n = 5000;
  const factors = makeFactors(rng, n, 3, 5);
  const codes = factors.map(() => [rng.normal(), rng.normal(), rng.normal()]);
  const r = mutualInformationGap(codes, factors);
  assert.ok(r.mig < 0.1, `MIG ${r.mig}`);
  assert.ok(r.mi.flat().every((m) => m < 0.05), 'all MI near 0');
});

test('MIG ≈ 0 when information is shared by several dimensions', () => {
  const rng = new Rng(5);
  const n = 5000;
  const factors = makeFactors(rng, n, 2, 5);
  // Each factor duplicated into two dimensions: both know it equally well, so the gap vanishes.
  const dup = factors.map((f) => [f[0] + 0.05 * rng.normal(), f[0] + 0.05 * rng.normal(), f[1] + 0.05 * rng.normal(), f[1] + 0.05 * rng.normal()]);
  const rDup = mutualInformationGap(dup, factors);
  assert.ok(rDup.mig < 0.1, `MIG ${rDup.mig} (duplicated)`);
  // Every dimension mixes all factors equally: still no gap.
  const mixed = factors.map((f) => [f[0] + f[1] + 0.05 * rng.normal(), f[0] + f[1] + 0.05 * rng.normal()]);
  const rMix = mutualInformationGap(mixed, factors);
  assert.ok(rMix.mig < 0.1, `MIG ${rMix.mig} (mixed)`);
  assert.ok(rMix.mi.flat().every((m) => m > 0.1), 'each dimension does carry information about each factor');
});

test('MIG is invariant to permuting and affinely rescaling code dimensions', () => {
  const rng = new Rng(6);
  const factors = makeFactors(rng, 3000, 3, 4);
  const codes = factors.map((f) => [f[0] + 0.3 * rng.normal(), f[1] + 0.5 * f[0] + 0.3 * rng.normal(), f[2] + 0.3 * rng.normal()]);
  const r = mutualInformationGap(codes, factors);
  const r2 = mutualInformationGap(codes.map((z) => [z[2], -4 * z[0] + 1, 0.1 * z[1] - 3]), factors);
  close(r2.mig, r.mig, 1e-12);
  assert.ok(r.mig > 0.1 && r.mig < 0.9, `an intermediate score: ${r.mig}`);
});

test('MIG handles constant factors and code dimensions, many-valued factors and the bins option', () => {
  const rng = new Rng(7);
  const n = 2000;
  const x = Array.from({ length: n }, () => rng.next());
  // Factor 0 constant (left out), factor 1 continuous; code 0 constant.
  const factors = x.map((v) => [1, v]);
  const codes = x.map((v) => [3, v]);
  const r = mutualInformationGap(codes, factors, { bins: 10 });
  assert.deepEqual(r.perFactor.map((f) => f.factor), [1]);
  assert.equal(r.mi[0][1], 0, 'a constant code dimension carries no information');
  close(r.perFactor[0].entropy, Math.log(10), 0.01, 'continuous factor binned into 10 bins');
  close(r.mig, 1, 1e-12, 'identical binning of the same variable');
  // A factor with at most `bins` distinct values is used as is: entropy ln 3 for three equally likely values.
  const r3 = mutualInformationGap(x.map((v) => [v]), x.map((v) => [Math.floor(v * 3)]), { bins: 3 });
  close(r3.perFactor[0].entropy, Math.log(3), 0.01);
  assert.equal(r3.perFactor[0].second, -1, 'a single code dimension has no runner-up');
  assert.ok(Number.isNaN(mutualInformationGap(codes, factors.map(() => [0])).mig), 'no informative factor: NaN');
  assert.throws(() => mutualInformationGap(codes, factors.slice(1)), RangeError);
});

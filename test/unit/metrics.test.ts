// Metrics of `vae-lab eval` that researchers compare (issue 16), checked against closed forms on synthetic codes.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
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

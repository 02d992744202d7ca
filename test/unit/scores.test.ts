// The evaluation scores of issue 16 beyond MIG, SAP and DCI: the beta-VAE and FactorVAE scores on synthetic encoders
// (src/engine/scores.ts) and shapes rendered from chosen factors (src/engine/data/shapes.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateShapes, renderShape, renderShapes, sampleShapeFactors, SHAPE_FACTOR_SIZES, SHAPE_FACTORS, shapeFactorValues } from '../../src/engine/data/shapes';
import { Rng } from '../../src/engine/rng';
import { betaVaeScore, factorVaeScore, fitLogistic, GroundTruth } from '../../src/engine/scores';

/** K factors with `values` levels each, standardised to mean 0 and variance 1; codes = mix(factors) + noise. */
function synthetic(k: number, values: number, mix: (f: number[]) => number[], noise: number, seed: number): GroundTruth<number[][]> {
  const noiseRng = new Rng(seed);
  const scale = Math.sqrt((values * values - 1) / 12);
  return {
    factorNames: Array.from({ length: k }, (_, i) => `f${i}`),
    sampleFactors: (rng) => Array.from({ length: k }, () => rng.int(values)),
    render: (rows) => rows.map((r) => r.map((v) => (v - (values - 1) / 2) / scale)),
    encode: (obs) => obs.map((f) => mix(f).map((z) => z + noise * noiseRng.normal())),
  };
}

/** A random rotation of R^n (Gram-Schmidt on Gaussian columns). */
function randomRotation(n: number, rng: Rng): number[][] {
  const q: number[][] = [];
  while (q.length < n) {
    const v = Array.from({ length: n }, () => rng.normal());
    for (const u of q) {
      const c = u.reduce((s, x, i) => s + x * v[i], 0);
      for (let i = 0; i < n; i++) v[i] -= c * u[i];
    }
    const r = Math.hypot(...v);
    q.push(v.map((x) => x / r));
  }
  return q;
}

const apply = (m: number[][]) => (f: number[]) => m.map((row) => row.reduce((s, v, i) => s + v * f[i], 0));
/** The 4 x 4 Hadamard matrix / 2: orthogonal, every code is +-1/2 of every factor. */
const HADAMARD = [[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]].map((r) => r.map((v) => v / 2));

test('beta-VAE and FactorVAE scores: near 1 for codes that are the factors, chance when every code mixes every factor equally, lower for a random rotation', async () => {
  // Disentangled: one code per factor, a little noise, and a collapsed fifth dimension FactorVAE must prune.
  const good = synthetic(4, 10, (f) => [...f, 0], 0.05, 1);
  const b = await betaVaeScore(good, new Rng(2));
  const f = await factorVaeScore(good, new Rng(3));
  console.log(`disentangled: beta-VAE ${JSON.stringify(b)}, FactorVAE ${JSON.stringify(f)}`);
  assert.ok(b.evalAccuracy > 0.95 && b.trainAccuracy > 0.95, JSON.stringify(b));
  assert.ok(f.evalAccuracy > 0.95 && f.trainAccuracy > 0.95, JSON.stringify(f));
  assert.deepEqual(f.activeDims, [0, 1, 2, 3], 'the collapsed dimension is pruned');
  assert.deepEqual(f.classifier, [0, 1, 2, 3]);
  // Entangled: a Hadamard mixing; fixing any factor lowers every code's variance alike.
  const mixed = synthetic(4, 10, apply(HADAMARD), 0.05, 4);
  const bm = await betaVaeScore(mixed, new Rng(2));
  const fm = await factorVaeScore(mixed, new Rng(3));
  console.log(`Hadamard-mixed: beta-VAE ${JSON.stringify(bm)}, FactorVAE ${JSON.stringify(fm)}`);
  assert.ok(bm.evalAccuracy < 0.45, `beta-VAE score ${bm.evalAccuracy} (chance 0.25)`);
  assert.ok(fm.evalAccuracy < 0.45, `FactorVAE score ${fm.evalAccuracy} (chance 0.25)`);
  // A random rotation: each factor is spread over the codes, unequally, so the scores fall but not to chance.
  const rot = synthetic(4, 10, apply(randomRotation(4, new Rng(9))), 0.05, 5);
  const br = await betaVaeScore(rot, new Rng(2));
  const fr = await factorVaeScore(rot, new Rng(3));
  console.log(`randomly rotated: beta-VAE ${JSON.stringify(br)}, FactorVAE ${JSON.stringify(fr)}`);
  assert.ok(fr.evalAccuracy < f.evalAccuracy - 0.2, `FactorVAE ${fr.evalAccuracy} vs ${f.evalAccuracy}`);
  // Codes that ignore the factors: nothing to tell apart; FactorVAE prunes every dimension and scores 0.
  const blind = synthetic(4, 10, () => [0, 0, 0], 0.01, 6);
  assert.equal((await factorVaeScore(blind, new Rng(3))).evalAccuracy, 0);
  assert.ok((await betaVaeScore(blind, new Rng(2))).evalAccuracy < 0.45);
});

test('the logistic regression separates separable classes and predicts the majority class where features say nothing', () => {
  const rng = new Rng(4);
  const centres = [[0, 0], [4, 0], [0, 4]];
  const y = Array.from({ length: 300 }, (_, i) => i % 3);
  const x = y.map((c) => centres[c].map((m) => m + 0.5 * rng.normal()));
  const m = fitLogistic(x, y, 3);
  const acc = m.predict(x).filter((p, i) => p === y[i]).length / y.length;
  assert.ok(acc > 0.99, `accuracy ${acc}`);
  const yy = Array.from({ length: 200 }, (_, i) => (i < 140 ? 1 : 0));
  const noise = yy.map(() => [rng.normal()]);
  const pred = fitLogistic(noise, yy, 2).predict(noise);
  assert.ok(pred.filter((p) => p === 1).length > 180, 'mostly the majority class');
});

test('shapes: every image of generateShapes is renderShape of its factors; renderShapes draws chosen factors', () => {
  const d = generateShapes(50, 32, 11);
  const nf = SHAPE_FACTORS.length;
  assert.deepEqual(SHAPE_FACTOR_SIZES, [3, 6, 40, 32, 32]);
  const rng = new Rng(11);
  for (let i = 0; i < d.n; i++) {
    const idx = sampleShapeFactors(rng);
    assert.deepEqual(Array.from(d.factors!.subarray(i * nf, (i + 1) * nf)), Array.from(Float32Array.from(shapeFactorValues(idx))));
    const img = new Float32Array(32 * 32);
    renderShape(idx, 32, img);
    assert.deepEqual(img, (d.x as Float32Array).subarray(i * 1024, (i + 1) * 1024));
  }
  const two = renderShapes([[0, 5, 0, 0, 0], [2, 5, 0, 31, 31]], 32);
  const mass = (o: number) => Array.from(two.subarray(o, o + 1024)).reduce((a, b) => a + b, 0);
  // A big square near the top-left, a big heart near the bottom-right.
  assert.ok(two[5 * 32 + 5] === 1 && two[1024 + 5 * 32 + 5] === 0 && two[1024 + 26 * 32 + 26] > 0);
  // A square of half-size 0.8 x 0.2 x 32 x scale 1: (2 x 5.12)^2 pixels of ink.
  assert.ok(Math.abs(mass(0) - 10.24 ** 2) < 6, `square's ink ${mass(0)}`);
  assert.throws(() => renderShape([3, 0, 0, 0, 0], 32, img0()), /shape must be an integer in 0\.\.2/);
});

const img0 = () => new Float32Array(1024);

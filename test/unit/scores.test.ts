// The evaluation scores of issue 16 beyond MIG, SAP and DCI: the beta-VAE and FactorVAE scores on synthetic encoders
// (src/engine/scores.ts) and shapes rendered from chosen factors (src/engine/data/shapes.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { resolveExperiment } from '../../src/core/config';
import type { EvalResult } from '../../src/core/protocol';
import { runFiles } from '../../src/core/runFolder';
import { floatRows, rowView } from '../../src/engine/data';
import { loadMnist } from '../../src/engine/data/mnist';
import { featureClassifier } from '../../src/engine/featureClassifier';
import { matMul, symmetricEigen, symmetricSqrt, traceSqrtProduct } from '../../src/engine/linalg';
import { fitGaussian, frechetDistance, precisionRecall } from '../../src/engine/sampleQuality';
import { generateShapes, renderShape, renderShapes, sampleShapeFactors, SHAPE_FACTOR_SIZES, SHAPE_FACTORS, shapeFactorValues } from '../../src/engine/data/shapes';
import { Rng } from '../../src/engine/rng';
import { betaVaeScore, factorVaeScore, fitLogistic, GroundTruth } from '../../src/engine/scores';
import { REPO, tmpDir, useWasm } from './helpers';

before(useWasm);

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

/** A random symmetric positive-definite n x n matrix B Bᵀ / n + eps I. */
function randomSpd(n: number, rng: Rng, eps = 0.1): number[][] {
  const b = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
  return b.map((r, i) => b.map((q, j) => r.reduce((s, v, t) => s + v * q[t], 0) / n + (i === j ? eps : 0)));
}

const maxAbsDiff = (a: number[][], b: number[][]) => Math.max(...a.map((r, i) => Math.max(...r.map((v, j) => Math.abs(v - b[i][j])))));

test('Jacobi eigendecomposition reconstructs a random symmetric matrix; the symmetric square root squares back', () => {
  const rng = new Rng(31);
  const n = 40;
  const a = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i][j] = a[j][i] = rng.normal();
  const { values, vectors } = symmetricEigen(a);
  const rebuilt = a.map((_, i) => a.map((__, j) => values.reduce((s, l, k) => s + l * vectors[k][i] * vectors[k][j], 0)));
  assert.ok(maxAbsDiff(rebuilt, a) < 1e-10, `reconstruction error ${maxAbsDiff(rebuilt, a)}`);
  const orth = vectors.map((u) => vectors.map((v) => u.reduce((s, x, i) => s + x * v[i], 0)));
  assert.ok(maxAbsDiff(orth, orth.map((r, i) => r.map((_, j) => (i === j ? 1 : 0)))) < 1e-10, 'orthonormal eigenvectors');
  const spd = randomSpd(30, rng);
  const r = symmetricSqrt(spd);
  assert.ok(maxAbsDiff(matMul(r, r), spd) < 1e-10, `sqrt error ${maxAbsDiff(matMul(r, r), spd)}`);
});

test('Fréchet distance: closed forms for Gaussians with commuting and non-commuting covariances, and from samples', () => {
  // Diagonal covariances: |dm|^2 + sum (sqrt a - sqrt b)^2.
  const a = [1, 4, 0.25, 9];
  const b = [2, 1, 1, 9];
  const diag = (v: number[]) => v.map((x, i) => v.map((_, j) => (i === j ? x : 0)));
  const fd = frechetDistance({ mean: [0, 1, 0, 0], cov: diag(a) }, { mean: [1, 1, 2, 0], cov: diag(b) });
  const exact = 5 + a.reduce((s, x, i) => s + (Math.sqrt(x) - Math.sqrt(b[i])) ** 2, 0);
  assert.ok(Math.abs(fd - exact) < 1e-10, `${fd} vs ${exact}`);
  // 2 x 2 covariances that do not commute: Tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)) for a 2 x 2 PSD M = S1^½ S2 S1^½,
  // with tr M = tr(S1 S2) and det M = det S1 det S2.
  const s1 = [[2, 0.8], [0.8, 1]];
  const s2 = [[1, -0.5], [-0.5, 3]];
  const trS1S2 = s1[0][0] * s2[0][0] + 2 * s1[0][1] * s2[1][0] + s1[1][1] * s2[1][1];
  const det = (m: number[][]) => m[0][0] * m[1][1] - m[0][1] * m[1][0];
  const cross = Math.sqrt(trS1S2 + 2 * Math.sqrt(det(s1) * det(s2)));
  assert.ok(Math.abs(traceSqrtProduct(s1, s2) - cross) < 1e-12, `${traceSqrtProduct(s1, s2)} vs ${cross}`);
  const fd2 = frechetDistance({ mean: [0, 0], cov: s1 }, { mean: [1, 2], cov: s2 });
  assert.ok(Math.abs(fd2 - (5 + 3 + 4 - 2 * cross)) < 1e-12);
  // Identical Gaussians: 0; and the estimate from 20,000 samples of each of two 3-D Gaussians is close to the closed form.
  const rng = new Rng(8);
  const c1 = randomSpd(3, rng);
  const c2 = randomSpd(3, rng);
  assert.ok(frechetDistance({ mean: [0, 0, 0], cov: c1 }, { mean: [0, 0, 0], cov: c1 }) < 1e-10);
  const draw = (c: number[][], m: number[], n: number) => {
    const l = [[Math.sqrt(c[0][0]), 0, 0], [0, 0, 0], [0, 0, 0]];
    l[1][0] = c[1][0] / l[0][0];
    l[1][1] = Math.sqrt(c[1][1] - l[1][0] ** 2);
    l[2][0] = c[2][0] / l[0][0];
    l[2][1] = (c[2][1] - l[2][0] * l[1][0]) / l[1][1];
    l[2][2] = Math.sqrt(c[2][2] - l[2][0] ** 2 - l[2][1] ** 2);
    return Array.from({ length: n }, () => {
      const e = [rng.normal(), rng.normal(), rng.normal()];
      return l.map((row, i) => m[i] + row.reduce((s, v, j) => s + v * e[j], 0));
    });
  };
  const closed = frechetDistance({ mean: [0, 0, 0], cov: c1 }, { mean: [1, 0, -1], cov: c2 });
  const sampled = frechetDistance(fitGaussian(draw(c1, [0, 0, 0], 20000)), fitGaussian(draw(c2, [1, 0, -1], 20000)));
  console.log(`3-D Gaussians: FD closed form ${closed.toFixed(4)}, from 20,000 samples each ${sampled.toFixed(4)}`);
  assert.ok(Math.abs(sampled - closed) < 0.03 * closed + 0.01, `${sampled} vs ${closed}`);
});

test('precision and recall (k-NN radii): 1 for the same distribution, 0 for disjoint ones, precision alone for a collapsed sampler', () => {
  const rng = new Rng(5);
  const cloud = (n: number, m: number, s: number) => Array.from({ length: n }, () => [m + s * rng.normal(), m + s * rng.normal()]);
  const real = cloud(500, 0, 1);
  const same = precisionRecall(real, cloud(500, 0, 1));
  assert.ok(same.precision > 0.9 && same.recall > 0.9, JSON.stringify(same));
  const far = precisionRecall(real, cloud(500, 50, 1));
  assert.deepEqual(far, { precision: 0, recall: 0 });
  // Samples that cover only the centre of the data: good precision, poor recall.
  const narrow = precisionRecall(real, cloud(500, 0, 0.2));
  console.log(`precision/recall: same ${JSON.stringify(same)}, narrow ${JSON.stringify(narrow)}`);
  assert.ok(narrow.precision > 0.9 && narrow.recall < 0.5, JSON.stringify(narrow));
});

/** The experiment config's data section for the bundled MNIST. */
const mnistData = () => resolveExperiment({ name: 'm', data: { source: 'mnist' }, model: { latentDim: 2, encoder: { hidden: [8] } } }).data;

test('sample quality in an MNIST classifier\'s features: test vs train images have FD near 0 and precision/recall near 1, noise images a large FD and 0/0; the classifier is cached, reused, and retrained when its cache is corrupt', async () => {
  const m = loadMnist();
  const root = tmpDir('classifiers');
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  let t0 = Date.now();
  const c = await featureClassifier(mnistData(), m.train, m.test, { root, steps: 200, log });
  const trainMs = Date.now() - t0;
  console.log(`${c.meta.name}: trained in ${c.meta.trainSeconds} s; ${c.dir}`);
  assert.equal(c.status, 'trained');
  assert.match(c.meta.name, /^MNIST classifier \(MLP 784-256-128-10, test accuracy 0\.\d\d\)$/);
  assert.ok(c.meta.testAccuracy > 0.85, `test accuracy ${c.meta.testAccuracy}`);
  const n = 1000;
  const test = await c.features(floatRows(m.test, 0, n), n);
  const train = await c.features(floatRows(rowView(m.train, 0, n), 0, n), n);
  const noiseRng = new Rng(3);
  const noise = await c.features(Float32Array.from({ length: n * 784 }, () => noiseRng.next()), n);
  assert.equal(test[0].length, 128);
  const fdTrain = frechetDistance(fitGaussian(test), fitGaussian(train));
  const fdNoise = frechetDistance(fitGaussian(test), fitGaussian(noise));
  const prTrain = precisionRecall(test, train);
  const prNoise = precisionRecall(test, noise);
  console.log(`FD test vs train ${fdTrain.toFixed(3)}, test vs noise ${fdNoise.toFixed(3)}; precision/recall train ${JSON.stringify(prTrain)}, noise ${JSON.stringify(prNoise)}`);
  assert.ok(fdTrain < 0.05 * fdNoise, `FD ${fdTrain} vs ${fdNoise}`);
  assert.ok(prTrain.precision > 0.8 && prTrain.recall > 0.8, JSON.stringify(prTrain));
  assert.ok(prNoise.precision < 0.1 && prNoise.recall < 0.1, JSON.stringify(prNoise));
  c.dispose();
  // The second call loads the cache: same weights file, untouched, and the same features.
  const weights = path.join(c.dir, 'weights.bin');
  const mtime = fs.statSync(weights).mtimeMs;
  t0 = Date.now();
  const again = await featureClassifier(mnistData(), m.train, m.test, { root, steps: 200, log });
  const loadMs = Date.now() - t0;
  assert.equal(again.status, 'loaded');
  assert.equal(fs.statSync(weights).mtimeMs, mtime);
  assert.ok(loadMs < trainMs / 5, `loading took ${loadMs} ms, training ${trainMs} ms`);
  assert.deepEqual((await again.features(floatRows(m.test, 0, 5), 5)).map((r) => r.map((v) => Math.fround(v))), test.slice(0, 5).map((r) => r.map((v) => Math.fround(v))));
  again.dispose();
  assert.deepEqual(lines.filter((l) => /unusable/.test(l)), []);
  // A corrupted weights file, then a truncated classifier.json: each is reported and the classifier trained again.
  const bytes = fs.readFileSync(weights);
  bytes.fill(7, 0, 64);
  fs.writeFileSync(weights, bytes);
  const fixed = await featureClassifier(mnistData(), m.train, m.test, { root, steps: 200, log });
  assert.equal(fixed.status, 'retrained');
  assert.match(fixed.reason!, /weights\.bin: its SHA-256 is not the one recorded/);
  assert.ok(lines.some((l) => l.includes(`The cached classifier in ${fixed.dir} is unusable`)), lines.join('\n'));
  fixed.dispose();
  fs.writeFileSync(path.join(fixed.dir, 'classifier.json'), '{"key": ');
  const fixed2 = await featureClassifier(mnistData(), m.train, m.test, { root, steps: 200, log });
  assert.equal(fixed2.status, 'retrained');
  assert.match(fixed2.reason!, /classifier\.json: .*JSON/);
  fixed2.dispose();
  const third = await featureClassifier(mnistData(), m.train, m.test, { root, steps: 200, log });
  assert.equal(third.status, 'loaded', 'the retrained classifier was cached');
  third.dispose();
  assert.deepEqual(fs.readdirSync(root), [path.basename(c.dir)], 'no staging folders left behind');
});

const CLI = path.join(REPO, 'dist', 'cli.js');

/** Train an example one epoch through the CLI (wasm) and return its run folder. */
function trainExample(example: string, dir: string, sets: string[]): string {
  const file = path.join(REPO, 'examples', `${example}.vae.json`);
  const r = spawnSync(process.execPath, [CLI, 'train', file, '--out', path.join(dir, 'runs'), '--epochs', '1', '--backend', 'wasm', ...sets.flatMap((v) => ['--set', v])], { cwd: REPO, encoding: 'utf8', timeout: 300000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').pop()!;
}

/** `vae-lab eval` of a run with the classifier cache in `cache`: the printed table and eval.json. */
function evalRun(runDir: string, cache: string, extra: string[] = []): { table: string; stderr: string; result: EvalResult; seconds: number } {
  const t0 = Date.now();
  const e = spawnSync(process.execPath, [CLI, 'eval', runDir, '--k', '10', '--ll-examples', '20', ...extra], { cwd: REPO, encoding: 'utf8', timeout: 300000, env: { ...process.env, VAE_LAB_CLASSIFIER_DIR: cache } });
  assert.equal(e.status, 0, e.stderr);
  return { table: e.stdout, stderr: e.stderr, result: JSON.parse(fs.readFileSync(runFiles.evaluation(runDir), 'utf8')), seconds: (Date.now() - t0) / 1000 };
}

test('vae-lab eval of a shapes beta-VAE trained one epoch: beta-VAE and FactorVAE scores in [0, 1] with their settings, sample quality in the shapes classifier\'s features, the classifier reused by a second eval', () => {
  const dir = tmpDir('scores-e2e');
  const cache = path.join(dir, 'classifiers');
  const runDir = trainExample('shapes-beta-vae', dir, ['data.options.count=1200']);
  const first = evalRun(runDir, cache);
  const r = first.result;
  const d = r.disentanglement!;
  console.log(`1-epoch shapes beta-VAE: ${JSON.stringify({ mig: d.mig, betaVaeScore: d.betaVaeScore, factorVaeScore: d.factorVaeScore, sap: d.sap, betaVae: d.betaVae, factorVae: d.factorVae, sampleQuality: r.sampleQuality })}; eval ${first.seconds} s`);
  for (const v of [d.betaVaeScore!, d.factorVaeScore!, d.betaVae!.trainAccuracy, d.factorVae!.trainAccuracy]) assert.ok(v >= 0 && v <= 1, JSON.stringify(d));
  assert.deepEqual(Object.keys(d).slice(0, 5), ['mig', 'betaVaeScore', 'factorVaeScore', 'sap', 'dci']);
  assert.deepEqual(Object.keys(d.dci), ['disentanglement', 'completeness', 'informativeness']);
  assert.equal(d.settings.betaVae!.version, 1);
  assert.equal(d.settings.factorVae!.pruneThreshold, 0.05);
  assert.match(d.settings.betaVae!.classifier, /logistic regression/);
  const q = r.sampleQuality!;
  for (const v of [q.fd, q.precision, q.recall]) assert.ok(Number.isFinite(v) && v >= 0, JSON.stringify(q));
  assert.ok(q.precision <= 1 && q.recall <= 1);
  assert.match(q.classifier, /^shapes classifier \(MLP 1024-256-128-3, test accuracy \d\.\d\d\)$/);
  assert.equal(q.version, 1);
  assert.equal(q.classifierCache.status, 'trained');
  assert.match(q.sampler, /prior/);
  assert.match(first.table, /FD \(shapes classifier\)/);
  assert.match(first.table, /beta-VAE score/);
  assert.doesNotMatch(first.table, /FID/);
  assert.match(first.stderr, /Trained the shapes classifier/);
  // The second eval loads the classifier: its weights file is untouched and nothing is trained.
  const weights = path.join(q.classifierCache.dir, 'weights.bin');
  const mtime = fs.statSync(weights).mtimeMs;
  const second = evalRun(runDir, cache);
  console.log(`second eval ${second.seconds} s (first ${first.seconds} s, of which the classifier ${q.classifierCache.trainSeconds} s)`);
  assert.equal(second.result.sampleQuality!.classifierCache.status, 'loaded');
  assert.equal(fs.statSync(weights).mtimeMs, mtime);
  assert.doesNotMatch(second.stderr, /Trained/);
  assert.equal(second.result.sampleQuality!.fd, q.fd, 'the same classifier and seed give the same FD');
});

test('vae-lab eval of a deterministic autoencoder on MNIST: samples from the post-hoc mixture; --gmm 0 leaves sample quality out with its reason', () => {
  const dir = tmpDir('quality-ae');
  const cache = path.join(dir, 'classifiers');
  const runDir = trainExample('mnist-ae', dir, ['data.options.limit=600']);
  const { result, table } = evalRun(runDir, cache);
  const q = result.sampleQuality!;
  console.log(`1-epoch MNIST ae, post-hoc sampler: ${JSON.stringify(q)}`);
  assert.match(q.sampler, /post-hoc Gaussian mixture of 10 components/);
  assert.match(q.classifier, /^MNIST classifier \(MLP 784-256-128-10, test accuracy \d\.\d\d\)$/);
  for (const v of [q.fd, q.precision, q.recall]) assert.ok(Number.isFinite(v) && v >= 0);
  assert.equal(result.disentanglement, undefined);
  assert.match(result.notComputed!.disentanglement, /no ground-truth factors/);
  assert.match(table, /disentanglement: not computed/);
  const off = evalRun(runDir, cache, ['--gmm', '0']).result;
  assert.equal(off.sampleQuality, undefined);
  assert.match(off.notComputed!.sampleQuality, /no meaningful prior.*--gmm 0/);
});

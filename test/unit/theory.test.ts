// The theory lab's engine side (src/engine/theory/, vae-lab theory): each lesson's math checked on real models: the
// two gradient estimators are unbiased for the same gradient and their variances fall like 1/L; the Monte Carlo KL
// converges to the closed form; an autoencoder's code space has more holes than a VAE's; a linear autoencoder spans
// the PCA subspace; the squared error is the Gaussian negative log-likelihood up to a constant.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveExperiment } from '../../src/core/config';
import { readRunRecord } from '../../src/core/runFolder';
import { HolesResult, LikelihoodsResult, PosteriorResult, theoryFiles } from '../../src/core/theory';
import { floatRows } from '../../src/engine/data';
import { principalAnglesDegrees, topPrincipalComponents } from '../../src/engine/linalg';
import { createModel } from '../../src/engine/models';
import { Vae } from '../../src/engine/models/vae';
import { Rng } from '../../src/engine/rng';
import { computeTheory, sweepSiblings } from '../../src/engine/theory/command';
import { batchOf, logLogSlope } from '../../src/engine/theory/common';
import { holesLesson } from '../../src/engine/theory/holes';
import { likelihoodsLesson } from '../../src/engine/theory/likelihoods';
import { subspaceIterationPcs } from '../../src/engine/theory/linearPca';
import { monteCarloDraws, monteCarloLesson } from '../../src/engine/theory/montecarlo';
import { gradientMoments, reparamLesson } from '../../src/engine/theory/reparam';
import { loadRunModel, startRun } from '../../src/engine/trainer';
import { collectingHooks, REPO, tmpDir, useWasm, writeJson } from './helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');
const RUN = { runId: 'test', experiment: 'test' };

async function train(doc: Record<string, unknown>, dir: string): Promise<string> {
  const file = writeJson(path.join(dir, `${String(doc.name)}.vae.json`), { backend: 'wasm', logging: { metricsEvery: 50, imagesEvery: 1000 }, ...doc });
  const out = await startRun({ experimentFile: file, runsRoot: path.join(dir, 'runs') }, collectingHooks());
  assert.equal(out.status, 'completed', String(doc.name));
  return out.runDir;
}

/** A 2-D VAE and a 2-D autoencoder trained on the same 1,500 real digits (about 25 s each), for the tests that need a trained run. */
let runs: { vae: string; ae: string } | undefined;
before(async () => {
  await useWasm();
  const dir = tmpDir('theory');
  const common = { data: { source: 'mnist', options: { limit: 1500 } }, training: { epochs: 8, batchSize: 50, seed: 3, optimizer: { learningRate: 0.003 } } };
  const vae = await train({ name: 'vae2d', ...common, model: { kind: 'vae', latentDim: 2, encoder: { hidden: [128] }, likelihood: 'bernoulli' } }, dir);
  const ae = await train({ name: 'ae2d', ...common, model: { kind: 'ae', latentDim: 2, encoder: { hidden: [128] }, likelihood: 'bernoulli' } }, dir);
  runs = { vae, ae };
});
const trainedRuns = async () => runs!;

/** A tiny untrained VAE on 6-D vectors (Gaussian likelihood) and a batch of 8 inputs. */
function tinyVae(seed: number) {
  const config = resolveExperiment({ name: 'tiny', data: { source: 'toy2d' }, model: { kind: 'vae', latentDim: 2, encoder: { hidden: [8] }, likelihood: 'gaussian', sigma: 0.5 }, training: { seed } });
  const model = createModel(config, [6]) as Vae;
  const rng = new Rng(seed);
  const x = tf.tensor2d(Array.from({ length: 8 }, () => Array.from({ length: 6 }, () => rng.normal())));
  return { model, x };
}

test('reparam: score-function and reparameterised gradients agree in mean; both variances fall like 1/L; reparam has the smaller one', async () => {
  const { model, x } = tinyVae(7);
  try {
    // Unbiased for the same gradient: per parameter, the difference of the two means over R draws of L = 50 samples
    // in units of its standard error.
    const R = 60;
    const s = await gradientMoments(model, x, undefined, 'score', 50, R, 11);
    const r = await gradientMoments(model, x, undefined, 'reparam', 50, R, 12);
    const z = Array.from(s.mean, (m, j) => (m - r.mean[j]) / Math.sqrt(s.variance[j] / R + r.variance[j] / R + 1e-30));
    const meanZ2 = z.reduce((a, v) => a + v * v, 0) / z.length;
    const maxZ = Math.max(...z.map(Math.abs));
    // The gradient is resolved (many parameters' reparam means are far from 0), so agreement is not vacuous.
    const resolved = Array.from(r.mean).filter((m, j) => Math.abs(m) > 5 * Math.sqrt(r.variance[j] / R)).length;
    assert.ok(resolved >= 10, `parameters whose gradient is resolved: ${resolved} of ${z.length}`);
    assert.ok(meanZ2 < 3 && maxZ < 4.5, `score vs reparam means: mean z^2 ${meanZ2.toFixed(2)}, largest |z| ${maxZ.toFixed(2)} over ${z.length} parameters`);
    // Variance ~ 1/L for both, and the reparameterised one is smaller at every L.
    const res = await reparamLesson(model, { x }, RUN, { seed: 5, samples: [1, 4, 16, 64], repeats: 30 });
    for (const row of res.rows) assert.ok(row.reparamVariance < row.scoreVariance, `L=${row.samples}: reparam ${row.reparamVariance} vs score ${row.scoreVariance}`);
    for (const [name, slope] of Object.entries(res.slopes)) if (slope !== null) assert.ok(slope > -1.3 && slope < -0.7, `${name}: log-log slope ${slope}`);
    // The leave-one-out baseline keeps the score estimator unbiased and lowers its variance here (f has a large mean).
    for (const row of res.rows.filter((w) => w.samples >= 4)) assert.ok(row.scoreBaselineVariance! < row.scoreVariance, `L=${row.samples}: baseline ${row.scoreBaselineVariance} vs ${row.scoreVariance}`);
    console.log(`tiny model ratios score/reparam: ${res.rows.map((w) => `L=${w.samples} ${w.ratio.toFixed(1)}`).join(', ')}; slopes ${JSON.stringify(res.slopes)}`);
  } finally {
    model.dispose();
    x.dispose();
  }
});

test('montecarlo: the Monte Carlo KL converges to the closed form, its spread falls like 1/sqrt(L); the reconstruction term converges', async () => {
  const { vae } = await trainedRuns();
  const { model, data } = await loadRunModel(vae);
  const batch = batchOf(model, data.test, 0, 4);
  try {
    const r = await monteCarloLesson(model as Vae, batch, RUN, { seed: 9, samples: [1, 3, 10, 30, 100, 300, 1000], repeats: 30, reconRepeats: 8 });
    for (const row of r.kl.rows) assert.ok(Math.abs(row.mean - r.kl.closedForm) < 3 * row.stderr, `L=${row.samples}: MC KL ${row.mean} ± ${row.stderr} vs closed form ${r.kl.closedForm}`);
    const slope = logLogSlope(r.kl.rows.map((w) => w.samples), r.kl.rows.map((w) => w.sd));
    assert.ok(slope > -0.62 && slope < -0.38, `KL: sd vs L slope ${slope}`);
    const reconSlope = logLogSlope(r.recon.rows.map((w) => w.samples), r.recon.rows.map((w) => w.sd));
    assert.ok(reconSlope > -0.7 && reconSlope < -0.3, `recon: sd vs L slope ${reconSlope}`);
    const ref = r.recon.rows[r.recon.rows.length - 1];
    for (const row of r.recon.rows) assert.ok(Math.abs(row.mean - ref.mean) < 3 * Math.hypot(row.stderr, ref.stderr) + 1e-6, `recon L=${row.samples}: ${row.mean} ± ${row.stderr} vs ${ref.mean}`);
    // The KL draws are of log q - log p at samples from q: one draw at L = 1 can be negative, the mean cannot.
    assert.ok(r.kl.closedForm > 0);
    const single = await monteCarloDraws(model as Vae, batch.x, undefined, 'kl', 1, 200, 4);
    assert.ok(Math.min(...single) < r.kl.closedForm && Math.max(...single) > r.kl.closedForm);
    console.log(`montecarlo: KL closed ${r.kl.closedForm.toFixed(4)}; ${r.kl.rows.map((w) => `L=${w.samples} ${w.mean.toFixed(3)}±${w.sd.toFixed(3)}`).join(', ')}; recon ${r.recon.rows.map((w) => `L=${w.samples} ${w.mean.toFixed(2)}±${w.sd.toFixed(2)}`).join(', ')}; ${r.seconds} s`);
  } finally {
    tf.dispose([batch.x, batch.labels]);
    model.dispose();
  }
});

test('holes: the autoencoder leaves more of the prior uncovered than the VAE trained on the same digits', async () => {
  const { vae, ae } = await trainedRuns();
  const res: Record<string, HolesResult> = {};
  for (const [name, dir] of Object.entries({ vae, ae })) {
    const { model, data } = await loadRunModel(dir);
    try {
      res[name] = await holesLesson(model, data.train, RUN);
    } finally {
      model.dispose();
    }
  }
  const v = res.vae;
  const a = res.ae;
  assert.equal(v.settings.density, 'aggregate-posterior');
  assert.equal(a.settings.density, 'kde');
  assert.equal(v.logCodeDensity.length, 100 * 100);
  // The prior on the [-4, 4]^2 grid holds (1 - 6.3e-5)^2 of its mass; the aggregate posterior almost all of its own.
  const priorMass = v.logPrior.reduce((s, l) => s + Math.exp(l) * 0.08 * 0.08, 0);
  assert.ok(Math.abs(priorMass - 0.99987) < 1e-3, `prior mass on the grid ${priorMass}`);
  assert.ok(v.codeMassOnGrid > 0.9, `VAE aggregate posterior mass on the grid ${v.codeMassOnGrid}`);
  assert.ok(a.priorMassInHoles > v.priorMassInHoles + 0.1, `prior mass in holes: AE ${a.priorMassInHoles}, VAE ${v.priorMassInHoles}`);
  console.log(`holes: VAE ${v.priorMassInHoles.toFixed(4)} (KDE of its means ${v.meansKdePriorMassInHoles?.toFixed(4)}), AE ${a.priorMassInHoles.toFixed(4)} (codes ${a.codeRange.lo.map((x) => x.toFixed(1))} to ${a.codeRange.hi.map((x) => x.toFixed(1))})`);
});

test('posterior: the true posterior map is normalised, the gap equals KL(q || p(z|x)), IWAE bounds lie between ELBO and log p(x)', async () => {
  const { vae } = await trainedRuns();
  const { result, file } = await computeTheory(vae, 'posterior', { example: 3, seed: 2 });
  const r = result as PosteriorResult;
  assert.equal(file, theoryFiles.lesson(vae, 'posterior', 3));
  assert.equal((JSON.parse(fs.readFileSync(file, 'utf8')) as PosteriorResult).logPx, r.logPx);
  const g = r.truePosterior;
  assert.deepEqual(g.cells, [80, 80]);
  const cell = ((g.hi[0] - g.lo[0]) / 80) * ((g.hi[1] - g.lo[1]) / 80);
  const mass = g.logDensity.reduce((s, l) => s + Math.exp(l) * cell, 0);
  assert.ok(Math.abs(mass - 1) < 1e-6, `posterior map mass ${mass}`);
  // The map's mean agrees with the fine grid's to a fraction of a cell.
  const centres = (i: number, k: number) => g.lo[i] + ((k + 0.5) * (g.hi[i] - g.lo[i])) / 80;
  const mapMean = [0, 0];
  g.logDensity.forEach((l, c) => {
    mapMean[0] += Math.exp(l) * cell * centres(0, Math.floor(c / 80));
    mapMean[1] += Math.exp(l) * cell * centres(1, c % 80);
  });
  mapMean.forEach((m, i) => assert.ok(Math.abs(m - r.posteriorMean[i]) < 0.1 * r.posteriorStd[i], `map mean ${mapMean} vs ${r.posteriorMean}`));
  assert.ok(r.elbo < r.logPx && Math.abs(r.gap - r.klPosterior) < 0.01, `gap ${r.gap}, KL(q || p(z|x)) ${r.klPosterior}`);
  assert.ok(r.iwae['5000'] <= r.logPx + 0.05 && r.iwae['5000'] >= r.elbo - 0.05, `IWAE k=5000 ${r.iwae['5000']}, ELBO ${r.elbo}, log p(x) ${r.logPx}`);
  assert.ok(r.iwae['50'] >= r.elbo - 0.5);
  const testN = readRunRecord(vae).data!.test;
  assert.equal(r.codes.z.length, Math.min(500, testN));
  assert.equal(r.codes.labels?.length, Math.min(500, testN));
  assert.ok(r.codes.z.every((c) => c.length === 2 && c.every(Number.isFinite)));
  assert.ok(r.q.std.every((s) => s > 0 && s < 2));
  console.log(`posterior (example 3): log p(x) ${r.logPx.toFixed(3)}, ELBO ${r.elbo.toFixed(3)}, gap ${r.gap.toFixed(3)}, KL(q||p(z|x)) ${r.klPosterior.toFixed(3)}, IWAE ${JSON.stringify(r.iwae)}; ${r.seconds} s`);
});

test('linear-pca: a linear autoencoder trained to convergence spans the PCA subspace (angles < 1 degree) with PCA\'s reconstruction error', async () => {
  // The settings of family.test.ts's linear-ae test: rank-3 data in 12 dimensions.
  const dir = tmpDir('theory-linear');
  const rng = new Rng(4);
  const basis = Array.from({ length: 3 }, () => Array.from({ length: 12 }, () => rng.normal()));
  const rows = Array.from({ length: 2000 }, () => {
    const c = [3 * rng.normal(), 2 * rng.normal(), 1.5 * rng.normal()];
    return Array.from({ length: 12 }, (_, j) => c.reduce((s, ci, i) => s + ci * basis[i][j], 0) + 0.02 * rng.normal());
  });
  fs.writeFileSync(path.join(dir, 'lowrank.csv'), rows.map((r) => r.join(',')).join('\n'));
  const runDir = await train(
    {
      name: 'linear',
      data: { source: 'csv', path: 'lowrank.csv', testSplit: 0.1, validationSplit: 0.1 },
      model: { kind: 'linear-ae', latentDim: 3, encoder: { hidden: [] }, sigma: 0.1 },
      training: { epochs: 40, batchSize: 50, optimizer: { learningRate: 0.01 }, seed: 1 },
    },
    dir,
  );
  const { result } = await computeTheory(runDir, 'linear-pca');
  assert.ok(result.lesson === 'linear-pca');
  assert.equal(result.anglesDegrees.length, 3);
  assert.ok(Math.max(...result.anglesDegrees) < 1, `angles ${result.anglesDegrees}`);
  // PCA's rank-3 error is the floor (the noise, 9 dims x 0.02^2 = 0.0036); the AE cannot go below it, and it explains
  // the same share of the variance to 1e-4.
  assert.ok(result.pcaReconstructionError < 0.01, `PCA error ${result.pcaReconstructionError}`);
  assert.ok(result.aeReconstructionError >= result.pcaReconstructionError * 0.999, `AE ${result.aeReconstructionError} below PCA ${result.pcaReconstructionError}`);
  const totalVariance = result.explainedVariance.reduce((a, v) => a + v, 0) + result.pcaReconstructionError;
  assert.ok(totalVariance > 50, `total variance ${totalVariance}`);
  assert.ok((result.aeReconstructionError - result.pcaReconstructionError) / totalVariance < 1e-4, `AE ${result.aeReconstructionError} vs PCA ${result.pcaReconstructionError} of ${totalVariance}`);
  // The explained variances are ordered, and the components are unit vectors.
  assert.ok(result.explainedVariance[0] >= result.explainedVariance[1] && result.explainedVariance[1] >= result.explainedVariance[2]);
  for (const u of result.principalComponents) assert.ok(Math.abs(Math.hypot(...u) - 1) < 1e-6);
  // The likelihoods lesson on the same Gaussian run: SSE / (2 sigma^2) + (n/2) log(2 pi sigma^2) = -log p(x|z).
  const { model, data } = await loadRunModel(runDir);
  const batch = batchOf(model, data.test, 0, data.test.n);
  try {
    const l = await likelihoodsLesson(model, batch, RUN, { shape: data.test.shape, seed: 5 });
    assert.equal(l.likelihood, 'gaussian');
    assert.equal(l.sigma, Math.exp(Math.log(0.1)));
    const n = 12;
    assert.ok(Math.abs(l.constant - (n / 2) * Math.log(2 * Math.PI * 0.01)) < 1e-9, `constant ${l.constant}`);
    assert.ok(l.maxAbsDifference < 1e-3 * Math.max(1, Math.abs(l.negLogLik)), `largest difference ${l.maxAbsDifference} (negLogLik ${l.negLogLik})`);
    // The SSE from the reconstructions, summed here in float64.
    const recon = tf.tidy(() => model.reconstruct(batch.x).dataSync());
    const xs = floatRows(data.test, 0, data.test.n);
    let sse = 0;
    for (let i = 0; i < xs.length; i++) sse += (xs[i] - recon[i]) ** 2;
    sse /= data.test.n;
    assert.ok(Math.abs(l.sse! - sse) < 1e-4 * sse + 1e-6, `SSE ${l.sse} vs ${sse}`);
    assert.ok(Math.abs(l.negLogLik - (sse / 0.02 + l.constant)) < 1e-3 * Math.abs(l.negLogLik) + 1e-3);
    console.log(`linear-pca: angles ${result.anglesDegrees.map((a) => a.toFixed(4)).join(', ')} degrees; AE ${result.aeReconstructionError.toFixed(5)}, PCA ${result.pcaReconstructionError.toFixed(5)}; likelihoods: -log p ${l.negLogLik.toFixed(3)} = ${l.scaledSse!.toFixed(3)} + ${l.constant.toFixed(3)}`);
  } finally {
    tf.dispose([batch.x, batch.labels]);
    model.dispose();
  }
});

test('linear-pca: subspace iteration (data of more than 100 dimensions) finds the Jacobi eigendecomposition\'s top components', () => {
  const rng = new Rng(12);
  const d = 120;
  // A decaying spectrum: variance 1 / (1 + j) along random directions.
  const dirs = Array.from({ length: d }, () => Array.from({ length: d }, () => rng.normal()));
  const rows = Array.from({ length: 600 }, () => {
    const c = Array.from({ length: d }, (_, j) => rng.normal() / Math.sqrt(1 + j));
    return Array.from({ length: d }, (_, i) => c.reduce((a, cj, j) => a + cj * dirs[j][i], 0));
  });
  const exact = topPrincipalComponents(rows, 5);
  const mean = rows[0].map((_, i) => rows.reduce((a, r) => a + r[i], 0) / rows.length);
  const cov = tf.tidy(() => {
    const xc = tf.tensor2d(rows).sub(tf.tensor1d(mean));
    return xc.transpose().matMul(xc).div(rows.length - 1) as tf.Tensor2D;
  });
  const pcs = subspaceIterationPcs(cov, 5);
  cov.dispose();
  // Each component matches its Jacobi counterpart (up to sign), not only the subspace.
  pcs.forEach((u, i) => assert.ok(Math.abs(Math.abs(u.reduce((a, v, j) => a + v * exact[i][j], 0)) - 1) < 1e-4, `component ${i}`));
  const angles = principalAnglesDegrees(pcs, exact);
  assert.ok(Math.max(...angles) < 0.05, `angles ${angles}`);
});

test('vae-lab theory: writes theory/<lesson>.json, prints a summary or the JSON, refuses what does not apply with one line', async () => {
  const { vae, ae } = await trainedRuns();
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, 'theory', ...args], { cwd: REPO, encoding: 'utf8', timeout: 120000 });
  const ok = cli(vae, 'likelihoods');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /Bernoulli: -log p\(x\|z\) [-\d.]+ = BCE/);
  const l = JSON.parse(fs.readFileSync(path.join(vae, 'theory', 'likelihoods.json'), 'utf8')) as LikelihoodsResult;
  assert.equal(l.formatVersion, 1);
  assert.equal(l.lesson, 'likelihoods');
  assert.ok(l.maxAbsDifference < 1e-3 * l.negLogLik, `BCE vs engine: ${l.maxAbsDifference}`);
  const json = cli(ae, 'holes', '--json');
  assert.equal(json.status, 0, json.stderr);
  const h = JSON.parse(json.stdout) as HolesResult;
  assert.equal(h.lesson, 'holes');
  assert.equal(h.kind, 'ae');
  assert.ok(fs.existsSync(path.join(ae, 'theory', 'holes.json')));
  for (const [args, message] of [
    [[ae, 'reparam'], /theory reparam needs a model with a Gaussian encoder .*; this run is a ae with latentDim 2\./],
    [[vae, 'linear-pca'], /theory linear-pca needs a linear-ae; this run is a vae with latentDim 2\./],
    [[vae, 'nope'], /unknown lesson "nope"/],
    [[vae, 'holes', '--example', '2'], /--example goes with the posterior lesson/],
    [[vae], /usage: vae-lab theory <run folder> <lesson>/],
  ] as [string[], RegExp][]) {
    const r = cli(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('likelihoods on a Bernoulli VAE: the engine\'s -log p(x|z) is the textbook BCE, above its entropy floor sum H(x_i)', async () => {
  const { vae } = await trainedRuns();
  const { model, data } = await loadRunModel(vae);
  const batch = batchOf(model, data.test, 0, Math.min(100, data.test.n));
  try {
    const l: LikelihoodsResult = await likelihoodsLesson(model, batch, RUN, { shape: data.test.shape, seed: 5 });
    assert.equal(l.likelihood, 'bernoulli');
    // Grey-level MNIST pixels: the floor is positive and finite (0 log 0 counted as 0).
    assert.ok(Number.isFinite(l.constant) && l.constant > 0, `entropy floor ${l.constant}`);
    assert.ok(l.negLogLik > l.constant, `BCE ${l.negLogLik} above the floor ${l.constant}`);
    assert.ok(l.maxAbsDifference < 1e-3 * l.negLogLik, `engine vs textbook BCE: ${l.maxAbsDifference}`);
    // Pictures for the side-by-side view: the inputs are the test images' bytes; the reconstructions are closer to
    // them than the samples from the prior are.
    const img = l.images!;
    assert.deepEqual(img.shape, [28, 28, 1]);
    assert.equal(img.inputs.length, 8);
    const xs = floatRows(data.test, 0, 8);
    img.inputs.forEach((row, i) => row.forEach((v, j) => assert.equal(v, Math.round(xs[i * 784 + j] * 255))));
    for (const set of [img.reconstructions, img.samples]) for (const row of set) assert.ok(row.length === 784 && row.every((v) => Number.isInteger(v) && v >= 0 && v <= 255));
    // Each reconstruction is nearer its own input than the other inputs (mean absolute difference, bytes), and nearer
    // than the samples are.
    const d = (a: number[], b: number[]) => a.reduce((t, v, j) => t + Math.abs(v - b[j]), 0) / a.length;
    const own = img.reconstructions.map((r, i) => d(r, img.inputs[i]));
    const others = img.reconstructions.map((r, i) => img.inputs.filter((_, k) => k !== i).reduce((t, x) => t + d(r, x), 0) / 7);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    assert.ok(mean(own) < 0.95 * mean(others), `reconstruction to its input ${mean(own)} vs to the others ${mean(others)}`);
    assert.ok(mean(own) < mean(img.samples.map((r, i) => d(r, img.inputs[i]))), 'the reconstructions are nearer the inputs than the samples');
  } finally {
    tf.dispose([batch.x, batch.labels]);
    model.dispose();
  }
});

test('holes and likelihoods compare a run with others: --with, and by default its completed sweep siblings', async () => {
  const { vae, ae } = await trainedRuns();
  const { result } = await computeTheory(vae, 'holes', { with: [ae] });
  const h = result as HolesResult;
  assert.equal(h.kind, 'vae');
  assert.equal(h.companions?.length, 1);
  const c = h.companions![0];
  assert.equal(c.kind, 'ae');
  assert.deepEqual(c.settings.grid, h.settings.grid, 'one grid for both');
  assert.ok(c.priorMassInHoles > 2 * h.priorMassInHoles, `AE ${c.priorMassInHoles} vs VAE ${h.priorMassInHoles}`);
  assert.equal(JSON.parse(fs.readFileSync(theoryFiles.lesson(vae, 'holes'), 'utf8')).companions.length, 1, 'stored in the run\'s holes.json');
  // --with on a lesson that does not compare, and a companion the lesson does not apply to, are one-line errors.
  await assert.rejects(computeTheory(vae, 'montecarlo', { with: [ae] }), /--with goes with the holes and likelihoods lessons/);
  // A lesson sweep (model.kind over vae and ae, one short epoch each): the VAE child is compared with its sibling
  // without --with; the samples of both come from the same prior draws.
  const dir = tmpDir('theory-sweep');
  const file = writeJson(path.join(dir, 'pair.vae.json'), {
    name: 'pair',
    backend: 'wasm',
    data: { source: 'mnist', options: { limit: 400 } },
    model: { kind: 'vae', latentDim: 2, encoder: { hidden: [32] }, likelihood: 'bernoulli' },
    training: { epochs: 1, batchSize: 50, seed: 3 },
    logging: { metricsEvery: 50, imagesEvery: 1000 },
    sweep: { method: 'grid', parameters: { 'model.kind': { values: ['vae', 'ae'] } } },
  });
  const r = spawnSync(process.execPath, [CLI, 'sweep', file, '--out', path.join(dir, 'runs'), '--json'], { cwd: REPO, encoding: 'utf8', timeout: 180000 });
  assert.equal(r.status, 0, r.stderr);
  const sweepDir = r.stdout.trim().split('\n').pop()!;
  const child = (i: string) => path.join(sweepDir, 'runs', i);
  assert.deepEqual(sweepSiblings(child('000'), 'holes'), [child('001')]);
  const l = (await computeTheory(child('000'), 'likelihoods')).result as LikelihoodsResult;
  assert.equal(l.companions?.length, 1);
  assert.equal(l.companions![0].runId, readRunRecord(child('001')).runId);
  assert.deepEqual(l.companions![0].images!.inputs, l.images!.inputs, 'the same test examples');
  assert.equal(l.companions![0].images!.seed, l.images!.seed, 'the same prior draws');
});

// The model zoo beyond the seeds (issue 16): InfoVAE / MMD-VAE and WAE-MMD on the MMD estimator, whose unbiasedness
// is checked against the closed form for Gaussians; each kind trained one epoch from its example through the CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveExperiment } from '../../src/core/config';
import { readRunRecord, runFiles } from '../../src/core/runFolder';
import { createModel } from '../../src/engine/models';
import { dipCovariance } from '../../src/engine/models/dipVae';
import { FactorVae, permuteDims } from '../../src/engine/models/factorVae';
import { Rng } from '../../src/engine/rng';
import { mmdSquared } from '../../src/engine/objectives/mmd';
import { REPO, tmpDir, useWasm } from './helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');

before(useWasm);

/** E exp(-|U|^2 / (2 s^2)) for U ~ N(m, v I) in d dimensions. */
function gaussianKernelMean(m2: number, v: number, s2: number, d: number): number {
  return Math.pow(s2 / (s2 + v), d / 2) * Math.exp(-m2 / (2 * (s2 + v)));
}

test('MMD^2: the unbiased estimator averages to the closed form for two Gaussians, and to 0 for one', () => {
  const d = 2;
  const s2 = d; // the estimator's default bandwidth
  const cases = [
    { mu: 0.8, s1: 1, s2q: 1 },
    { mu: 0, s1: 1, s2q: 1.5 },
    { mu: 0, s1: 1, s2q: 1 },
  ];
  for (const c of cases) {
    // P = N(0, s1^2 I), Q = N(mu * 1, s2q^2 I): MMD^2 = E k(X, X') + E k(Y, Y') - 2 E k(X, Y).
    const exact = gaussianKernelMean(0, 2 * c.s1 ** 2, s2, d) + gaussianKernelMean(0, 2 * c.s2q ** 2, s2, d) - 2 * gaussianKernelMean(d * c.mu ** 2, c.s1 ** 2 + c.s2q ** 2, s2, d);
    const reps = 300;
    const values = tf.tidy(() => {
      const out: number[] = [];
      for (let r = 0; r < reps; r++) {
        const x = tf.randomNormal([40, d], 0, c.s1, 'float32', 1000 + r) as tf.Tensor2D;
        const y = tf.randomNormal([40, d], c.mu, c.s2q, 'float32', 5000 + r) as tf.Tensor2D;
        out.push(mmdSquared(x, y).arraySync() as number);
      }
      return out;
    });
    const mean = values.reduce((a, b) => a + b, 0) / reps;
    const se = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (reps - 1) / reps);
    console.log(`mu ${c.mu}, sd ${c.s1} vs ${c.s2q}: mean MMD^2 ${mean.toFixed(5)} +- ${se.toFixed(5)}, closed form ${exact.toFixed(5)}`);
    assert.ok(Math.abs(mean - exact) < 4 * se + 1e-4, `${JSON.stringify(c)}: ${mean} vs ${exact} (se ${se})`);
  }
});

for (const [kind, example] of [['info-vae', 'mnist-info-vae'], ['wae', 'mnist-wae'], ['rae', 'mnist-rae'], ['dip-vae', 'shapes-dip-vae'], ['factor-vae', 'shapes-factor-vae']] as const) {
  test(`${kind} trains one epoch from examples/${example}.vae.json through the CLI, logs its terms, and evaluates with the post-hoc sampler`, () => {
    const dir = tmpDir(kind);
    const file = path.join(REPO, 'examples', `${example}.vae.json`);
    const small = kind === 'dip-vae' || kind === 'factor-vae' ? ['data.options.count=1200', 'logging.metricsEvery=4'] : ['data.options.limit=1500'];
    const r = spawnSync(process.execPath, [CLI, 'train', file, '--out', path.join(dir, 'runs'), '--epochs', '1', '--backend', 'wasm', ...small.flatMap((v) => ['--set', v])], { cwd: REPO, encoding: 'utf8', timeout: 300000 });
    assert.equal(r.status, 0, r.stderr);
    const runDir = r.stdout.trim().split('\n').pop()!;
    const record = readRunRecord(runDir);
    assert.equal(record.status, 'completed');
    assert.equal(record.config.model.kind, kind);
    const steps = fs.readFileSync(runFiles.metrics(runDir), 'utf8').split('\n').filter((l) => l.includes('"type":"step"')).map((l) => JSON.parse(l).metrics);
    assert.ok(steps.length > 0);
    const o = record.config.objective;
    for (const m of steps) {
      // Each logged loss is the sum of its logged terms.
      const expected =
        kind === 'factor-vae'
          ? m.recon + m.kl + o.beta * m.tc
          : kind === 'dip-vae'
          ? m.recon + m.kl + o.dip!.lambdaOffDiagonal * m.dipOffDiagonal + o.dip!.lambdaDiagonal * m.dipDiagonal
          : kind === 'rae'
          ? m.recon + o.rae!.codeWeight * m.codePenalty + o.rae!.decoderWeight * m.decoderPenalty
          : kind === 'wae'
            ? m.recon + o.mmd!.weight * m.mmd
            : m.recon + m.kl + (o.mmd!.weight - 1) * m.mmd;
      assert.ok(Number.isFinite(expected), `${kind}: its terms are logged: ${JSON.stringify(m)}`);
      assert.ok(Math.abs(m.loss - expected) < 1e-3 * Math.abs(m.loss), `${kind}: loss ${m.loss} vs ${expected}`);
    }
    const e = spawnSync(process.execPath, [CLI, 'eval', runDir, '--k', '10', '--ll-examples', '20', '--json'], { cwd: REPO, encoding: 'utf8', timeout: 300000 });
    assert.equal(e.status, 0, e.stderr);
    const evaluation = JSON.parse(fs.readFileSync(runFiles.evaluation(runDir), 'utf8'));
    assert.ok(Number.isFinite(evaluation.metrics.recon));
    if (kind === 'info-vae') assert.ok(Number.isFinite(evaluation.metrics.elbo) && evaluation.mutualInformation.value >= 0);
    // The post-hoc sampler: a 10-component mixture on the training codes, scored on the test codes, with its samples.
    const p = evaluation.posthocSampler;
    assert.equal(p.components, 10);
    assert.ok(Number.isFinite(p.heldOutLogLik) && Number.isFinite(p.priorHeldOutLogLik) && p.fitExamples === record.data!.train, JSON.stringify(p));
    assert.ok(fs.statSync(path.join(runDir, p.samples)).size > 1000, 'the mixture samples image');
  });
}

test("rae: the decoder penalty is the sum of squares of the decoder's kernels, the code penalty the mean of (1/2)||z||^2", () => {
  const config = resolveExperiment({ name: 'r', data: { source: 'toy2d' }, model: { kind: 'rae', latentDim: 3, encoder: { hidden: [8] }, likelihood: 'gaussian' }, objective: { rae: { codeWeight: 2, decoderWeight: 0.5 } } });
  const model = createModel(config, [6]);
  const rng = new Rng(2);
  const x = tf.tensor2d(Array.from({ length: 5 }, () => Array.from({ length: 6 }, () => rng.normal())));
  try {
    const t = model.terms(x, x, { step: 0, seed: 1, klWeight: 0, totalSteps: 1 });
    const m = Object.fromEntries(Object.entries(t.metrics).map(([k, v]) => [k, v.arraySync() as number]));
    const kernels = model.decoder.trainableWeights.filter((w) => /kernel/.test(w.name)).map((w) => w.read().dataSync());
    assert.ok(kernels.length >= 2, 'the decoder has its kernels');
    const sumSq = kernels.reduce((a, k) => a + Array.from(k).reduce((b, v) => b + v * v, 0), 0);
    assert.ok(Math.abs(m.decoderPenalty - sumSq) < 1e-4 * sumSq, `${m.decoderPenalty} vs ${sumSq}`);
    const z = tf.tidy(() => model.encodeMean(x).arraySync() as number[][]);
    const code = z.reduce((a, r) => a + 0.5 * r.reduce((b, v) => b + v * v, 0), 0) / z.length;
    assert.ok(Math.abs(m.codePenalty - code) < 1e-5 * Math.max(1, code), `${m.codePenalty} vs ${code}`);
    assert.ok(Math.abs((t.loss.arraySync() as number) - (m.recon + 2 * m.codePenalty + 0.5 * m.decoderPenalty)) < 1e-3);
    tf.dispose([t.loss, ...Object.values(t.metrics)]);
  } finally {
    x.dispose();
    model.dispose();
  }
});

test('dip-vae: the penalty is computed from the batch covariance of the means (i) or of the aggregate posterior (ii), as written out by hand', () => {
  const rng = new Rng(9);
  const b = 16;
  const d = 3;
  const meanRows = Array.from({ length: b }, () => Array.from({ length: d }, () => rng.normal()));
  const logVarRows = Array.from({ length: b }, () => Array.from({ length: d }, () => -1 + 0.3 * rng.normal()));
  const mu = meanRows[0].map((_, j) => meanRows.reduce((a, r) => a + r[j], 0) / b);
  const covMeans = mu.map((_, i) => mu.map((_, j) => meanRows.reduce((a, r) => a + (r[i] - mu[i]) * (r[j] - mu[j]), 0) / b));
  const meanVar = mu.map((_, j) => logVarRows.reduce((a, r) => a + Math.exp(r[j]), 0) / b);
  const mean = tf.tensor2d(meanRows);
  const logVar = tf.tensor2d(logVarRows);
  for (const type of ['i', 'ii'] as const) {
    const got = tf.tidy(() => dipCovariance(mean, logVar, type).arraySync() as number[][]);
    const want = covMeans.map((row, i) => row.map((v, j) => v + (type === 'ii' && i === j ? meanVar[i] : 0)));
    got.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - want[i][j]) < 1e-5, `${type} [${i}][${j}]: ${v} vs ${want[i][j]}`)));
  }
  tf.dispose([mean, logVar]);
  // The defaults follow the paper: lambda_d = 10 lambda_od for type i, = lambda_od for type ii.
  assert.deepEqual(resolveExperiment({ name: 'd', model: { kind: 'dip-vae' }, objective: { dip: { type: 'i' } } }).objective.dip, { type: 'i', lambdaOffDiagonal: 10, lambdaDiagonal: 100 });
  assert.deepEqual(resolveExperiment({ name: 'd', model: { kind: 'dip-vae' } }).objective.dip, { type: 'ii', lambdaOffDiagonal: 10, lambdaDiagonal: 10 });
});

test('factor-vae: shuffling each dimension keeps its values and removes the dependence; the discriminator\'s density-ratio estimate finds a Gaussian\'s total correlation', async () => {
  // Codes of a correlated Gaussian, rho = 0.8: TC = -0.5 log(1 - rho^2) = 0.511 nats.
  const rho = 0.8;
  const gaussian = (n: number, seed: number) => tf.tidy(() => {
    const e = tf.randomNormal([n, 2], 0, 1, 'float32', seed);
    const [a, b] = tf.unstack(e, 1);
    return tf.stack([a, a.mul(rho).add(b.mul(Math.sqrt(1 - rho * rho)))], 1) as tf.Tensor2D;
  });
  const z = gaussian(2000, 1);
  const p = permuteDims(z, 5);
  const [zc, pc] = [z, p].map((t) => tf.unstack(t, 1).map((c) => Array.from(c.dataSync()).sort((u, v) => u - v)));
  assert.deepEqual(pc, zc, 'each dimension keeps its values');
  const corr = (t: tf.Tensor2D) => tf.tidy(() => {
    const [a, b] = tf.unstack(t.sub(t.mean(0)).div(t.sub(t.mean(0)).square().mean(0).sqrt()), 1);
    return a.mul(b).mean().arraySync() as number;
  });
  assert.ok(corr(z) > 0.75 && Math.abs(corr(p)) < 0.06, `correlation ${corr(z)} before, ${corr(p)} after`);
  tf.dispose([z, p]);
  // The model's discriminator trained alone on such codes.
  const config = resolveExperiment({ name: 'f', data: { source: 'toy2d' }, model: { kind: 'factor-vae', latentDim: 2, encoder: { hidden: [8] }, likelihood: 'gaussian', discriminator: { hidden: [64, 64], learningRate: 0.003 } } });
  const model = createModel(config, [2]) as FactorVae;
  const [, disc] = model.createOptimizers();
  const vars = model.discriminator.trainableWeights.map((w) => w.read() as tf.Variable);
  try {
    for (let step = 0; step < 1500; step++) {
      tf.tidy(() => {
        const codes = gaussian(256, 100 + step);
        const { grads } = tf.variableGrads(() => model.discriminatorTerms(codes, step).loss, vars);
        disc.optimizer.apply(vars.map((v) => grads[v.name]), 0.003, 0)?.dispose();
      });
    }
    const fresh = gaussian(8000, 99999);
    const tc = tf.tidy(() => (model.discriminator.apply(fresh) as tf.Tensor2D).mean().arraySync() as number);
    fresh.dispose();
    const exact = -0.5 * Math.log(1 - rho * rho);
    console.log(`FactorVAE discriminator: TC estimate ${tc.toFixed(3)}, closed form ${exact.toFixed(3)}`);
    assert.ok(Math.abs(tc - exact) < 0.15, `TC ${tc} vs ${exact}`);
  } finally {
    model.dispose();
  }
});

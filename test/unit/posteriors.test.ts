// Kinds whose posterior or prior is not the VAE's Gaussian pair (issue 16): the VampPrior's mixture density, the planar
// flows' log-determinant against a numerical Jacobian, the two-layer model's KL per layer, the importance weights that
// eval's log p(x) uses for each, and each kind trained one epoch from its example through the CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveExperiment } from '../../src/core/config';
import { readRunRecord, runFiles } from '../../src/core/runFolder';
import { createModel } from '../../src/engine/models';
import { FlowVae } from '../../src/engine/models/flowVae';
import { Hvae } from '../../src/engine/models/hvae';
import { VampVae } from '../../src/engine/models/vampVae';
import { planarFlow } from '../../src/engine/objectives/flows';
import { gaussianKlPerDim, logNormal, logStandardNormal } from '../../src/engine/objectives/kl';
import { mixtureLogDensity } from '../../src/engine/objectives/mixture';
import { Rng } from '../../src/engine/rng';
import { loadRunModel } from '../../src/engine/trainer';
import { REPO, tmpDir, useWasm } from './helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');

before(useWasm);

test('VampPrior: the mixture log-density matches a direct sum, is log N for one component, and integrates to 1', () => {
  const rng = new Rng(3);
  const K = 4;
  const D = 3;
  const means = Array.from({ length: K }, () => Array.from({ length: D }, () => rng.normal() * 2));
  const logVars = Array.from({ length: K }, () => Array.from({ length: D }, () => rng.normal() * 0.5));
  const zs = Array.from({ length: 6 }, () => Array.from({ length: D }, () => rng.normal() * 2));
  const got = tf.tidy(() => mixtureLogDensity(tf.tensor2d(zs), tf.tensor2d(means), tf.tensor2d(logVars)).arraySync() as number[]);
  zs.forEach((z, i) => {
    let p = 0;
    for (let k = 0; k < K; k++) {
      let logN = 0;
      for (let d = 0; d < D; d++) logN += -0.5 * (Math.log(2 * Math.PI) + logVars[k][d] + (z[d] - means[k][d]) ** 2 / Math.exp(logVars[k][d]));
      p += Math.exp(logN) / K;
    }
    assert.ok(Math.abs(got[i] - Math.log(p)) < 1e-4, `z ${i}: ${got[i]} vs ${Math.log(p)}`);
  });
  const one = tf.tidy(() => {
    const z = tf.tensor2d(zs);
    const m = tf.tensor2d([means[0]]);
    const lv = tf.tensor2d([logVars[0]]);
    return tf.abs(mixtureLogDensity(z, m, lv).sub(logNormal(z, m, lv))).max().arraySync() as number;
  });
  assert.ok(one < 1e-5, `one component: ${one}`);
  // A 1-D mixture integrates to 1 (trapezoid rule on [-30, 30], step 0.005).
  const grid = Array.from({ length: 12001 }, (_, i) => -30 + i * 0.005);
  const dens = tf.tidy(() => mixtureLogDensity(tf.tensor2d(grid, [grid.length, 1]), tf.tensor2d([[-3], [0.5], [4]]), tf.tensor2d([[0.2], [-1.5], [1.0]])).exp().arraySync() as number[]);
  const integral = dens.reduce((a, v, i) => a + (i === 0 || i === dens.length - 1 ? v / 2 : v), 0) * 0.005;
  assert.ok(Math.abs(integral - 1) < 1e-4, `integral ${integral}`);
});

test('planar flows: the log-determinant equals log |det J| of a numerical Jacobian, and the constraint keeps det > 0', async () => {
  const D = 3;
  const K = 4;
  const rng = new Rng(11);
  for (let trial = 0; trial < 8; trial++) {
    // Large u on some trials: without the constraint on u, 1 + u.psi would go negative there.
    const scale = trial < 2 ? 1 : 2.5;
    const params = Array.from({ length: K * (2 * D + 1) }, () => rng.normal() * scale);
    const z0 = Array.from({ length: D }, () => rng.normal());
    const f = (z: number[]) => tf.tidy(() => planarFlow(tf.tensor2d([z]), tf.tensor2d([params]), K).z.arraySync()[0] as number[]);
    const logDet = tf.tidy(() => planarFlow(tf.tensor2d([z0]), tf.tensor2d([params]), K).logDet.arraySync()[0] as number);
    // Central differences with Richardson extrapolation, (4 D(h/2) - D(h)) / 3: truncation error of order h^4, so that
    // h can stay large against float32 rounding.
    const central = (h: number) => {
      const J = Array.from({ length: D }, () => new Array<number>(D).fill(0));
      for (let j = 0; j < D; j++) {
        const plus = z0.slice();
        const minus = z0.slice();
        plus[j] += h;
        minus[j] -= h;
        const fp = f(plus);
        const fm = f(minus);
        for (let i = 0; i < D; i++) J[i][j] = (fp[i] - fm[i]) / (2 * h);
      }
      return J;
    };
    const [coarse, fine] = [central(4e-3), central(2e-3)];
    const J = fine.map((row, i) => row.map((v, j) => (4 * v - coarse[i][j]) / 3));
    const det = J[0][0] * (J[1][1] * J[2][2] - J[1][2] * J[2][1]) - J[0][1] * (J[1][0] * J[2][2] - J[1][2] * J[2][0]) + J[0][2] * (J[1][0] * J[2][1] - J[1][1] * J[2][0]);
    assert.ok(det > 0, `trial ${trial}: det ${det} (the flow must stay orientation-preserving)`);
    // Finite differences err by a small fraction of each column of J: measure the error of det against Hadamard's
    // bound prod_j ||J_:j|| (>= |det J|), and log det directly where det is not small.
    const hadamard = [0, 1, 2].map((j) => Math.hypot(J[0][j], J[1][j], J[2][j])).reduce((a, b) => a * b, 1);
    assert.ok(Math.abs(Math.exp(logDet) - det) < 1e-3 * hadamard, `trial ${trial}: det ${Math.exp(logDet)} vs numerical ${det} (Hadamard bound ${hadamard})`);
    if (det > 0.2) assert.ok(Math.abs(Math.log(det) - logDet) < 2e-3, `trial ${trial}: log det ${logDet} vs numerical ${Math.log(det)}`);
    console.log(`planar flows, trial ${trial}: log det ${logDet.toFixed(5)}, numerical ${Math.log(det).toFixed(5)}`);
  }
});

/** A small untrained model of a kind on 8 random binary 6x6 images. */
function tiny(kind: 'vamp-vae' | 'flow-vae' | 'hvae') {
  const config = resolveExperiment({
    name: 't',
    data: { source: 'shapes' },
    model: { kind, latentDim: 3, encoder: { hidden: [16], activation: 'tanh' }, likelihood: 'bernoulli' },
    objective: kind === 'vamp-vae' ? { vamp: { components: 5 } } : kind === 'flow-vae' ? { flow: { length: 3 } } : { hvae: { topDim: 2, hidden: [8] } },
  });
  const model = createModel(config, [6, 6, 1]);
  const rng = new Rng(5);
  const x = tf.tensor4d(Array.from({ length: 8 * 36 }, () => (rng.next() < 0.4 ? 1 : 0)), [8, 6, 6, 1]);
  return { model, x, config };
}

for (const kind of ['vamp-vae', 'flow-vae', 'hvae'] as const) {
  test(`${kind}: the mean log importance weight is the ELBO, and the k-sample bound rises with k`, () => {
    const { model, x } = tiny(kind);
    try {
      const ctx = { step: 0, klWeight: 1, totalSteps: 1 };
      // The ELBO of terms() averaged over 400 seeds, against the mean log weight of 400 samples (another estimator of it).
      const elbos: number[] = [];
      for (let s = 0; s < 400; s++) elbos.push(tf.tidy(() => model.terms(x, x, { ...ctx, seed: 100 + s }).metrics.elbo.arraySync() as number));
      const elbo = elbos.reduce((a, b) => a + b, 0) / elbos.length;
      const se = Math.sqrt(elbos.reduce((a, b) => a + (b - elbo) ** 2, 0) / (elbos.length - 1) / elbos.length);
      const logW = model.logImportanceWeights!(x, undefined, 400, 7);
      const meanLogW = tf.tidy(() => logW.mean().arraySync() as number);
      const bound = (k: number) => tf.tidy(() => tf.logSumExp(logW.slice([0, 0], [k, -1]), 0).sub(Math.log(k)).mean().arraySync() as number);
      console.log(`${kind}: ELBO ${elbo.toFixed(3)} +- ${se.toFixed(3)}, mean log w ${meanLogW.toFixed(3)}, bounds k=1 ${bound(1).toFixed(3)}, 10 ${bound(10).toFixed(3)}, 400 ${bound(400).toFixed(3)}`);
      assert.ok(Math.abs(meanLogW - elbo) < 5 * se + 0.05, `${kind}: mean log w ${meanLogW} vs ELBO ${elbo} (se ${se})`);
      assert.ok(bound(400) >= bound(10) && bound(10) >= meanLogW, `${kind}: L_400 ${bound(400)} >= L_10 ${bound(10)} >= ELBO ${meanLogW}`);
      logW.dispose();
    } finally {
      model.dispose();
      x.dispose();
    }
  });
}

test('hvae: kl2 is the closed-form KL(q(z2|z1) || N(0, I)) and kl1 + kl2 the whole KL; the KL per dimension covers both layers', () => {
  const { model, x } = tiny('hvae');
  const h = model as Hvae;
  try {
    const t = h.terms(x, x, { step: 0, seed: 3, klWeight: 1, totalSteps: 1 });
    const [kl, kl1, kl2] = [t.metrics.kl, t.metrics.kl1, t.metrics.kl2].map((s) => s.arraySync() as number);
    assert.ok(Math.abs(kl - kl1 - kl2) < 1e-4, `${kl} = ${kl1} + ${kl2}`);
    const perDim = t.klPerDim!.arraySync() as number[];
    assert.equal(perDim.length, 3 + 2);
    assert.ok(Math.abs(perDim.reduce((a, b) => a + b, 0) - kl) < 1e-3);
    // kl2 by Monte Carlo: log q(z2|z1) - log p(z2) over many z2 for the same z1 draws agrees with the closed form.
    const mc = tf.tidy(() => {
      const q1 = h.posterior(x);
      const z1 = q1.mean; // any z1 will do: the identity holds for each
      const [m2, lv2] = h.upper.apply(z1) as tf.Tensor2D[];
      const closed = gaussianKlPerDim(m2, lv2).sum(1).mean().arraySync() as number;
      const eps = tf.randomNormal([4000, ...m2.shape], 0, 1, 'float32', 9);
      const z2 = m2.expandDims(0).add(lv2.expandDims(0).mul(0.5).exp().mul(eps));
      const est = logNormal(z2, m2.expandDims(0), lv2.expandDims(0)).sub(logStandardNormal(z2)).mean().arraySync() as number;
      return { closed, est };
    });
    assert.ok(Math.abs(mc.closed - mc.est) < 0.02, `closed ${mc.closed} vs Monte Carlo ${mc.est}`);
    tf.dispose([t.loss, ...Object.values(t.metrics), t.klPerDim!]);
  } finally {
    model.dispose();
    x.dispose();
  }
});

test('vamp-vae: prior samples come from the mixture of the pseudo-inputs\' posteriors: they score higher under it than wider draws', () => {
  const { model, x } = tiny('vamp-vae');
  const v = model as VampVae;
  try {
    const { logInside, logOutside } = tf.tidy(() => {
      const z = v.samplePrior(2000, 4);
      // Samples score higher under the mixture than the same number of N(0, 9 I) draws do.
      const far = tf.randomNormal([2000, 3], 0, 3, 'float32', 8) as tf.Tensor2D;
      return { logInside: v.logPrior(z).mean().arraySync() as number, logOutside: v.logPrior(far).mean().arraySync() as number };
    });
    assert.ok(logInside > logOutside + 1, `${logInside} vs ${logOutside}`);
  } finally {
    model.dispose();
    x.dispose();
  }
});

for (const kind of ['vamp-vae', 'flow-vae', 'hvae'] as const) {
  test(`${kind} trains one epoch from examples/mnist-${kind}.vae.json through the CLI, logs its terms, reloads its extra weights, and evaluates log p(x)`, async () => {
    const dir = tmpDir(kind);
    const r = spawnSync(process.execPath, [CLI, 'train', path.join(REPO, 'examples', `mnist-${kind}.vae.json`), '--out', path.join(dir, 'runs'), '--epochs', '1', '--backend', 'wasm', '--set', 'data.options.limit=1500'], { cwd: REPO, encoding: 'utf8', timeout: 300000 });
    assert.equal(r.status, 0, r.stderr);
    const runDir = r.stdout.trim().split('\n').pop()!;
    const record = readRunRecord(runDir);
    assert.equal(record.status, 'completed');
    const lines = fs.readFileSync(runFiles.metrics(runDir), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const steps = lines.filter((e) => e.type === 'step').map((e) => e.metrics);
    assert.ok(steps.length > 0);
    for (const m of steps) {
      assert.ok(Math.abs(m.loss - (m.recon + m.kl)) < 1e-3 * m.loss, `loss ${m.loss} = recon ${m.recon} + kl ${m.kl}`);
      assert.ok(Math.abs(m.elbo + m.loss) < 1e-3 * m.loss);
      if (kind === 'hvae') assert.ok(Math.abs(m.kl - m.kl1 - m.kl2) < 1e-3 * m.kl && m.kl1 > 0 && m.kl2 >= 0, JSON.stringify(m));
      if (kind === 'flow-vae') assert.ok(Number.isFinite(m.logDet));
      if (kind === 'vamp-vae') assert.ok(Number.isFinite(m.logPrior));
    }
    const first = steps[0].loss;
    const last = lines.filter((e) => e.type === 'epoch').pop().validation.loss;
    assert.ok(last < first, `validation loss ${last} below the first step's ${first}`);
    // The extra weights (pseudo-inputs, the upper networks, the flow head) come back from the checkpoint.
    const { model } = await loadRunModel(runDir);
    const fresh = createModel(record.config, [28, 28, 1]);
    try {
      const trained = model.trainableVariables();
      const initial = fresh.trainableVariables();
      assert.equal(trained.length, initial.length);
      const last2 = tf.tidy(() => tf.abs(trained[trained.length - 1].sub(initial[initial.length - 1])).max().arraySync() as number);
      assert.ok(last2 > 1e-4, 'the last variable (the kind\'s own) was trained and reloaded');
      if (kind === 'vamp-vae') assert.ok(model instanceof VampVae);
      if (kind === 'flow-vae') assert.ok(model instanceof FlowVae);
    } finally {
      model.dispose();
      fresh.dispose();
    }
    const e = spawnSync(process.execPath, [CLI, 'eval', runDir, '--k', '50', '--ll-examples', '20', '--gmm', '0', '--json'], { cwd: REPO, encoding: 'utf8', timeout: 300000 });
    assert.equal(e.status, 0, e.stderr);
    const evaluation = JSON.parse(fs.readFileSync(runFiles.evaluation(runDir), 'utf8'));
    assert.ok(Number.isFinite(evaluation.metrics.elbo) && Number.isFinite(evaluation.logLikelihood.mean), JSON.stringify(evaluation.logLikelihood));
    // log p(x) (k = 50) above the test ELBO, with room for the 20 examples' spread.
    assert.ok(evaluation.logLikelihood.mean > evaluation.metrics.elbo - 3 * evaluation.logLikelihood.stderr * Math.sqrt(20), `${evaluation.logLikelihood.mean} vs ELBO ${evaluation.metrics.elbo}`);
    console.log(`${kind}: 1 epoch (1,350 digits): validation loss ${last.toFixed(2)}; test ELBO ${evaluation.metrics.elbo.toFixed(2)}, log p(x) k=50 ${evaluation.logLikelihood.mean.toFixed(2)}`);
  });
}

// beta-TCVAE (src/engine/objectives/tc.ts, src/engine/models/betaTcVae.ts): the KL decomposition's estimators checked
// against closed forms, and the kind trained from its example through the CLI with `vae-lab eval` reporting MIG.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { readRunRecord, runFiles } from '../../src/core/runFolder';
import { logNormal, logStandardNormal } from '../../src/engine/objectives/kl';
import { klDecomposition, mssLogWeights } from '../../src/engine/objectives/tc';
import { Rng } from '../../src/engine/rng';
import { REPO, tmpDir, useWasm } from './helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');

before(useWasm);

/** Codes of B examples whose aggregate posterior is N(0, [[1, rho], [rho, 1]]): means ~ N(0, Sigma - s^2 I), q(z|x) = N(mean, s^2 I). */
function correlatedBatch(b: number, rho: number, s: number, seed: number) {
  const rng = new Rng(seed);
  // Cholesky of [[a, c], [c, a]] with a = 1 - s^2, c = rho.
  const a = 1 - s * s;
  const l11 = Math.sqrt(a);
  const l21 = rho / l11;
  const l22 = Math.sqrt(a - l21 * l21);
  const means: number[][] = [];
  const zs: number[][] = [];
  for (let i = 0; i < b; i++) {
    const u1 = rng.normal();
    const u2 = rng.normal();
    const m = [l11 * u1, l21 * u1 + l22 * u2];
    means.push(m);
    zs.push([m[0] + s * rng.normal(), m[1] + s * rng.normal()]);
  }
  return { z: tf.tensor2d(zs), mean: tf.tensor2d(means), logVar: tf.fill([b, 2], Math.log(s * s)) as tf.Tensor2D };
}

test('MSS weights: every row sums to 1, the own component weighs 1/N', () => {
  for (const [b, n] of [[2, 10], [5, 5], [64, 12000]]) {
    const w = tf.tidy(() => mssLogWeights(b, n).exp().arraySync() as number[][]);
    for (let i = 0; i < b; i++) {
      assert.ok(Math.abs(w[i].reduce((x, y) => x + y, 0) - 1) < 1e-5, `row ${i} of B=${b}, N=${n}`);
      assert.ok(Math.abs(w[i][i] - 1 / n) < 1e-7);
    }
  }
});

test('total correlation: the estimate matches a Gaussian aggregate posterior\'s closed form, and is near 0 for independent dimensions', () => {
  for (const rho of [0.8, 0]) {
    // TC of N(0, Sigma) = 0.5 * (sum_d log Sigma_dd - log det Sigma) = -0.5 * log(1 - rho^2).
    const exact = -0.5 * Math.log(1 - rho * rho);
    const { z, mean, logVar } = correlatedBatch(2000, rho, 0.3, 11);
    const parts = klDecomposition(z, mean, logVar, 2000);
    const tc = parts.tc.mean().arraySync() as number;
    tf.dispose([z, mean, logVar, parts.mi, parts.tc, parts.dimKl]);
    console.log(`rho ${rho}: TC estimate ${tc.toFixed(4)}, closed form ${exact.toFixed(4)}`);
    assert.ok(Math.abs(tc - exact) < 0.05, `rho ${rho}: TC ${tc} vs ${exact}`);
  }
});

test('mutual information + total correlation + dimension-wise KL = log q(z|x) - log p(z), example by example', () => {
  const rng = new Rng(3);
  const b = 32;
  const d = 5;
  const mean = tf.tensor2d(Array.from({ length: b }, () => Array.from({ length: d }, () => rng.normal())));
  const logVar = tf.tensor2d(Array.from({ length: b }, () => Array.from({ length: d }, () => -1 + 0.5 * rng.normal())));
  const z = tf.tidy(() => mean.add(logVar.mul(0.5).exp().mul(tf.randomNormal([b, d], 0, 1, 'float32', 5)))) as tf.Tensor2D;
  const parts = klDecomposition(z, mean, logVar, 50000);
  const [sum, direct, mi] = tf.tidy(() => [parts.mi.add(parts.tc).add(parts.dimKl), logNormal(z, mean, logVar).sub(logStandardNormal(z)), parts.mi].map((t) => t.arraySync() as number[]));
  for (let i = 0; i < b; i++) assert.ok(Math.abs(sum[i] - direct[i]) < 1e-3, `example ${i}: ${sum[i]} vs ${direct[i]}`);
  // With N much larger than B, the own component's weight is tiny, and the codes of well-separated means carry about
  // log N nats of information each: MI is bounded by log N.
  const meanMi = mi.reduce((a, v) => a + v, 0) / b;
  assert.ok(meanMi > 0 && meanMi <= Math.log(50000) + 1e-3, `MI ${meanMi}`);
  tf.dispose([mean, logVar, z, parts.mi, parts.tc, parts.dimKl]);
});

test('beta-tcvae trains one epoch from its example through the CLI, logs mi, tc and dimKl, and eval reports MIG on the shapes factors', () => {
  const dir = tmpDir('tcvae');
  const example = path.join(REPO, 'examples', 'shapes-beta-tcvae.vae.json');
  const r = spawnSync(process.execPath, [CLI, 'train', example, '--out', path.join(dir, 'runs'), '--epochs', '1', '--backend', 'wasm', '--set', 'data.options.count=1200', '--set', 'logging.metricsEvery=4'], { cwd: REPO, encoding: 'utf8', timeout: 300000 });
  assert.equal(r.status, 0, r.stderr);
  const runDir = r.stdout.trim().split('\n').pop()!;
  const record = readRunRecord(runDir);
  assert.equal(record.status, 'completed');
  assert.equal(record.config.model.kind, 'beta-tcvae');
  const steps = fs.readFileSync(runFiles.metrics(runDir), 'utf8').split('\n').filter((l) => l.includes('"type":"step"')).map((l) => JSON.parse(l).metrics);
  assert.ok(steps.length > 0);
  for (const m of steps) {
    for (const k of ['mi', 'tc', 'dimKl', 'kl', 'recon']) assert.ok(Number.isFinite(m[k]), `${k} logged: ${JSON.stringify(m)}`);
    // The penalty is mi + beta * tc + dimKl (no KL schedule in the example).
    assert.ok(Math.abs(m.klPenalty - (m.mi + 6 * m.tc + m.dimKl)) < 1e-3 * Math.max(1, m.klPenalty), JSON.stringify(m));
  }
  const e = spawnSync(process.execPath, [CLI, 'eval', runDir, '--k', '10', '--ll-examples', '20', '--json'], { cwd: REPO, encoding: 'utf8', timeout: 300000 });
  assert.equal(e.status, 0, e.stderr);
  const evaluation = JSON.parse(fs.readFileSync(runFiles.evaluation(runDir), 'utf8'));
  assert.ok(Number.isFinite(evaluation.mig) && evaluation.mig >= 0 && evaluation.mig <= 1, `MIG ${evaluation.mig}`);
  const dis = evaluation.disentanglement;
  assert.equal(dis.mig, evaluation.mig);
  for (const v of [dis.sap, dis.dci.disentanglement, dis.dci.completeness]) assert.ok(v >= 0 && v <= 1, JSON.stringify(dis));
  assert.ok(dis.dci.informativeness <= 1 && dis.version === 1 && dis.settings.factors.length > 0, JSON.stringify(dis));
  assert.ok(Number.isFinite(evaluation.metrics.elbo), 'the test ELBO');
  const mi = evaluation.mutualInformation;
  assert.ok(mi.value >= -0.05 && mi.value <= mi.upperBound + 1e-6 && mi.upperBound === Math.log(mi.examples), `I(x; z) ${JSON.stringify(mi)}`);
});

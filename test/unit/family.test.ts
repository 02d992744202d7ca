// The autoencoder family of the seeds, each trained on real data, each checked against a property of its math.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveExperiment } from '../../src/core/config';
import type { EngineEvent } from '../../src/core/protocol';
import { floatRows, loadData } from '../../src/engine/data';
import { loadMnist } from '../../src/engine/data/mnist';
import { evaluateRun } from '../../src/engine/evalRun';
import { principalAnglesDegrees, topPrincipalComponents } from '../../src/engine/linalg';
import { createModel } from '../../src/engine/models';
import { ContractiveAutoencoder } from '../../src/engine/models/contractiveAe';
import { corrupt } from '../../src/engine/models/denoisingAe';
import { LinearAutoencoder } from '../../src/engine/models/linearAe';
import { Vae } from '../../src/engine/models/vae';
import { importanceWeightedBound } from '../../src/engine/objectives/importance';
import { elbo } from '../../src/engine/objectives/elbo';
import { mmdSquared } from '../../src/engine/objectives/mmd';
import { Rng } from '../../src/engine/rng';
import { loadRunModel, startRun } from '../../src/engine/trainer';
import { collectingHooks, tmpDir, useWasm, writeJson } from './helpers';

before(useWasm);

type StepEvent = Extract<EngineEvent, { type: 'step' }>;

async function train(doc: Record<string, unknown>, dir = tmpDir(String(doc.name))) {
  const file = writeJson(path.join(dir, `${String(doc.name)}.vae.json`), { backend: 'wasm', ...doc });
  const hooks = collectingHooks();
  const out = await startRun({ experimentFile: file, runsRoot: path.join(dir, 'runs') }, hooks);
  assert.equal(out.status, 'completed', String(doc.name));
  const steps = hooks.events.filter((e): e is StepEvent => e.type === 'step');
  return { out, steps, events: hooks.events, dir };
}

const mnist = (limit: number) => ({ source: 'mnist', options: { limit } });

test('every kind trains from its example on real data and improves its objective', async () => {
  const examples = path.resolve(__dirname, '..', '..', '..', 'examples');
  for (const f of fs.readdirSync(examples).filter((f) => f.startsWith('mnist-') && f.endsWith('.vae.json'))) {
    const doc = JSON.parse(fs.readFileSync(path.join(examples, f), 'utf8'));
    doc.data = { ...doc.data, options: { limit: 1200 } };
    doc.training = { ...doc.training, epochs: 2 };
    doc.logging = { metricsEvery: 4 };
    const { steps } = await train(doc);
    const first = steps[0].metrics.loss;
    const last = steps[steps.length - 1].metrics.loss;
    assert.ok(last < first, `${doc.model.kind}: loss ${first} -> ${last}`);
    for (const s of steps) for (const [k, v] of Object.entries(s.metrics)) assert.ok(v === undefined || Number.isFinite(v), `${doc.model.kind}: ${k} is ${v}`);
    // Wherever an ELBO is logged, its terms add up: ELBO = -(reconstruction + KL).
    for (const s of steps) {
      const m = s.metrics;
      if (m.elbo !== undefined) assert.ok(Math.abs(m.elbo + m.recon + (m.kl ?? 0)) < 1e-3 * Math.abs(m.elbo), `${doc.model.kind}: elbo ${m.elbo}, recon ${m.recon}, kl ${m.kl}`);
    }
  }
});

test('linear-ae: the decoder spans the top-k PCA subspace (principal angles under 1 degree) on low-rank data', async () => {
  const dir = tmpDir('linear');
  const rng = new Rng(4);
  const n = 2000;
  const dim = 12;
  const rank = 3;
  const basis = Array.from({ length: rank }, () => Array.from({ length: dim }, () => rng.normal()));
  const rows = Array.from({ length: n }, () => {
    const c = [3 * rng.normal(), 2 * rng.normal(), 1.5 * rng.normal()];
    return Array.from({ length: dim }, (_, j) => c.reduce((s, ci, i) => s + ci * basis[i][j], 0) + 0.02 * rng.normal());
  });
  fs.writeFileSync(path.join(dir, 'lowrank.csv'), rows.map((r) => r.join(',')).join('\n'));
  const { out } = await train(
    {
      name: 'linear',
      data: { source: 'csv', path: 'lowrank.csv', testSplit: 0.1, validationSplit: 0.1 },
      model: { kind: 'linear-ae', latentDim: rank, encoder: { hidden: [] }, sigma: 0.1 },
      training: { epochs: 40, batchSize: 50, optimizer: { learningRate: 0.01 }, seed: 1 },
      logging: { metricsEvery: 50, imagesEvery: 100 },
    },
    dir,
  );
  const { model, data } = await loadRunModel(out.runDir);
  assert.ok(model instanceof LinearAutoencoder);
  const train2d = Array.from({ length: data.train.n }, (_, i) => Array.from(floatRows(data.train, i, i + 1)));
  const pcs = topPrincipalComponents(train2d, rank);
  const angles = principalAnglesDegrees(await model.decoderDirections(), pcs);
  model.dispose();
  assert.equal(angles.length, rank);
  assert.ok(Math.max(...angles) < 1, `principal angles ${angles.map((a) => a.toFixed(3)).join(', ')} degrees`);
});

test('sparse-ae: the KL penalty drives the mean activation toward its target', async () => {
  const base = { data: mnist(3000), model: { kind: 'sparse-ae', latentDim: 64, encoder: { hidden: [] } }, training: { epochs: 4, batchSize: 50, seed: 2 }, logging: { metricsEvery: 5 } };
  const sparse = await train({ ...base, name: 'sparse', objective: { sparsity: { penalty: 'kl', weight: 20, target: 0.05 } } });
  const loose = await train({ ...base, name: 'loose', objective: { sparsity: { penalty: 'kl', weight: 0, target: 0.05 } } });
  const act = (r: { steps: StepEvent[] }) => r.steps[r.steps.length - 1].metrics.meanActivation as number;
  assert.ok(act(sparse) < 0.15, `mean activation with the penalty: ${act(sparse)}`);
  assert.ok(act(sparse) < act(loose) / 2, `${act(sparse)} versus ${act(loose)} without it`);
});

test('denoising-ae: corruption is applied only in training, and the model removes noise it never saw', async () => {
  const xs = new Float32Array(1000).fill(0.5);
  const masked = corrupt(xs, 'mask', 0.3, 1);
  const zeros = masked.filter((v) => v === 0).length;
  assert.ok(zeros > 250 && zeros < 350, `mask 0.3 zeroes ${zeros} of 1000`);
  assert.notDeepEqual(corrupt(xs, 'gaussian', 0.3, 1), xs);
  assert.ok(corrupt(xs, 'salt-and-pepper', 0.2, 1).every((v) => v === 0 || v === 1 || v === 0.5));
  const { out, events } = await train({ name: 'denoise', data: mnist(3000), training: { epochs: 4, batchSize: 64, seed: 3 }, model: { kind: 'denoising-ae', latentDim: 32, encoder: { hidden: [256] } }, objective: { corruption: { type: 'mask', level: 0.5 } } });
  const images = events.filter((e) => e.type === 'images').pop();
  assert.ok(images && images.type === 'images' && images.extra?.[0].path.includes('denoising'), 'the noisy / clean / reconstructed view is written');
  // New holes (another seed than any training batch) are filled in: the output is much closer to the clean digit.
  const n = 200;
  const { model, data } = await loadRunModel(out.runDir);
  const clean = floatRows(data.test, 0, n);
  const noisy = corrupt(Float32Array.from(clean), 'mask', 0.5, 99);
  const mse = (a: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + (v - clean[i]) ** 2, 0) / n;
  const denoised = mse(tf.tidy(() => model.reconstruct(tf.tensor(noisy, [n, 28, 28, 1])).dataSync()));
  model.dispose();
  assert.ok(denoised < 0.8 * mse(noisy), `squared error to the clean digit: masked input ${mse(noisy).toFixed(1)}, denoised ${denoised.toFixed(1)}`);
});

test('contractive-ae: the Jacobian penalty equals a finite-difference Jacobian, in closed form and by the chain rule', async () => {
  const rng = new Rng(6);
  for (const encoder of [{ hidden: [], activation: 'sigmoid' }, { hidden: [7, 5], activation: 'tanh' }, { hidden: [6], activation: 'elu' }]) {
    const config = resolveExperiment({ name: 'cae', data: { source: 'toy2d' }, model: { kind: 'contractive-ae', latentDim: 4, encoder, likelihood: 'gaussian' } });
    const model = createModel(config, [2]) as ContractiveAutoencoder;
    const xs = Array.from({ length: 6 }, () => [rng.normal(), rng.normal()]);
    const analytic = model.jacobianNormSq(tf.tensor2d(xs)).dataSync()[0];
    // Central differences of the encoder's output, per example and input dimension.
    const h = 1e-2;
    let fd = 0;
    for (const x of xs) {
      for (let i = 0; i < 2; i++) {
        const plus = x.slice();
        const minus = x.slice();
        plus[i] += h;
        minus[i] -= h;
        const up = (model.encoder.predict(tf.tensor2d([plus])) as tf.Tensor).dataSync();
        const down = (model.encoder.predict(tf.tensor2d([minus])) as tf.Tensor).dataSync();
        for (let j = 0; j < 4; j++) fd += ((up[j] - down[j]) / (2 * h)) ** 2;
      }
    }
    fd /= xs.length;
    assert.ok(Math.abs(analytic - fd) < 0.01 * Math.max(fd, 1e-3), `${JSON.stringify(encoder)}: analytic ${analytic}, finite differences ${fd}`);
    // The penalty's gradient (what training follows) matches finite differences too.
    const kernel = model.encoder.getLayer(encoder.hidden.length > 0 ? 'enc_dense0' : 'z').trainableWeights[0].read() as tf.Variable;
    const input = tf.tensor2d(xs);
    const { grads } = tf.variableGrads(() => model.jacobianNormSq(input), [kernel]);
    const w0 = kernel.arraySync() as number[][];
    const at = (delta: number) => {
      const w = w0.map((r) => r.slice());
      w[0][1] += delta;
      kernel.assign(tf.tensor(w));
      return model.jacobianNormSq(input).dataSync()[0];
    };
    const fdGrad = (at(1e-3) - at(-1e-3)) / 2e-3;
    kernel.assign(tf.tensor(w0));
    const autoGrad = (grads[kernel.name].arraySync() as number[][])[0][1];
    assert.ok(Math.abs(autoGrad - fdGrad) < 0.01 * Math.max(Math.abs(fdGrad), 1e-3), `gradient: autodiff ${autoGrad}, finite differences ${fdGrad}`);
    model.dispose();
  }
  // In training the loss is recon + lambda ||J||^2, and the penalty contracts the encoder from the first epoch.
  const base = { data: mnist(1500), model: { kind: 'contractive-ae', latentDim: 32, encoder: { hidden: [], activation: 'sigmoid' } }, training: { epochs: 1, batchSize: 50, seed: 4 }, logging: { metricsEvery: 5 } };
  const strong = await train({ ...base, name: 'contract', objective: { contraction: { weight: 100 } } });
  const none = await train({ ...base, name: 'free', objective: { contraction: { weight: 0 } } });
  const m = strong.steps[strong.steps.length - 1].metrics;
  assert.ok(Math.abs(m.loss - (m.recon + 100 * (m.jacobianNormSq as number))) < 1e-3 * m.loss);
  const valJ = (r: { events: EngineEvent[] }) => (r.events.find((e) => e.type === 'epoch') as Extract<EngineEvent, { type: 'epoch' }>).validation.jacobianNormSq as number;
  assert.ok(valJ(strong) < valJ(none) / 2, `validation ||J||^2 after one epoch: ${valJ(strong)} with the penalty, ${valJ(none)} without`);
});

test('cvae: samples generated for class c are recognised as class c far more often than chance', async () => {
  // A small code (2 dimensions) leaves the class to the label, as Kingma et al. (2014) show for M2-style models.
  const { out } = await train({ name: 'cvae', data: { source: 'mnist' }, model: { kind: 'cvae', latentDim: 2, encoder: { hidden: [400] } }, training: { epochs: 4, batchSize: 100, seed: 5 }, logging: { metricsEvery: 50 } });
  // A nearest-centroid classifier fitted on the real training digits (about 80% accurate on real test digits).
  const mnist = loadMnist();
  const real = { ...mnist.train, x: floatRows(mnist.train, 0, mnist.train.n) };
  const realTest = { ...mnist.test, x: floatRows(mnist.test, 0, mnist.test.n) };
  const centroids = Array.from({ length: 10 }, () => new Float64Array(784));
  const counts = new Array(10).fill(0);
  for (let i = 0; i < real.n; i++) {
    counts[real.labels![i]]++;
    for (let p = 0; p < 784; p++) centroids[real.labels![i]][p] += real.x[i * 784 + p];
  }
  centroids.forEach((c, k) => c.forEach((_, p) => (c[p] /= counts[k])));
  const classify = (x: ArrayLike<number>, offset: number) => {
    let best = 0;
    let bestD = Infinity;
    centroids.forEach((c, k) => {
      let d = 0;
      for (let p = 0; p < 784; p++) d += (x[offset + p] - c[p]) ** 2;
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    });
    return best;
  };
  let realCorrect = 0;
  for (let i = 0; i < 500; i++) if (classify(realTest.x, i * 784) === realTest.labels![i]) realCorrect++;
  const { model } = await loadRunModel(out.runDir);
  const perClass = 30;
  const labels = Array.from({ length: 10 * perClass }, (_, i) => Math.floor(i / perClass));
  const samples = tf.tidy(() => model.sample(labels.length, 123, tf.oneHot(tf.tensor1d(labels, 'int32'), 10).toFloat() as tf.Tensor2D).dataSync());
  model.dispose();
  let correct = 0;
  labels.forEach((c, i) => {
    if (classify(samples, i * 784) === c) correct++;
  });
  const accuracy = correct / labels.length;
  assert.ok(realCorrect / 500 > 0.7, `the classifier works on real digits (${realCorrect / 500})`);
  assert.ok(accuracy > 0.5, `CVAE samples recognised as their class: ${(100 * accuracy).toFixed(1)}% (chance 10%)`);
});

test('importance-weighted bounds on a trained VAE: L_k >= ELBO, non-decreasing from k = 1 to 5 to 50; log p(x) at k = 1000 is repeatable', async () => {
  const { out } = await train({ name: 'bounds', data: mnist(3000), model: { kind: 'vae', latentDim: 10, encoder: { hidden: [200] } }, training: { epochs: 3, batchSize: 100, seed: 7 } });
  const { model, data } = await loadRunModel(out.runDir);
  assert.ok(model instanceof Vae);
  const n = 100;
  const x = tf.tensor(floatRows(data.test, 0, n), [n, 28, 28, 1]);
  const posterior = model.posterior(x);
  const opts = { target: x, posterior, decode: (z: tf.Tensor2D) => model.decode(z), logLik: model.logLik };
  const mean = (t: tf.Tensor) => t.mean().dataSync()[0];
  const elboValue = mean(elbo({ ...opts, samples: 200, seed: 1 }).elbo);
  const bound = (k: number) => mean(tf.stack(Array.from({ length: 8 }, (_, r) => importanceWeightedBound({ ...opts, samples: k, seed: 1000 * k + r }))));
  const [b1, b5, b50] = [bound(1), bound(5), bound(50)];
  assert.ok(Math.abs(b1 - elboValue) < 1, `L_1 (${b1}) is the ELBO (${elboValue})`);
  assert.ok(b5 >= b1 && b50 >= b5, `L_1 ${b1.toFixed(2)} <= L_5 ${b5.toFixed(2)} <= L_50 ${b50.toFixed(2)}`);
  assert.ok(b50 > elboValue, 'the 50-sample bound is tighter than the ELBO');
  model.dispose();
  tf.dispose([x, posterior.mean, posterior.logVar]);
  // The log-likelihood estimate of eval (k = 1000) repeats within 0.5 nats across evaluations with other samples.
  const estimates: number[] = [];
  for (let r = 0; r < 3; r++) {
    const run = await evaluateRun(out.runDir, { samples: 1, k: 1000, llExamples: 40, seed: 500 + r });
    estimates.push(run.logLikelihood!.mean);
    assert.equal(run.logLikelihood!.k, 1000);
  }
  const m = estimates.reduce((a, b) => a + b, 0) / estimates.length;
  const sd = Math.sqrt(estimates.reduce((a, b) => a + (b - m) ** 2, 0) / (estimates.length - 1));
  assert.ok(new Set(estimates).size === estimates.length, 'each evaluation drew its own samples');
  assert.ok(sd < 0.5, `standard deviation over evaluations ${sd.toFixed(4)} nats (estimates ${estimates.map((e) => e.toFixed(3)).join(', ')})`);
  const ev = JSON.parse(fs.readFileSync(path.join(out.runDir, 'eval.json'), 'utf8'));
  assert.equal(ev.logLikelihood.examples, 40);
  assert.ok(Number.isFinite(ev.reconstructionMse) && ev.metrics.activeUnits >= 1);
});

test('aae: training moves the codes toward the prior (MMD to prior samples decreases), unlike a plain autoencoder', async () => {
  const nets = { latentDim: 4, encoder: { hidden: [256] } };
  const common = { data: mnist(4000), training: { epochs: 6, batchSize: 64, seed: 8 }, logging: { metricsEvery: 20 } };
  const { events } = await train({ name: 'aae', ...common, model: { kind: 'aae', ...nets, discriminator: { hidden: [64, 64], learningRate: 0.001 } } });
  const epochs = events.filter((e): e is Extract<EngineEvent, { type: 'epoch' }> => e.type === 'epoch');
  const mmd = epochs.map((e) => e.validation.priorMmd as number);
  assert.ok(mmd[mmd.length - 1] < 0.5 * mmd[0], `validation MMD^2 to the prior by epoch: ${mmd.map((v) => v.toFixed(3)).join(', ')}`);
  const accuracy = epochs.map((e) => e.validation.discAccuracy as number);
  assert.ok(accuracy[accuracy.length - 1] < accuracy[0], `the discriminator finds codes harder to tell from the prior: ${accuracy.map((v) => v.toFixed(2)).join(', ')}`);
  // The same networks without the adversary end up much further from the prior.
  const plain = await train({ name: 'plainae', ...common, model: { kind: 'ae', ...nets } });
  const config = resolveExperiment({ name: 'probe', model: { kind: 'aae', ...nets } });
  const { model } = await loadRunModel(plain.out.runDir);
  const { data } = { data: loadData(config, '.') };
  const probe = createModel(config, data.train.shape);
  const n = 500;
  const plainMmd = tf.tidy(() => mmdSquared(model.encodeMean(tf.tensor(floatRows(data.validation, 0, n), [n, 28, 28, 1])), probe.samplePrior(n, 1)).dataSync()[0]);
  model.dispose();
  probe.dispose();
  assert.ok(mmd[mmd.length - 1] < plainMmd / 2, `MMD^2 to the prior: aae ${mmd[mmd.length - 1].toFixed(3)}, plain autoencoder ${plainMmd.toFixed(3)}`);
  const images = events.filter((e) => e.type === 'images').pop();
  assert.ok(images && images.type === 'images' && images.extra?.[0].path.includes('codes-vs-prior'));
});

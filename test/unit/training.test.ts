import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveExperiment } from '../../src/core/config';
import type { EngineEvent } from '../../src/core/protocol';
import { readMetrics, readRunRecord, runFiles } from '../../src/core/runFolder';
import { floatRows, loadData } from '../../src/engine/data';
import { evaluateSplit } from '../../src/engine/evaluate';
import { evaluateRun } from '../../src/engine/evalRun';
import { loadLayersModelFromDir } from '../../src/engine/modelIO';
import { createModel } from '../../src/engine/models';
import { loadRunModel, resumeRun, startRun } from '../../src/engine/trainer';
import { prepareExplorer } from '../../src/engine/explorerData';
import { collectingHooks, tmpDir, useWasm, writeJson } from './helpers';

before(useWasm);

function experiment(dir: string, doc: Record<string, unknown>): string {
  return writeJson(path.join(dir, `${String(doc.name)}.vae.json`), doc);
}

/** The metric content of events, without wall-clock fields. */
function metricsOnly(events: EngineEvent[]): unknown[] {
  return events
    .filter((e) => e.type === 'step' || e.type === 'epoch')
    .map((e) => {
      if (e.type === 'step') return { step: e.step, metrics: e.metrics };
      if (e.type === 'epoch') return { epoch: e.epoch, train: e.train, validation: e.validation };
      return e;
    });
}

const tiny = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  data: { source: 'mnist', options: { limit: 600 } },
  model: { latentDim: 8, encoder: { hidden: [64] } },
  training: { epochs: 2, batchSize: 64, seed: 5 },
  logging: { metricsEvery: 2 },
  backend: 'wasm',
  ...extra,
});

test('one epoch of the reference MNIST VAE lowers the validation loss clearly', async () => {
  const dir = tmpDir('mnist1');
  const file = experiment(dir, {
    name: 'ref',
    data: { source: 'mnist' },
    model: { kind: 'vae', latentDim: 20, encoder: { type: 'mlp', hidden: [400] } },
    training: { epochs: 1, batchSize: 128, seed: 42 },
    backend: 'wasm',
  });
  // The validation loss of the untrained model, with the same evaluation code.
  const config = resolveExperiment(JSON.parse(fs.readFileSync(file, 'utf8')));
  const data = loadData(config, dir);
  const untrained = createModel(config, data.train.shape);
  const before = await evaluateSplit(untrained, data.validation, { klWeight: 1, step: 0, totalSteps: 1, seed: 1 });
  untrained.dispose();
  const hooks = collectingHooks();
  const out = await startRun({ experimentFile: file, runsRoot: path.join(dir, 'runs') }, hooks);
  assert.equal(out.status, 'completed');
  const epoch = hooks.events.find((e) => e.type === 'epoch');
  assert.ok(epoch && epoch.type === 'epoch');
  const after = epoch.validation.loss;
  assert.ok(before.loss > 500, `an untrained decoder is near chance (${before.loss} nats)`);
  assert.ok(after < 0.45 * before.loss, `validation loss ${before.loss} -> ${after}`);
  assert.ok(after < 220, `one epoch reaches a sensible loss (${after} nats)`);
  assert.ok(Math.abs(epoch.validation.elbo! + after) < 1e-3, 'for the plain VAE the loss is the negative ELBO');
});

test('the same seed gives the same metrics; another seed does not', async () => {
  const dir = tmpDir('seed');
  const file = experiment(dir, tiny('seeded'));
  const a = collectingHooks();
  const b = collectingHooks();
  await startRun({ experimentFile: file, runsRoot: path.join(dir, 'runs') }, a);
  await startRun({ experimentFile: file, runsRoot: path.join(dir, 'runs') }, b);
  assert.ok(metricsOnly(a.events).length > 4);
  assert.deepEqual(metricsOnly(a.events), metricsOnly(b.events));
  const c = collectingHooks();
  await startRun({ experimentFile: file, runsRoot: path.join(dir, 'runs'), overrides: ['training.seed=6'] }, c);
  assert.notDeepEqual(metricsOnly(a.events), metricsOnly(c.events));
});

test('cancel mid-epoch writes a checkpoint; resume gives exactly the metrics of an uninterrupted run', async () => {
  const dir = tmpDir('resume');
  const file = experiment(dir, tiny('resumable', { data: { source: 'mnist', options: { limit: 600 }, binarize: 'dynamic' }, objective: { samples: 2, klSchedule: { type: 'linear', warmupSteps: 10 } } }));
  const full = collectingHooks();
  const uninterrupted = await startRun({ experimentFile: file, runsRoot: path.join(dir, 'runs') }, full);
  assert.equal(uninterrupted.status, 'completed');

  const cut = collectingHooks(5); // 9 steps per epoch: stop in the middle of the first epoch
  const cancelled = await startRun({ experimentFile: file, runsRoot: path.join(dir, 'runs') }, cut);
  assert.equal(cancelled.status, 'cancelled');
  const rec = readRunRecord(cancelled.runDir);
  assert.equal(rec.status, 'cancelled');
  assert.ok(rec.lastCheckpoint && rec.lastCheckpoint.step >= 5 && rec.lastCheckpoint.step < 9, JSON.stringify(rec.lastCheckpoint));
  assert.ok(fs.existsSync(path.join(cancelled.runDir, rec.lastCheckpoint.path)));

  const rest = collectingHooks();
  const resumed = await resumeRun(cancelled.runDir, rest);
  assert.equal(resumed.status, 'completed');
  assert.equal(resumed.runDir, cancelled.runDir);
  // The run folder's metrics.jsonl, written in two sessions, equals the uninterrupted run's.
  assert.deepEqual(metricsOnly(readMetrics(cancelled.runDir)), metricsOnly(readMetrics(uninterrupted.runDir)));
  assert.equal(readRunRecord(cancelled.runDir).status, 'completed');
  // The final weights are the same too.
  const a = await loadLayersModelFromDir(path.join(uninterrupted.runDir, 'model', 'decoder'));
  const b = await loadLayersModelFromDir(path.join(cancelled.runDir, 'model', 'decoder'));
  const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
  const wb = b.getWeights().map((w) => Array.from(w.dataSync()));
  assert.deepEqual(wa, wb);
});

test('a run folder is complete and its final model loads with tf.loadLayersModel', async () => {
  const dir = tmpDir('folder');
  const file = experiment(dir, tiny('complete', { training: { epochs: 2, batchSize: 64, seed: 5, checkpointEvery: 1 } }));
  const hooks = collectingHooks();
  const out = await startRun({ experimentFile: file, runsRoot: path.join(dir, 'runs') }, hooks);
  assert.equal(path.dirname(out.runDir), path.join(dir, 'runs', 'complete'));
  const rec = readRunRecord(out.runDir);
  assert.equal(rec.status, 'completed');
  assert.equal(rec.backend?.name, 'wasm');
  assert.equal(rec.config.training.optimizer.beta2, 0.999, 'the effective config, defaults included');
  assert.equal(rec.timings.epochSeconds.length, 2);
  assert.ok(rec.finalMetrics && rec.finalMetrics.klPerDim?.length === 8);
  assert.equal(rec.pid, undefined);
  const types = readMetrics(out.runDir).map((e) => e.type);
  assert.equal(types[0], 'started');
  assert.equal(types[types.length - 1], 'finished');
  for (const t of ['step', 'epoch', 'images', 'checkpoint']) assert.ok(types.includes(t as never), t);
  const started = hooks.events[0];
  assert.ok(started.type === 'started' && started.backend.name === 'wasm' && started.data.train === 540);
  const images = fs.readdirSync(runFiles.images(out.runDir));
  assert.deepEqual(images.sort(), ['reconstructions-epoch-001.png', 'reconstructions-epoch-002.png', 'samples-epoch-001.png', 'samples-epoch-002.png']);
  for (const f of images) assert.equal(fs.readFileSync(path.join(runFiles.images(out.runDir), f)).subarray(1, 4).toString(), 'PNG');
  assert.ok(fs.existsSync(path.join(out.runDir, 'checkpoints', 'latest.ckpt')));
  assert.equal(fs.readdirSync(out.runDir).filter((f) => f.endsWith('.tmp')).length, 0, 'no temporary files left');
  // The saved encoder and decoder (read by tf.loadLayersModel through a file IOHandler) reproduce the model's reconstructions.
  const encoder = await loadLayersModelFromDir(path.join(out.runDir, 'model', 'encoder'));
  const decoder = await loadLayersModelFromDir(path.join(out.runDir, 'model', 'decoder'));
  const meta = JSON.parse(fs.readFileSync(path.join(out.runDir, 'model', 'vae-lab.json'), 'utf8'));
  assert.deepEqual(meta.encoderOutputs, ['z_mean', 'z_log_var']);
  const { model, data } = await loadRunModel(out.runDir);
  const x = tf.tensor(floatRows(data.test, 0, 5), [5, 28, 28, 1]);
  const mean = (encoder.predict(x) as tf.Tensor[])[0];
  const viaFiles = tf.sigmoid(decoder.predict(mean) as tf.Tensor).dataSync();
  const viaModel = model.reconstruct(x).dataSync();
  for (let i = 0; i < viaFiles.length; i += 97) assert.ok(Math.abs(viaFiles[i] - viaModel[i]) < 1e-5);
  model.dispose();
});

test('ae, beta-vae with capacity, a conv network and a learned Gaussian on toy2d all train and improve', async () => {
  const dir = tmpDir('kinds');
  const cases = [
    tiny('ae', { model: { kind: 'ae', latentDim: 8, encoder: { hidden: [64] } } }),
    tiny('bvae', { model: { kind: 'beta-vae', latentDim: 8, encoder: { hidden: [64] } }, objective: { beta: 4, capacity: { max: 10, steps: 10 } } }),
    {
      name: 'conv',
      data: { source: 'shapes', options: { count: 400, imageSize: 32 } },
      model: { kind: 'vae', latentDim: 4, encoder: { type: 'conv', filters: [8, 16], hidden: [32] } },
      training: { epochs: 3, batchSize: 32, seed: 1, optimizer: { learningRate: 0.002 } },
      logging: { metricsEvery: 5 },
      backend: 'wasm',
    },
    {
      name: 'points',
      data: { source: 'toy2d', options: { count: 1000, dataset: 'rings' } },
      model: { kind: 'vae', latentDim: 2, encoder: { hidden: [32, 32], activation: 'tanh' }, likelihood: 'gaussian-learned', sigma: 1 },
      training: { epochs: 3, batchSize: 50, seed: 1, optimizer: { learningRate: 0.005 } },
      logging: { metricsEvery: 5 },
      backend: 'wasm',
    },
  ];
  for (const doc of cases) {
    const hooks = collectingHooks();
    const out = await startRun({ experimentFile: experiment(dir, doc), runsRoot: path.join(dir, 'runs') }, hooks);
    assert.equal(out.status, 'completed', doc.name);
    const steps = hooks.events.filter((e): e is Extract<EngineEvent, { type: 'step' }> => e.type === 'step');
    const first = steps[0].metrics.recon;
    const last = steps[steps.length - 1].metrics.recon;
    assert.ok(last < first, `${doc.name}: reconstruction ${first} -> ${last}`);
    if (doc.name === 'ae') assert.equal(steps[0].metrics.kl, undefined, 'an ae has no KL term');
    if (doc.name === 'bvae') {
      const caps = steps.map((s) => s.metrics.capacity as number);
      assert.equal(caps[caps.length - 1], 10, 'capacity reaches its maximum');
      assert.ok(caps[0] < 10);
    }
    if (doc.name === 'points') {
      assert.ok(typeof steps[0].metrics.sigma === 'number', 'the learned sigma is logged');
      assert.ok(fs.existsSync(path.join(out.runDir, 'images', 'samples-epoch-003.png')), 'scatter plots for 2-D data');
    }
  }
});

test('training, cancelling, resuming and evaluating leave no tensors behind', async () => {
  const dir = tmpDir('leak');
  const file = experiment(dir, tiny('leaky', { model: { latentDim: 4, encoder: { hidden: [32] }, likelihood: 'gaussian-learned' }, data: { source: 'mnist', options: { limit: 300 } } }));
  const before = tf.memory().numTensors;
  const cut = await startRun({ experimentFile: file, runsRoot: path.join(dir, 'runs') }, collectingHooks(3));
  await resumeRun(cut.runDir, collectingHooks());
  await evaluateRun(cut.runDir, { samples: 2 });
  assert.equal(tf.memory().numTensors, before);
});

test('eval writes eval.json with the test ELBO for L samples', async () => {
  const dir = tmpDir('eval');
  const out = await startRun({ experimentFile: experiment(dir, tiny('evaluated')), runsRoot: path.join(dir, 'runs') }, collectingHooks());
  const r1 = await evaluateRun(out.runDir, { samples: 1 });
  const r10 = await evaluateRun(out.runDir, { samples: 10 });
  assert.equal(r10.samples, 10);
  assert.equal(r1.examples, 150);
  const saved = JSON.parse(fs.readFileSync(path.join(out.runDir, 'eval.json'), 'utf8'));
  assert.equal(saved.samples, 10);
  assert.ok(Number.isFinite(saved.metrics.elbo) && saved.metrics.elbo < 0);
  assert.equal(r1.metrics.kl, r10.metrics.kl, 'the KL is exact, independent of L');
  assert.ok(Math.abs(r1.metrics.elbo! - r10.metrics.elbo!) < 5, 'more samples change the estimate only a little');
});

test('early stopping ends the run when the validation loss stops improving', async () => {
  const dir = tmpDir('early');
  // A learning rate of 0 cannot improve anything: patience 1 stops after the second epoch.
  const file = experiment(dir, tiny('stopper', { training: { epochs: 10, batchSize: 64, seed: 5, optimizer: { type: 'sgd', learningRate: 1e-12 }, earlyStopping: { patience: 1, minDelta: 0.5 } } }));
  const hooks = collectingHooks();
  const out = await startRun({ experimentFile: file, runsRoot: path.join(dir, 'runs') }, hooks);
  assert.equal(out.status, 'completed');
  const fin = hooks.events.find((e) => e.type === 'finished');
  assert.ok(fin && fin.type === 'finished' && /early stopping/.test(fin.reason));
  assert.equal(hooks.events.filter((e) => e.type === 'epoch').length, 2);
});

test('validation reports the activity of each latent dimension and the active units', async () => {
  const dir = tmpDir('active');
  const out = await startRun({ experimentFile: experiment(dir, tiny('active', { model: { latentDim: 8, encoder: { hidden: [64] } } })), runsRoot: path.join(dir, 'runs') }, collectingHooks());
  const v = readRunRecord(out.runDir).finalMetrics!;
  assert.equal(v.activity!.length, 8);
  assert.ok(v.activity!.every((a) => a >= 0));
  assert.equal(v.activeUnits, v.activity!.filter((a) => a > 0.01).length);
  assert.ok(v.activeUnits! >= 1, 'after training some units carry information');
});

test('the latent explorer data: codes of the test set, labels, pixels and a decoder that loads', async () => {
  const dir = tmpDir('explorer');
  const out = await startRun({ experimentFile: experiment(dir, tiny('explored')), runsRoot: path.join(dir, 'runs') }, collectingHooks());
  const meta = await prepareExplorer(out.runDir);
  assert.equal(meta.n, 150);
  assert.equal(meta.means.length, 150);
  assert.equal(meta.means[0].length, 8);
  assert.equal(meta.labels!.length, 150);
  assert.equal(meta.source, 'final model');
  assert.equal(fs.statSync(path.join(out.runDir, 'explorer', 'images.u8')).size, 150 * 784);
  const decoder = await loadLayersModelFromDir(path.join(out.runDir, 'explorer', 'decoder'));
  const y = decoder.predict(tf.tensor2d([meta.means[0]])) as tf.Tensor;
  assert.deepEqual(y.shape, [1, 28, 28, 1]);
  // The codes are the model's posterior means of the test images.
  const { model, data } = await loadRunModel(out.runDir);
  const mu = model.encodeMean(tf.tensor(floatRows(data.test, 0, 1), [1, 28, 28, 1])).dataSync();
  mu.forEach((v, i) => assert.ok(Math.abs(v - meta.means[0][i]) < 1e-5));
  model.dispose();
  // The sampling view's post-hoc mixture (fitted to the training codes) and draws from the model's own prior.
  const mix = meta.mixture!;
  assert.equal(mix.components.length, 10);
  assert.ok(Math.abs(mix.components.reduce((a, c) => a + c.weight, 0) - 1) < 1e-6);
  assert.ok(mix.components.every((c) => c.mean.length === 8 && c.chol.length === 8));
  assert.equal(meta.priorCodes!.length, 256);
  assert.equal(meta.priorCodes![0].length, 8);
});

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { applyOverride, ConfigError, parseExperimentText, resolveExperiment, validateExperiment } from '../../src/core/config';
import { REPO } from './helpers';

const base = () => ({ name: 'x' });

/** [description, document, expected pointer, fragment of the message] */
const BAD: [string, Record<string, unknown>, string, RegExp][] = [
  ['missing name', {}, '/name', /required/],
  ['empty name', { name: '' }, '/name', /must not be empty/],
  ['name with a slash', { name: 'a/b' }, '/name', /letters, digits/],
  ['unknown top-level key', { ...base(), trainig: {} }, '/trainig', /unknown field "trainig" \(did you mean "training"\?\)/],
  ['unknown nested key', { ...base(), training: { batchSze: 3 } }, '/training/batchSze', /did you mean "batchSize"/],
  ['batch size as a string', { ...base(), training: { batchSize: '128' } }, '/training/batchSize', /must be a whole number/],
  ['fractional batch size', { ...base(), training: { batchSize: 12.5 } }, '/training/batchSize', /whole number/],
  ['zero batch size', { ...base(), training: { batchSize: 0 } }, '/training/batchSize', /at least 1/],
  ['negative epochs', { ...base(), training: { epochs: -1 } }, '/training/epochs', /at least 1/],
  ['learning rate zero', { ...base(), training: { optimizer: { learningRate: 0 } } }, '/training/optimizer/learningRate', /greater than 0/],
  ['unknown optimizer', { ...base(), training: { optimizer: { type: 'adagrad' } } }, '/training/optimizer/type', /one of "adam", "sgd", "rmsprop"/],
  ['beta1 of 1', { ...base(), training: { optimizer: { beta1: 1 } } }, '/training/optimizer/beta1', /less than 1/],
  ['unknown model kind', { ...base(), model: { kind: 'gan' } }, '/model/kind', /one of "ae", "linear-ae", "sparse-ae", "denoising-ae", "contractive-ae", "vae", "beta-vae", "cvae", "iwae", "aae"/],
  ['latent dim zero', { ...base(), model: { latentDim: 0 } }, '/model/latentDim', /at least 1/],
  ['hidden sizes not an array', { ...base(), model: { encoder: { hidden: 400 } } }, '/model/encoder/hidden', /must be an array/],
  ['hidden size negative', { ...base(), model: { encoder: { hidden: [400, -2] } } }, '/model/encoder/hidden/1', /at least 1/],
  ['unknown activation', { ...base(), model: { encoder: { activation: 'gelu' } } }, '/model/encoder/activation', /one of/],
  ['unknown likelihood', { ...base(), model: { likelihood: 'poisson' } }, '/model/likelihood', /one of "bernoulli"/],
  ['sigma zero', { ...base(), model: { likelihood: 'gaussian', sigma: 0 } }, '/model/sigma', /greater than 0/],
  ['unknown data source', { ...base(), data: { source: 'cifar' } }, '/data/source', /one of "mnist"/],
  ['validation split of one half', { ...base(), data: { validationSplit: 0.5 } }, '/data/validationSplit', /less than 0.5/],
  ['unknown binarization', { ...base(), data: { binarize: 'random' } }, '/data/binarize', /one of "none", "fixed", "dynamic"/],
  ['file source without path', { ...base(), data: { source: 'idx' } }, '/data/path', /required for source "idx"/],
  ['path on a generated source', { ...base(), data: { source: 'mnist', path: 'x.idx' } }, '/data/path', /not used by source "mnist"/],
  ['option of another source', { ...base(), data: { source: 'mnist', options: { dataset: 'moons' } } }, '/data/options/dataset', /not an option of source "mnist"/],
  ['shapes at 28 pixels', { ...base(), data: { source: 'shapes', options: { imageSize: 28 } } }, '/data/options/imageSize', /32 or 64/],
  ['conv on 2-D points', { ...base(), data: { source: 'toy2d' }, model: { likelihood: 'gaussian', encoder: { type: 'conv' } } }, '/model/encoder/type', /needs images/],
  ['bernoulli on 2-D points', { ...base(), data: { source: 'toy2d' } }, '/model/likelihood', /bernoulli needs data in \[0, 1\]/],
  ['beta on a plain vae', { ...base(), objective: { beta: 4 } }, '/objective/beta', /use model kind "beta-vae"/],
  ['capacity on a plain vae', { ...base(), objective: { capacity: { max: 25 } } }, '/objective/capacity', /needs model kind "beta-vae"/],
  ['capacity without max', { ...base(), model: { kind: 'beta-vae' }, objective: { capacity: {} } }, '/objective/capacity/max', /required/],
  ['KL options on an ae', { ...base(), model: { kind: 'ae' }, objective: { freeBits: 0.5 } }, '/objective/freeBits', /no KL term/],
  ['sparsity on a vae', { ...base(), objective: { sparsity: { weight: 1 } } }, '/objective/sparsity', /only used by model kind "sparse-ae"/],
  ['corruption on an ae', { ...base(), model: { kind: 'ae' }, objective: { corruption: {} } }, '/objective/corruption', /only used by model kind "denoising-ae"/],
  ['activations on a linear-ae', { ...base(), model: { kind: 'linear-ae', encoder: { activation: 'relu' } } }, '/model/encoder/activation', /no activations/],
  ['bernoulli on a linear-ae', { ...base(), model: { kind: 'linear-ae', likelihood: 'bernoulli' } }, '/model/likelihood', /squared error/],
  ['a conv contractive-ae', { ...base(), model: { kind: 'contractive-ae', encoder: { type: 'conv' } } }, '/model/encoder/type', /MLP encoders/],
  ['a discriminator on a vae', { ...base(), model: { discriminator: {} } }, '/model/discriminator', /only used by model kind "aae"/],
  ['MC samples on an iwae', { ...base(), model: { kind: 'iwae' }, objective: { samples: 3 } }, '/objective/samples', /importanceSamples/],
  ['an unknown corruption', { ...base(), model: { kind: 'denoising-ae' }, objective: { corruption: { type: 'blur' } } }, '/objective/corruption/type', /one of "gaussian", "mask", "salt-and-pepper"/],
  ['negative free bits', { ...base(), objective: { freeBits: -1 } }, '/objective/freeBits', /at least 0/],
  ['zero MC samples', { ...base(), objective: { samples: 0 } }, '/objective/samples', /at least 1/],
  ['unknown KL schedule', { ...base(), objective: { klSchedule: { type: 'sigmoid' } } }, '/objective/klSchedule/type', /one of/],
  ['unknown reduction', { ...base(), objective: { reduction: 'mean' } }, '/objective/reduction', /one of "sum-over-dimensions-mean-over-batch"/],
  ['unknown backend', { ...base(), backend: 'webgpu' }, '/backend', /one of "auto", "tensorflow", "wasm", "cpu"/],
  ['metrics interval zero', { ...base(), logging: { metricsEvery: 0 } }, '/logging/metricsEvery', /at least 1/],
  ['early stopping patience zero', { ...base(), training: { earlyStopping: { patience: 0 } } }, '/training/earlyStopping/patience', /at least 1/],
  ['data as an array', { ...base(), data: [] }, '/data', /must be an object/],
];

for (const [what, doc, pointer, message] of BAD) {
  test(`schema rejects ${what} at ${pointer}`, () => {
    const issues = validateExperiment(doc);
    const hit = issues.find((i) => i.pointer === pointer);
    assert.ok(hit, `expected an issue at ${pointer}, got ${JSON.stringify(issues)}`);
    assert.match(hit.message, message);
    assert.throws(() => resolveExperiment(doc, 'bad.vae.json'), (err: unknown) => err instanceof ConfigError && err.message.includes(`bad.vae.json: ${pointer}: `));
  });
}

test('defaults are filled and the effective config is complete', () => {
  const c = resolveExperiment({ name: 'minimal' });
  assert.equal(c.data.source, 'mnist');
  assert.equal(c.model.kind, 'vae');
  assert.equal(c.model.latentDim, 20);
  assert.deepEqual(c.model.encoder.hidden, [400]);
  assert.deepEqual(c.model.decoder, c.model.encoder, 'the decoder mirrors the encoder when omitted');
  assert.equal(c.objective.beta, 1);
  assert.equal(c.objective.reduction, 'sum-over-dimensions-mean-over-batch');
  assert.equal(c.training.optimizer.type, 'adam');
  assert.equal(c.training.optimizer.learningRate, 0.001);
  assert.equal(c.training.batchSize, 128);
  assert.equal(c.logging.metricsEvery, 20);
  assert.equal(c.backend, 'auto');
  const b = resolveExperiment({ name: 'b', model: { kind: 'beta-vae' }, objective: { capacity: { max: 25 } }, training: { earlyStopping: {} } });
  assert.equal(b.objective.beta, 4, 'beta-vae defaults to beta 4');
  assert.deepEqual(b.objective.capacity, { max: 25, steps: 10000 });
  assert.deepEqual(b.training.earlyStopping, { patience: 5, minDelta: 0 });
  const t = resolveExperiment({ name: 't', data: { source: 'toy2d' }, model: { likelihood: 'gaussian' } });
  assert.deepEqual(t.data.options, { count: 10000, dataset: 'moons', noise: 0.05, seed: 0 });
});

test("every kind's effective config validates again as it is (run folders re-read it)", () => {
  for (const kind of ['ae', 'linear-ae', 'sparse-ae', 'denoising-ae', 'contractive-ae', 'vae', 'beta-vae', 'cvae', 'iwae', 'aae']) {
    const c = resolveExperiment({ name: 'k', model: { kind } });
    assert.deepEqual(validateExperiment(c), [], kind);
    assert.deepEqual(resolveExperiment(c), c, `${kind}: resolving is idempotent`);
  }
  const s = resolveExperiment({ name: 's', model: { kind: 'sparse-ae' } });
  assert.deepEqual(s.objective.sparsity, { penalty: 'kl', weight: 10, target: 0.05 });
  assert.equal(s.model.codeActivation, 'sigmoid');
  assert.equal(resolveExperiment({ name: 'l', model: { kind: 'linear-ae' } }).model.likelihood, 'gaussian');
  assert.equal(resolveExperiment({ name: 'i', model: { kind: 'iwae' } }).objective.importanceSamples, 5);
  const a = resolveExperiment({ name: 'a', model: { kind: 'aae' } });
  assert.deepEqual(a.objective.prior, { type: 'normal', components: 10, radius: 4, std: 0.5 });
  assert.deepEqual(a.model.discriminator, { hidden: [256, 256], activation: 'leakyRelu', learningRate: 0.0002 });
});

test('resolving does not modify the input document', () => {
  const doc = { name: 'same' };
  resolveExperiment(doc);
  assert.deepEqual(doc, { name: 'same' });
});

test('every example in examples/ is valid', () => {
  const dir = path.join(REPO, 'examples');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.vae.json'));
  assert.ok(files.length >= 5);
  for (const f of files) {
    const doc = parseExperimentText(fs.readFileSync(path.join(dir, f), 'utf8'), f);
    assert.deepEqual(validateExperiment(doc), [], f);
  }
});

test('JSON syntax errors give the line and column', () => {
  assert.throws(
    () => parseExperimentText('{\n  "name": "a",\n  "model": {,}\n}', 'broken.vae.json'),
    (err: unknown) => err instanceof ConfigError && /broken\.vae\.json: \(document\): is not valid JSON at line 3, column 13/.test(err.message),
  );
});

test('--set overrides take dotted paths and JSON pointers and parse JSON values', () => {
  const doc: Record<string, unknown> = { name: 'o' };
  applyOverride(doc, 'training.batchSize=64');
  applyOverride(doc, '/model/encoder/hidden=[256,128]');
  applyOverride(doc, 'backend=wasm');
  const c = resolveExperiment(doc);
  assert.equal(c.training.batchSize, 64);
  assert.deepEqual(c.model.encoder.hidden, [256, 128]);
  assert.equal(c.backend, 'wasm');
  assert.throws(() => applyOverride(doc, 'nonsense'), /path=value/);
  assert.throws(() => applyOverride(doc, '__proto__.x=1'), /invalid path/);
  applyOverride(doc, 'training.batchSize="big"');
  assert.throws(() => resolveExperiment(doc), /\/training\/batchSize: must be a whole number/);
});

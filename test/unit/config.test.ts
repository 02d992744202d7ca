import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { applyOverride, ConfigError, parseExperimentText, resolveExperiment, validateExperiment } from '../../src/core/config';
import { BAD_CONFIGS } from '../corpus/badInput';
import { REPO } from './helpers';

for (const [what, doc, pointer, message] of BAD_CONFIGS) {
  test(`schema rejects ${what} at ${pointer}`, () => {
    const issues = validateExperiment(doc);
    const hit = issues.find((i) => i.pointer === (pointer === '(document)' ? '' : pointer));
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
  for (const kind of ['ae', 'linear-ae', 'sparse-ae', 'denoising-ae', 'contractive-ae', 'vae', 'beta-vae', 'beta-tcvae', 'info-vae', 'dip-vae', 'factor-vae', 'cvae', 'iwae', 'aae', 'wae', 'rae', 'vq-vae', 'gumbel-vae']) {
    const c = resolveExperiment({ name: 'k', model: { kind } });
    assert.deepEqual(validateExperiment(c), [], kind);
    assert.deepEqual(resolveExperiment(c), c, `${kind}: resolving is idempotent`);
  }
  const s = resolveExperiment({ name: 's', model: { kind: 'sparse-ae' } });
  assert.deepEqual(s.objective.sparsity, { penalty: 'kl', weight: 10, target: 0.05 });
  assert.equal(s.model.codeActivation, 'sigmoid');
  assert.equal(resolveExperiment({ name: 'l', model: { kind: 'linear-ae' } }).model.likelihood, 'gaussian');
  assert.equal(resolveExperiment({ name: 'i', model: { kind: 'iwae' } }).objective.importanceSamples, 5);
  assert.equal(resolveExperiment({ name: 't', model: { kind: 'beta-tcvae' } }).objective.beta, 6, 'beta-tcvae weights the total correlation by 6 by default');
  assert.deepEqual(resolveExperiment({ name: 'w', model: { kind: 'wae' } }).objective.mmd, { weight: 1000, alpha: 0 });
  assert.deepEqual(resolveExperiment({ name: 'v', model: { kind: 'info-vae' }, objective: { mmd: { alpha: 0.5 } } }).objective.mmd, { weight: 1000, alpha: 0.5 });
  assert.deepEqual(validateExperiment({ name: 'm', model: { kind: 'vae' }, objective: { mmd: { weight: 10 } } }).map((i) => i.pointer), ['/objective/mmd']);
  const a = resolveExperiment({ name: 'a', model: { kind: 'aae' } });
  assert.deepEqual(a.objective.prior, { type: 'normal', components: 10, radius: 4, std: 0.5 });
  assert.deepEqual(a.model.discriminator, { hidden: [256, 256], activation: 'leakyRelu', learningRate: 0.0002 });
  assert.deepEqual(resolveExperiment({ name: 'q', model: { kind: 'vq-vae' } }).objective.vq, { codebookSize: 64, embeddingDim: 4, commitment: 0.25 });
  assert.deepEqual(resolveExperiment({ name: 'g', model: { kind: 'gumbel-vae' } }).objective.gumbel, { categories: 10, temperatureStart: 1, temperatureEnd: 0.5, hard: false });
  assert.deepEqual(validateExperiment({ name: 'q', model: { kind: 'vq-vae', latentDim: 10 } }).map((i) => i.pointer), ['/model/latentDim']);
  assert.deepEqual(validateExperiment({ name: 'g', model: { kind: 'gumbel-vae', latentDim: 25 } }).map((i) => i.pointer), ['/model/latentDim']);
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

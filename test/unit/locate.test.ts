import assert from 'node:assert/strict';
import { test } from 'node:test';
import { locateExperimentIssues } from '../../src/core/jsonLocate';

const text = `{
  "name": "x",
  "training": {
    "batchSize": 0,
    "epochz": 3
  },
  "data": { "source": "idx" }
}`;

const at = (t: string, i: { offset: number; length: number }) => t.slice(i.offset, i.offset + i.length);

test('schema problems point at the offending value, the unknown key, or the object missing a field', () => {
  const issues = locateExperimentIssues(text);
  const batch = issues.find((i) => i.pointer === '/training/batchSize')!;
  assert.equal(batch.message, 'must be at least 1.');
  assert.equal(at(text, batch), '0');
  const unknown = issues.find((i) => i.pointer === '/training/epochz')!;
  assert.equal(at(text, unknown), '"epochz"');
  // A cross-field rule (data.path required for idx) only runs once the schema passes.
  const fixed = text.replace('"batchSize": 0', '"batchSize": 8').replace(',\n    "epochz": 3', '');
  const missing = locateExperimentIssues(fixed);
  assert.equal(missing.length, 1);
  assert.equal(missing[0].pointer, '/data/path');
  assert.equal(at(fixed, missing[0]), '"data"', 'a missing field points at the key of its parent object');
});

test('messages are the same as the CLI prints, and a valid file has none', () => {
  assert.deepEqual(locateExperimentIssues('{ "name": "ok" }'), []);
  const i = locateExperimentIssues('{ "name": "ok", "backend": "gpu" }')[0];
  assert.equal(i.pointer, '/backend');
  assert.equal(i.message, 'must be one of "auto", "webgpu", "tensorflow", "wasm", "cpu".');
});

test('JSON syntax errors are located at the error', () => {
  const bad = '{\n  "name": "a",\n  "model": { "kind": }\n}';
  const [e] = locateExperimentIssues(bad);
  assert.equal(e.pointer, '');
  assert.match(e.message, /^is not valid JSON at line 3, column 22: unexpected (token )?'\}'\.$/);
  assert.equal(locateExperimentIssues(bad).length, 1, 'one problem, not its echoes');
  assert.equal(bad.slice(e.offset, e.offset + 1), '}');
});

test('a sweep value that makes an invalid run is underlined at the swept parameter, with the CLI message', () => {
  const sweep = `{
  "name": "s",
  "model": { "kind": "beta-vae" },
  "sweep": {
    "parameters": { "objective.beta": [1, -2], "model.latentDim": [2] }
  }
}`;
  const issues = locateExperimentIssues(sweep);
  assert.equal(issues.length, 1);
  assert.equal(issues[0].pointer, '/sweep/parameters/objective.beta');
  assert.equal(issues[0].message, 'objective.beta = -2, model.latentDim = 2 makes an invalid run: /objective/beta must be at least 0.');
  assert.equal(at(sweep, issues[0]), '[1, -2]');
  assert.deepEqual(locateExperimentIssues(sweep.replace('-2', '2')), []);
});

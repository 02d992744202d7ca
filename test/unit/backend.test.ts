import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { BackendError, initBackend } from '../../src/engine/backends/index';
import { findTfjsNode } from '../../src/engine/backends/tensorflow';
import { tmpDir } from './helpers';

const tfjsNodeInstalled = () => findTfjsNode() !== undefined;

test('asking for tensorflow where it is not installed is a clear error, not a silent fallback', async () => {
  const saved = process.env.VAE_LAB_BACKENDS_DIR;
  process.env.VAE_LAB_BACKENDS_DIR = tmpDir('no-backends');
  try {
    await assert.rejects(initBackend('tensorflow'), (err: unknown) => err instanceof BackendError && /@tensorflow\/tfjs-node is not installed in .*no-backends.*vae-lab backend install tensorflow/.test((err as Error).message));
    assert.notEqual(tf.getBackend(), 'tensorflow');
  } finally {
    if (saved === undefined) delete process.env.VAE_LAB_BACKENDS_DIR;
    else process.env.VAE_LAB_BACKENDS_DIR = saved;
  }
});

test('auto picks tfjs-node when it loads, else wasm, and never the cpu backend', async () => {
  const info = await initBackend('auto');
  assert.equal(info.name, tfjsNodeInstalled() ? 'tensorflow' : 'wasm');
  assert.equal(tf.getBackend(), info.name);
  assert.notEqual(info.name, 'cpu');
  assert.match(info.version, /^\d+\.\d+\.\d+$/);
  if (info.name === 'wasm') assert.match(info.detail, /SIMD.*transposed-matmul fix/);
  assert.equal(info.requested, 'auto');
  // run.json says why the others did not run.
  assert.deepEqual(info.notUsed?.map((n) => n.name), info.name === 'wasm' ? ['tensorflow', 'cpu'] : ['cpu']);
  if (info.name === 'wasm') assert.match(info.notUsed![0].reason, /not installed in .*vae-lab backend install tensorflow/);
});

test('the cpu backend runs only when asked for by name, and says it is slow', async () => {
  const info = await initBackend('cpu');
  assert.equal(info.name, 'cpu');
  assert.match(info.detail, /slow/);
  assert.equal(tf.getBackend(), 'cpu');
  const back = await initBackend('wasm');
  assert.equal(back.name, 'wasm');
});

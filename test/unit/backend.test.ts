import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { BackendError, initBackend } from '../../src/engine/backend';

function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

test('auto picks tfjs-node when it loads, else wasm, and never the cpu backend', async () => {
  const info = await initBackend('auto');
  assert.equal(info.name, tfjsNodeInstalled() ? 'tensorflow' : 'wasm');
  assert.equal(tf.getBackend(), info.name);
  assert.notEqual(info.name, 'cpu');
  assert.match(info.version, /^\d+\.\d+\.\d+$/);
  if (info.name === 'wasm') assert.match(info.detail, /SIMD.*transposed-matmul fix/);
});

test('asking for tensorflow without tfjs-node installed is a clear error, not a silent fallback', { skip: tfjsNodeInstalled() && 'tfjs-node is installed here' }, async () => {
  await assert.rejects(initBackend('tensorflow'), (err: unknown) => err instanceof BackendError && /@tensorflow\/tfjs-node could not be loaded/.test((err as Error).message));
  assert.notEqual(tf.getBackend(), 'tensorflow');
});

test('the cpu backend runs only when asked for by name, and says it is slow', async () => {
  const info = await initBackend('cpu');
  assert.equal(info.name, 'cpu');
  assert.match(info.detail, /slow/);
  assert.equal(tf.getBackend(), 'cpu');
  const back = await initBackend('wasm');
  assert.equal(back.name, 'wasm');
});

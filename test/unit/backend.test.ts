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
    await assert.rejects(initBackend('webgpu'), (err: unknown) => err instanceof BackendError && /WebGPU runtime .* is not installed in .*no-backends.*vae-lab backend install webgpu/.test((err as Error).message));
    assert.equal(tf.getBackend(), undefined, 'nothing was started');
    // auto then runs wasm, and says why not the others.
    const auto = await initBackend('auto');
    assert.equal(auto.name, 'wasm');
    assert.deepEqual(auto.notUsed!.map((n) => [n.name, /not installed|asked for by name/.test(n.reason)]), [['webgpu', true], ['tensorflow', true], ['cpu', true]]);
  } finally {
    if (saved === undefined) delete process.env.VAE_LAB_BACKENDS_DIR;
    else process.env.VAE_LAB_BACKENDS_DIR = saved;
  }
});

test('auto picks webgpu on a real GPU, else tfjs-node when it loads, else wasm, and never the cpu backend', async () => {
  const info = await initBackend('auto');
  if (info.name === 'webgpu') assert.equal(info.adapter?.fallback, false, 'never a software adapter');
  else assert.equal(info.name, tfjsNodeInstalled() ? 'tensorflow' : 'wasm');
  assert.equal(tf.getBackend(), info.name);
  assert.notEqual(info.name, 'cpu');
  assert.match(info.version, /^\d+\.\d+\.\d+$/);
  if (info.name === 'wasm') assert.match(info.detail, /SIMD.*transposed-matmul fix/);
  assert.equal(info.requested, 'auto');
  // run.json says why the others did not run: those before it in auto's order, and cpu.
  const order = ['webgpu', 'tensorflow', 'wasm'];
  assert.deepEqual(info.notUsed?.map((n) => n.name), [...order.slice(0, order.indexOf(info.name)), 'cpu']);
  for (const n of info.notUsed!) assert.ok(n.reason.length > 20, n.reason);
});

test('the cpu backend runs only when asked for by name, and says it is slow', async () => {
  const info = await initBackend('cpu');
  assert.equal(info.name, 'cpu');
  assert.match(info.detail, /slow/);
  assert.equal(tf.getBackend(), 'cpu');
  const back = await initBackend('wasm');
  assert.equal(back.name, 'wasm');
});

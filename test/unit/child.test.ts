// The engine as the extension runs it: dist/engine.js forked with an IPC channel, typed messages both ways.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import type { EngineEvent, HostMessage } from '../../src/core/protocol';
import { isEngineEvent } from '../../src/core/protocol';
import { readRunRecord } from '../../src/core/runFolder';
import { REPO, tmpDir, writeJson } from './helpers';

const ENGINE = path.join(REPO, 'dist', 'engine.js');

function runEngine(first: HostMessage, onEvent?: (e: EngineEvent, send: (m: HostMessage) => void) => void) {
  const child = fork(ENGINE, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const events: EngineEvent[] = [];
  const send = (m: HostMessage) => child.connected && child.send(m);
  child.on('message', (m) => {
    assert.ok(isEngineEvent(m), `every message is a typed engine event: ${JSON.stringify(m)}`);
    events.push(m);
    onEvent?.(m, send);
  });
  send(first);
  return new Promise<{ code: number | null; events: EngineEvent[] }>((resolve) => child.on('exit', (code) => resolve({ code, events })));
}

const experiment = (dir: string) =>
  writeJson(path.join(dir, 'ipc.vae.json'), {
    name: 'ipc',
    data: { source: 'mnist', options: { limit: 800 } },
    model: { latentDim: 4, encoder: { hidden: [32] } },
    training: { epochs: 2, batchSize: 32 },
    logging: { metricsEvery: 4 },
    backend: 'wasm',
  });

test('engine child process: train over IPC to completion', async () => {
  const dir = tmpDir('ipc');
  const { code, events } = await runEngine({ type: 'train', experimentFile: experiment(dir), runsRoot: path.join(dir, 'runs'), overrides: [] });
  assert.equal(code, 0);
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'started');
  assert.equal(types[types.length - 1], 'finished');
  const started = events[0];
  assert.ok(started.type === 'started' && started.backend.name === 'wasm');
  assert.equal(readRunRecord(started.runDir).status, 'completed');
});

test('engine child process: a cancel message ends the run as cancelled with a checkpoint, promptly', async () => {
  const dir = tmpDir('ipc-cancel');
  let sentAt = 0;
  const { code, events } = await runEngine({ type: 'train', experimentFile: experiment(dir), runsRoot: path.join(dir, 'runs'), overrides: [] }, (e, send) => {
    if (e.type === 'step' && sentAt === 0) {
      sentAt = Date.now();
      send({ type: 'cancel', reason: 'user pressed stop' });
    }
  });
  const elapsed = Date.now() - sentAt;
  assert.equal(code, 0);
  const last = events[events.length - 1];
  assert.ok(last.type === 'cancelled' && last.reason === 'user pressed stop', JSON.stringify(last));
  assert.ok(events.some((e) => e.type === 'checkpoint'));
  assert.ok(elapsed < 5000, `stopped ${elapsed} ms after the cancel message`);
  const started = events[0];
  assert.ok(started.type === 'started');
  assert.equal(readRunRecord(started.runDir).status, 'cancelled');
});

test('engine child process: an invalid experiment is reported as a failed event naming the field', async () => {
  const dir = tmpDir('ipc-bad');
  const file = writeJson(path.join(dir, 'bad.vae.json'), { name: 'bad', training: { batchSize: -3 } });
  const { code, events } = await runEngine({ type: 'train', experimentFile: file, runsRoot: path.join(dir, 'runs'), overrides: [] });
  assert.equal(code, 1);
  assert.equal(events.length, 1);
  const e = events[0];
  assert.ok(e.type === 'failed' && e.error === `${file}: /training/batchSize: must be at least 1.`, JSON.stringify(e));
});

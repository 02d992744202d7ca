// Faults: the engine killed at random moments, a run folder that cannot be written, runs too large for memory.
// Through the CLI bundle (dist/cli.js), as users run it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { createFolderAtomic, effectiveStatus, listRuns, readRunRecord, runFiles, writeJsonAtomic } from '../../src/core/runFolder';
import { readCheckpointFile } from '../../src/engine/modelIO';
import { Rng } from '../../src/engine/rng';
import { escapeRegExp, REPO, tmpDir, writeJson } from './helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');

/** A small experiment that checkpoints every epoch: 14 epochs of 10 steps, about 4-6 s. */
function smallExperiment(dir: string, extra: Record<string, unknown> = {}): string {
  return writeJson(path.join(dir, 'small.vae.json'), {
    name: 'small',
    data: { source: 'mnist', options: { limit: 400 } },
    model: { kind: 'vae', latentDim: 4, encoder: { hidden: [64] } },
    training: { epochs: 14, batchSize: 32, checkpointEvery: 1 },
    ...extra,
  });
}

/** Start `vae-lab train`, SIGKILL it after `ms`, and return the run folder if one was created. */
async function trainAndKill(file: string, runs: string, ms: number): Promise<string | undefined> {
  const child = spawn(process.execPath, [CLI, 'train', file, '--out', runs, '--json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.resume();
  child.stderr.resume();
  const exited = new Promise((r) => child.on('close', r));
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGKILL');
  await exited;
  const root = path.join(runs, 'small');
  const names = fs.existsSync(root) ? fs.readdirSync(root) : [];
  // A kill while the folder is being created leaves at most a hidden staging folder, never a visible run without run.json.
  const visible = names.filter((n) => !n.startsWith('.'));
  assert.ok(visible.length <= 1 && names.length - visible.length <= 1, names.join(', '));
  return visible.length ? path.join(root, visible[0]) : undefined;
}

/** Every line of metrics.jsonl parses, except at most an unterminated last line (which readers skip). */
function checkMetricsFile(runDir: string): number {
  const file = runFiles.metrics(runDir);
  if (!fs.existsSync(file)) return 0;
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const last = lines.pop()!; // '' when the file ends with a newline
  for (const [i, l] of lines.entries()) assert.doesNotThrow(() => JSON.parse(l), `${file} line ${i + 1} is corrupt: ${l.slice(0, 80)}`);
  if (last !== '') assert.throws(() => JSON.parse(last), 'an unterminated last line is a truncated write');
  return lines.length;
}

test('SIGKILL at 20 random moments: the run folder is never corrupt, shows as interrupted, and resumes to completion', async () => {
  const dir = tmpDir('faults-kill');
  const file = smallExperiment(dir);
  const runs = path.join(dir, 'runs');
  const rng = new Rng(2026);
  const summary: string[] = [];
  for (let trial = 0; trial < 20; trial++) {
    const ms = Math.round(300 + rng.next() * 3200);
    const runDir = await trainAndKill(file, runs, ms);
    if (!runDir) {
      summary.push(`${ms} ms: before the run folder`);
      continue;
    }
    const record = readRunRecord(runDir); // parses, or throws naming the file
    const lines = checkMetricsFile(runDir);
    if (record.status === 'completed') {
      summary.push(`${ms} ms: completed before the kill`);
    } else {
      assert.equal(effectiveStatus(record), 'interrupted', `${runDir}: a dead engine's run shows as interrupted`);
      // The last checkpoint is the file on disk: a kill between writing it and recording it in run.json leaves
      // run.json one checkpoint behind (never ahead), and resume rightly takes the file's.
      const ckptFile = path.join(runFiles.checkpoints(runDir), 'latest.ckpt');
      const checkpoint = fs.existsSync(ckptFile) ? readCheckpointFile<{ step: number }>(ckptFile).header.step : undefined;
      assert.ok((record.lastCheckpoint?.step ?? -1) <= (checkpoint ?? -1), `run.json's checkpoint (${record.lastCheckpoint?.step}) is not ahead of the file's (${checkpoint})`);
      const r = spawnSync(process.execPath, [CLI, 'resume', runDir, '--json'], { cwd: REPO, encoding: 'utf8', timeout: 120000 });
      assert.equal(r.status, 0, `resume after ${ms} ms: ${r.stderr}`);
      const started = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === 'started');
      assert.equal(started.type, 'started');
      assert.equal(started.step, checkpoint ?? 0, 'it continues from its last checkpoint (or from the start without one)');
      const after = readRunRecord(runDir);
      assert.equal(after.status, 'completed');
      assert.equal(after.progress.step, after.config.training.epochs * Math.ceil(after.data!.train / 32));
      checkMetricsFile(runDir);
      summary.push(`${ms} ms: ${lines} events, checkpoint at step ${checkpoint ?? 'none'}, resumed to completion`);
    }
    fs.rmSync(runs, { recursive: true, force: true });
  }
  console.log(`SIGKILL trials:\n${summary.join('\n')}`);
  // The trials must have hit the interesting moments, not only the start or the end.
  assert.ok(summary.filter((s) => s.includes('resumed')).length >= 10, summary.join('\n'));
  assert.ok(summary.some((s) => /checkpoint at step \d+/.test(s)), summary.join('\n'));
});

test("a folder is created whole or not at all; a dead process's staging folder is removed by the next creation", () => {
  const root = tmpDir('faults-atomic');
  const parent = path.join(root, 'exp');
  // A staging folder left by a process that no longer exists (the pid of a child that has exited), and one of a live process.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const stale = path.join(parent, `.20260101-000000-0000.${dead.stdout}.new`);
  const live = path.join(parent, `.20260101-000000-0001.${process.pid}.new`);
  fs.mkdirSync(stale, { recursive: true });
  fs.mkdirSync(live);
  writeJsonAtomic(path.join(live, 'run.json'), { status: 'queued' }); // filled, not yet renamed
  const dir = path.join(parent, '20260101-000001-0002');
  assert.throws(() => createFolderAtomic(dir, (staging) => {
    writeJsonAtomic(path.join(staging, 'run.json'), { half: true });
    throw new Error('killed while filling');
  }), /killed while filling/);
  assert.equal(fs.existsSync(dir), false, 'a failed fill leaves no folder');
  assert.equal(fs.existsSync(stale), false, "a dead process's leftover is removed");
  assert.equal(fs.existsSync(live), true, "a live process's staging folder is left alone");
  createFolderAtomic(dir, (staging) => writeJsonAtomic(path.join(staging, 'run.json'), { status: 'queued' }));
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')), { status: 'queued' });
  assert.deepEqual(listRuns(root, 'exp'), [dir], 'hidden staging folders are never listed as runs');
});

test('a runs folder that cannot be created: one clear line naming it, exit 1, nothing written', () => {
  const dir = tmpDir('faults-nofolder');
  const file = smallExperiment(dir);
  const blocker = path.join(dir, 'blocker');
  fs.writeFileSync(blocker, 'a file where the runs folder should be');
  const r = spawnSync(process.execPath, [CLI, 'train', file, '--out', path.join(blocker, 'runs')], { cwd: REPO, encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], new RegExp(`^vae-lab: cannot create ${escapeRegExp(blocker)}/runs/small/[^:]+: ENOTDIR, not a directory\\. Check that the runs folder exists and is writable`));
  assert.equal(fs.readFileSync(blocker, 'utf8'), 'a file where the runs folder should be');
});

test('the run folder becomes unwritable during training: the run stops with one clear line naming the file, exit 1', async () => {
  const dir = tmpDir('faults-unwritable');
  const file = smallExperiment(dir, { training: { epochs: 40, batchSize: 32, checkpointEvery: 1 } });
  const runs = path.join(dir, 'runs');
  const child = spawn(process.execPath, [CLI, 'train', file, '--out', runs, '--json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  const runDir = await new Promise<string>((resolve) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const events = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => { try { return JSON.parse(l); } catch { return {}; } });
      const started = events.find((e) => e.type === 'started');
      if (started && events.some((e) => e.type === 'epoch')) resolve(started.runDir);
    });
  });
  // The folder is moved away and a file takes its place: every later write into it fails.
  fs.renameSync(runDir, runDir + '.moved');
  fs.writeFileSync(runDir, '');
  const code = await exited;
  assert.equal(code, 1);
  const errors = stderr.split(/[\r\n]/).filter((l) => l.startsWith('vae-lab:') || /cannot write/.test(l));
  assert.equal(errors.length, 1, stderr);
  assert.match(errors[0], new RegExp(`cannot write ${escapeRegExp(runDir)}/[^:]+: (ENOTDIR|ENOENT)[^.]*\\. The run stopped`));
  const failed = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((e) => e.type === 'failed');
  assert.match(failed?.error ?? '', /cannot write .* The run stopped/, 'the failed event reaches the caller although the folder is gone');
  // What was written before is intact.
  assert.equal(readRunRecord(runDir + '.moved').status, 'running');
  checkMetricsFile(runDir + '.moved');
});

test('a data set too large for memory is refused up front, with an estimate, before anything is generated', () => {
  const dir = tmpDir('faults-bigdata');
  const file = writeJson(path.join(dir, 'big.vae.json'), {
    name: 'big',
    data: { source: 'shapes', options: { count: 1000000, imageSize: 64 } },
    model: { kind: 'vae', encoder: { hidden: [64] } },
  });
  const t0 = Date.now();
  // A machine with 4 GiB: 1,000,000 images of 64 x 64 need 15.3 GiB as float32.
  const r = spawnSync(process.execPath, [CLI, 'train', file, '--out', path.join(dir, 'runs')], { cwd: REPO, encoding: 'utf8', timeout: 60000, env: { ...process.env, VAE_LAB_TOTAL_MEMORY: String(4 * 1024 ** 3) } });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^vae-lab: \/data\/options\/count: 1,000,000 images of 64 x 64: is too large for this machine: in memory it needs about 15\.3 GiB, and VAE Lab allows a run's data 60 % of the 4\.0 GiB of memory \(2\.4 GiB\)/);
  assert.ok(Date.now() - t0 < 20000, 'refused before generating 16 GB');
  assert.ok(!fs.existsSync(path.join(dir, 'runs')), 'no run folder');
});

test('a model too large for the backend is refused before it is built, with an estimate', () => {
  const dir = tmpDir('faults-bigmodel');
  const file = writeJson(path.join(dir, 'huge.vae.json'), {
    name: 'huge',
    data: { source: 'mnist', options: { limit: 200 } },
    model: { kind: 'vae', encoder: { hidden: [8192, 8192, 8192, 8192] } },
    backend: 'wasm',
  });
  const r = spawnSync(process.execPath, [CLI, 'train', file, '--out', path.join(dir, 'runs')], { cwd: REPO, encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^vae-lab: \/model: the model needs about [\d.]+ GiB \([\d,]{11} parameters: [\d.]+ GiB with gradients and optimizer state; one batch of 128: \d+ MiB of activations\), more than the wasm backend can hold \(3\.8 GiB\)\. Use smaller layers/);
});

test('the parameter estimate behind the memory check equals the models actually built', async () => {
  const { initBackend } = await import('../../src/engine/backends/index');
  const { resolveExperiment } = await import('../../src/core/config');
  const { createModel } = await import('../../src/engine/models');
  const { estimateParameters } = await import('../../src/engine/memory');
  await initBackend('wasm');
  const cases: [Record<string, unknown>, number[], number][] = [
    [{ name: 'a', model: { kind: 'vae' } }, [28, 28, 1], 10],
    [{ name: 'b', model: { kind: 'ae', latentDim: 8, encoder: { hidden: [256, 64] } } }, [28, 28, 1], 10],
    [{ name: 'c', model: { kind: 'cvae' } }, [28, 28, 1], 10],
    [{ name: 'd', data: { source: 'shapes' }, model: { kind: 'beta-vae', encoder: { type: 'conv', filters: [16, 32], hidden: [128] }, decoder: { type: 'conv', filters: [16, 32], hidden: [128] } } }, [64, 64, 1], 3],
    [{ name: 'e', model: { kind: 'vamp-vae' } }, [28, 28, 1], 10],
    [{ name: 'f', model: { kind: 'flow-vae', latentDim: 8 }, objective: { flow: { length: 16 } } }, [28, 28, 1], 10],
    [{ name: 'g', model: { kind: 'hvae' }, objective: { hvae: { topDim: 16, hidden: [256, 128] } } }, [28, 28, 1], 10],
    [{ name: 'h', model: { kind: 'vq-vae', latentDim: 32 }, objective: { vq: { codebookSize: 512, embeddingDim: 8 } } }, [28, 28, 1], 10],
    [{ name: 'i', model: { kind: 'gumbel-vae', latentDim: 300 } }, [28, 28, 1], 10],
  ];
  for (const [doc, shape, classes] of cases) {
    const config = resolveExperiment(doc);
    const model = createModel(config, shape, classes);
    const actual = model.parameterCount();
    model.dispose();
    const estimate = estimateParameters(config, shape, classes);
    assert.ok(Math.abs(estimate - actual) / actual < 0.05, `${doc.name}: estimate ${estimate} vs ${actual}`);
  }
});

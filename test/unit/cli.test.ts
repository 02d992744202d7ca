// The `vae-lab` command line as users run it: the esbuild bundle dist/cli.js in a child process.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readMetrics, readRunRecord } from '../../src/core/runFolder';
import { REPO, tmpDir, writeJson } from './helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');

function cli(args: string[], cwd = REPO) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStack = (s: string) => !/^\s+at /m.test(s);

test('the CLI bundle exists and starts with a shebang (package.json bin)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  assert.equal(pkg.bin['vae-lab'], 'dist/cli.js');
  assert.ok(fs.readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node'));
  assert.equal(cli(['--help']).code, 0);
});

test('validate: 0 for valid files, 2 with one line per problem naming file and pointer', () => {
  const dir = tmpDir('cli-validate');
  const good = cli(['validate', 'examples/mnist-vae.vae.json']);
  assert.equal(good.code, 0);
  assert.match(good.stdout, /valid \(vae, mnist, 10 epochs\)/);
  const bad = writeJson(path.join(dir, 'bad.vae.json'), { name: 'bad', training: { batchSize: 0, lr: 1 } });
  const r = cli(['validate', bad]);
  assert.equal(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.ok(lines.some((l) => l === `${bad}: /training/batchSize: must be at least 1.`), r.stderr);
  assert.ok(lines.some((l) => l.startsWith(`${bad}: /training/lr: unknown field "lr"`)), r.stderr);
  assert.ok(noStack(r.stderr));
});

test('train: invalid input exits 2 with a clear line and writes no run folder', () => {
  const dir = tmpDir('cli-bad');
  const syntax = path.join(dir, 'syntax.vae.json');
  fs.writeFileSync(syntax, '{ "name": "s", }');
  let r = cli(['train', syntax, '--out', path.join(dir, 'runs')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /syntax\.vae\.json: \(document\): is not valid JSON at line 1, column 16/);
  const missing = writeJson(path.join(dir, 'missing.vae.json'), { name: 'm', data: { source: 'idx', path: 'nowhere.idx' } });
  r = cli(['train', missing, '--out', path.join(dir, 'runs')]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), `vae-lab: ${path.join(dir, 'nowhere.idx')}: file not found.`);
  r = cli(['train', missing, '--epochs', 'many']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--epochs must be a whole number/);
  r = cli(['train', path.join(dir, 'absent.vae.json')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /absent\.vae\.json: \(document\): file not found\./);
  r = cli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  assert.ok(!fs.existsSync(path.join(dir, 'runs')), 'nothing was written');
  assert.ok(noStack(r.stderr));
});

test('train, eval and resume through the CLI; SIGTERM ends as cancelled with a checkpoint', async () => {
  const dir = tmpDir('cli-train');
  const file = writeJson(path.join(dir, 'small.vae.json'), {
    name: 'small',
    data: { source: 'mnist', options: { limit: 1000 } },
    model: { latentDim: 4, encoder: { hidden: [64] } },
    training: { epochs: 3, batchSize: 32 },
    logging: { metricsEvery: 5 },
  });
  const runs = path.join(dir, 'runs');
  const r = cli(['train', file, '--out', runs, '--epochs', '1', '--backend', 'wasm', '--set', 'training.seed=3']);
  assert.equal(r.code, 0, r.stderr);
  const runDir = r.stdout.trim().split('\n').pop()!;
  assert.equal(path.dirname(runDir), path.join(runs, 'small'));
  assert.match(r.stderr, /on backend wasm 4\.22\.0/);
  assert.match(r.stderr, /epoch 1\/1 +train loss [\d.]+ +val loss [\d.]+ +val ELBO -[\d.]+/);
  const rec = readRunRecord(runDir);
  assert.equal(rec.status, 'completed');
  assert.equal(rec.config.training.epochs, 1);
  assert.equal(rec.config.training.seed, 3);

  const e = cli(['eval', runDir, '--samples', '5']);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /test ELBO \(L=5\), nats\s+-[\d.]+/);
  assert.ok(fs.existsSync(path.join(runDir, 'eval.json')));
  assert.equal(cli(['resume', runDir]).code, 2, 'a completed run cannot be resumed');

  // A longer run, stopped with SIGTERM once it is under way.
  const child = spawn(process.execPath, [CLI, 'train', file, '--out', runs, '--json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"type":"step"') && !child.killed) child.kill('SIGTERM');
    });
    child.on('exit', (c) => resolve(c));
  });
  assert.equal(code, 130);
  const started = JSON.parse(out.split('\n')[0]);
  const cancelled = readRunRecord(started.runDir);
  assert.equal(cancelled.status, 'cancelled');
  assert.ok(cancelled.lastCheckpoint);
  const resumed = cli(['resume', started.runDir]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /^Resuming small/m);
  const events = readMetrics(started.runDir);
  assert.equal(events.filter((ev) => ev.type === 'epoch').length, 3);
  assert.equal(readRunRecord(started.runDir).status, 'completed');
});

test('a diverging run stops with "diverged at step N", exit 1, one error line, and the run marked failed', () => {
  const dir = tmpDir('cli-diverge');
  const file = writeJson(path.join(dir, 'div.vae.json'), {
    name: 'div',
    data: { source: 'mnist', options: { limit: 600 } },
    model: { latentDim: 4, encoder: { hidden: [32] } },
    training: { epochs: 2, batchSize: 50, optimizer: { type: 'sgd', learningRate: 10 } },
    logging: { metricsEvery: 2 },
  });
  const r = cli(['train', file, '--out', path.join(dir, 'runs')]);
  assert.equal(r.code, 1);
  const lines = r.stderr.split('\n').filter((l) => /diverged at step \d+/.test(l));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /diverged at step \d+: loss is (NaN|Infinity|-Infinity)\. The last good checkpoint is kept/);
  const runDir = fs.readdirSync(path.join(dir, 'runs', 'div')).map((d) => path.join(dir, 'runs', 'div', d))[0];
  const rec = readRunRecord(runDir);
  assert.equal(rec.status, 'failed');
  assert.match(rec.error ?? '', /diverged at step/);
  assert.ok(noStack(r.stderr));
});

/** Train the small MNIST experiment through the CLI with extra environment variables; returns run.json. */
function trainWith(env: Record<string, string>, dir: string) {
  const out = path.join(dir, 'runs');
  const r = spawnSync(process.execPath, [CLI, 'train', 'examples/mnist-vae.vae.json', '--epochs', '1', '--backend', 'wasm', '--set', 'data.options.limit=600', '--out', out], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120000,
    env: { ...process.env, ...env },
  });
  assert.equal(r.status, 0, `exit ${r.status} signal ${r.signal}: ${r.stderr}`);
  const runDir = r.stdout.trim().split('\n').pop()!;
  return { record: readRunRecord(runDir), stderr: r.stderr };
}

test('the threaded wasm build runs 2 threads, gives the same numbers as 1 thread, and the process exits', () => {
  const two = trainWith({ VAE_LAB_WASM_THREADS: '2' }, tmpDir('cli-threads2'));
  const one = trainWith({ VAE_LAB_WASM_THREADS: '1' }, tmpDir('cli-threads1'));
  assert.match(two.record.backend!.detail, /SIMD, 2 thread\(s\), transposed/);
  assert.match(one.record.backend!.detail, /SIMD, 1 thread\(s\), transposed/);
  assert.ok(two.record.finalMetrics && one.record.finalMetrics);
  // The matmuls split their output between the threads; every number is computed the same way.
  assert.deepEqual(two.record.finalMetrics, one.record.finalMetrics);
  const bad = spawnSync(process.execPath, [CLI, 'train', 'examples/mnist-vae.vae.json'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, VAE_LAB_WASM_THREADS: 'lots' } });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /VAE_LAB_WASM_THREADS must be a whole number of at least 1, got "lots"/);
});

test('when the threaded build cannot start, training runs on one thread and says why', () => {
  const wasm = path.join(REPO, 'dist', 'wasm');
  // (1) its files are missing; (2) its main script is broken, so the pthread workers fail while starting.
  const missing = tmpDir('cli-nothreads');
  const broken = tmpDir('cli-brokenthreads');
  for (const f of fs.readdirSync(wasm)) {
    if (f.endsWith('.wasm')) fs.copyFileSync(path.join(wasm, f), path.join(missing, f));
    fs.copyFileSync(path.join(wasm, f), path.join(broken, f));
  }
  fs.writeFileSync(path.join(broken, 'tfjs-backend-wasm-threaded-simd.js'), 'throw new Error("broken on purpose");\n');
  const a = trainWith({ VAE_LAB_WASM_THREADS: '2', VAE_LAB_WASM_DIR: missing }, tmpDir('cli-fallback1'));
  assert.match(a.record.backend!.detail, /1 thread\(s\); threads unavailable: tfjs-backend-wasm-threaded-simd\.js, tfjs-backend-wasm-threaded-simd\.worker\.js not found in /);
  const b = trainWith({ VAE_LAB_WASM_THREADS: '2', VAE_LAB_WASM_DIR: broken }, tmpDir('cli-fallback2'));
  assert.match(b.record.backend!.detail, /1 thread\(s\); threads unavailable: .*broken on purpose/);
  assert.equal(b.record.status, 'completed');
  assert.match(a.stderr, /on backend wasm 4\.22\.0 \[SIMD, 1 thread\(s\); threads unavailable/, 'the terminal shows it too');
});

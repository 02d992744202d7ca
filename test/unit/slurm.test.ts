// The Slurm executor on a real Slurm: scripts/slurm.sh brings up a private single-node slurmctld + slurmd (as root, as
// on these machines and in CI). A 4-run sweep with at most 2 tasks at once, a task cancelled mid-run and finished by
// `sweep resume` from its checkpoint, and a task that fails (a data file that is not there) reported with its log.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { EngineEvent } from '../../src/core/protocol';
import { readMetrics, readRunRecord, runFiles } from '../../src/core/runFolder';
import { readSweepRecord } from '../../src/core/sweep';
import { REPO, tmpDir, writeJson } from './helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');
const SLURM = path.join(REPO, 'scripts', 'slurm.sh');
let skip: string | false = false;
let startedHere = false;

before(() => {
  const status = spawnSync('bash', [SLURM, 'status'], { encoding: 'utf8' });
  const start = spawnSync('bash', [SLURM, 'start'], { encoding: 'utf8', timeout: 300_000 });
  const conf = /export SLURM_CONF=(\S+)/.exec(start.stdout)?.[1];
  if (start.status !== 0 || !conf) {
    const why = `a single-node Slurm cannot be started here (bash scripts/slurm.sh start: ${(start.stderr || start.stdout).trim().split('\n').slice(-1)[0]})`;
    if (process.env.CI) throw new Error(why); // CI installs and starts it: a failure there is a broken build
    skip = why;
    return;
  }
  startedHere = status.status !== 0;
  process.env.SLURM_CONF = conf;
});

after(() => {
  if (startedHere) spawnSync('bash', [SLURM, 'stop'], { encoding: 'utf8' });
});

function experiment(dir: string, sweep: unknown, extra: Record<string, unknown> = {}): string {
  return writeJson(path.join(dir, 'slurm.vae.json'), {
    name: 'slurm-sweep',
    backend: 'wasm',
    data: { source: 'toy2d', options: { count: 600 } },
    model: { kind: 'beta-vae', latentDim: 2, encoder: { hidden: [16] }, likelihood: 'gaussian' },
    training: { epochs: 1, batchSize: 64, seed: 3 },
    logging: { metricsEvery: 5 },
    sweep,
    ...extra,
  });
}

function cli(args: string[], cwd: string) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1];
}

/** When each run trained, from its metrics log: [first event time, last event time] in ms. */
function interval(runDir: string): [number, number] {
  const events = readMetrics(runDir) as EngineEvent[];
  return [Date.parse(events[0].time), Date.parse(events[events.length - 1].time)];
}

test('a 4-run sweep completes on Slurm as one job array with at most 2 tasks at once', (t) => {
  if (skip) return t.skip(skip);
  const dir = tmpDir('slurm-sweep');
  const file = experiment(dir, { parameters: { 'objective.beta': [0.5, 1, 2, 4] }, executor: 'slurm', slurm: { throttle: 2 } });
  const r = cli(['sweep', file, '--out', path.join(dir, 'runs')], dir);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const sweepDir = lastLine(r.stdout);
  const record = readSweepRecord(sweepDir);
  assert.equal(record.executor, 'slurm');
  assert.equal(record.slurm?.jobIds.length, 1);
  const script = fs.readFileSync(record.slurm!.script, 'utf8');
  assert.match(script, /^exec .* resume "\$RUN"$/m);
  assert.match(r.stderr, new RegExp(`Submitted job array ${record.slurm!.jobIds[0]} \\(4 tasks, at most 2 at once\\)`));
  for (const c of record.runs) {
    assert.equal(c.status, 'completed', `${c.index}: ${c.error}`);
    assert.equal(c.slurm?.state, 'COMPLETED');
    assert.equal(c.slurm?.taskId, c.index);
    assert.match(fs.readFileSync(c.slurm!.log, 'utf8'), new RegExp(`vae-lab sweep task ${c.index} on `));
    assert.ok(Number.isFinite(c.rate) && Number.isFinite(c.distortion));
  }
  // The throttle held: at no moment did more than two runs train.
  const spans = record.runs.map((c) => interval(path.join(sweepDir, c.dir)));
  const most = Math.max(...spans.map(([s]) => spans.filter(([a, b]) => a <= s && s <= b).length));
  assert.ok(most <= 2, `${most} runs at once`);
  assert.match(r.stdout, /^rank +run +objective\.beta +seed +status +slurm +val elbo/m);
});

test('a Slurm task cancelled mid-run shows cancelled; sweep resume resubmits only it and finishes it from its checkpoint', async (t) => {
  if (skip) return t.skip(skip);
  const dir = tmpDir('slurm-cancel');
  const file = experiment(dir, { parameters: { 'objective.beta': [0.5, 2] }, executor: 'slurm', slurm: { throttle: 1 } }, { data: { source: 'toy2d', options: { count: 4000 } }, training: { epochs: 4, batchSize: 32, seed: 3 } });
  const p = spawn(process.execPath, [CLI, 'sweep', file, '--out', path.join(dir, 'runs')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  p.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const closed = new Promise<number | null>((resolve) => p.on('close', resolve));
  const root = path.join(dir, 'runs', 'slurm-sweep', 'sweeps');
  const first = () => path.join(root, fs.readdirSync(root)[0], 'runs', '000');
  const deadline = Date.now() + 120_000;
  while (!(fs.existsSync(root) && fs.readdirSync(root).length && fs.existsSync(runFiles.record(first())) && readRunRecord(first()).lastCheckpoint)) {
    if (Date.now() > deadline) assert.fail(`no checkpoint of the first task: ${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const sweepDir = path.dirname(path.dirname(first()));
  const jobId = readSweepRecord(sweepDir).slurm!.jobIds[0];
  assert.equal(spawnSync('scancel', [`${jobId}_0`]).status, 0);
  assert.equal(await closed, 1, `${out}\n${err}`); // the follower ends when the other task is done: not every run completed
  let record = readSweepRecord(sweepDir);
  assert.equal(record.runs[0].status, 'cancelled');
  assert.equal(record.runs[0].slurm?.state, 'CANCELLED');
  assert.equal(record.runs[1].status, 'completed');
  const status = cli(['sweep', 'status', sweepDir], dir);
  assert.match(status.stdout, /#000 +0\.5 +3 +cancelled +CANCELLED/);
  const stepAtCancel = readRunRecord(path.join(sweepDir, 'runs', '000')).lastCheckpoint!.step;
  const r = cli(['sweep', 'resume', sweepDir], dir);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stderr, /Resuming 1 of 2 runs \(1 completed are kept\)/);
  record = readSweepRecord(sweepDir);
  assert.equal(record.slurm?.jobIds.length, 2);
  assert.equal(record.runs[0].slurm?.jobId, record.slurm!.jobIds[1]);
  assert.equal(record.runs[1].slurm?.jobId, jobId, 'the completed run was not resubmitted');
  assert.deepEqual(record.runs.map((c) => c.status), ['completed', 'completed']);
  const events = readMetrics(path.join(sweepDir, 'runs', '000'));
  const started = events.filter((e): e is Extract<EngineEvent, { type: 'started' }> => e.type === 'started');
  assert.equal(started.length, 2);
  assert.equal(started[1].step, stepAtCancel, 'resumed from the checkpoint written when it was cancelled');
});

test('a Slurm task that fails is reported with its Slurm state, exit code and log', (t) => {
  if (skip) return t.skip(skip);
  const dir = tmpDir('slurm-fail');
  fs.writeFileSync(path.join(dir, 'points.csv'), Array.from({ length: 300 }, (_, i) => `${Math.cos(i)},${Math.sin(i)}`).join('\n'));
  const file = experiment(dir, { parameters: { 'data.path': ['points.csv', 'missing.csv'] }, executor: 'slurm' }, { data: { source: 'csv', path: 'points.csv' } });
  const r = cli(['sweep', file, '--out', path.join(dir, 'runs')], dir);
  assert.equal(r.status, 1, r.stderr + r.stdout);
  const record = readSweepRecord(lastLine(r.stdout));
  assert.equal(record.runs[0].status, 'completed');
  const failed = record.runs[1];
  assert.equal(failed.status, 'failed');
  assert.equal(failed.slurm?.state, 'FAILED');
  assert.equal(failed.slurm?.exitCode, '2:0');
  assert.match(failed.error ?? '', /missing\.csv/);
  assert.match(fs.readFileSync(failed.slurm!.log, 'utf8'), /missing\.csv/);
  assert.match(r.stdout, new RegExp(`#001 failed: .*missing\\.csv.*\\(Slurm FAILED, exit 2:0, log ${failed.slurm!.log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
});

test('without sbatch the Slurm executor says so in one line and keeps the sweep folder', () => {
  const dir = tmpDir('slurm-missing');
  const file = experiment(dir, { parameters: { 'objective.beta': [1, 2] } });
  // node by its absolute path, and a PATH without Slurm's commands.
  const r = spawnSync(process.execPath, [CLI, 'sweep', file, '--executor', 'slurm', '--out', path.join(dir, 'runs')], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: tmpDir('empty-path') } });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^vae-lab: sbatch was not found on PATH: .*npm run slurm:start.*The sweep's folder is kept: .*sweeps/);
});

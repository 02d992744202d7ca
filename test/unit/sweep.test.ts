// Sweeps: the expansion of a sweep block into runs, the errors that name the field, and the local executor end to end
// (real child processes training on wasm): a sweep completes, Ctrl-C cancels with checkpoints, and resume after a
// SIGKILL of the whole sweep re-runs nothing that had finished.
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import test from 'node:test';
import { ConfigError } from '../../src/core/config';
import { readRunRecord, runFiles } from '../../src/core/runFolder';
import { expandSweep, gridValues, groupBySetting, readSweepRecord, SweepRecord } from '../../src/core/sweep';
import { arraySpec, batchScript } from '../../src/engine/sweep/slurm';
import { REPO, runMetrics, tmpDir, writeJson } from './helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');

function toyExperiment(sweep: unknown, extra: Record<string, unknown> = {}) {
  return {
    name: 'toy-sweep',
    data: { source: 'toy2d', options: { count: 600 } },
    model: { kind: 'beta-vae', latentDim: 2, encoder: { hidden: [16] }, likelihood: 'gaussian' },
    objective: { beta: 1 },
    training: { epochs: 1, batchSize: 64, seed: 3 },
    logging: { metricsEvery: 5, imagesEvery: 1 },
    sweep,
    ...extra,
  };
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.pointer}: ${i.message}`);
    throw err;
  }
  assert.fail('expected a ConfigError');
}

test('a grid expands every combination (first parameter slowest) times the seeds, with log-spaced ranges', () => {
  const x = expandSweep(toyExperiment({ parameters: { 'objective.beta': { min: 0.25, max: 8, steps: 6, scale: 'log' }, 'model.latentDim': [2, 3] }, seeds: 2 }));
  assert.deepEqual(gridValues({ min: 0.25, max: 8, steps: 6, scale: 'log' }), [0.25, 0.5, 1, 2, 4, 8]);
  assert.deepEqual(gridValues({ min: 0, max: 1, steps: 5 }), [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(x.children.length, 6 * 2 * 2);
  assert.deepEqual(x.children.slice(0, 4).map((c) => [c.params['objective.beta'], c.params['model.latentDim'], c.seed]), [[0.25, 2, 3], [0.25, 2, 4], [0.25, 3, 3], [0.25, 3, 4]]);
  const last = x.children[x.children.length - 1];
  assert.equal(last.config.objective.beta, 8);
  assert.equal(last.config.model.latentDim, 3);
  assert.equal(last.config.training.seed, 4);
  assert.equal(last.config.sweep, undefined, 'a child is an ordinary run: no sweep block');
  assert.deepEqual(x.children.map((c) => c.index), x.children.map((_, i) => i));
});

test('a random sweep draws the same settings for the same seed, inside the ranges, log-uniform where asked', () => {
  const spec = { method: 'random', count: 200, seed: 7, parameters: { 'objective.beta': { min: 0.1, max: 10, scale: 'log' }, 'training.optimizer.learningRate': { min: 0.0001, max: 0.01 }, 'model.latentDim': { min: 2, max: 5, integer: true }, 'training.batchSize': [32, 64] } };
  const a = expandSweep(toyExperiment(spec)).children.map((c) => c.params);
  const b = expandSweep(toyExperiment(spec)).children.map((c) => c.params);
  const other = expandSweep(toyExperiment({ ...spec, seed: 8 })).children.map((c) => c.params);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, other);
  const betas = a.map((p) => p['objective.beta'] as number);
  assert.ok(betas.every((v) => v >= 0.1 && v <= 10));
  // Log-uniform: about half the draws below the geometric mean 1 (uniform would put about 9 % there).
  const below = betas.filter((v) => v < 1).length / betas.length;
  assert.ok(below > 0.38 && below < 0.62, `share below 1: ${below}`);
  const dims = new Set(a.map((p) => p['model.latentDim']));
  assert.deepEqual([...dims].sort(), [2, 3, 4, 5]);
  assert.deepEqual([...new Set(a.map((p) => p['training.batchSize']))].sort(), [32, 64]);
});

test('sweep errors name the field: bad ranges, missing count, a value that makes an invalid run, unknown paths, typos', () => {
  assert.deepEqual(issuesOf(() => expandSweep(toyExperiment({ parameters: { 'objective.beta': { min: 1, max: 4 } } }))), ['/sweep/parameters/objective.beta: a range in a grid sweep needs "steps" (how many points from min to max).']);
  assert.deepEqual(issuesOf(() => expandSweep(toyExperiment({ method: 'random', parameters: { 'objective.beta': [1, 2] } }))), ['/sweep/count: is required for a random sweep (how many settings to draw).']);
  assert.deepEqual(issuesOf(() => expandSweep(toyExperiment({ parameters: { 'objective.beta': { min: 0, max: 4, steps: 3, scale: 'log' } } }))), ['/sweep/parameters/objective.beta/min: must be greater than 0 on a log scale.']);
  const bad = issuesOf(() => expandSweep(toyExperiment({ parameters: { 'objective.beta': [1, -2] } })));
  assert.deepEqual(bad, ['/sweep/parameters/objective.beta: objective.beta = -2 makes an invalid run: /objective/beta must be at least 0.']);
  const unknown = issuesOf(() => expandSweep(toyExperiment({ parameters: { 'model.latentDims': [2, 3] } })));
  assert.match(unknown[0], /^\/sweep\/parameters\/model\.latentDims: model\.latentDims = 2 makes an invalid run: \/model\/latentDims unknown field "latentDims" \(did you mean "latentDim"\?\)/);
  assert.match(issuesOf(() => expandSweep(toyExperiment({ parameters: { 'objective.beta': [1] }, metod: 'grid' })))[0], /^\/sweep\/metod: unknown field "metod" \(did you mean "method"\?\)/);
  assert.deepEqual(issuesOf(() => expandSweep(toyExperiment({ parameters: { 'training.seed': [1, 2] }, seeds: [1, 2] }))), ['/sweep/parameters/training.seed: sweep "seeds" already sets training.seed; sweep one or the other.']);
  assert.deepEqual(issuesOf(() => expandSweep(toyExperiment({ parameters: { 'objective.beta': { min: 0.1, max: 10, steps: 40 }, 'model.latentDim': { min: 2, max: 41, steps: 40, integer: true } } }))), ['/sweep: expands into 1600 runs; a sweep has at most 1000.']);
  assert.deepEqual(issuesOf(() => expandSweep(toyExperiment(undefined))), ['/sweep: is missing: a sweep needs a "sweep" block with the parameters to vary (see the schema).']);
});

test('Slurm: the array spec compresses runs of indices and the batch script runs vae-lab resume on child i', () => {
  assert.equal(arraySpec([0, 1, 2, 3], 2), '0-3%2');
  assert.equal(arraySpec([5, 1, 3, 4]), '1,3-5');
  const script = batchScript('/shared/runs/x/sweeps/s1', 'x', { cpusPerTask: 2, partition: 'gpu', time: '1:00:00', extraArgs: ['--mem=4G'] }, "'/usr/bin/node' /opt/vae-lab/dist/cli.js");
  assert.match(script, /^#SBATCH --output=\/shared\/runs\/x\/sweeps\/s1\/slurm\/%A_%a\.out$/m);
  assert.match(script, /^#SBATCH --cpus-per-task=2$/m);
  assert.match(script, /^#SBATCH --partition=gpu$/m);
  assert.match(script, /^#SBATCH --time=1:00:00$/m);
  assert.match(script, /^#SBATCH --mem=4G$/m);
  assert.match(script, /^RUN=\/shared\/runs\/x\/sweeps\/s1\/runs\/\$\(printf '%03d' "\$SLURM_ARRAY_TASK_ID"\)$/m);
  assert.match(script, /^exec '\/usr\/bin\/node' \/opt\/vae-lab\/dist\/cli\.js resume "\$RUN"$/m);
  // The script is valid bash.
  const dir = tmpDir('sbatch');
  fs.writeFileSync(path.join(dir, 's.sbatch'), script);
  assert.equal(spawnSync('bash', ['-n', path.join(dir, 's.sbatch')]).status, 0);
});

function cli(args: string[], cwd: string) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, VAE_LAB_BACKEND: 'wasm' } });
}

test('vae-lab sweep runs every child as an ordinary run, 2 at a time, and sweep.json has their rate and distortion', () => {
  const dir = tmpDir('sweep-local');
  const file = writeJson(path.join(dir, 'toy.vae.json'), toyExperiment({ parameters: { 'objective.beta': [0.5, 4] }, seeds: [1, 2], parallel: 2 }, { backend: 'wasm' }));
  const r = cli(['sweep', file, '--out', path.join(dir, 'runs')], dir);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const sweepDir = lines[lines.length - 1];
  assert.ok(sweepDir.startsWith(path.join(dir, 'runs', 'toy-sweep', 'sweeps')), sweepDir);
  const record = readSweepRecord(sweepDir);
  assert.equal(record.runs.length, 4);
  assert.equal(record.pid, undefined);
  assert.deepEqual(record.metric, { name: 'elbo', goal: 'max' });
  for (const c of record.runs) {
    assert.equal(c.status, 'completed', `${c.index}: ${c.error}`);
    const run = readRunRecord(path.join(sweepDir, c.dir));
    assert.equal(run.status, 'completed');
    assert.deepEqual(run.sweep, { id: record.sweepId, index: c.index, dir: sweepDir, params: c.params, seed: c.seed });
    assert.equal(run.config.objective.beta, c.params['objective.beta']);
    assert.equal(run.config.training.seed, c.seed);
    assert.ok(fs.existsSync(path.join(sweepDir, c.dir, 'model', 'decoder', 'model.json')));
    // Rate and distortion are the run's final validation KL and reconstruction terms.
    assert.equal(c.rate, run.finalMetrics?.kl);
    assert.equal(c.distortion, run.finalMetrics?.recon);
    assert.ok(Number.isFinite(c.rate) && Number.isFinite(c.distortion));
  }
  // A worker trains its runs one after another in one process: the last run is the same as in a process of its own.
  const last = record.runs[3];
  const alone = path.join(dir, 'alone');
  fs.mkdirSync(alone);
  const queued = { ...readRunRecord(path.join(sweepDir, last.dir)), status: 'queued', lastCheckpoint: undefined, finalMetrics: undefined };
  writeJson(runFiles.record(alone), queued);
  const solo = cli(['resume', alone], dir);
  assert.equal(solo.status, 0, solo.stderr);
  assert.deepEqual(runMetrics(alone), runMetrics(path.join(sweepDir, last.dir)));
  // The trade-off: a larger beta buys a lower rate with a higher distortion (means over the two seeds).
  const [low, high] = groupBySetting(record);
  assert.ok(high.rate!.mean < low.rate!.mean, `rate ${high.rate!.mean} vs ${low.rate!.mean}`);
  assert.ok(high.distortion!.mean > low.distortion!.mean, `distortion ${high.distortion!.mean} vs ${low.distortion!.mean}`);
  // The summary is ranked by validation ELBO, best first.
  const table = lines.filter((l) => /^\d+ +#\d{3}/.test(l));
  assert.equal(table.length, 4);
  const elbos = table.map((l) => Number(l.split(/ +/)[5]));
  assert.deepEqual(elbos, elbos.slice().sort((a, b) => b - a));
  // sweep status reads it back.
  const s = cli(['sweep', 'status', sweepDir], dir);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /: completed\n/);
  assert.match(s.stdout, /4 runs: 4 completed, 0 running, 0 queued/);
});

function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) resolve();
      else if (Date.now() - start > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 100);
    };
    tick();
  });
}

function exitOf(p: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => p.on('close', (code) => resolve(code)));
}

function childStatuses(sweepDir: string): string[] {
  const record = JSON.parse(fs.readFileSync(path.join(sweepDir, 'sweep.json'), 'utf8')) as SweepRecord;
  return record.runs.map((c) => readRunRecord(path.join(sweepDir, c.dir)).status);
}

function slowSweep(dir: string): string {
  // Enough steps per run that a run is caught in the middle: 4 runs one at a time, a checkpoint every epoch.
  return writeJson(
    path.join(dir, 'slow.vae.json'),
    toyExperiment({ parameters: { 'objective.beta': [0.5, 1, 2, 4] }, parallel: 1 }, { backend: 'wasm', data: { source: 'toy2d', options: { count: 4000 } }, training: { epochs: 4, batchSize: 32, seed: 3 } }),
  );
}

test('Ctrl-C cancels the running child with a checkpoint and starts no other; sweep resume finishes the sweep', async () => {
  const dir = tmpDir('sweep-cancel');
  const file = slowSweep(dir);
  const p = spawn(process.execPath, [CLI, 'sweep', file, '--out', path.join(dir, 'runs'), '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  const root = path.join(dir, 'runs', 'toy-sweep', 'sweeps');
  let sweepDir = '';
  await waitFor(() => fs.existsSync(root) && fs.readdirSync(root).length === 1 && !!(sweepDir = path.join(root, fs.readdirSync(root)[0])), 30_000, 'the sweep folder');
  // Wait until the first child has written its first checkpoint, then interrupt the sweep.
  await waitFor(() => fs.existsSync(path.join(sweepDir, 'runs', '000', 'run.json')) && !!readRunRecord(path.join(sweepDir, 'runs', '000')).lastCheckpoint, 60_000, 'a first checkpoint');
  p.kill('SIGINT');
  assert.equal(await exitOf(p), 130, out);
  const statuses = childStatuses(sweepDir);
  assert.equal(statuses[0], 'cancelled');
  assert.deepEqual(statuses.slice(1), ['queued', 'queued', 'queued'], 'no child starts after Ctrl-C');
  const record = readSweepRecord(sweepDir);
  assert.equal(record.cancelled, true);
  assert.equal(record.runs[0].status, 'cancelled');
  const cancelledAt = readRunRecord(path.join(sweepDir, 'runs', '000')).progress.step;
  assert.ok(cancelledAt > 0);
  const r = cli(['sweep', 'resume', sweepDir], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /Resuming 4 of 4 runs/);
  assert.deepEqual(childStatuses(sweepDir), ['completed', 'completed', 'completed', 'completed']);
  // The cancelled run went on from its checkpoint: its metrics log starts at step 0 once and has no repeated steps.
  const steps = fs.readFileSync(runFiles.metrics(path.join(sweepDir, 'runs', '000')), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.type === 'step').map((e) => e.step as number);
  assert.deepEqual(steps, [...new Set(steps)].sort((a, b) => a - b));
});

test('after a SIGKILL of the whole sweep, sweep resume re-runs nothing that had finished and resumes the interrupted run', async () => {
  const dir = tmpDir('sweep-kill');
  const file = slowSweep(dir);
  const p = spawn(process.execPath, [CLI, 'sweep', file, '--out', path.join(dir, 'runs'), '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const root = path.join(dir, 'runs', 'toy-sweep', 'sweeps');
  let sweepDir = '';
  await waitFor(() => fs.existsSync(root) && fs.readdirSync(root).length === 1 && !!(sweepDir = path.join(root, fs.readdirSync(root)[0])), 30_000, 'the sweep folder');
  // One child finished and the next one has a checkpoint.
  await waitFor(() => {
    try {
      return readRunRecord(path.join(sweepDir, 'runs', '000')).status === 'completed' && !!readRunRecord(path.join(sweepDir, 'runs', '001')).lastCheckpoint;
    } catch {
      return false;
    }
  }, 120_000, 'one finished child and a checkpoint of the next');
  const childPid = readRunRecord(path.join(sweepDir, 'runs', '001')).pid!;
  p.kill('SIGKILL');
  process.kill(childPid, 'SIGKILL');
  await exitOf(p);
  await waitFor(() => {
    try {
      process.kill(childPid, 0);
      return false;
    } catch {
      return true;
    }
  }, 10_000, 'the child to die');
  const finished = fs.readFileSync(runFiles.record(path.join(sweepDir, 'runs', '000')), 'utf8');
  const finishedMetrics = fs.readFileSync(runFiles.metrics(path.join(sweepDir, 'runs', '000')), 'utf8');
  const s = cli(['sweep', 'status', sweepDir], dir);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /: interrupted\n/);
  assert.match(s.stdout, /4 runs: 1 completed, 0 running, 2 queued, 0 failed, 0 cancelled, 1 interrupted/);
  const r = cli(['sweep', 'resume', sweepDir], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /Resuming 3 of 4 runs \(1 completed are kept\)/);
  assert.deepEqual(childStatuses(sweepDir), ['completed', 'completed', 'completed', 'completed']);
  assert.equal(fs.readFileSync(runFiles.record(path.join(sweepDir, 'runs', '000')), 'utf8'), finished, 'the finished run was not touched');
  assert.equal(fs.readFileSync(runFiles.metrics(path.join(sweepDir, 'runs', '000')), 'utf8'), finishedMetrics);
  const again = cli(['sweep', 'resume', sweepDir], dir);
  assert.equal(again.status, 0);
  assert.match(again.stdout, /Every run of the sweep has completed; nothing to resume/);
});

test('vae-lab train on a file with a sweep block trains it once as written, and says how to run the sweep', () => {
  const dir = tmpDir('sweep-train');
  const file = writeJson(path.join(dir, 'toy.vae.json'), toyExperiment({ parameters: { 'objective.beta': [0.5, 4] } }, { backend: 'wasm' }));
  const r = cli(['train', file, '--out', path.join(dir, 'runs')], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^Note: .*toy\.vae\.json has a sweep block; train runs the experiment once as written \(vae-lab sweep .* runs the sweep\)\.$/m);
  const run = readRunRecord(r.stdout.trim().split('\n').pop()!);
  assert.equal(run.config.objective.beta, 1);
  assert.equal(run.config.sweep, undefined);
  assert.equal(run.sweep, undefined);
});

test('vae-lab sweep refuses bad input in one line: no sweep block, a sweep folder that is not one, a bad executor', () => {
  const dir = tmpDir('sweep-bad');
  const plain = writeJson(path.join(dir, 'plain.vae.json'), { ...toyExperiment(undefined), sweep: undefined });
  const cases: [string[], RegExp][] = [
    [['sweep', plain], /plain\.vae\.json: \/sweep: is missing/],
    [['sweep', 'status', dir], /sweep\.json: not a VAE Lab sweep folder \(sweep\.json is missing\)/],
    [['sweep', plain, '--executor', 'ssh'], /--executor must be local or slurm, got "ssh"/],
    [['sweep', plain, '--time', 'soon'], /--time must be minutes, HH:MM:SS or D-HH:MM:SS, got "soon"/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args, dir);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.deepEqual(fs.readdirSync(dir).sort(), ['plain.vae.json'], 'nothing was written');
});

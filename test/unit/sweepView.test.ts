// The sweep panel's and the sweep tree node's pure parts, in Node: the view model built from a real sweep folder
// (core's createSweep, children finished by writing their run.json and eval.json as the engine does), log-spacing
// detection, the lines of equal ELBO, scales, colours, the leaderboard's sort, the settings' CLI flags and the
// protocol's validators. No tfjs, no VS Code.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { readRunRecord, runFiles, writeJsonAtomic } from '../../src/core/runFolder';
import { createSweep, readSweepRecord, refreshSweep, sweepFiles, SweepRecord } from '../../src/core/sweep';
import { isFromSweepView, isToSweepView } from '../../src/core/sweepViewProtocol';
import { buildSweepView, childTreeLabel, countsLabel, isLogSpaced, latestSamplesImage, meanSd, parameterViews, sweepFlags } from '../../src/extension/sweepModel';
import {
  clipEqualSum,
  colorPosition,
  equalElboLines,
  formatNumber,
  linearTicks,
  logTicks,
  makeScale,
  paddedDomain,
  sequentialColor,
  sortRows,
} from '../../webview/sweepPlot';

const close = (a: number | undefined, b: number, eps = 1e-9) => assert.ok(a !== undefined && Math.abs(a - b) <= eps, `${a} is not ${b}`);

/** A sweep folder of toy2d with β in {0.5, 2} x seeds {1, 2}: four queued children, as `vae-lab sweep` writes it. */
function makeSweep(): { dir: string; record: SweepRecord } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-sweepview-'));
  const file = path.join(root, 'toy.vae.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      name: 'toy',
      data: { source: 'toy2d', options: { count: 200 } },
      model: { kind: 'beta-vae', latentDim: 2, encoder: { type: 'mlp', hidden: [8] }, likelihood: 'gaussian-learned' },
      training: { epochs: 1, batchSize: 50, seed: 1 },
      sweep: { parameters: { 'objective.beta': [0.5, 2] }, seeds: [1, 2] },
    }),
  );
  return createSweep({ experimentFile: file, runsRoot: path.join(root, '.vae-runs') });
}

/** Mark a child completed with these validation numbers, as the trainer leaves its run.json. */
function finish(dir: string, index: number, rate: number, distortion: number, seconds = 2): void {
  const runDir = path.join(dir, 'runs', String(index).padStart(3, '0'));
  const rec = readRunRecord(runDir);
  writeJsonAtomic(runFiles.record(runDir), {
    ...rec,
    status: 'completed',
    statusReason: 'trained 1 epoch(s)',
    timings: { totalSeconds: seconds, epochSeconds: [seconds] },
    finalMetrics: { loss: distortion + rate, recon: distortion, kl: rate, elbo: -(rate + distortion) },
  });
}

test('the view model of a real sweep folder: runs, settings with mean and sd over seeds, counts, log spacing, test split', () => {
  const { dir } = makeSweep();
  finish(dir, 0, 10, 100);
  finish(dir, 1, 12, 104);
  finish(dir, 2, 4, 120);
  // #003 still running in another process: its run.json says running with this (live) process's pid.
  const r3 = path.join(dir, 'runs', '003');
  writeJsonAtomic(runFiles.record(r3), { ...readRunRecord(r3), status: 'running', pid: process.pid, progress: { epoch: 0, step: 2, totalSteps: 4 } });
  // #000 was evaluated on its test split.
  fs.writeFileSync(runFiles.evaluation(path.join(dir, 'runs', '000')), JSON.stringify({ metrics: { recon: 101, kl: 11, elbo: -112 }, samples: 1 }));
  fs.mkdirSync(path.join(dir, 'runs', '000', 'images'), { recursive: true });

  const record = refreshSweep(dir, readSweepRecord(dir));
  const view = buildSweepView(record, dir, { samplesUri: (c) => (c.index === 0 ? 'vscode-resource:/s0.png' : undefined), totalEpochs: () => 1 });
  assert.equal(view.sweepId, record.sweepId);
  assert.equal(view.experiment, 'toy');
  assert.equal(view.status, 'running');
  assert.equal(view.countsLabel, '4 runs: 3 done, 1 running, 0 queued, 0 failed');
  assert.deepEqual(view.counts, { queued: 0, running: 1, completed: 3, failed: 0, cancelled: 0, interrupted: 0, total: 4 });
  assert.deepEqual(view.metric, { name: 'elbo', goal: 'max' });
  assert.deepEqual(view.parameters, [{ name: 'objective.beta', values: [0.5, 2], numeric: true, log: false }]);

  assert.deepEqual(view.runs.map((r) => [r.label, r.setting, r.seed, r.status]), [
    ['#000', 'objective.beta=0.5', 1, 'completed'],
    ['#001', 'objective.beta=0.5', 2, 'completed'],
    ['#002', 'objective.beta=2', 1, 'completed'],
    ['#003', 'objective.beta=2', 2, 'running'],
  ]);
  assert.equal(view.runs[0].runDir, path.join(dir, 'runs', '000'));
  assert.deepEqual(view.runs[0].metrics, { elbo: -110, loss: 110, recon: 100, kl: 10 });
  assert.deepEqual(view.runs[0].val, { rate: 10, distortion: 100 });
  assert.deepEqual(view.runs[0].test, { rate: 11, distortion: 101, elbo: -112 });
  assert.equal(view.runs[0].samplesUri, 'vscode-resource:/s0.png');
  assert.equal(view.runs[1].samplesUri, undefined);
  assert.equal(view.runs[0].epochs, 1);
  assert.equal(view.runs[0].totalEpochs, 1);
  assert.equal(view.runs[0].seconds, 2);
  assert.equal(view.hasTest, true);

  assert.equal(view.settings.length, 2);
  const [a, b] = view.settings;
  assert.equal(a.setting, 'objective.beta=0.5');
  assert.deepEqual(a.runs, [0, 1]);
  assert.equal(a.completed, 2);
  close(a.val.rate?.mean, 11);
  close(a.val.rate?.sd, Math.SQRT2); // sample sd of 10 and 12
  close(a.val.distortion?.mean, 102);
  close(a.val.distortion?.sd, 2 * Math.SQRT2);
  close(a.metrics.elbo?.mean, -(110 + 116) / 2);
  assert.equal(a.metrics.elbo?.n, 2);
  assert.deepEqual(a.test.rate, { mean: 11, sd: 0, n: 1 });
  // The running seed does not count yet.
  assert.equal(b.completed, 1);
  assert.deepEqual(b.val.rate, { mean: 4, sd: 0, n: 1 });
  assert.deepEqual(b.val.distortion, { mean: 120, sd: 0, n: 1 });
  assert.equal(b.test.rate, undefined);
  assert.ok(isToSweepView({ type: 'init', view }), 'what the extension sends passes the webview\'s validator');
  assert.ok(isToSweepView(JSON.parse(JSON.stringify({ type: 'update', view }))), 'and survives postMessage (JSON)');
});

test('Slurm tasks still pending show as queued on the cluster; the counts name cancelled and interrupted runs', () => {
  const { dir } = makeSweep();
  const record = refreshSweep(dir, readSweepRecord(dir));
  record.executor = 'slurm';
  record.runs.forEach((r, i) => (r.slurm = { jobId: '7', taskId: i, state: i === 0 ? 'RUNNING' : 'PENDING', log: '' }));
  const view = buildSweepView(record, dir);
  assert.deepEqual(view.runs.map((r) => r.statusLabel), ['queued', 'queued on the cluster', 'queued on the cluster', 'queued on the cluster']);
  assert.deepEqual(view.runs[1].slurm, { jobId: '7', taskId: 1, state: 'PENDING', exitCode: undefined });
  assert.equal(countsLabel(record), '4 runs: 0 done, 0 running, 4 queued, 0 failed');
  record.runs[0].status = 'cancelled';
  record.runs[1].status = 'interrupted';
  record.runs[2].status = 'failed';
  assert.equal(countsLabel(record), '4 runs: 0 done, 0 running, 1 queued, 1 failed, 1 cancelled, 1 interrupted');
  assert.ok(fs.existsSync(sweepFiles.record(dir)));
});

test('tree labels of a sweep\'s runs carry their parameters and seed', () => {
  assert.equal(childTreeLabel({ index: 3, params: { 'objective.beta': 0.5 }, seed: 2 }), '#003 objective.beta=0.5 seed=2');
  assert.equal(childTreeLabel({ index: 12, params: { 'model.latentDim': 8, 'model.encoder.type': 'conv' }, seed: 1 }), '#012 model.latentDim=8 model.encoder.type=conv seed=1');
});

test('log spacing: declared scale "log", or all values > 0 with max/min >= 10', () => {
  assert.equal(isLogSpaced([0.25, 0.5, 1, 2, 4, 8]), true);
  assert.equal(isLogSpaced([1, 2, 3, 4]), false);
  assert.equal(isLogSpaced([0.1, 1]), true, 'max/min = 10 exactly');
  assert.equal(isLogSpaced([0.11, 1]), false);
  assert.equal(isLogSpaced([0, 1, 100]), false, 'a zero rules out a log axis');
  assert.equal(isLogSpaced([-1, 100]), false);
  assert.equal(isLogSpaced(['a', 'b']), false);
  assert.equal(isLogSpaced([2, 4], 'log'), true, 'declared log, even when the ratio is small');
  assert.equal(isLogSpaced([0, 4], 'log'), false);
  const record = {
    parameters: ['objective.beta', 'training.optimizer.learningRate', 'model.encoder.type'],
    spec: { parameters: { 'objective.beta': { min: 1, max: 4, steps: 3, scale: 'log' }, 'training.optimizer.learningRate': [0.0001, 0.001, 0.01], 'model.encoder.type': ['mlp', 'conv'] } },
    runs: [
      { params: { 'objective.beta': 4, 'training.optimizer.learningRate': 0.01, 'model.encoder.type': 'mlp' } },
      { params: { 'objective.beta': 1, 'training.optimizer.learningRate': 0.0001, 'model.encoder.type': 'conv' } },
      { params: { 'objective.beta': 2, 'training.optimizer.learningRate': 0.001, 'model.encoder.type': 'mlp' } },
    ],
  } as unknown as SweepRecord;
  assert.deepEqual(parameterViews(record), [
    { name: 'objective.beta', values: [1, 2, 4], numeric: true, log: true },
    { name: 'training.optimizer.learningRate', values: [0.0001, 0.001, 0.01], numeric: true, log: true },
    { name: 'model.encoder.type', values: ['mlp', 'conv'], numeric: false, log: false },
  ]);
});

test('mean and sample standard deviation', () => {
  assert.deepEqual(meanSd([2, 4, 4, 4, 5, 5, 7, 9]), { mean: 5, sd: Math.sqrt(32 / 7), n: 8 });
  assert.deepEqual(meanSd([3]), { mean: 3, sd: 0, n: 1 });
  assert.deepEqual(meanSd([undefined, NaN, 1, 3]), { mean: 2, sd: Math.SQRT2, n: 2 });
  assert.equal(meanSd([]), undefined);
});

test('the latest prior-samples image of a run', () => {
  assert.equal(latestSamplesImage(['samples-epoch-002.png', 'samples-epoch-010.png', 'reconstructions-epoch-011.png', 'samples-epoch-009.png']), 'samples-epoch-010.png');
  assert.equal(latestSamplesImage(['reconstructions-epoch-001.png']), undefined);
});

test('lines of equal ELBO: R + D = c with slope -1, at round levels, clipped to the plot', () => {
  const lines = equalElboLines([0, 10], [0, 10], 5);
  assert.deepEqual(lines, [
    { c: 5, x1: 0, y1: 5, x2: 5, y2: 0 },
    { c: 10, x1: 0, y1: 10, x2: 10, y2: 0 },
    { c: 15, x1: 5, y1: 10, x2: 10, y2: 5 },
  ]);
  // Real numbers: the β sweep's plane (rate 15..150 nats, distortion 180..260 nats).
  const real = equalElboLines([15, 150], [180, 260], 5);
  assert.ok(real.length >= 3, `${real.length} lines`);
  for (const s of real) {
    close(s.x1 + s.y1, s.c, 1e-9);
    close(s.x2 + s.y2, s.c, 1e-9);
    close((s.y2 - s.y1) / (s.x2 - s.x1), -1, 1e-9);
    assert.ok(s.x1 >= 15 && s.x2 <= 150 && s.y2 >= 180 && s.y1 <= 260, JSON.stringify(s));
    assert.ok(s.c > 195 && s.c < 410 && s.c % 50 === 0, `round level ${s.c}`);
  }
  assert.equal(clipEqualSum(25, [0, 10], [0, 10]), undefined, 'a level above the box misses it');
  assert.equal(clipEqualSum(-1, [0, 10], [0, 10]), undefined, 'and one below');
});

test('scales, ticks and padded domains', () => {
  assert.deepEqual(linearTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(linearTicks(183.2, 261.7, 4), [200, 220, 240, 260]);
  // Ticks are k * step: the one at zero is exactly 0 (a running sum gave 5.55e-17 in a heatmap's axis).
  assert.deepEqual(linearTicks(-0.62, 0.62, 6), [-0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6]);
  assert.deepEqual(logTicks(0.2, 10), [0.2, 0.5, 1, 2, 5, 10]);
  assert.deepEqual(logTicks(0.001, 100), [0.001, 0.01, 0.1, 1, 10, 100]);
  const log = makeScale([1, 100], [0, 200], true);
  close(log(10), 100);
  close(log(1), 0);
  const lin = makeScale([0, 10], [300, 0]);
  close(lin(2.5), 225);
  assert.deepEqual(paddedDomain([0, 10], false, 0.1), [-1, 11]);
  const ld = paddedDomain([0.25, 8], true, 0.1)!;
  close(ld[0], 0.25 / Math.pow(32, 0.1));
  close(ld[1], 8 * Math.pow(32, 0.1));
  assert.deepEqual(paddedDomain([5]), [4.5, 5.5]);
  assert.equal(paddedDomain([]), undefined);
});

test('the sequential colour scale and where a swept value falls on it', () => {
  assert.equal(sequentialColor(0), '#440154');
  assert.equal(sequentialColor(1), '#fde725');
  assert.equal(sequentialColor(2), '#fde725', 'clamped');
  assert.match(sequentialColor(0.5), /^#[0-9a-f]{6}$/);
  close(colorPosition(1, 0.25, 4, true), 0.5); // the geometric middle of 0.25 ... 4
  close(colorPosition(2.125, 0.25, 4, false), 0.5);
  assert.equal(colorPosition(3, 3, 3, false), 0.5);
});

test('the leaderboard sorts numbers and text both ways, rows without a value last', () => {
  const rows = [{ v: 3 }, { v: undefined }, { v: 1 }, { v: 2 }, { v: NaN }];
  assert.deepEqual(sortRows(rows, (r) => r.v, 'asc').map((r) => r.v), [1, 2, 3, undefined, NaN]);
  assert.deepEqual(sortRows(rows, (r) => r.v, 'desc').map((r) => r.v), [3, 2, 1, undefined, NaN]);
  assert.deepEqual(sortRows([{ s: 'run10' }, { s: 'run9' }, { s: 'failed' }], (r) => r.s, 'asc').map((r) => r.s), ['failed', 'run9', 'run10']);
  assert.equal(formatNumber(0.00012), '1.2e-4');
  assert.equal(formatNumber(368.6466), '369');
  assert.equal(formatNumber(0.25), '0.25');
});

test('the sweep settings become vae-lab sweep flags only when set', () => {
  const none = { sweepExecutor: 'experiment' as const, slurm: { partition: '', time: '', cpusPerTask: 0, throttle: 0, extraArgs: [] } };
  assert.deepEqual(sweepFlags(none), []);
  assert.deepEqual(sweepFlags({ sweepExecutor: 'slurm', slurm: { partition: 'gpu', time: '1:00:00', cpusPerTask: 4, throttle: 2, extraArgs: ['--mem=4G', ' --gres=gpu:1 ', ''] } }), [
    '--executor',
    'slurm',
    '--partition',
    'gpu',
    '--time',
    '1:00:00',
    '--cpus-per-task',
    '4',
    '--throttle',
    '2',
    '--sbatch-arg=--mem=4G',
    '--sbatch-arg=--gres=gpu:1',
  ]);
  assert.deepEqual(sweepFlags({ ...none, sweepExecutor: 'local' }), ['--executor', 'local']);
});

test('messages from the sweep panel are validated', () => {
  assert.ok(isFromSweepView({ type: 'ready' }));
  assert.ok(isFromSweepView({ type: 'openRun', runDir: '/x/runs/000' }));
  assert.ok(isFromSweepView({ type: 'rendered', points: 6, rows: 12, lines: 4 }));
  assert.ok(!isFromSweepView({ type: 'rendered', points: -1, rows: 12, lines: 4 }));
  assert.ok(!isFromSweepView({ type: 'openRun', runDir: 3 }));
  assert.ok(!isFromSweepView({ type: 'exec', command: 'rm' }));
  assert.ok(!isFromSweepView(null));
  assert.ok(!isToSweepView({ type: 'init', view: { runs: 'no' } }));
});

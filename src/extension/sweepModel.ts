// The sweep panel's view model and the sweep tree node's texts, from a SweepRecord (src/core/sweep.ts): runs with their
// labels and numbers, settings (the seeds of one parameter setting together) with means and standard deviations,
// the swept parameters with their values and whether they are log-spaced. Pure: no vscode, no file access (the
// caller refreshes the record and says where each run's latest samples image is), so unit tests check it in Node.
import * as path from 'path';
import { groupBySetting, settingLabel, SweepChild, SweepMetric, SweepRecord, sweepCounts, sweepStatus } from '../core/sweep';
import { MeanSd, SWEEP_METRICS, SweepParamView, SweepRunView, SweepSettingView, SweepViewData } from '../core/sweepViewProtocol';

/** "#003" */
export function childLabel(index: number): string {
  return `#${String(index).padStart(3, '0')}`;
}

/** The tree label of a sweep's child: "#003 objective.beta=0.5 seed=2". */
export function childTreeLabel(c: Pick<SweepChild, 'index' | 'params' | 'seed'>): string {
  const setting = settingLabel(c.params);
  return `${childLabel(c.index)}${setting ? ` ${setting}` : ''} seed=${c.seed}`;
}

/** A Slurm task that has not started: pending in the cluster's queue. */
export function queuedOnCluster(c: Pick<SweepChild, 'status' | 'slurm'>): boolean {
  return c.status === 'queued' && c.slurm?.state === 'PENDING';
}

export function childStatusLabel(c: Pick<SweepChild, 'status' | 'slurm'>): string {
  return queuedOnCluster(c) ? 'queued on the cluster' : c.status;
}

/** "12 runs: 8 done, 2 running, 2 queued, 0 failed" (cancelled and interrupted only when there are some). */
export function countsLabel(record: SweepRecord): string {
  const c = sweepCounts(record);
  const n = record.runs.length;
  const parts = [`${c.completed} done`, `${c.running} running`, `${c.queued} queued`, `${c.failed} failed`];
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  if (c.interrupted) parts.push(`${c.interrupted} interrupted`);
  return `${n} run${n === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

/** Mean and sample standard deviation (0 for one value); undefined for none. Non-finite values are left out. */
export function meanSd(values: (number | undefined)[]): MeanSd | undefined {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (xs.length === 0) return undefined;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd, n: xs.length };
}

/**
 * Is a parameter log-spaced? Declared with `scale: "log"`, or every value is a number > 0 and max/min >= 10 (e.g.
 * 0.25 ... 8, or learning rates 1e-4 ... 1e-2).
 */
export function isLogSpaced(values: unknown[], declaredScale?: string): boolean {
  const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (declaredScale === 'log') return nums.length > 0 && nums.every((v) => v > 0);
  if (nums.length < 2 || nums.length !== values.length || nums.some((v) => v <= 0)) return false;
  return Math.max(...nums) / Math.min(...nums) >= 10;
}

/** The swept parameters with their distinct values (numbers sorted) and scale. */
export function parameterViews(record: SweepRecord): SweepParamView[] {
  return record.parameters.map((name) => {
    const seen = new Map<string, number | string | boolean>();
    for (const r of record.runs) {
      const v = r.params[name];
      const value = typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : JSON.stringify(v);
      seen.set(JSON.stringify(value), value);
    }
    const values = [...seen.values()];
    const numeric = values.length > 0 && values.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (numeric) (values as number[]).sort((a, b) => a - b);
    const declared = record.spec.parameters[name];
    const scale = declared && !Array.isArray(declared) ? declared.scale : undefined;
    return { name, values, numeric, log: numeric && isLogSpaced(values, scale) };
  });
}

function finite(v: number | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export interface SweepViewOptions {
  /** Webview URI of the child's latest prior-samples image (undefined: none yet). */
  samplesUri?: (c: SweepChild, runDir: string) => string | undefined;
  /** Epochs each child trains (from its run.json), by index. */
  totalEpochs?: (c: SweepChild) => number | undefined;
}

/** Everything the sweep panel draws, from a refreshed record. */
export function buildSweepView(record: SweepRecord, dir: string, o: SweepViewOptions = {}): SweepViewData {
  const runs: SweepRunView[] = record.runs.map((c) => {
    const runDir = path.join(dir, c.dir);
    const metrics: SweepRunView['metrics'] = {};
    for (const m of SWEEP_METRICS) {
      const v = finite(c.final?.[m]);
      if (v !== undefined) metrics[m] = v;
    }
    const run: SweepRunView = {
      index: c.index,
      label: childLabel(c.index),
      runDir,
      params: c.params,
      setting: settingLabel(c.params),
      seed: c.seed,
      status: c.status,
      statusLabel: childStatusLabel(c),
      metrics,
      val: { rate: finite(c.rate), distortion: finite(c.distortion) },
      epochs: c.epochs ?? 0,
      totalEpochs: o.totalEpochs?.(c),
      seconds: c.seconds,
    };
    if (c.slurm) run.slurm = { jobId: c.slurm.jobId, taskId: c.slurm.taskId, state: c.slurm.state, exitCode: c.slurm.exitCode };
    if (c.test) run.test = { rate: finite(c.test.rate), distortion: finite(c.test.distortion), elbo: finite(c.test.elbo) };
    const img = o.samplesUri?.(c, runDir);
    if (img) run.samplesUri = img;
    if (c.status === 'failed' && (c.error || c.statusReason)) run.error = c.error ?? c.statusReason;
    return run;
  });
  const byIndex = new Map(runs.map((r) => [r.index, r]));
  const settings: SweepSettingView[] = groupBySetting(record).map((g) => {
    const done = g.runs.filter((r) => r.status === 'completed').map((r) => byIndex.get(r.index)!);
    const metrics: SweepSettingView['metrics'] = {};
    for (const m of SWEEP_METRICS) {
      const s = meanSd(done.map((r) => r.metrics[m]));
      if (s) metrics[m as SweepMetric] = s;
    }
    return {
      setting: g.label,
      params: g.params,
      runs: g.runs.map((r) => r.index),
      completed: done.length,
      val: { rate: meanSd(done.map((r) => r.val.rate)), distortion: meanSd(done.map((r) => r.val.distortion)) },
      test: { rate: meanSd(done.map((r) => r.test?.rate)), distortion: meanSd(done.map((r) => r.test?.distortion)) },
      metrics,
    };
  });
  const counts = sweepCounts(record);
  return {
    dir,
    sweepId: record.sweepId,
    experiment: record.experiment,
    status: sweepStatus(record),
    executor: record.executor,
    counts: { ...counts, total: record.runs.length },
    countsLabel: countsLabel(record),
    metric: record.metric,
    parameters: parameterViews(record),
    runs,
    settings,
    hasTest: runs.some((r) => r.test?.distortion !== undefined),
    updatedAt: record.updatedAt,
  };
}

/** The newest "samples-epoch-NNN.png" among file names (the run dashboard's prior samples), or undefined. */
export function latestSamplesImage(names: string[]): string | undefined {
  let best: { epoch: number; name: string } | undefined;
  for (const n of names) {
    const m = /^samples-epoch-(\d+)\.png$/.exec(n);
    if (m && (!best || Number(m[1]) > best.epoch)) best = { epoch: Number(m[1]), name: n };
  }
  return best?.name;
}

/** What the sweep settings hold (vaeLab.sweep.executor, vaeLab.slurm.*). */
export interface SweepSettings {
  sweepExecutor: 'experiment' | 'local' | 'slurm';
  slurm: { partition: string; time: string; cpusPerTask: number; throttle: number; extraArgs: string[] };
}

/** The `vae-lab sweep` flags for these settings: --executor unless 'experiment', and each Slurm option that is set. */
export function sweepFlags(s: SweepSettings): string[] {
  const out: string[] = [];
  if (s.sweepExecutor === 'local' || s.sweepExecutor === 'slurm') out.push('--executor', s.sweepExecutor);
  if (s.slurm.partition.trim()) out.push('--partition', s.slurm.partition.trim());
  if (s.slurm.time.trim()) out.push('--time', s.slurm.time.trim());
  if (Number.isInteger(s.slurm.cpusPerTask) && s.slurm.cpusPerTask > 0) out.push('--cpus-per-task', String(s.slurm.cpusPerTask));
  if (Number.isInteger(s.slurm.throttle) && s.slurm.throttle > 0) out.push('--throttle', String(s.slurm.throttle));
  // One argv entry each, "--sbatch-arg=--mem=4G": a value starting with "--" is never taken for a flag.
  for (const a of s.slurm.extraArgs) if (a.trim()) out.push(`--sbatch-arg=${a.trim()}`);
  return out;
}

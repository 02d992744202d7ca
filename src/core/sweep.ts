// Sweeps: one experiment file with a `sweep` block expands into ordinary runs. The sweep-folder format:
//   <runs root>/<experiment>/sweeps/<sweep id>/
//     sweep.json        SweepRecord: the expansion (each child's parameters and seed), each child's status and final
//                       metrics, the executor and (Slurm) the job ids; rewritten atomically by whoever follows the sweep
//     runs/000/ ...     the children: ordinary run folders (run.json records the sweep id, index and parameters)
//     slurm/            the batch script and the tasks' logs (Slurm executor only)
// A child starts as a 'queued' run folder; an executor starts `vae-lab resume <child>` on it, which trains it from the
// start (no checkpoint yet) or from its checkpoint. Imports neither vscode nor tfjs.
import * as fs from 'fs';
import * as path from 'path';
import { applyOverride, ConfigError, ConfigIssue, ExperimentConfig, parseExperimentText, resolveExperiment, VARIATIONAL_KINDS } from './config';
import type { RunStatus } from './protocol';
import { createFolderAtomic, effectiveStatus, newRunId, processAlive, readFolderRecord, readRunRecord, RunRecord, runFiles, writeJsonAtomic } from './runFolder';

export const SWEEP_FORMAT_VERSION = 1;
/** Runs one sweep may expand into. */
export const MAX_SWEEP_RUNS = 1000;

export type SweepMetric = 'elbo' | 'loss' | 'recon' | 'kl';
export type SweepExecutor = 'local' | 'slurm';

export interface SweepParameterRange {
  values?: unknown[];
  min?: number;
  max?: number;
  steps?: number;
  scale?: 'linear' | 'log';
  integer?: boolean;
}
export type SweepParameter = unknown[] | SweepParameterRange;

export interface SlurmOptions {
  partition?: string;
  time?: string;
  cpusPerTask?: number;
  throttle?: number;
  extraArgs?: string[];
  command?: string;
}

/** The `sweep` block of an experiment file (after the schema's defaults). */
export interface SweepSpec {
  method: 'grid' | 'random';
  parameters: Record<string, SweepParameter>;
  count?: number;
  seed?: number;
  seeds?: number[] | number;
  parallel?: number;
  metric?: SweepMetric;
  executor?: SweepExecutor;
  slurm?: SlurmOptions;
}

export type SweepRunStatus = RunStatus;

/** Slurm job states in which a task may still run (any other state is final). */
export const SLURM_ACTIVE_STATES: ReadonlySet<string> = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'STOPPED']);

export interface SweepChild {
  index: number;
  /** The run folder, relative to the sweep folder. */
  dir: string;
  runId: string;
  params: Record<string, unknown>;
  seed: number;
  status: SweepRunStatus;
  statusReason?: string;
  /** Final validation metrics (nats per example). */
  final?: { loss: number; elbo?: number; recon: number; kl?: number };
  /** Rate = KL(q(z|x) || p(z)) and distortion = -E_q[log p(x|z)] on the validation split (nats); variational kinds. */
  rate?: number;
  distortion?: number;
  /** The same on the test split, when `vae-lab eval` ran on the child. */
  test?: { rate?: number; distortion: number; elbo?: number; logLikelihood?: number };
  epochs?: number;
  /** Training time recorded by the run (run.json timings.totalSeconds). */
  seconds?: number;
  /** Local executor: the wall time its worker spent on the run (data, training, evaluation, saving). */
  wallSeconds?: number;
  error?: string;
  /** Slurm executor: the array task that runs this child. */
  slurm?: { jobId: string; taskId: number; state?: string; exitCode?: string; log: string };
}

export interface SweepRecord {
  formatVersion: number;
  sweepId: string;
  experiment: string;
  experimentFile: string;
  createdAt: string;
  updatedAt: string;
  spec: SweepSpec;
  /** --set and --epochs given on the command line, applied to the experiment before the expansion. */
  overrides: string[];
  /** Dotted paths of the swept fields, in expansion order. */
  parameters: string[];
  metric: { name: SweepMetric; goal: 'max' | 'min' };
  executor: SweepExecutor;
  parallel: number;
  /** The process that follows the sweep (local executor or Slurm follower), while it does. */
  pid?: number;
  cancelled?: boolean;
  slurm?: { jobIds: string[]; script: string; submittedAt: string; options: SlurmOptions };
  runs: SweepChild[];
}

export const sweepFiles = {
  record: (dir: string) => path.join(dir, 'sweep.json'),
  runs: (dir: string) => path.join(dir, 'runs'),
  slurm: (dir: string) => path.join(dir, 'slurm'),
};

/** Sweeps of an experiment live here, next to its ordinary runs. */
export function sweepsFolder(runsRoot: string, experiment: string): string {
  return path.join(runsRoot, experiment, 'sweeps');
}

export function childDir(index: number): string {
  return path.join('runs', String(index).padStart(3, '0'));
}

// ---------------------------------------------------------------------------------------------------------------
// Expansion

/** A small seeded generator (mulberry32) for random sweeps: the same seed draws the same settings everywhere. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Round away float noise from ranges (0.30000000000000004 -> 0.3) so that values read well in names and tables. */
function tidy(x: number): number {
  return Number(x.toPrecision(12));
}

function paramPointer(name: string): string {
  return `/sweep/parameters/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function rangeIssues(name: string, p: SweepParameter, method: 'grid' | 'random'): ConfigIssue[] {
  if (Array.isArray(p)) return [];
  const at = paramPointer(name);
  const hasRange = p.min !== undefined || p.max !== undefined;
  if (p.values !== undefined && (hasRange || p.steps !== undefined)) return [{ pointer: at, message: 'give either "values" or a range (min, max), not both.' }];
  if (p.values !== undefined) return [];
  if (p.min === undefined || p.max === undefined) return [{ pointer: at, message: 'needs "values" or a range with both "min" and "max".' }];
  if (!(p.max > p.min)) return [{ pointer: `${at}/max`, message: `must be greater than min (${p.min}).` }];
  if (p.scale === 'log' && p.min <= 0) return [{ pointer: `${at}/min`, message: 'must be greater than 0 on a log scale.' }];
  if (method === 'grid' && p.steps === undefined) return [{ pointer: at, message: 'a range in a grid sweep needs "steps" (how many points from min to max).' }];
  return [];
}

/** The values a grid takes for one parameter. */
export function gridValues(p: SweepParameter): unknown[] {
  if (Array.isArray(p)) return p;
  if (p.values) return p.values;
  const { min = 0, max = 1, steps = 2, scale = 'linear' } = p;
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    const v = scale === 'log' ? Math.exp(Math.log(min) + t * (Math.log(max) - Math.log(min))) : min + t * (max - min);
    out.push(p.integer ? Math.round(v) : tidy(v));
  }
  return p.integer ? [...new Set(out)] : out;
}

/** One random draw for one parameter. */
function drawValue(p: SweepParameter, u: number): unknown {
  const values = Array.isArray(p) ? p : p.values;
  if (values) return values[Math.min(values.length - 1, Math.floor(u * values.length))];
  const r = p as SweepParameterRange;
  const { min = 0, max = 1, scale = 'linear' } = r;
  if (r.integer) {
    const lo = Math.ceil(min);
    const hi = Math.floor(max);
    return scale === 'log' ? Math.round(Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo)))) : lo + Math.min(hi - lo, Math.floor(u * (hi - lo + 1)));
  }
  return tidy(scale === 'log' ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min));
}

export function sweepSeeds(spec: SweepSpec, baseSeed: number): number[] {
  if (spec.seeds === undefined) return [baseSeed];
  if (typeof spec.seeds === 'number') return Array.from({ length: spec.seeds }, (_, i) => baseSeed + i);
  return spec.seeds;
}

export function defaultMetric(config: ExperimentConfig): SweepMetric {
  return VARIATIONAL_KINDS.includes(config.model.kind) ? 'elbo' : 'recon';
}

export function metricGoal(m: SweepMetric): 'max' | 'min' {
  return m === 'elbo' ? 'max' : 'min';
}

export interface ExpandedChild {
  index: number;
  params: Record<string, unknown>;
  seed: number;
  config: ExperimentConfig;
}

export interface SweepExpansion {
  /** The experiment as written, with the command line's overrides (its sweep block resolved). */
  base: ExperimentConfig;
  spec: SweepSpec;
  parameters: string[];
  children: ExpandedChild[];
}

/**
 * Expand an experiment document with a sweep block into the effective configs of its children. `overrides` (--set,
 * --epochs) apply to every child before the swept values. A value that makes a child invalid is reported at the
 * swept parameter, naming the value and the child's problem.
 */
export function expandSweep(doc: unknown, file?: string, overrides: string[] = []): SweepExpansion {
  const work = JSON.parse(JSON.stringify(doc ?? null)) as Record<string, unknown>;
  if (typeof work === 'object' && work !== null && !Array.isArray(work)) {
    try {
      for (const s of overrides) applyOverride(work, s);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(err.issues, file);
      throw err;
    }
  }
  const base = resolveExperiment(work, file);
  if (!base.sweep) throw new ConfigError([{ pointer: '/sweep', message: 'is missing: a sweep needs a "sweep" block with the parameters to vary (see the schema).' }], file);
  const spec = base.sweep;
  const names = Object.keys(spec.parameters);
  const issues: ConfigIssue[] = [];
  for (const name of names) {
    const top = name.split('.')[0];
    if (['name', 'sweep', '$schema', 'description'].includes(top)) issues.push({ pointer: paramPointer(name), message: `"${top}" cannot be swept.` });
    else if (name === 'training.seed' && spec.seeds !== undefined) issues.push({ pointer: paramPointer(name), message: 'sweep "seeds" already sets training.seed; sweep one or the other.' });
    else issues.push(...rangeIssues(name, spec.parameters[name], spec.method));
  }
  if (spec.method === 'random' && spec.count === undefined) issues.push({ pointer: '/sweep/count', message: 'is required for a random sweep (how many settings to draw).' });
  if (spec.method === 'grid' && spec.count !== undefined) issues.push({ pointer: '/sweep/count', message: 'is for random sweeps; a grid runs every combination.' });
  if (issues.length) throw new ConfigError(issues, file);

  const settings: Record<string, unknown>[] = [];
  if (spec.method === 'grid') {
    const lists = names.map((n) => gridValues(spec.parameters[n]));
    const total = lists.reduce((a, l) => a * l.length, 1);
    if (total * sweepSeeds(spec, base.training.seed).length > MAX_SWEEP_RUNS) {
      throw new ConfigError([{ pointer: '/sweep', message: `expands into ${total * sweepSeeds(spec, base.training.seed).length} runs; a sweep has at most ${MAX_SWEEP_RUNS}.` }], file);
    }
    // The first parameter varies slowest.
    for (let i = 0; i < total; i++) {
      const s: Record<string, unknown> = {};
      let rest = i;
      for (let j = names.length - 1; j >= 0; j--) {
        s[names[j]] = lists[j][rest % lists[j].length];
        rest = Math.floor(rest / lists[j].length);
      }
      settings.push(Object.fromEntries(names.map((n) => [n, s[n]])));
    }
  } else {
    const rand = mulberry32(spec.seed ?? 0);
    for (let i = 0; i < (spec.count ?? 1); i++) settings.push(Object.fromEntries(names.map((n) => [n, drawValue(spec.parameters[n], rand())])));
  }
  const seeds = sweepSeeds(spec, base.training.seed);
  if (settings.length * seeds.length > MAX_SWEEP_RUNS) {
    throw new ConfigError([{ pointer: '/sweep', message: `expands into ${settings.length * seeds.length} runs; a sweep has at most ${MAX_SWEEP_RUNS}.` }], file);
  }
  const children: ExpandedChild[] = [];
  const childIssues: ConfigIssue[] = [];
  for (const params of settings) {
    for (const seed of seeds) {
      const child = JSON.parse(JSON.stringify(work)) as Record<string, unknown>;
      delete child.sweep;
      for (const [n, v] of Object.entries(params)) applyOverride(child, `${n}=${JSON.stringify(v)}`);
      if (spec.seeds !== undefined) applyOverride(child, `training.seed=${seed}`);
      try {
        const config = resolveExperiment(child, file);
        children.push({ index: children.length, params, seed: config.training.seed, config });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        const setting = Object.entries(params).map(([n, v]) => `${n} = ${JSON.stringify(v)}`).join(', ');
        for (const issue of err.issues) {
          const swept = names.find((n) => issue.pointer === '/' + n.split('.').join('/') || issue.pointer.startsWith('/' + n.split('.').join('/') + '/'));
          const message = `${setting} makes an invalid run: ${issue.pointer || '(document)'} ${issue.message}`;
          if (!childIssues.some((i) => i.message === message)) childIssues.push({ pointer: swept ? paramPointer(swept) : '/sweep/parameters', message });
        }
      }
    }
  }
  if (childIssues.length) throw new ConfigError(childIssues, file);
  return { base, spec, parameters: names, children };
}

// ---------------------------------------------------------------------------------------------------------------
// The sweep folder

function nowIso(): string {
  return new Date().toISOString();
}

export interface CreateSweepOptions {
  experimentFile: string;
  runsRoot: string;
  overrides?: string[];
  executor?: SweepExecutor;
  parallel?: number;
}

/** Read an experiment file, expand its sweep and write the sweep folder with every child queued. */
export function createSweep(o: CreateSweepOptions): { dir: string; record: SweepRecord } {
  const file = path.resolve(o.experimentFile);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([{ pointer: '', message: code === 'ENOENT' ? 'file not found.' : `cannot be read (${code ?? (err as Error).message}).` }], o.experimentFile);
  }
  const overrides = o.overrides ?? [];
  const x = expandSweep(parseExperimentText(text, o.experimentFile), o.experimentFile, overrides);
  const sweepId = newRunId();
  const dir = path.join(path.resolve(o.runsRoot), x.base.name, 'sweeps', sweepId);
  const metric = x.spec.metric ?? defaultMetric(x.base);
  const t = nowIso();
  const record: SweepRecord = {
    formatVersion: SWEEP_FORMAT_VERSION,
    sweepId,
    experiment: x.base.name,
    experimentFile: file,
    createdAt: t,
    updatedAt: t,
    spec: x.spec,
    overrides,
    parameters: x.parameters,
    metric: { name: metric, goal: metricGoal(metric) },
    executor: o.executor ?? x.spec.executor ?? 'local',
    parallel: o.parallel ?? x.spec.parallel ?? 1,
    runs: [],
  };
  // The sweep folder appears whole (sweep.json and every child's run.json) or not at all.
  createFolderAtomic(dir, (staging) => {
    fs.mkdirSync(sweepFiles.runs(staging), { recursive: true });
    for (const c of x.children) {
      const rel = childDir(c.index);
      const runId = `${sweepId}-${rel.slice(-3)}`;
      const run: RunRecord = {
        formatVersion: 1,
        runId,
        experiment: x.base.name,
        experimentFile: file,
        status: 'queued',
        config: c.config,
        createdAt: t,
        updatedAt: t,
        timings: { totalSeconds: 0, epochSeconds: [] },
        progress: { epoch: 0, step: 0, totalSteps: 0 },
        sweep: { id: sweepId, index: c.index, dir, params: c.params, seed: c.seed },
      };
      writeJsonAtomic(runFiles.record(path.join(staging, rel)), run);
      record.runs.push({ index: c.index, dir: rel, runId, params: c.params, seed: c.seed, status: 'queued' });
    }
    writeJsonAtomic(sweepFiles.record(staging), record);
  });
  return { dir, record };
}

export function readSweepRecord(dir: string): SweepRecord {
  return readFolderRecord<SweepRecord>(sweepFiles.record(dir), 'sweep');
}

/** Bring each child's status and metrics in the record up to date from its run folder (eval.json included). */
export function refreshSweep(dir: string, record: SweepRecord, isAlive?: (pid: number) => boolean): SweepRecord {
  for (const child of record.runs) {
    const runDir = path.join(dir, child.dir);
    let run: RunRecord;
    try {
      run = readRunRecord(runDir);
    } catch (err) {
      child.status = 'failed';
      child.error = (err as Error).message;
      continue;
    }
    child.status = run.status === 'queued' ? 'queued' : effectiveStatus(run, isAlive);
    child.statusReason = run.statusReason;
    child.error = run.error;
    child.epochs = run.timings.epochSeconds.length;
    child.seconds = run.timings.totalSeconds;
    const f = run.finalMetrics;
    if (f && Number.isFinite(f.loss)) {
      child.final = { loss: f.loss, recon: f.recon, ...(f.elbo !== undefined ? { elbo: f.elbo } : {}), ...(f.kl !== undefined ? { kl: f.kl } : {}) };
      child.distortion = f.recon;
      child.rate = f.kl;
    }
    try {
      const ev = JSON.parse(fs.readFileSync(runFiles.evaluation(runDir), 'utf8')) as { metrics: { recon: number; kl?: number; elbo?: number }; logLikelihood?: { mean: number } };
      child.test = { distortion: ev.metrics.recon, rate: ev.metrics.kl, elbo: ev.metrics.elbo, logLikelihood: ev.logLikelihood?.mean };
    } catch {
      /* not evaluated */
    }
  }
  // The process that followed the sweep is gone (killed, or on another machine after a reboot).
  if (record.pid !== undefined && !processAlive(record.pid)) record.pid = undefined;
  record.updatedAt = nowIso();
  return record;
}

/** Refresh and write sweep.json (atomically); returns the refreshed record. */
export function syncSweep(dir: string, mutate?: (r: SweepRecord) => void): SweepRecord {
  const record = refreshSweep(dir, readSweepRecord(dir));
  mutate?.(record);
  writeJsonAtomic(sweepFiles.record(dir), record);
  return record;
}

export type SweepCounts = Record<SweepRunStatus, number>;

export function sweepCounts(record: SweepRecord): SweepCounts {
  const counts: SweepCounts = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0, interrupted: 0 };
  for (const r of record.runs) counts[r.status]++;
  return counts;
}

/** The sweep as a whole: running while any child runs, else completed, failed, cancelled or interrupted. */
export function sweepStatus(record: SweepRecord): SweepRunStatus {
  const c = sweepCounts(record);
  if (c.running > 0) return 'running';
  if (c.completed === record.runs.length) return 'completed';
  if (c.queued > 0 && record.pid !== undefined) return 'running';
  if (c.failed > 0 && c.queued + c.interrupted + c.cancelled === 0) return 'failed';
  if (record.cancelled || c.cancelled > 0) return 'cancelled';
  return 'interrupted';
}

/** Children that `sweep resume` runs: every one not completed. */
export function unfinished(record: SweepRecord): SweepChild[] {
  return record.runs.filter((r) => r.status !== 'completed');
}

export function metricValue(child: SweepChild, metric: SweepMetric): number | undefined {
  const v = child.final?.[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Children ordered best first by the sweep's metric; those without the metric last, by index. */
export function ranked(record: SweepRecord): SweepChild[] {
  const sign = record.metric.goal === 'max' ? -1 : 1;
  return record.runs.slice().sort((a, b) => {
    const va = metricValue(a, record.metric.name);
    const vb = metricValue(b, record.metric.name);
    if (va === undefined && vb === undefined) return a.index - b.index;
    if (va === undefined) return 1;
    if (vb === undefined) return -1;
    return sign * (va - vb) || a.index - b.index;
  });
}

/** A parameter setting as short text: "objective.beta=0.5 model.latentDim=8". */
export function settingLabel(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export interface SettingGroup {
  params: Record<string, unknown>;
  label: string;
  runs: SweepChild[];
  /** Mean and standard deviation over the completed seeds (validation, nats). */
  rate?: { mean: number; sd: number };
  distortion?: { mean: number; sd: number };
  metric?: { mean: number; sd: number };
}

function meanSd(xs: number[]): { mean: number; sd: number } | undefined {
  if (xs.length === 0) return undefined;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/** Children grouped by parameter setting (the seeds of one setting together), in expansion order. */
export function groupBySetting(record: SweepRecord): SettingGroup[] {
  const groups = new Map<string, SettingGroup>();
  for (const r of record.runs) {
    const label = settingLabel(r.params);
    let g = groups.get(label);
    if (!g) groups.set(label, (g = { params: r.params, label, runs: [] }));
    g.runs.push(r);
  }
  for (const g of groups.values()) {
    const done = g.runs.filter((r) => r.status === 'completed');
    g.rate = meanSd(done.map((r) => r.rate).filter((v): v is number => v !== undefined));
    g.distortion = meanSd(done.map((r) => r.distortion).filter((v): v is number => v !== undefined));
    g.metric = meanSd(done.map((r) => metricValue(r, record.metric.name)).filter((v): v is number => v !== undefined));
  }
  return [...groups.values()];
}

/** Threads for each of `parallel` runs on `cores` cores (at most 4 each: more rarely helps these model sizes). */
export function threadsPerRun(cores: number, parallel: number): number {
  return Math.max(1, Math.min(4, Math.floor(cores / Math.max(1, parallel))));
}

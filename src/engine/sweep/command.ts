// `vae-lab sweep <file> | status <dir> | resume <dir>`: expand a sweep into queued runs, run them with the local or
// the Slurm executor, and print a summary ranked by the sweep's metric; the sweep folder is the last line printed.
import * as path from 'path';
import { DEFAULT_RUNS_DIR, processAlive, writeJsonAtomic } from '../../core/runFolder';
import {
  SlurmOptions,
  SweepChild,
  SweepExecutor,
  SweepRecord,
  createSweep,
  metricValue,
  ranked,
  readSweepRecord,
  refreshSweep,
  settingLabel,
  sweepCounts,
  sweepFiles,
  sweepStatus,
} from '../../core/sweep';
import { ParsedArgs, UsageError, positiveInt } from '../cliArgs';
import { runLocal } from './local';
import { JsonSweepProgress, SweepProgress, TerminalSweepProgress } from './progress';
import { SlurmError, checkSlurm, defaultSelfCommand, follow, slurmSnapshot, submit } from './slurm';

export { SlurmError };

export const SWEEP_USAGE = `  vae-lab sweep <file.vae.json> [--executor local|slurm] [--parallel N] [--set path=value]... [--epochs N] [--out DIR] [--json]
        [--partition P] [--time T] [--cpus-per-task C] [--throttle K] [--sbatch-arg ARG]...
  vae-lab sweep status <sweep folder> [--json]
  vae-lab sweep resume <sweep folder> [--executor local|slurm] [--parallel N] [Slurm options] [--json]`;

const EXIT = { ok: 0, failed: 1, cancelled: 130 };

function executorFlag(args: ParsedArgs): SweepExecutor | undefined {
  const e = args.flags.get('--executor');
  if (e !== undefined && e !== 'local' && e !== 'slurm') throw new UsageError(`--executor must be local or slurm, got "${e}".`);
  return e;
}

function slurmFlags(args: ParsedArgs, base: SlurmOptions = {}): SlurmOptions {
  const o: SlurmOptions = { ...base };
  const partition = args.flags.get('--partition');
  if (partition) o.partition = partition;
  const time = args.flags.get('--time');
  if (time !== undefined) {
    if (!/^([0-9]+-)?[0-9]+(:[0-9]{2}){0,2}$/.test(time)) throw new UsageError(`--time must be minutes, HH:MM:SS or D-HH:MM:SS, got "${time}".`);
    o.time = time;
  }
  o.cpusPerTask = positiveInt('--cpus-per-task', args.flags.get('--cpus-per-task')) ?? o.cpusPerTask;
  o.throttle = positiveInt('--throttle', args.flags.get('--throttle')) ?? o.throttle;
  if (args.sbatchArgs.length) o.extraArgs = [...(o.extraArgs ?? []), ...args.sbatchArgs];
  return o;
}

function fmt(v: number | undefined, digits = 2): string {
  return v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

/** The summary: one row per run, best first by the sweep's metric. */
export function sweepTable(record: SweepRecord): string {
  const rows: string[][] = [];
  const slurm = record.executor === 'slurm';
  const metric = record.metric.name;
  rows.push(['rank', 'run', ...record.parameters, 'seed', 'status', ...(slurm ? ['slurm'] : []), `val ${metric}${record.metric.goal === 'max' ? ' (max)' : ' (min)'}`, 'rate', 'distortion', 'epochs', 'time']);
  let rank = 0;
  for (const c of ranked(record)) {
    const v = metricValue(c, metric);
    rows.push([
      v === undefined ? '-' : String(++rank),
      `#${String(c.index).padStart(3, '0')}`,
      ...record.parameters.map((p) => JSON.stringify(c.params[p])),
      String(c.seed),
      c.status,
      ...(slurm ? [c.slurm ? `${c.slurm.state ?? '-'}${c.slurm.exitCode && c.slurm.exitCode !== '0:0' ? ` ${c.slurm.exitCode}` : ''}` : '-'] : []),
      fmt(v),
      fmt(c.rate),
      fmt(c.distortion),
      String(c.epochs ?? 0),
      c.seconds ? `${c.seconds.toFixed(1)}s` : '-',
    ]);
  }
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const lines = rows.map((r) => r.map((cell, j) => cell.padEnd(widths[j])).join('  ').trimEnd());
  const c = sweepCounts(record);
  lines.push(
    `${record.runs.length} runs: ${c.completed} completed, ${c.running} running, ${c.queued} queued, ${c.failed} failed, ${c.cancelled} cancelled, ${c.interrupted} interrupted. Rate = KL(q(z|x) || p(z)), distortion = -E_q[log p(x|z)], validation, nats per example.`,
  );
  for (const f of record.runs.filter((r) => r.status === 'failed')) {
    lines.push(`#${String(f.index).padStart(3, '0')} failed: ${f.error ?? f.statusReason ?? 'no reason recorded'}${f.slurm ? ` (Slurm ${f.slurm.state ?? '?'}, exit ${f.slurm.exitCode ?? '?'}, log ${f.slurm.log})` : ''}`);
  }
  return lines.join('\n');
}

interface RunSweepOptions {
  dir: string;
  todo: SweepChild[];
  executor: SweepExecutor;
  parallel: number;
  slurm: SlurmOptions;
  json: boolean;
  script: string;
}

async function execute(o: RunSweepOptions): Promise<number> {
  const progress: SweepProgress = o.json ? new JsonSweepProgress() : new TerminalSweepProgress(o.todo.length);
  const signal: { cancelled: boolean; onCancel?: () => void } = { cancelled: false };
  const onSignal = (sig: NodeJS.Signals) => {
    if (signal.cancelled) {
      process.stderr.write('\nStopping now: children may be left without a checkpoint.\n');
      process.exit(EXIT.cancelled);
    }
    signal.cancelled = true;
    progress.note(`${sig}: cancelling the sweep; running runs finish their step and write a checkpoint (vae-lab sweep resume ${o.dir} goes on).`);
    signal.onCancel?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const mark = (pid: number | undefined, extra: Partial<SweepRecord> = {}) => {
    const r = readSweepRecord(o.dir);
    Object.assign(r, { pid, executor: o.executor, parallel: o.parallel }, extra);
    writeJsonAtomic(sweepFiles.record(o.dir), r);
  };
  mark(process.pid, { cancelled: undefined });
  let record: SweepRecord;
  try {
    if (o.executor === 'local') {
      await runLocal(o.dir, readSweepRecord(o.dir), o.todo, { script: o.script, parallel: o.parallel, progress, signal });
      record = refreshSweep(o.dir, readSweepRecord(o.dir));
    } else {
      const command = o.slurm.command ?? defaultSelfCommand(o.script);
      const jobId = submit(o.dir, o.todo, o.slurm, command);
      progress.note(`Submitted job array ${jobId} (${o.todo.length} tasks${o.slurm.throttle ? `, at most ${o.slurm.throttle} at once` : ''}); script and logs in ${sweepFiles.slurm(o.dir)}`);
      record = await follow(o.dir, { progress, signal, watch: new Set(o.todo.map((c) => c.index)) });
    }
  } finally {
    progress.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  record.pid = undefined;
  record.cancelled = signal.cancelled || undefined;
  writeJsonAtomic(sweepFiles.record(o.dir), record);
  if (o.json) process.stdout.write(JSON.stringify({ type: 'sweep-finished', dir: o.dir, status: sweepStatus(record), counts: sweepCounts(record) }) + '\n');
  else process.stdout.write(sweepTable(record) + '\n');
  process.stdout.write(`${o.dir}\n`);
  if (signal.cancelled) return EXIT.cancelled;
  return record.runs.every((r) => r.status === 'completed') ? EXIT.ok : EXIT.failed;
}

function snapshot(dir: string, record: SweepRecord): SweepRecord {
  if (record.executor === 'slurm' && record.slurm) {
    try {
      return slurmSnapshot(dir);
    } catch (err) {
      if (!(err instanceof SlurmError)) throw err;
      process.stderr.write(`vae-lab: ${err.message} Showing the run folders only.\n`);
    }
  }
  return refreshSweep(dir, record);
}

export async function sweepCommand(args: ParsedArgs, self: { script: string }): Promise<number> {
  const [first, second, ...rest] = args.positional;
  if (first === undefined) throw new UsageError(`usage:\n${SWEEP_USAGE}`);
  if (first === 'status' || first === 'resume') {
    if (second === undefined || rest.length) throw new UsageError(`usage: vae-lab sweep ${first} <sweep folder>`);
    const dir = path.resolve(second);
    const record = snapshot(dir, readSweepRecord(dir));
    if (first === 'status') {
      writeJsonAtomic(sweepFiles.record(dir), record);
      if (args.json) process.stdout.write(JSON.stringify(record) + '\n');
      else {
        process.stdout.write(`Sweep ${record.sweepId} of ${record.experiment} (${record.executor}${record.slurm ? `, job ${record.slurm.jobIds.join(', ')}` : ''}): ${sweepStatus(record)}\n`);
        process.stdout.write(sweepTable(record) + '\n');
      }
      return EXIT.ok;
    }
    if (record.pid !== undefined && record.pid !== process.pid && processAlive(record.pid)) {
      throw new UsageError(`${dir}: the sweep is being run by process ${record.pid}; stop it (Ctrl-C) or wait for it before resuming.`);
    }
    const executor = executorFlag(args) ?? record.executor;
    const busy = (c: SweepChild) => c.status === 'running' || (c.slurm?.state !== undefined && ['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING'].includes(c.slurm.state) && executor === 'slurm');
    const todo = record.runs.filter((c) => c.status !== 'completed' && !busy(c));
    const still = record.runs.filter(busy);
    if (still.length) throw new UsageError(`${dir}: ${still.length} run(s) still running (#${still.map((c) => c.index).join(', #')}); wait for them or cancel them before resuming.`);
    writeJsonAtomic(sweepFiles.record(dir), record);
    if (todo.length === 0) {
      if (!args.json) process.stdout.write(`Every run of the sweep has completed; nothing to resume.\n${sweepTable(record)}\n`);
      process.stdout.write(`${dir}\n`);
      return EXIT.ok;
    }
    if (!args.json) process.stderr.write(`Resuming ${todo.length} of ${record.runs.length} runs (${record.runs.length - todo.length} completed are kept).\n`);
    const slurm = slurmFlags(args, record.slurm?.options ?? record.spec.slurm ?? {});
    if (executor === 'slurm') checkSlurm();
    return execute({ dir, todo, executor, parallel: positiveInt('--parallel', args.flags.get('--parallel')) ?? record.parallel, slurm, json: args.json, script: self.script });
  }
  if (second !== undefined) throw new UsageError(`usage:\n${SWEEP_USAGE}`);
  const overrides = [...args.set];
  const epochs = positiveInt('--epochs', args.flags.get('--epochs'));
  if (epochs !== undefined) overrides.push(`training.epochs=${epochs}`);
  const executorArg = executorFlag(args);
  slurmFlags(args); // bad option values are reported before anything is written
  const parallel = positiveInt('--parallel', args.flags.get('--parallel'));
  // Slurm's commands are checked before anything is written.
  const { dir, record } = createSweep({ experimentFile: first, runsRoot: args.flags.get('--out') ?? DEFAULT_RUNS_DIR, overrides, executor: executorArg, parallel });
  if (record.executor === 'slurm') {
    try {
      checkSlurm();
    } catch (err) {
      throw new SlurmError(`${(err as Error).message} The sweep's folder is kept: ${dir} (vae-lab sweep resume ${dir} --executor local|slurm runs it).`);
    }
  }
  if (!args.json) {
    process.stderr.write(`Sweep ${record.sweepId} of ${record.experiment}: ${record.runs.length} runs (${record.parameters.join(', ')}${record.spec.seeds !== undefined ? ', seeds' : ''}), ${record.executor} executor${record.executor === 'local' ? `, ${Math.min(record.parallel, record.runs.length)} at once` : ''}\n`);
    for (const c of record.runs.slice(0, 3)) process.stderr.write(`  #${String(c.index).padStart(3, '0')} ${settingLabel(c.params)} seed=${c.seed}\n`);
    if (record.runs.length > 3) process.stderr.write(`  ... ${record.runs.length - 3} more\n`);
  }
  return execute({ dir, todo: record.runs, executor: record.executor, parallel: record.parallel, slurm: slurmFlags(args, record.spec.slurm ?? {}), json: args.json, script: self.script });
}

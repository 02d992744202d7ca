// Sweeps from VS Code: "VAE: Run Sweep" and "Resume Sweep" run the engine's own `vae-lab sweep <file> --json` and
// `vae-lab sweep resume <dir> --json` (dist/cli.js, in a child process, like "VAE: Install Backend...": the extension
// never loads tfjs), with a cancellable progress notification fed by the CLI's JSON lines; cancelling sends SIGINT,
// on which the CLI stops its runs with checkpoints. The CLI's stderr goes to the "VAE Lab" output channel. Also the
// helpers that read sweep folders for the tree, the quick picks and the sweep panel.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { listRecordFolders, processAlive } from '../core/runFolder';
import { SLURM_ACTIVE_STATES, readSweepRecord, refreshSweep, SweepCounts, SweepRecord, SweepRunStatus, sweepFiles, sweepsFolder } from '../core/sweep';
import { engineEnv, settings, sweepCliFlags } from './settings';

// ------------------------------------------------------------------------------------------------ sweep folders

/** Slurm states in which a task may still run (as the Slurm executor records them in sweep.json). */

/**
 * A sweep folder's record brought up to date from its children's run folders (in memory: sweep.json is written only
 * by the process that runs the sweep). A follower pid whose process is gone is dropped, so that a sweep whose CLI was
 * killed shows as interrupted rather than running. On Slurm the pid in a run.json belongs to another node: a run
 * that says running is taken at its word unless the task's recorded Slurm state says it has ended.
 */
export function loadSweep(dir: string): SweepRecord {
  const record = readSweepRecord(dir);
  if (record.pid !== undefined && !processAlive(record.pid)) delete record.pid;
  if (record.executor !== 'slurm') return refreshSweep(dir, record);
  refreshSweep(dir, record, () => true);
  for (const c of record.runs) if (c.status === 'running' && c.slurm?.state && !SLURM_ACTIVE_STATES.has(c.slurm.state)) c.status = 'interrupted';
  return record;
}

/** The sweep folders of an experiment, oldest first (sweep ids sort by creation time). */
export function listSweeps(runsRoot: string, experiment: string): string[] {
  return listRecordFolders(sweepsFolder(runsRoot, experiment), sweepFiles.record);
}

/** Is `dir` a sweep folder (has a sweep.json)? */
export function isSweepFolder(dir: string): boolean {
  return fs.existsSync(sweepFiles.record(dir));
}

// --------------------------------------------------------------------------------------------------- sweep jobs

export type SweepJobState = 'starting' | 'running' | 'cancelling' | 'completed' | 'failed' | 'cancelled';

export interface SweepOutcome {
  state: 'completed' | 'failed' | 'cancelled';
  /** The CLI's exit code (0 all completed, 1 some failed or it could not start, 130 cancelled). */
  code: number | null;
  /** The sweep folder, when the sweep was created. */
  dir?: string;
  status?: SweepRunStatus;
  counts?: SweepCounts;
  /** Why it failed to start or ended early (the CLI's last stderr lines). */
  error?: string;
}

export interface SweepJob {
  id: number;
  kind: 'sweep' | 'resume';
  experiment: string;
  /** The experiment file (new sweeps) or the sweep folder (resume). */
  target: string;
  args: string[];
  state: SweepJobState;
  child: ChildProcess;
  /** The sweep folder: known at once for resume, found through the CLI's pid in sweep.json for a new sweep. */
  dir?: string;
  /** Runs this invocation runs (all of a new sweep, the unfinished ones of a resumed one). */
  total?: number;
  ended: number;
  running: Set<number>;
  done: Promise<SweepOutcome>;
}

interface CliEvent {
  type: 'sweep-run-started' | 'sweep-run-progress' | 'sweep-run-ended' | 'sweep-note' | 'sweep-finished';
  index?: number;
  status?: string;
  error?: string;
  message?: string;
  dir?: string;
  counts?: SweepCounts;
  metrics?: { loss: number; elbo?: number; recon: number; kl?: number };
}

export interface StartSweepOptions {
  /** --set path=value overrides, applied to every run. */
  set?: string[];
  epochs?: number;
  parallel?: number;
  executor?: 'local' | 'slurm';
}

function lastLines(text: string, n = 3): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(I0000|WARNING: All log messages|Warning: max)/.test(l))
    .slice(-n)
    .join(' | ');
}

export class SweepRunner implements vscode.Disposable {
  private nextId = 1;
  private readonly jobs: SweepJob[] = [];
  private readonly changed = new vscode.EventEmitter<SweepJob>();
  /** Fires when a job starts, finds its folder, a run of it starts or ends, and when it ends. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly cliPath: string, private readonly output: vscode.OutputChannel) {}

  list(): readonly SweepJob[] {
    return this.jobs;
  }

  active(): SweepJob[] {
    return this.jobs.filter((j) => j.state === 'starting' || j.state === 'running' || j.state === 'cancelling');
  }

  findByDir(dir: string): SweepJob | undefined {
    const d = path.resolve(dir);
    return this.active().find((j) => j.dir && path.resolve(j.dir) === d);
  }

  /** `vae-lab sweep <file> --json --out <runsRoot>` with the settings' executor and Slurm flags. */
  run(experimentFile: string, experiment: string, runsRoot: string, o: StartSweepOptions = {}): SweepJob {
    const args = ['sweep', experimentFile, '--json', '--out', runsRoot, ...this.flags(o)];
    for (const s of o.set ?? []) args.push('--set', s);
    if (o.epochs !== undefined) args.push('--epochs', String(o.epochs));
    return this.start('sweep', experiment, experimentFile, args, runsRoot);
  }

  /** `vae-lab sweep resume <dir> --json`: the unfinished runs of a sweep (completed ones are kept). */
  resume(dir: string, o: StartSweepOptions = {}): SweepJob {
    const record = loadSweep(dir);
    const args = ['sweep', 'resume', dir, '--json', ...this.flags(o)];
    const job = this.start('resume', record.experiment, dir, args, undefined, dir);
    job.total = record.runs.filter((r) => r.status !== 'completed').length;
    return job;
  }

  /** Ask a sweep to stop: SIGINT, on which the CLI stops its runs with checkpoints (Resume Sweep goes on). */
  cancel(job: SweepJob): void {
    if (job.state !== 'starting' && job.state !== 'running') return;
    job.state = 'cancelling';
    this.output.appendLine(`[sweep ${job.experiment}] cancelling: running runs finish their step and write a checkpoint.`);
    job.child.kill('SIGINT');
    this.changed.fire(job);
  }

  private flags(o: StartSweepOptions): string[] {
    const flags = sweepCliFlags();
    if (o.executor) {
      const i = flags.indexOf('--executor');
      if (i >= 0) flags.splice(i, 2);
      flags.unshift('--executor', o.executor);
    }
    if (o.parallel !== undefined) flags.push('--parallel', String(o.parallel));
    return flags;
  }

  private start(kind: SweepJob['kind'], experiment: string, target: string, args: string[], runsRoot?: string, dir?: string): SweepJob {
    const tag = `[sweep ${experiment}]`;
    this.output.appendLine(`${tag} vae-lab ${args.join(' ')}`);
    const child = spawn(settings().nodePath || process.execPath, [this.cliPath, ...args], { env: engineEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let resolveDone!: (o: SweepOutcome) => void;
    const job: SweepJob = {
      id: this.nextId++,
      kind,
      experiment,
      target,
      args,
      state: 'starting',
      child,
      dir,
      ended: 0,
      running: new Set(),
      done: new Promise<SweepOutcome>((r) => (resolveDone = r)),
    };
    this.jobs.push(job);
    let finished: CliEvent | undefined;
    let stderr = '';
    let stdoutBuffer = '';
    let stderrBuffer = '';
    let startError: string | undefined;

    // A new sweep's folder is the one whose sweep.json names this process (the CLI writes its pid there at once).
    const findDir = () => {
      if (job.dir || !runsRoot || child.pid === undefined) return;
      for (const d of listSweeps(runsRoot, experiment).reverse()) {
        try {
          const r = readSweepRecord(d);
          if (r.pid === child.pid) {
            job.dir = d;
            job.total ??= r.runs.length;
            if (job.state === 'starting') job.state = 'running';
            this.changed.fire(job);
            return;
          }
        } catch {
          /* being written */
        }
      }
    };
    const finder = runsRoot ? setInterval(findDir, 250) : undefined;
    if (dir) job.state = 'running';

    const onLine = (line: string) => {
      let e: CliEvent;
      try {
        e = JSON.parse(line) as CliEvent;
      } catch {
        // The last line is the sweep folder.
        const t = line.trim();
        if (t && path.isAbsolute(t) && isSweepFolder(t)) job.dir ??= t;
        else if (t) this.output.appendLine(`${tag} ${t}`);
        return;
      }
      if (!e || typeof e !== 'object' || typeof e.type !== 'string') return;
      if (!job.dir) findDir();
      switch (e.type) {
        case 'sweep-run-started':
          if (job.state === 'starting') job.state = 'running';
          if (typeof e.index === 'number') job.running.add(e.index);
          this.changed.fire(job);
          break;
        case 'sweep-run-ended': {
          if (typeof e.index === 'number') job.running.delete(e.index);
          job.ended++;
          const m = e.metrics;
          const numbers = m ? ` (val loss ${m.loss.toFixed(2)}${m.elbo !== undefined ? `, ELBO ${m.elbo.toFixed(2)}` : ''})` : '';
          this.output.appendLine(`${tag} run #${String(e.index ?? '?').padStart(3, '0')} ${e.status ?? 'ended'}${numbers}${e.error ? `: ${e.error}` : ''}`);
          this.changed.fire(job);
          break;
        }
        case 'sweep-note':
          if (e.message) this.output.appendLine(`${tag} ${e.message}`);
          break;
        case 'sweep-finished':
          finished = e;
          if (e.dir) job.dir = e.dir;
          break;
      }
    };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdoutBuffer += chunk;
      let nl: number;
      while ((nl = stdoutBuffer.indexOf('\n')) >= 0) {
        const line = stdoutBuffer.slice(0, nl);
        stdoutBuffer = stdoutBuffer.slice(nl + 1);
        onLine(line);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-8000);
      stderrBuffer += chunk;
      let nl: number;
      while ((nl = stderrBuffer.indexOf('\n')) >= 0) {
        const line = stderrBuffer.slice(0, nl);
        stderrBuffer = stderrBuffer.slice(nl + 1);
        if (line.trim()) this.output.appendLine(`${tag} ${line}`);
      }
    });
    child.on('error', (err) => {
      startError = `the sweep could not start: ${err.message}`;
    });
    child.on('close', (code, signal) => {
      if (finder) clearInterval(finder);
      if (stdoutBuffer.trim()) onLine(stdoutBuffer);
      if (stderrBuffer.trim()) this.output.appendLine(`${tag} ${stderrBuffer}`);
      if (!job.dir) findDir();
      const cancelled = code === 130 || job.state === 'cancelling';
      const state: SweepOutcome['state'] = code === 0 ? 'completed' : cancelled ? 'cancelled' : 'failed';
      job.state = state;
      job.running.clear();
      const outcome: SweepOutcome = { state, code, dir: job.dir, status: finished?.status as SweepRunStatus | undefined, counts: finished?.counts };
      if (state !== 'completed') {
        const why = startError ?? lastLines(stderr);
        if (why) outcome.error = why;
        else if (!finished) outcome.error = `vae-lab exited with ${code !== null ? `code ${code}` : `signal ${signal}`}`;
      }
      this.output.appendLine(`${tag} ${state}${outcome.counts ? `: ${outcome.counts.completed} completed, ${outcome.counts.failed} failed, ${outcome.counts.cancelled} cancelled` : ''}${outcome.dir ? ` (${outcome.dir})` : ''}`);
      this.changed.fire(job);
      resolveDone(outcome);
    });
    this.changed.fire(job);
    return job;
  }

  dispose(): void {
    // The window closes: the sweeps stop with checkpoints ("Resume Sweep" goes on later).
    for (const j of this.active()) j.child.kill('SIGINT');
    this.changed.dispose();
  }
}

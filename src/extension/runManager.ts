// Runs the engine (dist/engine.js) as child processes, one per run, speaking the typed protocol of src/core over
// IPC. Runs beyond the parallel limit wait in a queue. Cancel asks the engine to stop (it finishes the step and
// writes a checkpoint), then kills it after a timeout. A child that dies without a final event marks its run
// failed with its last error. Never loads tfjs: the extension host stays responsive.
import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { EngineEvent, EvalResult, HostMessage } from '../core/protocol';
import { isEngineEvent } from '../core/protocol';
import { readRunRecord, runFiles, writeJsonAtomic } from '../core/runFolder';
import { threadsPerRun } from '../core/sweep';
import { engineEnv, settings } from './settings';

export type JobState = 'queued' | 'running' | 'stopping' | 'completed' | 'failed' | 'cancelled';

export interface JobRequest {
  kind: 'train' | 'resume';
  /** Experiment file (train) — for resume, read from the run record. */
  experimentFile: string;
  runsRoot: string;
  /** Run folder: known from the start for resume, from the 'started' event for train. */
  runDir?: string;
  backend?: string;
}

export interface RunJob extends JobRequest {
  id: number;
  label: string;
  state: JobState;
  child?: ChildProcess;
  /** The latest engine events of each kind, for the status bar, tooltips and dashboards. */
  started?: Extract<EngineEvent, { type: 'started' }>;
  lastStep?: Extract<EngineEvent, { type: 'step' }>;
  lastEpoch?: Extract<EngineEvent, { type: 'epoch' }>;
  error?: string;
  /** Resolves when the job has ended (any final state). */
  done: Promise<JobState>;
  /** Time (ms since epoch) the job ended. */
  endedAt?: number;
}

const KILL_TIMEOUT_MS = 3000;


export class RunManager implements vscode.Disposable {
  private nextId = 1;
  private readonly jobs: RunJob[] = [];
  private readonly resolvers = new Map<number, (s: JobState) => void>();
  private readonly stderrTails = new Map<number, string>();
  private readonly changed = new vscode.EventEmitter<RunJob | undefined>();
  private readonly events = new vscode.EventEmitter<{ job: RunJob; event: EngineEvent }>();
  /** Fires when a job changes state (queued, started, stopping, ended); progress comes through onEvent. */
  readonly onDidChange = this.changed.event;
  /** Every engine event of every job, unthrottled. */
  readonly onEvent = this.events.event;

  constructor(private readonly enginePath: string, private readonly output: vscode.OutputChannel) {}

  /** All jobs of this window: queued, running, and those that ended (for tooltips). */
  list(): readonly RunJob[] {
    return this.jobs;
  }

  active(): RunJob[] {
    return this.jobs.filter((j) => j.state === 'queued' || j.state === 'running' || j.state === 'stopping');
  }

  findByRunDir(runDir: string): RunJob | undefined {
    const target = path.resolve(runDir);
    return this.active().find((j) => j.runDir && path.resolve(j.runDir) === target);
  }

  /** Queue a run; it starts at once when fewer than maxParallelRuns are running. */
  submit(req: JobRequest): RunJob {
    let resolve!: (s: JobState) => void;
    const done = new Promise<JobState>((r) => (resolve = r));
    const job: RunJob = {
      ...req,
      id: this.nextId++,
      label: req.kind === 'resume' ? `resume ${path.basename(req.runDir ?? '')}` : path.basename(req.experimentFile).replace(/\.vae\.json$/, ''),
      state: 'queued',
      done,
    };
    this.resolvers.set(job.id, resolve);
    this.jobs.push(job);
    this.log(`[${job.label}] queued (${req.kind} ${req.kind === 'resume' ? req.runDir : req.experimentFile})`);
    this.changed.fire(job);
    this.pump();
    return job;
  }

  private pump(): void {
    const limit = Math.max(1, settings().maxParallelRuns);
    while (this.jobs.filter((j) => j.state === 'running' || j.state === 'stopping').length < limit) {
      const next = this.jobs.find((j) => j.state === 'queued');
      if (!next) return;
      this.start(next);
    }
  }

  private spawnEngine(): ChildProcess {
    const s = settings();
    const execPath = s.nodePath || process.execPath;
    // In VS Code desktop the extension host runs inside Electron: ELECTRON_RUN_AS_NODE makes it a plain Node.
    // The backends' threads share the cores among the runs that may go on at once (see src/engine/backends/).
    return fork(this.enginePath, [], {
      execPath,
      env: engineEnv({ VAE_LAB_WASM_THREADS: process.env.VAE_LAB_WASM_THREADS || String(threadsPerRun(os.cpus().length, s.maxParallelRuns)) }),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
  }

  private start(job: RunJob): void {
    job.state = 'running';
    let child: ChildProcess;
    try {
      child = this.spawnEngine();
    } catch (err) {
      this.finish(job, 'failed', `could not start the engine: ${(err as Error).message}`);
      return;
    }
    job.child = child;
    this.stderrTails.set(job.id, '');
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString();
      this.output.append(text.split('\n').map((l) => (l ? `[${job.label}] ${l}` : l)).join('\n'));
      this.stderrTails.set(job.id, ((this.stderrTails.get(job.id) ?? '') + text).slice(-2000));
    });
    child.stdout?.on('data', (d: Buffer) => this.output.append(d.toString()));
    child.on('message', (m: unknown) => {
      if (!isEngineEvent(m)) {
        this.log(`[${job.label}] ignored a malformed message from the engine: ${JSON.stringify(m).slice(0, 200)}`);
        return;
      }
      this.handleEvent(job, m);
    });
    child.on('error', (err) => this.log(`[${job.label}] engine process error: ${err.message}`));
    child.on('exit', (code, signal) => this.onExit(job, code, signal));
    const msg: HostMessage =
      job.kind === 'train'
        ? { type: 'train', experimentFile: job.experimentFile, runsRoot: job.runsRoot, overrides: [], backend: job.backend }
        : { type: 'resume', runDir: job.runDir! };
    child.send(msg);
    this.log(`[${job.label}] engine started (pid ${child.pid}, ${settings().nodePath || process.execPath})`);
    this.changed.fire(job);
  }

  private handleEvent(job: RunJob, e: EngineEvent): void {
    switch (e.type) {
      case 'started':
        job.started = e;
        job.runDir = e.runDir;
        job.label = `${e.config.name}/${e.runId}`;
        this.log(`[${job.label}] ${e.resumed ? 'resumed' : 'started'} on ${e.backend.name} ${e.backend.version} [${e.backend.detail}], ${e.data.train} training examples`);
        break;
      case 'step':
        job.lastStep = e;
        break;
      case 'epoch': {
        job.lastEpoch = e;
        const v = e.validation;
        this.log(`[${job.label}] epoch ${e.epoch + 1}: train loss ${e.train.loss.toFixed(2)}, validation loss ${v.loss.toFixed(2)}${v.elbo !== undefined ? `, ELBO ${v.elbo.toFixed(2)}` : ''} (${e.seconds.toFixed(1)} s)`);
        break;
      }
      case 'log':
        this.log(`[${job.label}] ${e.level}: ${e.message}`);
        break;
      case 'finished':
        this.log(`[${job.label}] finished: ${e.reason}`);
        this.finish(job, 'completed');
        break;
      case 'cancelled':
        this.log(`[${job.label}] cancelled at step ${e.step}: ${e.reason}`);
        this.finish(job, 'cancelled');
        break;
      case 'failed':
        this.log(`[${job.label}] failed: ${e.error}`);
        this.finish(job, 'failed', e.error);
        break;
      default:
        break;
    }
    this.events.fire({ job, event: e });
    if (e.type === 'started' || e.type === 'finished' || e.type === 'cancelled' || e.type === 'failed') this.changed.fire(job);
  }

  private onExit(job: RunJob, code: number | null, signal: NodeJS.Signals | null): void {
    job.child = undefined;
    if (job.state === 'running' || job.state === 'stopping') {
      // Died without a final event: a crash, an out-of-memory kill, or our own kill after the timeout.
      const tail = (this.stderrTails.get(job.id) ?? '').trim().split('\n').filter(Boolean).pop();
      const stopping = job.state === 'stopping';
      const reason = stopping
        ? `stopped: the engine did not finish its step within ${KILL_TIMEOUT_MS / 1000} s and was killed`
        : `the engine exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})${tail ? `: ${tail}` : ''}`;
      this.markRecord(job, stopping ? 'cancelled' : 'failed', reason);
      this.finish(job, stopping ? 'cancelled' : 'failed', reason);
      this.log(`[${job.label}] ${reason}`);
    }
    this.stderrTails.delete(job.id);
    this.changed.fire(job);
    this.pump();
  }

  /** Record a final status the engine could not write itself. */
  private markRecord(job: RunJob, status: 'failed' | 'cancelled', reason: string): void {
    if (!job.runDir || !fs.existsSync(runFiles.record(job.runDir))) return;
    try {
      const rec = readRunRecord(job.runDir);
      if (rec.status !== 'running') return;
      writeJsonAtomic(runFiles.record(job.runDir), { ...rec, status, statusReason: reason, error: status === 'failed' ? reason : rec.error, pid: undefined, endedAt: new Date().toISOString(), updatedAt: new Date().toISOString() });
    } catch (err) {
      this.log(`[${job.label}] could not update run.json: ${(err as Error).message}`);
    }
  }

  private finish(job: RunJob, state: JobState, error?: string): void {
    if (job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled') return;
    job.state = state;
    job.error = error;
    job.endedAt = Date.now();
    this.resolvers.get(job.id)?.(state);
    this.resolvers.delete(job.id);
  }

  /** Ask a job to stop: a queued job is dropped; a running one finishes its step, checkpoints, and is killed after a timeout. */
  stop(job: RunJob, reason = 'stopped from VS Code'): void {
    if (job.state === 'queued') {
      this.finish(job, 'cancelled');
      this.log(`[${job.label}] removed from the queue`);
      this.changed.fire(job);
      return;
    }
    if (job.state !== 'running' || !job.child) return;
    job.state = 'stopping';
    const child = job.child;
    if (child.connected) child.send({ type: 'cancel', reason } satisfies HostMessage);
    else child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (job.child === child) child.kill('SIGKILL');
    }, KILL_TIMEOUT_MS);
    child.once('exit', () => clearTimeout(timer));
    this.changed.fire(job);
  }

  /** Evaluate a finished run on its test set, in a short-lived engine process. */
  evaluate(runDir: string, samples?: number): Promise<EvalResult> {
    return this.request({ type: 'evaluate', runDir, samples }, (e) => (e.type === 'evaluated' ? e.result : undefined));
  }

  /** Write the latent explorer's data (<run>/explorer/) from the run's latest weights. */
  explore(runDir: string): Promise<number> {
    return this.request({ type: 'explore', runDir }, (e) => (e.type === 'explored' ? e.step : undefined));
  }

  /** Send one request to a short-lived engine process and resolve with what `pick` finds in its events. */
  private request<T>(msg: HostMessage, pick: (e: EngineEvent) => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = this.spawnEngine();
      } catch (err) {
        reject(err);
        return;
      }
      let result: T | undefined;
      let error = '';
      child.stderr?.on('data', (d: Buffer) => (error = (error + d.toString()).slice(-2000)));
      child.on('message', (m: unknown) => {
        if (!isEngineEvent(m)) return;
        if (m.type === 'failed') error = m.error;
        result = result ?? pick(m);
      });
      child.on('exit', () => (result !== undefined ? resolve(result) : reject(new Error(error.trim() || `the engine ended without answering ${msg.type}`))));
      child.send(msg);
    });
  }

  log(line: string): void {
    this.output.appendLine(`${new Date().toISOString().slice(11, 19)} ${line}`);
  }

  /** Stop every child (deactivation, window close): ask politely, then make sure. */
  dispose(): void {
    for (const job of this.active()) {
      if (job.state === 'queued') this.finish(job, 'cancelled');
      else if (job.child) {
        if (job.child.connected) job.child.send({ type: 'cancel', reason: 'VS Code is closing' } satisfies HostMessage);
        const child = job.child;
        setTimeout(() => child.kill('SIGKILL'), KILL_TIMEOUT_MS).unref();
      }
    }
    this.changed.dispose();
    this.events.dispose();
  }
}

// The Slurm executor: one job array whose task i runs `vae-lab resume <sweep>/runs/<i>` (the sweep folder must be on a
// file system the nodes share). It writes the batch script into the sweep folder, submits it with sbatch, and follows
// the tasks through squeue and the run folders; Slurm's final state and exit code come from sacct or, where the
// cluster keeps no accounting database, from the job-completion file (JobCompType=jobcomp/filetxt).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SLURM_ACTIVE_STATES, SlurmOptions, SweepChild, SweepRecord, readSweepRecord, refreshSweep, sweepFiles } from '../../core/sweep';
import { writeFileAtomic, writeJsonAtomic } from '../../core/runFolder';
import { runName, SweepProgress } from './progress';

export class SlurmError extends Error {}


export interface TaskState {
  state: string;
  reason?: string;
  exitCode?: string;
}

function slurmCommand(cmd: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new SlurmError(`${cmd} was not found on PATH: the Slurm executor needs Slurm's client commands (sbatch, squeue, scancel) and SLURM_CONF where the cluster needs it; on this machine 'npm run slurm:start' brings up a single-node Slurm.`);
  }
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: (r.stderr ?? '').trim() || (r.error?.message ?? '') };
}

/** Fail early, in one line, where Slurm's commands are missing. */
export function checkSlurm(): void {
  const r = slurmCommand('sbatch', ['--version']);
  if (!r.ok) throw new SlurmError(`sbatch --version failed: ${r.stderr}`);
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The array specification: "0-7%2" or "1,3,5%2". */
export function arraySpec(indices: number[], throttle?: number): string {
  const sorted = [...indices].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',') + (throttle ? `%${throttle}` : '');
}

export function batchScript(dir: string, experiment: string, o: SlurmOptions, selfCommand: string): string {
  const logs = sweepFiles.slurm(dir);
  const lines = [
    '#!/bin/bash',
    `# Written by vae-lab sweep. Task i trains the sweep's child i: ${path.join(dir, 'runs', '<i as 000>')}.`,
    `#SBATCH --job-name=${shellQuote(`vae-lab-${experiment}`)}`,
    `#SBATCH --output=${shellQuote(path.join(logs, '%A_%a.out'))}`,
    `#SBATCH --cpus-per-task=${o.cpusPerTask ?? 1}`,
  ];
  if (o.partition) lines.push(`#SBATCH --partition=${shellQuote(o.partition)}`);
  if (o.time) lines.push(`#SBATCH --time=${o.time}`);
  for (const a of o.extraArgs ?? []) lines.push(`#SBATCH ${a}`);
  lines.push(
    'set -eu',
    `RUN=${shellQuote(path.join(dir, 'runs'))}/$(printf '%03d' "$SLURM_ARRAY_TASK_ID")`,
    'export VAE_LAB_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
    'echo "vae-lab sweep task $SLURM_ARRAY_TASK_ID on $(hostname): $RUN"',
    // exec: scancel's SIGTERM reaches the engine, which writes a checkpoint and ends the run as cancelled.
    `exec ${selfCommand} resume "$RUN"`,
    '',
  );
  return lines.join('\n');
}

/** Submit the given children as one job array; records the job in sweep.json and returns its id. */
export function submit(dir: string, children: SweepChild[], o: SlurmOptions, selfCommand: string): string {
  checkSlurm();
  const record = readSweepRecord(dir);
  fs.mkdirSync(sweepFiles.slurm(dir), { recursive: true }); // sbatch's --output folder must exist
  const script = path.join(sweepFiles.slurm(dir), `sweep-${(record.slurm?.jobIds.length ?? 0) + 1}.sbatch`);
  writeFileAtomic(script, batchScript(dir, record.experiment, o, selfCommand));
  const spec = arraySpec(children.map((c) => c.index), o.throttle);
  const r = slurmCommand('sbatch', ['--parsable', `--array=${spec}`, script]);
  if (!r.ok) throw new SlurmError(`sbatch refused the sweep's job array (${script}): ${r.stderr.split('\n')[0]}`);
  const jobId = r.stdout.trim().split(';')[0];
  if (!/^\d+$/.test(jobId)) throw new SlurmError(`sbatch printed "${r.stdout.trim()}" where a job id was expected.`);
  const jobIds = [...(record.slurm?.jobIds ?? []), jobId];
  record.slurm = { jobIds, script, submittedAt: new Date().toISOString(), options: o };
  for (const c of children) {
    record.runs[c.index].slurm = { jobId, taskId: c.index, state: 'PENDING', log: path.join(sweepFiles.slurm(dir), `${jobId}_${c.index}.out`) };
  }
  writeJsonAtomic(sweepFiles.record(dir), record);
  return jobId;
}

/** Tasks of the given jobs that squeue still knows, by "jobId_taskId". */
export function squeueStates(jobIds: string[]): Map<string, TaskState> {
  const out = new Map<string, TaskState>();
  if (jobIds.length === 0) return out;
  const r = slurmCommand('squeue', ['-h', '-r', '-t', 'all', '-j', jobIds.join(','), '-o', '%i|%T|%r']);
  if (!r.ok) return out; // "Invalid job id specified": the jobs have left squeue
  for (const line of r.stdout.split('\n')) {
    const [id, state, reason] = line.trim().split('|');
    if (id && state && /^\d+_\d+$/.test(id)) out.set(id, { state, reason: reason && reason !== 'None' ? reason : undefined });
  }
  return out;
}

/** Final states of ended tasks from sacct, or from the job-completion file where sacct has nothing. */
export function finalStates(jobIds: string[]): Map<string, TaskState> {
  const out = new Map<string, TaskState>();
  if (jobIds.length === 0) return out;
  const acct = slurmCommand('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '-o', 'JobID,State,ExitCode']);
  if (acct.ok) {
    for (const line of acct.stdout.split('\n')) {
      const [id, state, exitCode] = line.trim().split('|');
      if (id && /^\d+_\d+$/.test(id) && state) out.set(id, { state: state.split(' ')[0], exitCode });
    }
  }
  if (out.size > 0) return out;
  const config = slurmCommand('scontrol', ['show', 'config']);
  const loc = /^JobCompLoc\s*=\s*(\S+)/m.exec(config.stdout)?.[1];
  if (!loc || !loc.startsWith('/')) return out;
  let text = '';
  try {
    text = fs.readFileSync(loc, 'utf8');
  } catch {
    return out;
  }
  const wanted = new Set(jobIds);
  for (const line of text.split('\n')) {
    const f = Object.fromEntries([...line.matchAll(/(\w+)=(\S*)/g)].map((m) => [m[1], m[2]]));
    if (f.ArrayJobId && wanted.has(f.ArrayJobId) && f.ArrayTaskId && f.JobState) {
      out.set(`${f.ArrayJobId}_${f.ArrayTaskId}`, { state: f.JobState, exitCode: f.ExitCode });
    } else if (!f.ArrayJobId && f.JobId && wanted.has(f.JobId) && f.JobState) {
      // Tasks cancelled while still pending as one entry leave a single line for the whole array, without task ids.
      out.set(`${f.JobId}_*`, { state: f.JobState, exitCode: f.ExitCode });
    }
  }
  return out;
}

/** Merge Slurm's view into the children: a task that ended without its run ending is failed or cancelled. */
export function reconcile(record: SweepRecord, queued: Map<string, TaskState>, ended: () => Map<string, TaskState>): void {
  let endedStates: Map<string, TaskState> | undefined;
  for (const c of record.runs) {
    if (!c.slurm) continue;
    const key = `${c.slurm.jobId}_${c.slurm.taskId}`;
    const q = queued.get(key);
    const t = q && SLURM_ACTIVE_STATES.has(q.state) ? q : (endedStates ??= ended()).get(key) ?? q ?? endedStates.get(`${c.slurm.jobId}_*`);
    if (!t) continue;
    c.slurm.state = t.state;
    if (t.exitCode) c.slurm.exitCode = t.exitCode;
    if (SLURM_ACTIVE_STATES.has(t.state)) {
      // The engine's pid is on a compute node: Slurm, not this machine, says whether it runs.
      if (t.state === 'RUNNING' && (c.status === 'interrupted' || c.status === 'queued')) c.status = 'running';
      continue;
    }
    if (c.status === 'running' || c.status === 'queued' || c.status === 'interrupted') {
      c.status = t.state.startsWith('CANCELLED') ? 'cancelled' : c.status === 'queued' && t.state === 'COMPLETED' ? 'failed' : t.state === 'COMPLETED' ? 'interrupted' : 'failed';
      c.error ??= `the Slurm task ended ${t.state}${t.exitCode ? ` (exit ${t.exitCode})` : ''} before the run finished; log: ${c.slurm.log}`;
    }
  }
}

/** Whether any task of the sweep may still run. */
export function anyActive(record: SweepRecord): boolean {
  return record.runs.some((c) => c.slurm && c.slurm.state !== undefined && SLURM_ACTIVE_STATES.has(c.slurm.state));
}

export interface FollowOptions {
  progress: SweepProgress;
  signal: { cancelled: boolean; onCancel?: () => void };
  pollMs?: number;
  /** Which children this follower reports on (the ones it submitted). */
  watch: Set<number>;
}

/** A refreshed record with Slurm's states merged in (also what `sweep status` shows). */
export function slurmSnapshot(dir: string): SweepRecord {
  const record = refreshSweep(dir, readSweepRecord(dir), () => true);
  const jobIds = record.slurm?.jobIds ?? [];
  reconcile(record, squeueStates(jobIds), () => finalStates(jobIds));
  return record;
}

/** Follow the tasks until none may still run; keeps sweep.json current. Ctrl-C cancels the tasks with scancel. */
export async function follow(dir: string, o: FollowOptions): Promise<SweepRecord> {
  const seen = new Map<number, string>();
  let cancelSent = false;
  o.signal.onCancel = () => {
    const jobIds = readSweepRecord(dir).slurm?.jobIds ?? [];
    if (jobIds.length && !cancelSent) {
      cancelSent = true;
      slurmCommand('scancel', jobIds);
      o.progress.note(`scancel ${jobIds.join(' ')}: each running task writes a checkpoint and ends as cancelled.`);
    }
  };
  for (;;) {
    const record = slurmSnapshot(dir);
    const before = readSweepRecord(dir);
    record.pid = before.pid;
    record.cancelled = before.cancelled || o.signal.cancelled || undefined;
    writeJsonAtomic(sweepFiles.record(dir), record);
    for (const c of record.runs) {
      if (!o.watch.has(c.index) || !c.slurm) continue;
      const key = `${c.slurm.state}/${c.status}`;
      if (seen.get(c.index) === key) continue;
      const first = !seen.has(c.index);
      seen.set(c.index, key);
      if (c.status === 'running' && c.slurm.state === 'RUNNING') o.progress.note(`running ${runName(c)} (Slurm task ${c.slurm.jobId}_${c.slurm.taskId})`);
      else if (!SLURM_ACTIVE_STATES.has(c.slurm.state ?? 'PENDING')) o.progress.ended(0, c, null, c.status === 'completed' ? '' : `Slurm ${c.slurm.state}${c.slurm.exitCode ? ` exit ${c.slurm.exitCode}` : ''}, log ${c.slurm.log}`);
      else if (first && c.slurm.state === 'PENDING') continue;
    }
    if (!anyActive(record)) return record;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
  }
}

/** How the nodes start vae-lab: the sweep's slurm.command, else this node and this script by absolute path. */
export function defaultSelfCommand(script: string): string {
  return `${shellQuote(process.execPath)} ${shellQuote(path.resolve(script))}`;
}

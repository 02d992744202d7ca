// The local executor: a pool of `parallel` slots, each running `vae-lab resume <child>` in its own process, the
// cores split among them. The children are ordinary runs: they write their own run folders; this process only starts
// them, shows their progress and keeps sweep.json current.
import { ChildProcess, spawn } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import type { EngineEvent } from '../../core/protocol';
import { processAlive, readRunRecord } from '../../core/runFolder';
import { SweepChild, SweepRecord, syncSweep, threadsPerRun } from '../../core/sweep';
import type { SweepProgress } from './progress';

export interface LocalOptions {
  /** The CLI script to start the children with (dist/cli.js). */
  script: string;
  parallel: number;
  progress: SweepProgress;
  /** Set once the user asked to stop (Ctrl-C): no child starts after it, running ones get SIGINT. */
  signal: { cancelled: boolean; onCancel?: () => void };
}

/** Run the given children of the sweep; resolves when all have ended (or were never started after a cancel). */
export async function runLocal(dir: string, record: SweepRecord, todo: SweepChild[], o: LocalOptions): Promise<void> {
  const queue = todo.slice();
  const slots = Math.max(1, Math.min(o.parallel, queue.length));
  const threads = threadsPerRun(os.cpus().length, slots);
  const running = new Map<number, ChildProcess>();
  o.signal.onCancel = () => {
    // Each child finishes its step and writes a checkpoint (it is in its own process group: the terminal's Ctrl-C
    // reaches only this process, which passes it on once).
    for (const child of running.values()) child.kill('SIGINT');
  };
  const runOne = (c: SweepChild, slot: number) =>
    new Promise<void>((resolve) => {
      const runDir = path.join(dir, c.dir);
      const env = { ...process.env, VAE_LAB_THREADS: process.env.VAE_LAB_THREADS || String(threads) };
      const child = spawn(process.execPath, [o.script, 'resume', runDir, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      running.set(c.index, child);
      o.progress.started(slot, c);
      let buffer = '';
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          try {
            o.progress.event(slot, c, JSON.parse(line) as EngineEvent);
          } catch {
            /* not an event */
          }
        }
      });
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-4000);
      });
      child.on('error', (err) => {
        stderr += `\n${err.message}`;
      });
      child.on('close', (code) => {
        running.delete(c.index);
        const updated = syncSweep(dir);
        const now = updated.runs[c.index];
        // A child that died before its engine wrote anything (node missing, out of memory) is still 'queued'.
        if (now.status === 'queued' || now.status === 'running') now.error = lastLines(stderr) || `vae-lab exited with code ${code}`;
        o.progress.ended(slot, now, code, lastLines(stderr));
        resolve();
      });
    });
  const worker = async (slot: number) => {
    for (;;) {
      if (o.signal.cancelled) return;
      const c = queue.shift();
      if (!c) return;
      await runOne(c, slot);
    }
  };
  await Promise.all(Array.from({ length: slots }, (_, i) => worker(i)));
}

function lastLines(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(I0000|WARNING: All log messages|Warning: max)/.test(l))
    .slice(-3)
    .join(' | ');
}

/** Children still training in another process (a sweep followed before and killed, its children left running). */
export function stillRunning(dir: string, record: SweepRecord): SweepChild[] {
  return record.runs.filter((r) => {
    if (r.status !== 'running') return false;
    try {
      const pid = readRunRecord(path.join(dir, r.dir)).pid;
      return pid !== undefined && processAlive(pid);
    } catch {
      return false;
    }
  });
}

// The local executor: a pool of `parallel` slots, each a `vae-lab sweep-worker` process that trains the children it
// is given one after the other (as `vae-lab resume <child>` would), the cores split among the slots. The children are
// ordinary runs: they write their own run folders; this process only starts them, shows their progress and keeps
// sweep.json current.
import { ChildProcess, spawn } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import type { EngineEvent } from '../../core/protocol';
import { SweepChild, SweepRecord, syncSweep, threadsPerRun } from '../../core/sweep';
import type { SweepProgress } from './progress';
import type { WorkerDone } from './worker';

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
  const workers = new Set<ChildProcess>();
  o.signal.onCancel = () => {
    // Each worker finishes its step and writes a checkpoint (it is in its own process group: the terminal's Ctrl-C
    // reaches only this process, which passes it on once).
    for (const w of workers) w.kill('SIGINT');
  };
  /** One slot: a `vae-lab sweep-worker` process fed one child at a time; a new one if it dies. */
  const slot = (n: number) =>
    new Promise<void>((resolve) => {
      if (o.signal.cancelled || queue.length === 0) return resolve();
      const env = { ...process.env, VAE_LAB_THREADS: process.env.VAE_LAB_THREADS || String(threads) };
      const w = spawn(process.execPath, [o.script, 'sweep-worker'], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      workers.add(w);
      let current: SweepChild | undefined;
      let stderr = '';
      const next = () => {
        current = o.signal.cancelled ? undefined : queue.shift();
        if (!current) {
          w.stdin?.end();
          return;
        }
        stderr = '';
        o.progress.started(n, current);
        w.stdin?.write(path.join(dir, current.dir) + '\n');
      };
      const ended = (error?: string, seconds?: number) => {
        if (!current) return;
        const c = current;
        current = undefined;
        const now = syncSweep(dir, (r) => {
          if (seconds !== undefined) r.runs[c.index].wallSeconds = Math.round(seconds * 100) / 100;
        }).runs[c.index];
        if (error && now.status !== 'completed') now.error ??= error;
        o.progress.ended(n, now, null, now.status === 'completed' ? '' : lastLines(stderr));
      };
      let buffer = '';
      w.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          let e: EngineEvent | WorkerDone;
          try {
            e = JSON.parse(line) as EngineEvent | WorkerDone;
          } catch {
            continue;
          }
          if (e.type === 'worker-done') {
            ended(e.error, e.seconds);
            next();
          } else if (current) o.progress.event(n, current, e);
        }
      });
      w.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-4000);
      });
      w.stdin?.on('error', () => undefined); // a worker that died: 'close' below handles it
      w.on('error', (err) => {
        stderr += `\n${err.message}`;
      });
      w.on('close', (code) => {
        workers.delete(w);
        // A worker that died inside a run (out of memory, killed): that run is reported, the slot starts a new worker.
        if (current) ended(lastLines(stderr) || `the sweep worker exited with code ${code}`);
        resolve(slot(n));
      });
      next();
    });
  await Promise.all(Array.from({ length: slots }, (_, i) => slot(i)));
}

function lastLines(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(I0000|WARNING: All log messages|Warning: max)/.test(l))
    .slice(-3)
    .join(' | ');
}

// `vae-lab sweep-worker`: the local executor's slot. It reads run folders from stdin, one per line, and trains each in
// turn (`vae-lab resume` on each, in one process: Node, TF.js and the backend start once per slot, not once per run).
// Events go to stdout as JSON lines, each run ending with {"type":"worker-done"}. SIGINT or SIGTERM cancels the current
// run with a checkpoint and ends the worker.
import * as readline from 'readline';
import { ConfigError, formatIssue } from '../../core/config';
import type { EngineEvent } from '../../core/protocol';
import { resumeRun } from '../trainer';

export interface WorkerDone {
  type: 'worker-done';
  runDir: string;
  status: string;
  error?: string;
  /** Wall time of the run in this worker: loading its data, training, evaluating and saving it. */
  seconds: number;
}

export async function sweepWorker(): Promise<number> {
  let cancel: string | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    cancel ??= sig === 'SIGINT' ? 'the sweep was cancelled (Ctrl-C)' : `the sweep received ${sig}`;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const write = (e: EngineEvent | WorkerDone) => process.stdout.write(JSON.stringify(e) + '\n');
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const runDir = line.trim();
    if (!runDir) continue;
    if (cancel) break;
    const t0 = Date.now();
    const seconds = () => (Date.now() - t0) / 1000;
    try {
      const outcome = await resumeRun(runDir, { emit: write, cancelReason: () => cancel });
      write({ type: 'worker-done', runDir, status: outcome.status, seconds: seconds() });
    } catch (err) {
      const error = err instanceof ConfigError ? err.issues.map((i) => formatIssue(i, err.file)).join('; ') : (err as Error).message;
      write({ type: 'worker-done', runDir, status: 'failed', error, seconds: seconds() });
    }
    if (cancel) break;
  }
  lines.close();
  return cancel ? 130 : 0;
}

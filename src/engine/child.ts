// The engine as a child process of the extension host: receives HostMessages over the IPC channel and sends
// EngineEvents back. SIGTERM or a 'cancel' message finishes the current step, writes a checkpoint and ends the
// run as cancelled.
import { ConfigError, formatIssue } from '../core/config';
import { EngineEvent, HostMessage, isHostMessage } from '../core/protocol';
import { evaluateRun } from './evalRun';
import { prepareExplorer } from './explorerData';
import { EngineHooks, resumeRun, startRun } from './trainer';

let cancel: string | undefined;
let busy = false;

function send(e: EngineEvent): void {
  if (process.send) process.send(e);
}

const hooks: EngineHooks = { emit: send, cancelReason: () => cancel };

async function handle(msg: HostMessage): Promise<void> {
  if (msg.type === 'cancel') {
    cancel = msg.reason ?? 'cancelled by the user';
    return;
  }
  if (busy) return;
  busy = true;
  try {
    if (msg.type === 'train') {
      await startRun({ experimentFile: msg.experimentFile, runsRoot: msg.runsRoot, overrides: msg.overrides, epochs: msg.epochs, backend: msg.backend as never }, hooks);
    } else if (msg.type === 'resume') {
      await resumeRun(msg.runDir, hooks);
    } else if (msg.type === 'explore') {
      const meta = await prepareExplorer(msg.runDir);
      send({ type: 'explored', time: new Date().toISOString(), runDir: msg.runDir, step: meta.step });
    } else {
      const result = await evaluateRun(msg.runDir, { samples: msg.samples, log: (message) => send({ type: 'log', time: new Date().toISOString(), level: 'info', message }) });
      send({ type: 'evaluated', time: new Date().toISOString(), runDir: msg.runDir, result });
    }
    process.exitCode = 0;
  } catch (err) {
    const error = err instanceof ConfigError ? err.issues.map((i) => formatIssue(i, err.file)).join('\n') : (err as Error).message;
    // Errors before the run folder exists have not been reported as events yet.
    send({ type: 'failed', time: new Date().toISOString(), error });
    process.exitCode = 1;
  } finally {
    process.disconnect?.();
  }
}

process.on('message', (m: unknown) => {
  if (isHostMessage(m)) void handle(m);
});
process.on('SIGTERM', () => {
  cancel = cancel ?? 'received SIGTERM';
});
process.on('disconnect', () => {
  cancel = cancel ?? 'the extension host went away';
});

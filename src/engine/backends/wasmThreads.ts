// The multi-threaded build of tfjs-backend-wasm in Node: its XNNPACK matmuls then use every core (the reference
// VAE's step is three quarters matmul). tfjs 4.22 does not support this in Node out of the box:
//   1. it reports WASM_HAS_MULTITHREAD_SUPPORT = false in Node (the flag can be set);
//   2. Emscripten starts its pthread workers from a blob: URL, which Node's Worker rejects, then sends each worker
//      the main script as a Blob, which the worker cannot read in Node;
//   3. the C++ side caps the thread count at half of os.cpus(), i.e. one thread on a 2-core machine;
//   4. an error in a worker is rethrown by Emscripten's handler and kills the process, and a worker that never
//      answers leaves setBackend pending for ever; an idle pthread worker keeps the process alive.
// startThreadedWasm works around each in this process only (the engine and the CLI run training in a process of
// their own): worker_threads.Worker is replaced by a subclass that changes only the workers Emscripten starts from a
// blob: URL (it runs the worker source shipped in dist/wasm, hands it the main script's path, unrefs it and turns its
// errors into a failure of the start; other workers behave as usual); os.cpus() reports enough cores while the
// backend starts; the start has a time limit. On any failure the workers are terminated, the patches undone, and the
// caller gets the reason and starts the single-threaded build (the fallback is tested in test/unit/cli.test.ts).
// Pinned to tfjs-backend-wasm 4.22.0: every workaround relies on its internals.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import { requestedThreads } from './common';
// The module objects themselves (an `import * as` namespace is a copy): Emscripten reads Worker and cpus from them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const os = require('os') as typeof import('os');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const workerThreads = require('worker_threads') as typeof import('worker_threads');

export const THREADED_MAIN = 'tfjs-backend-wasm-threaded-simd.js';
export const THREADED_WORKER = 'tfjs-backend-wasm-threaded-simd.worker.js';
export const THREADED_WASM = 'tfjs-backend-wasm-threaded-simd.wasm';

/**
 * How many threads the wasm backend should use: VAE_LAB_THREADS or VAE_LAB_WASM_THREADS when set (1 turns threads
 * off), else one per core, at most 4. The extension sets it so that parallel runs do not compete for the cores.
 */
export function requestedWasmThreads(): number {
  return requestedThreads(Math.max(1, Math.min(4, os.cpus().length)));
}

export type ThreadedStart = { ok: true; threads: number } | { ok: false; reason: string };

/**
 * Try to start the threaded SIMD build with `threads` threads from the files in `wasmDir`. Resolves (never
 * rejects) with the thread count or the reason it failed; after a failure the 'wasm' backend is registered afresh,
 * ready for the single-threaded start.
 */
export async function startThreadedWasm(wasmDir: string, threads: number, timeoutMs = 10_000): Promise<ThreadedStart> {
  const factory = tf.findBackendFactory('wasm');
  const missing = [THREADED_MAIN, THREADED_WORKER, THREADED_WASM].filter((f) => !fs.existsSync(path.join(wasmDir, f)));
  if (missing.length) return { ok: false, reason: `${missing.join(', ')} not found in ${wasmDir}` };
  // The worker source as tfjs would put it in its Blob (newlines escaped, run with eval).
  const source = (require(path.join(wasmDir, THREADED_WORKER)) as { wasmWorkerContents: string }).wasmWorkerContents.replace(/\n/g, '\\n');
  const mainScript = path.join(wasmDir, THREADED_MAIN);
  const created: import('worker_threads').Worker[] = [];
  let failWorker: (e: unknown) => void = () => undefined;
  const workerFailed = new Promise<never>((_, reject) => (failWorker = reject));
  workerFailed.catch(() => undefined);

  const Original = workerThreads.Worker;
  class PthreadWorker extends Original {
    private readonly pthread: boolean;
    constructor(url: string | URL, options?: import('worker_threads').WorkerOptions) {
      const pthread = typeof url === 'string' && url.startsWith('blob:');
      if (pthread) URL.revokeObjectURL(url as string);
      super(pthread ? source : url, pthread ? { eval: true } : options);
      this.pthread = pthread;
      if (!pthread) return;
      created.push(this);
      this.unref();
    }
    // Emscripten ref()s a worker while it runs a pthread; an idle pool must not keep the process alive.
    override ref(): void {
      if (!this.pthread) super.ref();
    }
    override on(event: string | symbol, listener: (...args: any[]) => void): this {
      return super.on(event, this.pthread && event === 'error' ? (e: unknown) => failWorker(e) : listener);
    }
    override postMessage(message: any, transfer?: readonly any[]): void {
      if (this.pthread && message && message.cmd === 'load' && typeof message.urlOrBlob !== 'string') message = { ...message, urlOrBlob: mainScript };
      super.postMessage(message, transfer as any);
    }
  }
  const cpus = os.cpus;
  const writable = workerThreads as { Worker: typeof Original };
  writable.Worker = PthreadWorker;
  (os as { cpus: typeof os.cpus }).cpus = () => {
    const c = cpus();
    while (c.length < 2 * threads) c.push(c[0]);
    return c;
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasmBackend.setThreadsCount(threads);
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the threads did not start within ${timeoutMs / 1000} s`)), timeoutMs)));
    const ok = await Promise.race([tf.setBackend('wasm'), workerFailed, timeout]);
    if (!ok) throw new Error('setBackend returned false');
    await tf.ready();
    return { ok: true, threads: wasmBackend.getThreadsCount() };
  } catch (err) {
    for (const w of created) void w.terminate();
    writable.Worker = Original;
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (tf.findBackend('wasm') || tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
    if (factory) tf.registerBackend('wasm', factory, 2);
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
    (os as { cpus: typeof os.cpus }).cpus = cpus;
  }
}

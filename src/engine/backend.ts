// Choosing and initialising the TensorFlow.js backend. Never falls back to the slow 'cpu' backend silently.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice } from '../core/config';
import { packageRoot } from './paths';
import type { BackendInfo } from '../core/protocol';

export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

const WASM_FILE = 'tfjs-backend-wasm-simd.wasm';

/** Where the .wasm binaries are: next to the bundle (dist/wasm), or in the installed npm package. */
export function findWasmDir(): string {
  const candidates = [process.env.VAE_LAB_WASM_DIR, path.join(packageRoot(), 'dist', 'wasm')];
  try {
    candidates.push(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/' + WASM_FILE)));
  } catch {
    /* not resolvable from a bundle */
  }
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, WASM_FILE))) return dir;
  }
  throw new BackendError(
    `the WebAssembly binaries (${WASM_FILE}) were not found in ${candidates.filter(Boolean).join(' or ')}; reinstall VAE Lab or run "npm run build".`,
  );
}

function tryLoadTfjsNode(): string | undefined {
  try {
    // Optional dependency, loaded only when present (it needs libtensorflow, which cannot install offline).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

let wasmPathsSet = false;
let active: BackendInfo | undefined;

/**
 * Initialise the requested backend and return what runs. 'auto' prefers tfjs-node, then wasm; it never picks 'cpu'.
 * Throws BackendError with a clear reason when the requested backend cannot run.
 */
export async function initBackend(choice: BackendChoice): Promise<BackendInfo> {
  if (active && (choice === 'auto' || choice === active.name)) return active;
  if (choice === 'tensorflow' || choice === 'auto') {
    const failure = tryLoadTfjsNode();
    if (failure === undefined && (await tf.setBackend('tensorflow'))) {
      await tf.ready();
      active = { name: 'tensorflow', version: tf.version.tfjs, detail: 'tfjs-node (libtensorflow)' };
      return active;
    }
    if (choice === 'tensorflow') {
      throw new BackendError(
        `backend "tensorflow" was requested but @tensorflow/tfjs-node could not be loaded (${failure ?? 'setBackend failed'}); install it with "npm install @tensorflow/tfjs-node" or use backend "wasm".`,
      );
    }
  }
  if (choice === 'wasm' || choice === 'auto') {
    if (!wasmPathsSet) {
      wasmBackend.setWasmPaths(findWasmDir() + path.sep);
      wasmPathsSet = true;
    }
    let ok = false;
    let reason = 'setBackend returned false';
    try {
      ok = await tf.setBackend('wasm');
      await tf.ready();
    } catch (err) {
      reason = (err as Error).message;
    }
    if (!ok || tf.getBackend() !== 'wasm') {
      throw new BackendError(`the WebAssembly backend could not start (${reason}); VAE Lab does not fall back to the slow "cpu" backend on its own: set "backend": "cpu" to use it.`);
    }
    installWasmMatMulFix();
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    active = {
      name: 'wasm',
      version: wasmBackend.version_wasm,
      detail: `${simd ? 'SIMD' : 'no SIMD'}, ${wasmBackend.getThreadsCount()} thread(s), transposed-matmul fix`,
    };
    return active;
  }
  // Explicit 'cpu'.
  await tf.setBackend('cpu');
  await tf.ready();
  active = { name: 'cpu', version: tf.version.tfjs, detail: 'pure JavaScript (slow; chosen explicitly)' };
  return active;
}

let matMulFixed = false;

/**
 * tfjs-backend-wasm 4.22 runs its fast XNNPACK matmul only when neither operand is transposed; the matmuls of
 * backpropagation (x^T * dy, dy * W^T) otherwise fall into a slow scalar loop. Re-register BatchMatMul and
 * _FusedMatMul for 'wasm' so that a transposed operand is first materialised with the wasm Transpose kernel.
 */
export function installWasmMatMulFix(): void {
  if (matMulFixed) return;
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) throw new BackendError('the wasm Transpose kernel is missing; cannot install the matmul fix.');
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      setupFunc: original.setupFunc,
      kernelFunc: (args) => {
        const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
        if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
        const inputs = { ...(args.inputs as Record<string, tf.TensorInfo>) };
        const temps: tf.TensorInfo[] = [];
        const materialise = (t: tf.TensorInfo): tf.TensorInfo => {
          const rank = t.shape.length;
          const perm = Array.from({ length: rank }, (_, i) => i);
          perm[rank - 2] = rank - 1;
          perm[rank - 1] = rank - 2;
          const out = transpose.kernelFunc({ inputs: { x: t }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
          temps.push(out);
          return out;
        };
        if (attrs.transposeA) inputs.a = materialise(inputs.a);
        if (attrs.transposeB) inputs.b = materialise(inputs.b);
        const result = original.kernelFunc({ ...args, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
        const backend = args.backend as { disposeData(id: object): void };
        for (const t of temps) backend.disposeData(t.dataId);
        return result;
      },
    });
  }
  matMulFixed = true;
}

export function activeBackend(): BackendInfo | undefined {
  return active;
}

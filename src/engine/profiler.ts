// Kernel profile of the training steps of a run: every kernel of the active backend is wrapped with a timer, and
// the time spent inside training steps (not validation, images or checkpoints) is summed per kernel name, matmuls
// also per shape and transpose flags. Enabled by VAE_LAB_PROFILE=<file.json> for the CLI and the engine process;
// `npm run bench` uses it for its profile table. Timing a synchronous kernel is exact on the
// wasm and cpu backends; on tfjs-node kernels run asynchronously, so the numbers would only be dispatch times.
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { writeJsonAtomic } from '../core/runFolder';

export interface KernelStat {
  kernel: string;
  calls: number;
  ms: number;
}

export interface KernelProfile {
  backend: string;
  /** Training steps profiled, and their total time (kernels plus everything else: JavaScript, the tape). */
  steps: number;
  stepMs: number;
  totalKernelMs: number;
  kernels: KernelStat[];
}

const stats = new Map<string, KernelStat>();
let profiledBackend: string | undefined;
let recording = false;
let steps = 0;
let stepMs = 0;

/** Time `step` (a training step) and the kernels it runs, when profiling is on; otherwise just run it. */
export function profiledStep<T>(step: () => T): T {
  if (!profiledBackend) return step();
  const t0 = process.hrtime.bigint();
  recording = true;
  try {
    return step();
  } finally {
    recording = false;
    steps++;
    stepMs += Number(process.hrtime.bigint() - t0) / 1e6;
  }
}

function key(name: string, args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): string {
  if (name !== 'BatchMatMul' && name !== '_FusedMatMul') return name;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const at = args.attrs as { transposeA?: boolean; transposeB?: boolean } | undefined;
  return `${name} [${a.shape.join(',')}]${at?.transposeA ? 'ᵀ' : ''} x [${b.shape.join(',')}]${at?.transposeB ? 'ᵀ' : ''}`;
}

/** Wrap every kernel registered for the active backend with a timer (once). */
export function installKernelProfiler(): void {
  const backend = tf.getBackend();
  if (profiledBackend === backend) return;
  profiledBackend = backend;
  for (const k of tf.getKernelsForBackend(backend)) {
    const original = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        if (!recording) return original(args);
        const t0 = process.hrtime.bigint();
        const out = original(args);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const name = key(k.kernelName, args);
        const s = stats.get(name) ?? { kernel: name, calls: 0, ms: 0 };
        s.calls++;
        s.ms += ms;
        stats.set(name, s);
        return out;
      },
    });
  }
}

export function kernelProfile(): KernelProfile {
  const kernels = [...stats.values()].sort((a, b) => b.ms - a.ms).map((s) => ({ ...s, ms: Math.round(s.ms * 10) / 10 }));
  return { backend: profiledBackend ?? tf.getBackend(), steps, stepMs: Math.round(stepMs), totalKernelMs: Math.round(kernels.reduce((a, s) => a + s.ms, 0)), kernels };
}

/** Start profiling when VAE_LAB_PROFILE names a file; returns a function that writes the profile there. */
export function profileFromEnvironment(): (() => void) | undefined {
  const file = process.env.VAE_LAB_PROFILE;
  if (!file) return undefined;
  installKernelProfiler();
  return () => {
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new Error(`VAE_LAB_PROFILE=${file} is a folder; give a file name.`);
    writeJsonAtomic(file, kernelProfile());
  };
}

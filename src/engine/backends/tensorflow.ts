// The native TensorFlow backend: @tensorflow/tfjs-node (libtensorflow through a N-API addon), installed by
// `vae-lab backend install tensorflow` into the backends folder (install.ts), never bundled.
//
// One tfjs-core per process. tfjs-node requires '@tensorflow/tfjs' (and '@tensorflow/tfjs-core' in one kernel) and
// registers its backend and kernels with whatever that resolves to. Left alone it would resolve to the copy in its
// own node_modules: a second engine, whose kernels then get tensors of the first ("Cannot read properties of
// undefined (reading 'backend')" in moveData). While tfjs-node loads, those two requests from inside its folder are
// answered with the engine's own tfjs module, so the backend and its kernels register where the engine runs.
// tfjs-node is compiled to ES5 (`_super.call(this)`), which cannot call the constructor of a real class, and the
// bundled tfjs keeps its classes (KernelBackend, CustomCallback) as classes: it gets a copy of the module whose classes
// are wrapped so that an ES5 subclass can extend them.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../../core/protocol';
import { packageRoot } from '../paths';
import { BackendError, InstallableBackend, backendsDir, installedPackageDir, requestedThreads } from './common';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Module = require('module') as { _load: (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown };

export interface TfjsNodeLocation {
  /** The folder of the tfjs-node (or tfjs-node-gpu) package. */
  packageDir: string;
  variant: InstallableBackend;
  version: string;
  /** Where it was found: the backends folder, or node_modules next to VAE Lab (a developer's own install). */
  source: 'backends folder' | 'node_modules';
}

function readVersion(packageDir: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Find an installed tfjs-node: tensorflow-gpu, then tensorflow in the backends folder, then node_modules. */
export function findTfjsNode(dir = backendsDir()): TfjsNodeLocation | undefined {
  for (const variant of ['tensorflow-gpu', 'tensorflow'] as const) {
    const packageDir = installedPackageDir(variant, dir);
    const version = readVersion(packageDir);
    if (version) return { packageDir, variant, version, source: 'backends folder' };
  }
  for (const [variant, name] of [['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'], ['tensorflow', '@tensorflow/tfjs-node']] as const) {
    try {
      const packageDir = path.dirname(require.resolve(`${name}/package.json`, { paths: [packageRoot()] }));
      const version = readVersion(packageDir);
      if (version) return { packageDir, variant, version, source: 'node_modules' };
    } catch {
      /* not there */
    }
  }
  return undefined;
}

/** Why tensorflow is not available, as one sentence with what to do. */
export function notInstalledReason(dir = backendsDir()): string {
  return `@tensorflow/tfjs-node is not installed in ${dir}; install it with "vae-lab backend install tensorflow" (or "VAE: Install Backend..." in VS Code)`;
}

let loaded: TfjsNodeLocation | undefined;

type AnyClass = new (...args: unknown[]) => object;

/** `C` as a function that ES5 code can call as a super constructor (`C.call(this)`), constructing the subclass. */
function es5Extendable(C: AnyClass): AnyClass {
  function Extendable(this: object, ...args: unknown[]): object {
    return Reflect.construct(C, args, new.target ?? this.constructor);
  }
  Extendable.prototype = C.prototype;
  Object.setPrototypeOf(Extendable, C);
  return Extendable as unknown as AnyClass;
}

/** The engine's tfjs module as tfjs-node should see it: the same functions and objects, classes made ES5-extendable. */
function tfForEs5(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tf)) {
    out[k] = typeof v === 'function' && Function.prototype.toString.call(v).startsWith('class') ? es5Extendable(v as AnyClass) : v;
  }
  return out;
}

/** Load tfjs-node into the engine's tfjs (once per process) and make 'tensorflow' the active backend. */
export async function startTensorflow(dir = backendsDir()): Promise<BackendInfo> {
  const where = loaded ?? findTfjsNode(dir);
  if (!where) throw new BackendError(notInstalledReason(dir));
  if (!loaded) {
    if (where.version !== tf.version.tfjs) {
      throw new BackendError(
        `${where.packageDir} is version ${where.version} but the engine runs tfjs ${tf.version.tfjs}; reinstall it with "vae-lab backend install ${where.variant}".`,
      );
    }
    // libtensorflow reads these when it starts. Its intra-op threads: VAE_LAB_THREADS when set, else the share of the
    // cores the extension gives this run, less one core left to the JavaScript thread that drives the ops (on 2 cores
    // one TensorFlow thread trained the conv example 1.7x faster than two, and the MLP as fast or faster).
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    const cores = os.cpus().length;
    const share = requestedThreads(cores);
    const threads = process.env.VAE_LAB_THREADS ? share : Math.max(1, Math.min(share, cores - 1));
    process.env.TF_NUM_INTRAOP_THREADS ??= String(threads);
    const inside = where.packageDir + path.sep;
    const shared = tfForEs5();
    const original = Module._load;
    Module._load = function (request, parent, isMain) {
      if ((request === '@tensorflow/tfjs' || request === '@tensorflow/tfjs-core') && parent?.filename?.startsWith(inside)) return shared;
      return original.call(this, request, parent, isMain);
    };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(where.packageDir);
    } catch (err) {
      throw new BackendError(`${where.packageDir} could not be loaded (${firstLine(err)}); reinstall it with "vae-lab backend install ${where.variant}".`);
    } finally {
      Module._load = original;
    }
    loaded = where;
  }
  if (!(await tf.setBackend('tensorflow'))) throw new BackendError(`tfjs-node from ${where.packageDir} loaded but the "tensorflow" backend did not start.`);
  await tf.ready();
  const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
  const intra = process.env.TF_NUM_INTRAOP_THREADS;
  return {
    name: 'tensorflow',
    version: where.version,
    detail: `${where.variant === 'tensorflow-gpu' ? 'tfjs-node-gpu' : 'tfjs-node'} with libtensorflow ${binding?.TF_Version ?? '?'}, ${intra ? `${intra} intra-op thread(s)` : 'all cores'} (${where.source}: ${where.packageDir})`,
  };
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}

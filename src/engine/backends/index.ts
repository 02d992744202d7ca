// Choosing and starting the TensorFlow.js backend. One file per backend beside this one (webgpu.ts, tensorflow.ts,
// wasm.ts), their install recipes in install.ts. Never falls back to the slow 'cpu' backend on its own.
//   auto: webgpu on a real (not software) GPU adapter when Dawn is installed, else tensorflow (tfjs-node) when
//         installed and it starts, else wasm; run.json records what ran and why the others did not
//         (BackendInfo.notUsed).
import * as tf from '@tensorflow/tfjs';
import type { BackendChoice } from '../../core/config';
import type { BackendInfo } from '../../core/protocol';
import { BackendError, backendsDir } from './common';
import { installFusedAdam } from './fusedKernels';
import { findTfjsNode, notInstalledReason, startTensorflow } from './tensorflow';
import { startWasm } from './wasm';
import { dawnNotInstalledReason, describeAdapter, findDawn, startWebgpu } from './webgpu';

export { BackendError, backendsDir } from './common';

/** The backends a user can name, in the order 'auto' tries them (cpu only by name). */
export const BACKEND_NAMES = ['webgpu', 'tensorflow', 'wasm', 'cpu'] as const;

const started = new Map<string, BackendInfo>();
let active: BackendInfo | undefined;

async function startCpu(): Promise<BackendInfo> {
  await tf.setBackend('cpu');
  await tf.ready();
  // The cpu backend greets its first tensor in Node with advice to install tfjs-node; VAE Lab says that itself.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  installFusedAdam('cpu');
  return { name: 'cpu', version: tf.version.tfjs, detail: 'pure JavaScript (slow; chosen explicitly)' };
}

async function startByName(name: string): Promise<BackendInfo> {
  const known = started.get(name);
  if (known) {
    if (tf.getBackend() !== name && !(await tf.setBackend(name))) throw new BackendError(`backend "${name}" could not be made active again.`);
    return known;
  }
  let info: BackendInfo;
  if (name === 'webgpu') info = await startWebgpu(true);
  else if (name === 'tensorflow') info = await startTensorflow();
  else if (name === 'wasm') info = await startWasm();
  else if (name === 'cpu') info = await startCpu();
  else throw new BackendError(`unknown backend "${name}" (expected auto, ${BACKEND_NAMES.join(', ')}).`);
  started.set(name, info);
  return info;
}

/**
 * Start the requested backend and return what runs. 'auto' prefers tfjs-node when it is installed, then wasm; it
 * never picks 'cpu'. Throws BackendError with a clear reason when the requested backend cannot run.
 */
export async function initBackend(choice: BackendChoice): Promise<BackendInfo> {
  if (choice !== 'auto') {
    const info = await startByName(choice);
    active = { ...info, requested: choice };
    return active;
  }
  const notUsed: { name: string; reason: string }[] = [];
  const done = (info: BackendInfo) => {
    notUsed.push({ name: 'cpu', reason: 'used only when asked for by name' });
    active = { ...info, requested: 'auto', notUsed };
    return active;
  };
  if (findDawn()) {
    try {
      const known = started.get('webgpu');
      if (known?.adapter?.fallback) throw new BackendError(`the only WebGPU adapter is a software one (${describeAdapter(known.adapter)}); "auto" does not train on it: ask for "webgpu" by name to use it.`);
      const info = known ? await startByName('webgpu') : await startWebgpu(false);
      started.set('webgpu', info);
      return done(info);
    } catch (err) {
      notUsed.push({ name: 'webgpu', reason: (err as Error).message });
    }
  } else notUsed.push({ name: 'webgpu', reason: dawnNotInstalledReason() });
  if (findTfjsNode()) {
    try {
      return done(await startByName('tensorflow'));
    } catch (err) {
      notUsed.push({ name: 'tensorflow', reason: (err as Error).message });
    }
  } else notUsed.push({ name: 'tensorflow', reason: notInstalledReason() });
  return done(await startByName('wasm'));
}

export function activeBackend(): BackendInfo | undefined {
  return active;
}

export interface BackendStatus {
  name: string;
  available: boolean;
  version?: string;
  detail?: string;
  /** Why it is not available, with what to do. */
  reason?: string;
  /** Whether 'auto' would pick it. */
  auto: boolean;
  /** The GPU adapter (webgpu). */
  adapter?: BackendInfo['adapter'];
}

/** Every backend, started in turn to see whether it runs (the process ends on the last one that started). */
export async function listBackends(): Promise<{ backendsDir: string; backends: BackendStatus[] }> {
  const out: BackendStatus[] = [];
  let autoTaken = false;
  for (const name of BACKEND_NAMES) {
    try {
      const info = await startByName(name);
      const auto = !autoTaken && name !== 'cpu' && !info.adapter?.fallback;
      if (auto) autoTaken = true;
      out.push({ name, available: true, version: info.version, detail: info.detail, auto, adapter: info.adapter });
    } catch (err) {
      const reason = name === 'tensorflow' && !findTfjsNode() ? notInstalledReason() : name === 'webgpu' && !findDawn() ? dawnNotInstalledReason() : (err as Error).message;
      out.push({ name, available: false, reason, auto: false });
    }
  }
  return { backendsDir: backendsDir(), backends: out };
}

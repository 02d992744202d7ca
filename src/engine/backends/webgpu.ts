// The WebGPU backend: @tensorflow/tfjs-backend-webgpu (bundled with the engine) on Dawn's Node binding, the npm
// package `webgpu` (native, prebuilt for Linux, macOS and Windows), which `vae-lab backend install webgpu` puts into
// the backends folder. WebGPU runs on Vulkan, Metal and Direct3D 12: any GPU with a current driver, no CUDA.
//
// Order matters: tfjs-backend-webgpu registers 'webgpu' (at a priority above cpu) only if `navigator.gpu` exists when
// it is loaded, so Dawn's globals and navigator.gpu are set first and the module is required only when webgpu is
// asked for. Reads of GPU tensors must be asynchronous (dataSync throws in Node: it wants OffscreenCanvas); the engine
// reads with data()/array() everywhere. Ops on small tensors would run on the CPU (WEBGPU_CPU_FORWARD): turned off, so
// that a step stays on the GPU.
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import * as tf from '@tensorflow/tfjs';
import type { AdapterInfo, BackendInfo } from '../../core/protocol';
import { BackendError, backendsDir, installedPackageDir } from './common';

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface GpuLike {
  requestAdapter(options?: object): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

/** Dawn's package in the backends folder, if installed. */
export function findDawn(dir = backendsDir()): { packageDir: string; version: string } | undefined {
  const packageDir = installedPackageDir('webgpu', dir);
  try {
    const version = (JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version?: string }).version;
    return version ? { packageDir, version } : undefined;
  } catch {
    return undefined;
  }
}

export function dawnNotInstalledReason(dir = backendsDir()): string {
  return `the WebGPU runtime (npm package "webgpu", Dawn) is not installed in ${dir}; install it with "vae-lab backend install webgpu" (or "VAE: Install Backend..." in VS Code)`;
}

// `webgpu` is an ES module; import() keeps working where require() of ES modules does not (older Node, Electron).
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<DawnModule>;

async function loadDawn(packageDir: string): Promise<DawnModule> {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { exports?: { '.'?: { import?: string } | string }; main?: string; module?: string };
  const dot = pkg.exports?.['.'];
  const entry = (typeof dot === 'string' ? dot : dot?.import) ?? pkg.module ?? pkg.main ?? 'index.js';
  return importModule(pathToFileURL(path.join(packageDir, entry)).href);
}

let gpu: GpuLike | undefined;
let adapter: AdapterInfo | undefined;

/** The adapter Dawn offers here (vendor, architecture, device, software or not); throws BackendError when none. */
export async function probeAdapter(dir = backendsDir()): Promise<AdapterInfo> {
  if (adapter) return adapter;
  const where = findDawn(dir);
  if (!where) throw new BackendError(dawnNotInstalledReason(dir));
  let dawn: DawnModule;
  try {
    dawn = await loadDawn(where.packageDir);
  } catch (err) {
    throw new BackendError(`the WebGPU runtime in ${where.packageDir} could not be loaded by ${process.execPath} (Node ${process.versions.node}: ${String((err as Error).message).split('\n')[0]}); reinstall it with "vae-lab backend install webgpu", and in VS Code set "vaeLab.nodePath" to a Node 20 or later if VS Code's own runtime cannot load it.`);
  }
  Object.assign(globalThis, dawn.globals);
  gpu = dawn.create(process.env.VAE_LAB_DAWN_FLAGS ? process.env.VAE_LAB_DAWN_FLAGS.split(',') : []);
  let found: AdapterLike | null;
  try {
    found = await gpu.requestAdapter();
  } catch (err) {
    throw new BackendError(`Dawn could not look for a GPU (${(err as Error).message.split('\n')[0]}).`);
  }
  if (!found) {
    throw new BackendError('no WebGPU adapter was found: no GPU with a Vulkan, Metal or Direct3D 12 driver (on Linux without a GPU, "npm run setup:vulkan" installs a software Vulkan device for testing).');
  }
  const i = found.info ?? {};
  adapter = {
    vendor: i.vendor ?? '',
    architecture: i.architecture ?? '',
    device: i.device ?? '',
    description: i.description ?? '',
    fallback: Boolean(i.isFallbackAdapter ?? found.isFallbackAdapter),
  };
  return adapter;
}

export function describeAdapter(a: AdapterInfo): string {
  const name = [a.vendor, a.architecture, a.description || a.device].filter(Boolean).join(' ');
  return `${name || 'unnamed adapter'}${a.fallback ? ' (software adapter)' : ''}`;
}

/**
 * Start the webgpu backend. `allowSoftware` false (auto) refuses a software (fallback) adapter: it would be slower
 * than the CPU backends.
 */
export async function startWebgpu(allowSoftware: boolean): Promise<BackendInfo> {
  const a = await probeAdapter();
  if (a.fallback && !allowSoftware) {
    throw new BackendError(`the only WebGPU adapter is a software one (${describeAdapter(a)}); "auto" does not train on it: ask for "webgpu" by name to use it.`);
  }
  if (!tf.findBackend('webgpu')) {
    // Node 21+ has a navigator without gpu and with getters only: define the property rather than assign.
    const nav = (globalThis as { navigator?: object }).navigator ?? {};
    Object.defineProperty(globalThis, 'navigator', { value: Object.assign(Object.create(nav), { gpu }), configurable: true, writable: true });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-backend-webgpu');
    if (!tf.findBackendFactory('webgpu')) throw new BackendError('tfjs-backend-webgpu did not register the "webgpu" backend (navigator.gpu was not seen).');
  }
  let ok = false;
  let reason = 'setBackend returned false';
  try {
    ok = await tf.setBackend('webgpu');
  } catch (err) {
    reason = (err as Error).message;
  }
  if (!ok) {
    // tfjs names the failed backend active before it fails; leave it registered for nothing else to pick.
    tf.removeBackend('webgpu');
    throw new BackendError(`the webgpu backend did not start on ${describeAdapter(a)} (${reason}).`);
  }
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  // A lost device (driver reset, GPU removed) fails the next op with a message of tfjs's; say what happened first.
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } }).device;
  void device?.lost?.then((info) => {
    if (info?.reason !== 'destroyed') process.stderr.write(`vae-lab: the WebGPU device was lost (${info?.message || info?.reason || 'no reason given'}); the run stops at its next step and can be resumed from its last checkpoint, on another backend too.\n`);
  });
  return {
    name: 'webgpu',
    version: tf.version.tfjs,
    detail: `WebGPU (Dawn ${findDawn()?.version ?? '?'}) on ${describeAdapter(a)}`,
    adapter: a,
  };
}

// What every backend file shares: the error type and the folder where `vae-lab backend install` puts the backends
// that do not ship with VAE Lab (tfjs-node and its native libraries).
import * as os from 'os';
import * as path from 'path';

export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

/** The environment variable that names the backends folder (the extension sets it from vaeLab.backendsFolder). */
export const BACKENDS_DIR_ENV = 'VAE_LAB_BACKENDS_DIR';

/** The backends folder: $VAE_LAB_BACKENDS_DIR, else ~/.vae-lab/backends. One folder for the CLI and the extension. */
export function backendsDir(): string {
  const env = process.env[BACKENDS_DIR_ENV];
  if (env) return path.resolve(env);
  return path.join(os.homedir(), '.vae-lab', 'backends');
}

/** The backends that can be installed with `vae-lab backend install`, and the npm package each one is. */
export const INSTALLABLE = {
  tensorflow: '@tensorflow/tfjs-node',
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: 'webgpu',
} as const;

/** The version of each installable package: tfjs-node must match the engine's tfjs; Dawn's binding is pinned. */
export const PINNED_VERSIONS: Partial<Record<keyof typeof INSTALLABLE, string>> = { webgpu: '0.6.2' };
export type InstallableBackend = keyof typeof INSTALLABLE;

export function isInstallable(name: string): name is InstallableBackend {
  return Object.prototype.hasOwnProperty.call(INSTALLABLE, name);
}

/** Where an installable backend lives inside the backends folder: <dir>/<name>/node_modules/<package>. */
export function installedPackageDir(name: InstallableBackend, dir = backendsDir()): string {
  return path.join(dir, name, 'node_modules', ...INSTALLABLE[name].split('/'));
}

/**
 * How many threads a training process should use: VAE_LAB_THREADS (or its older name VAE_LAB_WASM_THREADS) when set,
 * else `fallback`. The extension sets it so that runs in parallel share the cores.
 */
export function requestedThreads(fallback: number): number {
  for (const name of ['VAE_LAB_THREADS', 'VAE_LAB_WASM_THREADS']) {
    const env = process.env[name];
    if (env === undefined || env === '') continue;
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new BackendError(`${name} must be a whole number of at least 1, got "${env}".`);
    return n;
  }
  return fallback;
}

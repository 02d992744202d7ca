// `vae-lab backend list | install | check`: which backends run here, and the one command that installs the native
// TensorFlow backend (install.ts) into the backends folder that the engine reads.
import { spawn } from 'child_process';
import * as tf from '@tensorflow/tfjs';
import type { BackendChoice } from '../core/config';
import { BACKENDS_DIR_ENV, INSTALLABLE, backendsDir, isInstallable } from './backends/common';
import { checkBackend } from './backends/check';
import { BACKEND_NAMES, listBackends } from './backends/index';
import { InstallError, InstallRoute, installBackend, readInstallManifest } from './backends/install';
import { ParsedArgs, UsageError } from './cliArgs';

export const BACKEND_USAGE = `  vae-lab backend list [--dir DIR] [--json]
  vae-lab backend install webgpu|tensorflow|tensorflow-gpu [--dir DIR] [--from-wheel | --download] [--wheel FILE] [--json]
  vae-lab backend check auto|webgpu|tensorflow|wasm|cpu [--dir DIR] [--json]`;

/** The CLI script to run again in a child process (dist/cli.js, or out/src/engine/cli.js in the tests). */
export type SelfCommand = { script: string };

function useDir(args: ParsedArgs): string {
  const dir = args.flags.get('--dir');
  if (dir) process.env[BACKENDS_DIR_ENV] = dir;
  return backendsDir();
}

export async function backendCommand(args: ParsedArgs, self: SelfCommand): Promise<number> {
  const [sub, name, ...rest] = args.positional;
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}" (usage:\n${BACKEND_USAGE})`);
  const dir = useDir(args);
  switch (sub) {
    case 'list': {
      const listed = await listBackends();
      if (args.json) {
        process.stdout.write(JSON.stringify({ ...listed, installed: Object.fromEntries(Object.keys(INSTALLABLE).map((n) => [n, readInstallManifest(n as keyof typeof INSTALLABLE, dir) ?? null])) }) + '\n');
        return 0;
      }
      process.stdout.write(`Backends folder: ${listed.backendsDir}\n`);
      for (const b of listed.backends) {
        const mark = b.available ? (b.auto ? 'yes (auto picks it)' : 'yes') : 'no';
        process.stdout.write(`${b.name.padEnd(11)} ${mark.padEnd(20)} ${b.available ? `${b.version}  ${b.detail}` : b.reason}\n`);
      }
      return 0;
    }
    case 'check': {
      const choice = name ?? 'auto';
      if (!['auto', ...BACKEND_NAMES].includes(choice)) throw new UsageError(`backend check takes auto, ${BACKEND_NAMES.join(', ')}; got "${choice}".`);
      const r = await checkBackend(choice as BackendChoice);
      if (args.json) process.stdout.write(JSON.stringify(r) + '\n');
      else process.stdout.write(`${r.backend.name} ${r.backend.version} works [${r.backend.detail}]: a dense layer and a strided convolution with their gradients match the cpu backend to ${r.maxRelativeDifference.toExponential(1)} (relative), ${r.milliseconds} ms.\n`);
      return 0;
    }
    case 'install': {
      if (!name || !isInstallable(name)) throw new UsageError(`backend install takes ${Object.keys(INSTALLABLE).join(', ').replace(/, ([^,]*)$/, ' or $1')}${name ? `, got "${name}"` : ''} (wasm and cpu ship with VAE Lab).`);
      if (args.switches.has('--from-wheel') && args.switches.has('--download')) throw new UsageError('--from-wheel and --download exclude each other.');
      const route: InstallRoute = args.switches.has('--from-wheel') ? 'wheel' : args.switches.has('--download') ? 'download' : 'auto';
      const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const result = await installBackend(name, {
          dir,
          route,
          wheel: args.flags.get('--wheel'),
          tfjsVersion: tf.version.tfjs,
          signal: controller.signal,
          verify: (staging) => verifyInChild(self, staging, name === 'webgpu' ? 'webgpu' : 'tensorflow'),
          onStep: (step, total, message) => (args.json ? out({ type: 'step', step, total, message }) : process.stderr.write(`[${step}/${total}] ${message}\n`)),
          onOutput: (text) => (args.json ? out({ type: 'output', text }) : process.stderr.write(text)),
        });
        if (args.json) out({ type: 'done', ...result });
        else process.stdout.write(`Installed ${name} (${name === 'webgpu' ? 'npm' : result.route}) in ${Math.round(result.seconds)} s: ${result.detail}\nTrain with --backend ${name === 'tensorflow-gpu' ? 'tensorflow' : name}${name === 'webgpu' && /software adapter/.test(result.detail) ? ' (auto does not use a software adapter)' : ' (auto picks it now)'}.\n`);
        return 0;
      } catch (err) {
        if (!(err instanceof InstallError)) throw err;
        if (args.json) out({ type: 'error', message: err.message });
        process.stderr.write(`vae-lab: ${err.message}\n`);
        return 1;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }
    default:
      throw new UsageError(`usage:\n${BACKEND_USAGE}`);
  }
}

/** Run `vae-lab backend check tensorflow` on the staging folder in a fresh process; resolve with what it says. */
function verifyInChild(self: SelfCommand, stagingDir: string, backend: 'tensorflow' | 'webgpu'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self.script, 'backend', 'check', backend, '--json'], {
      env: { ...process.env, [BACKENDS_DIR_ENV]: stagingDir, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) {
        try {
          const r = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { backend: { version: string; detail: string }; maxRelativeDifference: number };
          return resolve(`${r.backend.version} [${r.backend.detail}], matches the cpu backend to ${r.maxRelativeDifference.toExponential(1)}`);
        } catch {
          /* fall through */
        }
      }
      reject(new Error((stderr.trim().split('\n').pop() || `exit ${code ?? signal}`).replace(/^vae-lab: /, '')));
    });
  });
}

// "VAE: Install Backend...": runs the engine's own `vae-lab backend install` (dist/cli.js, in a child process: the
// extension never loads tfjs) with a cancellable progress notification; npm's, pip's and the compiler's output go to
// the "VAE Lab" output channel.
import * as vscode from 'vscode';
import { settings, spawnCli } from './settings';

/** What the command takes when called with arguments (tests, other extensions); the UI asks for the backend. */
export interface InstallBackendArgs {
  backend?: 'webgpu' | 'tensorflow' | 'tensorflow-gpu';
  /** 'auto' (download, then the wheel), 'download' or 'wheel'. */
  route?: 'auto' | 'download' | 'wheel';
  /** A tensorflow-cpu wheel on disk for the wheel route. */
  wheel?: string;
  /** The backends folder (default: the vaeLab.backendsFolder setting, else ~/.vae-lab/backends). */
  dir?: string;
}

export interface InstallBackendOutcome {
  ok: boolean;
  /** The CLI's last message: the installed backend's description, or the error paragraph. */
  message: string;
}

type CliLine =
  | { type: 'step'; step: number; total: number; message: string }
  | { type: 'output'; text: string }
  | { type: 'done'; backend: string; route: string; detail: string; seconds: number }
  | { type: 'error'; message: string };

export async function installBackendCommand(cliPath: string, output: vscode.OutputChannel, args: InstallBackendArgs = {}): Promise<InstallBackendOutcome | undefined> {
  let backend = args.backend;
  if (!backend) {
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'webgpu', description: 'WebGPU (Dawn): train on any GPU through Vulkan, Metal or Direct3D 12, no CUDA', detail: 'About 130 MB from npm. Needs a GPU driver with Vulkan (Linux), Metal (macOS) or Direct3D 12 (Windows).', backend: 'webgpu' as const },
        { label: 'tensorflow', description: 'tfjs-node: native TensorFlow on the CPU', detail: 'About 1 GB. Downloads libtensorflow; on Linux x86-64 without TensorFlow\'s host, builds it from the tensorflow-cpu wheel (needs Python with pip and a C++ compiler).', backend: 'tensorflow' as const },
        { label: 'tensorflow-gpu', description: 'tfjs-node-gpu: native TensorFlow with CUDA (Linux, Windows)', detail: 'Needs the CUDA and cuDNN versions libtensorflow 2.9 was built for. Not tested by VAE Lab\'s CI.', backend: 'tensorflow-gpu' as const },
      ],
      { title: 'VAE: Install Backend', placeHolder: 'Which backend? (WebAssembly ships with VAE Lab and needs no install)' },
    );
    if (!pick) return undefined;
    backend = pick.backend;
  }
  const cliArgs = [cliPath, 'backend', 'install', backend, '--json'];
  const dir = args.dir ?? (settings().backendsFolder || undefined);
  if (dir) cliArgs.push('--dir', dir);
  if (args.route === 'wheel') cliArgs.push('--from-wheel');
  if (args.route === 'download') cliArgs.push('--download');
  if (args.wheel) cliArgs.push('--wheel', args.wheel);
  output.appendLine(`Installing the ${backend} backend: ${cliArgs.slice(1).join(' ')}`);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `VAE Lab: installing the ${backend} backend`, cancellable: true },
    (progress, token) =>
      new Promise<InstallBackendOutcome>((resolve) => {
        const child = spawnCli(cliPath, cliArgs.slice(1));
        let last: InstallBackendOutcome = { ok: false, message: 'the installer ended without a result' };
        let buffer = '';
        let lastStep = 0;
        child.stdout.on('data', (d: Buffer) => {
          buffer += d.toString();
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            let msg: CliLine;
            try {
              msg = JSON.parse(line) as CliLine;
            } catch {
              output.appendLine(line);
              continue;
            }
            if (msg.type === 'output') output.append(msg.text);
            else if (msg.type === 'step') {
              output.appendLine(`[${msg.step}/${msg.total}] ${msg.message}`);
              progress.report({ message: `${msg.step}/${msg.total}: ${msg.message}`, increment: ((msg.step - lastStep) / msg.total) * 100 });
              lastStep = msg.step;
            } else if (msg.type === 'done') last = { ok: true, message: `${msg.backend} installed (${msg.route} route, ${Math.round(msg.seconds)} s): ${msg.detail}` };
            else if (msg.type === 'error') last = { ok: false, message: msg.message };
          }
        });
        child.stderr.on('data', (d: Buffer) => output.append(d.toString()));
        token.onCancellationRequested(() => {
          output.appendLine('Cancelling the install...');
          child.kill('SIGTERM');
        });
        child.on('error', (err) => {
          last = { ok: false, message: `the installer could not start: ${err.message}` };
        });
        child.on('close', (code) => {
          if (token.isCancellationRequested) last = { ok: false, message: 'cancelled; nothing was changed.' };
          else if (code !== 0 && last.ok) last = { ok: false, message: `the installer exited with code ${code}` };
          output.appendLine(last.ok ? last.message : `Install failed: ${last.message}`);
          if (last.ok) void vscode.window.showInformationMessage(`VAE Lab: ${last.message}. "auto" now trains on it.`);
          else if (!token.isCancellationRequested) void vscode.window.showErrorMessage(`VAE Lab: ${last.message}`, 'Show Output').then((c) => c && output.show(true));
          resolve(last);
        });
      }),
  );
}

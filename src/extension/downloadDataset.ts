// "VAE: Download Dataset": runs the engine's own `vae-lab data get <name>` (dist/cli.js, in a child process: the
// extension never loads tfjs) with a cancellable progress notification; the CLI's output goes to the "VAE Lab" output
// channel. Cancelling kills the child; the `.part` file stays, so the next run resumes it.
import * as vscode from 'vscode';
import { settings, spawnCli } from './settings';

export interface DownloadDatasetOutcome {
  ok: boolean;
  /** Success: "<Title> is ready in <folder>"; failure: the CLI's one-line error. */
  message: string;
  /** The data set's folder (from `data list --json`), when known. */
  folder?: string;
}

interface DatasetRow {
  name: string;
  title: string;
  supported: boolean;
  size: string;
  cached: boolean;
  folder: string;
}

/** The error a run reports when its data set is not in the cache; the name is the first group. */
export const NOT_DOWNLOADED = /(\S+) is not downloaded: run vae-lab data get/;

/** The short name of a data set: "Fashion-MNIST (Zalando article images)" -> "Fashion-MNIST". */
const shortTitle = (row: DatasetRow) => row.title.split(/,| \(/)[0] || row.name;

/** Run the CLI to the end; its stdout, stderr and exit code. */
function runCli(cliPath: string, args: string[], output?: vscode.OutputChannel, token?: vscode.CancellationToken): Promise<{ code: number | null; stdout: string; stderr: string; error?: string }> {
  return new Promise((resolve) => {
    const child = spawnCli(cliPath, args);
    let stdout = '';
    let stderr = '';
    let error: string | undefined;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      output?.append(d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      output?.append(d.toString());
    });
    token?.onCancellationRequested(() => {
      output?.appendLine('Cancelling the download (the .part file stays: the next download resumes it)...');
      child.kill('SIGTERM');
    });
    child.on('error', (err) => (error = `the command line could not start: ${err.message}`));
    child.on('close', (code) => resolve({ code, stdout, stderr, error }));
  });
}

async function listDatasets(cliPath: string): Promise<{ rows?: DatasetRow[]; error?: string }> {
  const r = await runCli(cliPath, ['data', 'list', '--json']);
  try {
    if (r.code === 0) return { rows: (JSON.parse(r.stdout) as { datasets: DatasetRow[] }).datasets };
  } catch {
    // reported below
  }
  return { error: r.error ?? (lastError(r.stderr) || `vae-lab data list exited with code ${r.code}`) };
}

/** The CLI's last "vae-lab: ..." line, without the prefix. */
function lastError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = [...lines].reverse().find((l) => l.startsWith('vae-lab: '));
  return (err ?? lines[lines.length - 1] ?? '').replace(/^vae-lab: /, '');
}

export async function downloadDatasetCommand(cliPath: string, output: vscode.OutputChannel, name?: string): Promise<DownloadDatasetOutcome | undefined> {
  const listed = await listDatasets(cliPath);
  if (!listed.rows) {
    output.appendLine(`vae-lab data list failed: ${listed.error}`);
    void vscode.window.showErrorMessage(`VAE Lab: ${listed.error}`, 'Show Output').then((c) => c && output.show(true));
    return { ok: false, message: listed.error ?? 'vae-lab data list failed' };
  }
  let row = name ? listed.rows.find((r) => r.name === name) : undefined;
  if (name && !row) {
    const message = `${name} is not in VAE Lab's data set catalog (${listed.rows.map((r) => r.name).join(', ')}).`;
    void vscode.window.showErrorMessage(`VAE Lab: ${message}`);
    return { ok: false, message };
  }
  if (!row) {
    const pick = await vscode.window.showQuickPick(
      listed.rows
        .filter((r) => r.supported)
        .map((r) => ({ label: r.name, description: `${r.title}, ${r.size}`, detail: r.cached ? `Downloaded: ${r.folder}` : 'Not downloaded', row: r })),
      { title: 'VAE: Download Dataset', placeHolder: 'Which data set? (downloaded ones are verified again)' },
    );
    if (!pick) return undefined;
    row = pick.row;
  }
  const target = row;
  const cliArgs = ['data', 'get', target.name];
  const mirror = settings().dataMirror;
  if (mirror) cliArgs.push('--mirror', mirror);
  output.appendLine(`Downloading ${target.name}: vae-lab ${cliArgs.join(' ')}`);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `VAE Lab: downloading ${shortTitle(target)} (${target.size})`, cancellable: true },
    async (_progress, token) => {
      const r = await runCli(cliPath, cliArgs, output, token);
      let outcome: DownloadDatasetOutcome;
      if (token.isCancellationRequested) outcome = { ok: false, message: 'cancelled; the next download resumes where this one stopped.' };
      else if (r.error) outcome = { ok: false, message: r.error };
      else if (r.code !== 0) outcome = { ok: false, message: lastError(r.stderr) || `vae-lab data get exited with code ${r.code}` };
      else outcome = { ok: true, message: `${shortTitle(target)} is ready in ${target.folder}`, folder: target.folder };
      output.appendLine(outcome.ok ? outcome.message : `Download failed: ${outcome.message}`);
      if (outcome.ok) void vscode.window.showInformationMessage(`VAE Lab: ${outcome.message}. Use it with "data": { "source": "${target.name}" }.`);
      else if (!token.isCancellationRequested) void vscode.window.showErrorMessage(`VAE Lab: ${outcome.message}`, 'Show Output').then((c) => c && output.show(true));
      return outcome;
    },
  );
}

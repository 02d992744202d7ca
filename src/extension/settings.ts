// The extension's settings (contributes.configuration in package.json), read fresh on every use.
import { ChildProcessByStdio, spawn } from 'child_process';
import * as path from 'path';
import type { Readable } from 'stream';
import * as vscode from 'vscode';
import { DEFAULT_RUNS_DIR } from '../core/runFolder';
import { sweepFlags } from './sweepModel';

export interface Settings {
  runsFolder: string;
  backend: 'experiment' | 'auto' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';
  nodePath: string;
  maxParallelRuns: number;
  uiUpdateIntervalMs: number;
  /** Where `vae-lab backend install` puts native backends; empty: ~/.vae-lab/backends (the CLI's default too). */
  backendsFolder: string;
  /** Where `vae-lab data get` puts data sets and training reads them; empty: ~/.vae-lab/datasets (the CLI's default). */
  dataFolder: string;
  /** "VAE: Download Dataset": the base URL `vae-lab data get --mirror` downloads from; empty: each data set's origin. */
  dataMirror: string;
  /** "VAE: Run Sweep" and "Resume Sweep": the executor; 'experiment' passes none (the file's sweep.executor decides). */
  sweepExecutor: 'experiment' | 'local' | 'slurm';
  /** Slurm options passed to `vae-lab sweep` when set (empty or 0: the file's, else Slurm's defaults). */
  slurm: { partition: string; time: string; cpusPerTask: number; throttle: number; extraArgs: string[] };
}

export function settings(): Settings {
  const c = vscode.workspace.getConfiguration('vaeLab');
  return {
    runsFolder: c.get<string>('runsFolder') || DEFAULT_RUNS_DIR,
    backend: c.get<Settings['backend']>('backend') ?? 'experiment',
    nodePath: c.get<string>('nodePath') ?? '',
    maxParallelRuns: c.get<number>('maxParallelRuns') ?? 1,
    uiUpdateIntervalMs: c.get<number>('uiUpdateIntervalMs') ?? 250,
    backendsFolder: c.get<string>('backendsFolder') ?? '',
    dataFolder: c.get<string>('dataFolder') ?? '',
    dataMirror: (c.get<string>('dataMirror') ?? '').trim(),
    sweepExecutor: c.get<Settings['sweepExecutor']>('sweep.executor') ?? 'experiment',
    slurm: {
      partition: c.get<string>('slurm.partition') ?? '',
      time: c.get<string>('slurm.time') ?? '',
      cpusPerTask: c.get<number>('slurm.cpusPerTask') ?? 0,
      throttle: c.get<number>('slurm.throttle') ?? 0,
      extraArgs: (c.get<unknown[]>('slurm.extraArgs') ?? []).filter((a): a is string => typeof a === 'string' && a.length > 0),
    },
  };
}

/** The `vae-lab sweep` flags the settings ask for: --executor and the Slurm options that are set. */
export function sweepCliFlags(s: Settings = settings()): string[] {
  return sweepFlags(s);
}

/** The environment of an engine or CLI child process: VAE_LAB_BACKENDS_DIR and VAE_LAB_DATA_DIR from the settings, when set. */
export function engineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { backendsFolder: folder, dataFolder } = settings();
  return { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...(folder ? { VAE_LAB_BACKENDS_DIR: folder } : {}), ...(dataFolder ? { VAE_LAB_DATA_DIR: dataFolder } : {}), ...extra };
}

/** `node <cliPath> ...args` (the vaeLab.nodePath setting, else the extension host's Node) with engineEnv(), output piped. */
export function spawnCli(cliPath: string, args: string[]): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(settings().nodePath || process.execPath, [cliPath, ...args], { env: engineEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The runs root for an experiment file: <its workspace folder>/<runsFolder> (an absolute runsFolder is used as is). */
export function runsRootFor(file: vscode.Uri): string {
  const folder = vscode.workspace.getWorkspaceFolder(file);
  const base = folder ? folder.uri.fsPath : path.dirname(file.fsPath);
  const runs = settings().runsFolder;
  return path.isAbsolute(runs) ? runs : path.join(base, runs);
}

/** Is `child` inside `parent` (or equal to it)? Used before deleting or exporting anything. */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

// The extension's settings (contributes.configuration in package.json), read fresh on every use.
import * as path from 'path';
import * as vscode from 'vscode';
import { DEFAULT_RUNS_DIR } from '../core/runFolder';

export interface Settings {
  runsFolder: string;
  backend: 'experiment' | 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  nodePath: string;
  maxParallelRuns: number;
  uiUpdateIntervalMs: number;
}

export function settings(): Settings {
  const c = vscode.workspace.getConfiguration('vaeLab');
  return {
    runsFolder: c.get<string>('runsFolder') || DEFAULT_RUNS_DIR,
    backend: c.get<Settings['backend']>('backend') ?? 'experiment',
    nodePath: c.get<string>('nodePath') ?? '',
    maxParallelRuns: c.get<number>('maxParallelRuns') ?? 1,
    uiUpdateIntervalMs: c.get<number>('uiUpdateIntervalMs') ?? 250,
  };
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

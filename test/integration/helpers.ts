// Helpers for tests inside VS Code.
import * as path from 'path';
import * as vscode from 'vscode';
import type { VaeLabApi } from '../../src/extension/extension';
import type { RunItem } from '../../src/extension/experimentsTree';

export const EXTENSION_ID = 'vae-lab.vae-lab';

export async function activateApi(): Promise<{ ext: vscode.Extension<VaeLabApi>; api: VaeLabApi }> {
  const ext = vscode.extensions.getExtension<VaeLabApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed`);
  const api = await ext.activate();
  return { ext, api };
}

export function workspaceDir(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error('the tests need a workspace folder');
  return f.uri.fsPath;
}

export function workspaceFile(name: string): vscode.Uri {
  return vscode.Uri.file(path.join(workspaceDir(), name));
}

/** The runs the tree shows under an experiment, newest first. */
export async function treeRuns(api: VaeLabApi, experimentName: string): Promise<RunItem[]> {
  const exps = await api.tree.experiments();
  const exp = exps.find((e) => e.experimentName === experimentName);
  if (!exp) throw new Error(`the tree does not list experiment ${experimentName}: ${exps.map((e) => e.experimentName).join(', ')}`);
  return api.tree.runs(exp);
}

export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 30000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

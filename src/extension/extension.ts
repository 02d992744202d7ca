// VAE Lab's VS Code extension: the experiments tree, commands, diagnostics, the run manager and its status bar.
// It never loads tfjs: training and evaluation run in dist/engine.js child processes.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { effectiveStatus, listRuns, readRunRecord, RunRecord } from '../core/runFolder';
import { DashboardPanel, Dashboards } from './dashboard';
import { ExperimentDiagnostics } from './diagnostics';
import { Explorers } from './explorer';
import { EXPERIMENT_GLOB, ExperimentItem, ExperimentsTree, RunItem, VaeTreeItem } from './experimentsTree';
import { InstallBackendArgs, installBackendCommand } from './installBackend';
import { RunJob, RunManager } from './runManager';
import { isInside, runsRootFor, settings } from './settings';
import { throttle } from './throttle';

/** What activate() returns: used by the integration tests, and by other extensions that want to drive VAE Lab. */
export interface VaeLabApi {
  manager: RunManager;
  tree: ExperimentsTree;
  diagnostics: ExperimentDiagnostics;
  dashboards: Dashboards;
  explorers: Explorers;
}

let manager: RunManager | undefined;

export function activate(context: vscode.ExtensionContext): VaeLabApi {
  const output = vscode.window.createOutputChannel('VAE Lab');
  manager = new RunManager(context.asAbsolutePath(path.join('dist', 'engine.js')), output);
  const tree = new ExperimentsTree(manager);
  const diagnostics = new ExperimentDiagnostics();
  const log = (line: string) => manager!.log(line);
  const dashboards = new Dashboards(context, manager, log);
  const explorers = new Explorers(context, manager, log);
  dashboards.openExplorer = (runDir) => void explorers.open(runDir);
  const view = vscode.window.createTreeView('vaeLab.experiments', { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true });
  const status = vscode.window.createStatusBarItem('vaeLab.status', vscode.StatusBarAlignment.Left, 10);
  status.name = 'VAE Lab training';
  context.subscriptions.push(output, manager, tree, diagnostics, dashboards, explorers, view, status);

  // Live updates, throttled (the last update is never dropped). The status bar follows every step; the tree is
  // refreshed on state changes, epochs and file changes only, and at most once a second: every refresh replaces
  // the tree items, and a click that lands during one would lose its command.
  const statusRefresh = throttle(() => updateStatusBar(status, manager!), () => settings().uiUpdateIntervalMs);
  const treeRefresh = throttle(() => tree.refresh(), () => Math.max(1000, settings().uiUpdateIntervalMs));
  const refresh = { flush: () => (treeRefresh.flush(), statusRefresh.flush()), call: () => (treeRefresh(), statusRefresh()) };
  context.subscriptions.push({ dispose: () => (treeRefresh.dispose(), statusRefresh.dispose()) });
  context.subscriptions.push(
    manager.onDidChange(() => refresh.call()),
    manager.onEvent(({ event }) => (event.type === 'epoch' ? refresh.call() : statusRefresh())),
  );
  const watchers = [vscode.workspace.createFileSystemWatcher(EXPERIMENT_GLOB), vscode.workspace.createFileSystemWatcher('**/run.json')];
  for (const w of watchers) {
    context.subscriptions.push(w, w.onDidCreate(() => treeRefresh()), w.onDidChange(() => treeRefresh()), w.onDidDelete(() => treeRefresh()));
  }
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => refresh.flush()));

  const reg = (id: string, fn: (...args: any[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  reg('vaeLab.train', (arg?: unknown) => trainCommand(arg, manager!, diagnostics));
  reg('vaeLab.stop', (arg?: unknown) => stopCommand(arg, manager!));
  reg('vaeLab.resume', (arg?: unknown) => resumeCommand(arg, manager!));
  reg('vaeLab.openDashboard', (arg?: unknown) => dashboardCommand(arg, tree, dashboards));
  reg('vaeLab.newExperiment', () => newExperimentCommand(context));
  reg('vaeLab.openExample', () => openExampleCommand(context));
  reg('vaeLab.evaluateRun', (arg?: unknown) => evaluateCommand(arg, tree, manager!));
  reg('vaeLab.openExplorer', (arg?: unknown) => explorerCommand(arg, tree, explorers));
  reg('vaeLab.compareRuns', (arg?: unknown, selected?: unknown[]) => compareCommand(arg, selected, tree, dashboards));
  reg('vaeLab.exportRun', (arg?: unknown, dest?: string) => exportCommand(arg, tree, manager!, dest));
  reg('vaeLab.deleteRun', (arg?: unknown, confirmed?: boolean) => deleteCommand(arg, tree, manager!, confirmed === true, refresh.flush));
  reg('vaeLab.installBackend', (args?: InstallBackendArgs) => installBackendCommand(context.asAbsolutePath(path.join('dist', 'cli.js')), output, args && typeof args === 'object' ? args : {}));
  reg('vaeLab.showOutput', () => output.show(true));
  reg('vaeLab.refresh', () => refresh.flush());
  updateStatusBar(status, manager);
  return { manager, tree, diagnostics, dashboards, explorers };
}

export function deactivate(): void {
  manager?.dispose();
  manager = undefined;
}

// ------------------------------------------------------------------------------------------------ status bar

function updateStatusBar(item: vscode.StatusBarItem, m: RunManager): void {
  const active = m.active();
  const running = active.filter((j) => j.state !== 'queued');
  const queued = active.length - running.length;
  if (active.length === 0) {
    item.hide();
    return;
  }
  const j = running[0];
  const parts: string[] = [];
  if (j?.started) {
    const s = j.lastStep;
    parts.push(`${j.started.config.name} ${Math.floor((100 * (s?.step ?? j.started.step)) / j.started.totalSteps)}%`);
    if (s) parts.push(`loss ${s.metrics.loss.toFixed(1)}`);
  } else if (j) parts.push(j.label);
  if (running.length > 1) parts.push(`+${running.length - 1} running`);
  if (queued > 0) parts.push(`${queued} queued`);
  item.text = `$(sync~spin) VAE ${parts.join(' · ')}`;
  item.tooltip = 'VAE Lab: open the dashboard of the running experiment';
  item.command = j?.runDir ? { command: 'vaeLab.openDashboard', title: 'Open Dashboard', arguments: [j.runDir] } : 'vaeLab.showOutput';
  item.show();
}

// -------------------------------------------------------------------------------------------------- helpers

async function pickExperiment(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  if (arg instanceof ExperimentItem) return arg.uri;
  if (typeof arg === 'string') return vscode.Uri.file(arg);
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document.uri.path.endsWith('.vae.json')) return editor.document.uri;
  const uris = await vscode.workspace.findFiles(EXPERIMENT_GLOB, '{**/node_modules/**,**/.vae-runs/**}');
  if (uris.length === 0) {
    const choice = await vscode.window.showInformationMessage('There is no *.vae.json experiment in this workspace.', 'New Experiment');
    if (choice) await vscode.commands.executeCommand('vaeLab.newExperiment');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    uris.map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(u), uri: u })),
    { placeHolder: 'Experiment to train' },
  );
  return pick?.uri;
}

/** A run folder from a tree item, a path, a running job, or a quick pick of the runs matching `filter`. */
async function pickRun(arg: unknown, tree: ExperimentsTree, filter: (i: RunItem) => boolean, placeHolder: string): Promise<string | undefined> {
  if (arg instanceof RunItem) return arg.runDir;
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  const items: RunItem[] = [];
  for (const exp of await tree.experiments()) items.push(...tree.runs(exp).filter((r) => r.runDir && filter(r)));
  if (items.length === 0) {
    void vscode.window.showInformationMessage(`No run to choose from (${placeHolder.toLowerCase()}).`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    items.map((r) => ({ label: `${r.record?.experiment ?? ''} / ${String(r.label)}`, description: String(r.description ?? ''), runDir: r.runDir! })),
    { placeHolder },
  );
  return pick?.runDir;
}

function requireTrust(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(
    'VAE Lab does not train in an untrusted workspace: training runs code and reads data files named by the workspace. Trust this workspace to train.',
    'Manage Workspace Trust',
  ).then((c) => c && vscode.commands.executeCommand('workbench.trust.manage'));
  return false;
}

// ------------------------------------------------------------------------------------------------- commands

/** Returns the queued job, or undefined when nothing was started (and says why). */
async function trainCommand(arg: unknown, m: RunManager, diagnostics: ExperimentDiagnostics): Promise<RunJob | undefined> {
  if (!requireTrust()) return undefined;
  const uri = await pickExperiment(arg);
  if (!uri) return undefined;
  let doc: vscode.TextDocument;
  try {
    doc = await vscode.workspace.openTextDocument(uri);
  } catch (err) {
    // e.g. a binary file, which VS Code does not open as text
    void vscode.window.showErrorMessage(`${path.basename(uri.fsPath)} cannot be trained: it cannot be read as a text file (${(err as Error).message.split('\n')[0]}).`);
    return undefined;
  }
  if (doc.isDirty) await doc.save();
  const issues = diagnostics.update(doc);
  if (issues.length > 0) {
    const first = issues[0];
    void vscode.window
      .showErrorMessage(
        `${path.basename(uri.fsPath)} cannot be trained: ${first.pointer || '(document)'}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : ''}`,
        'Show Problems',
      )
      .then((choice) => choice && vscode.commands.executeCommand('workbench.actions.view.problems'));
    return undefined;
  }
  const s = settings();
  const job = m.submit({ kind: 'train', experimentFile: uri.fsPath, runsRoot: runsRootFor(uri), backend: s.backend === 'experiment' ? undefined : s.backend });
  showProgress(job, m);
  void job.done.then((state) => {
    if (state === 'failed') {
      void vscode.window.showErrorMessage(`Training ${job.label} failed: ${job.error ?? 'see the VAE Lab output'}`, 'Show Output').then((c) => c && vscode.commands.executeCommand('vaeLab.showOutput'));
    }
  });
  return job;
}

/** One cancellable progress notification per run. */
function showProgress(job: RunJob, m: RunManager): void {
  void vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `VAE Lab: ${job.label}`, cancellable: true },
    (progress, token) => {
      token.onCancellationRequested(() => m.stop(job, 'cancelled from the progress notification'));
      let reported = 0;
      const sub = m.onEvent(({ job: j, event }) => {
        if (j !== job) return;
        if (event.type === 'started') progress.report({ message: `${event.config.name} on ${event.backend.name}: starting` });
        if (event.type === 'step' && job.started) {
          const pct = (100 * event.step) / job.started.totalSteps;
          progress.report({ increment: pct - reported, message: `epoch ${event.epoch + 1}/${job.started.config.training.epochs} · loss ${event.metrics.loss.toFixed(2)}` });
          reported = pct;
        }
      });
      return job.done.finally(() => sub.dispose());
    },
  );
}

async function stopCommand(arg: unknown, m: RunManager): Promise<void> {
  let job: RunJob | undefined;
  if (arg instanceof RunItem) job = arg.job ?? (arg.runDir ? m.findByRunDir(arg.runDir) : undefined);
  else if (typeof arg === 'string') job = m.findByRunDir(arg);
  else {
    const active = m.active();
    if (active.length === 1) job = active[0];
    else if (active.length > 1) {
      const pick = await vscode.window.showQuickPick(active.map((j) => ({ label: j.label, description: j.state, job: j })), { placeHolder: 'Run to stop' });
      job = pick?.job;
    }
  }
  if (!job) {
    if (arg === undefined) void vscode.window.showInformationMessage('No VAE Lab run is training in this window.');
    return;
  }
  m.stop(job);
}

/** The run's record, or undefined after showing why it cannot be read (missing or corrupt run.json). */
function recordOrSayWhy(runDir: string): RunRecord | undefined {
  try {
    return readRunRecord(runDir);
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return undefined;
  }
}

async function resumeCommand(arg: unknown, m: RunManager): Promise<RunJob | undefined> {
  if (!requireTrust()) return undefined;
  let runDir: string | undefined;
  if (arg instanceof RunItem) runDir = arg.runDir;
  else if (typeof arg === 'string') runDir = arg;
  if (!runDir) {
    const items = await collectResumable(m);
    if (items.length === 0) {
      void vscode.window.showInformationMessage('No cancelled, failed or interrupted run to resume.');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Run to resume' });
    runDir = pick?.runDir;
    if (!runDir) return undefined;
  }
  const rec = recordOrSayWhy(runDir);
  if (!rec) return undefined;
  const statusNow = effectiveStatus(rec);
  if (statusNow === 'completed' || statusNow === 'running' || m.findByRunDir(runDir)) {
    void vscode.window.showInformationMessage(`${rec.experiment}/${rec.runId} is ${m.findByRunDir(runDir) ? 'running' : statusNow}; nothing to resume.`);
    return undefined;
  }
  const job = m.submit({ kind: 'resume', experimentFile: rec.experimentFile, runsRoot: path.dirname(path.dirname(runDir)), runDir });
  showProgress(job, m);
  return job;
}

async function collectResumable(m: RunManager): Promise<{ label: string; description: string; runDir: string }[]> {
  const out: { label: string; description: string; runDir: string }[] = [];
  const seen = new Set<string>();
  for (const uri of await vscode.workspace.findFiles(EXPERIMENT_GLOB, '{**/node_modules/**,**/.vae-runs/**}')) {
    const root = runsRootFor(uri);
    if (seen.has(root)) continue;
    seen.add(root);
    if (!fs.existsSync(root)) continue;
    for (const exp of fs.readdirSync(root)) {
      for (const runDir of listRuns(root, exp)) {
        try {
          const st = effectiveStatus(readRunRecord(runDir));
          if ((st === 'cancelled' || st === 'failed' || st === 'interrupted') && !m.findByRunDir(runDir)) out.push({ label: `${exp} / ${path.basename(runDir)}`, description: st, runDir });
        } catch {
          /* an unreadable run.json */
        }
      }
    }
  }
  return out;
}

async function dashboardCommand(arg: unknown, tree: ExperimentsTree, dashboards: Dashboards): Promise<void> {
  const runDir = await pickRun(arg, tree, () => true, 'Run to show');
  if (runDir) dashboards.open(runDir);
}

async function newExperimentCommand(context: vscode.ExtensionContext): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showWarningMessage('Open a folder first: VAE Lab keeps experiments and runs in the workspace.');
    return undefined;
  }
  const dir = context.asAbsolutePath('examples');
  const templates = fs.readdirSync(dir).filter((f) => f.endsWith('.vae.json'));
  const pick = await vscode.window.showQuickPick(
    templates.map((f) => {
      const doc = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { name: string; description?: string };
      return { label: doc.name, detail: doc.description, file: f };
    }),
    { placeHolder: 'Start from a template' },
  );
  if (!pick) return undefined;
  const name = await vscode.window.showInputBox({
    prompt: 'Experiment name (letters, digits, ".", "_" and "-")',
    value: `my-${pick.label}`,
    validateInput: (v) => (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v) ? undefined : 'Use letters, digits, ".", "_" and "-", starting with a letter or digit.'),
  });
  if (!name) return undefined;
  return writeTemplate(path.join(dir, pick.file), vscode.Uri.joinPath(folder.uri, `${name}.vae.json`), name);
}

/** Copy a template into the workspace under a new name (never overwriting), then open it. */
async function writeTemplate(template: string, target: vscode.Uri, name: string): Promise<vscode.Uri | undefined> {
  if (fs.existsSync(target.fsPath)) {
    await vscode.window.showTextDocument(target);
    return target;
  }
  const doc = JSON.parse(fs.readFileSync(template, 'utf8')) as Record<string, unknown>;
  delete doc.$schema; // the editor finds the schema through contributes.jsonValidation
  doc.name = name;
  await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(doc, null, 2) + '\n'));
  await vscode.window.showTextDocument(target);
  return target;
}

async function openExampleCommand(context: vscode.ExtensionContext): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const template = context.asAbsolutePath(path.join('examples', 'mnist-vae.vae.json'));
  if (!folder) {
    await vscode.window.showTextDocument(vscode.Uri.file(template));
    return vscode.Uri.file(template);
  }
  return writeTemplate(template, vscode.Uri.joinPath(folder.uri, 'mnist-vae.vae.json'), 'mnist-vae');
}

async function evaluateCommand(arg: unknown, tree: ExperimentsTree, m: RunManager): Promise<unknown> {
  const runDir = await pickRun(arg, tree, (r) => r.status === 'completed', 'Completed run to evaluate');
  if (!runDir) return undefined;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Evaluating ${path.basename(runDir)} on its test set` }, async () => {
    try {
      const r = await m.evaluate(runDir);
      const e = r.metrics;
      const text = e.elbo !== undefined ? `test ELBO ${e.elbo.toFixed(2)} nats (L=${r.samples}; reconstruction ${e.recon.toFixed(2)}, KL ${(e.kl ?? 0).toFixed(2)})` : `test reconstruction loss ${e.recon.toFixed(2)} nats`;
      m.log(`[${r.experiment}/${r.runId}] evaluated on ${r.examples} test examples: ${text}`);
      void vscode.window.showInformationMessage(`${r.experiment}/${r.runId}: ${text}. Saved to eval.json.`);
      tree.refresh();
      return r;
    } catch (err) {
      void vscode.window.showErrorMessage(`Evaluation failed: ${(err as Error).message}`);
      return undefined;
    }
  });
}

async function compareCommand(arg: unknown, selected: unknown[] | undefined, tree: ExperimentsTree, dashboards: Dashboards): Promise<DashboardPanel | undefined> {
  let runDirs = (selected ?? (arg ? [arg] : [])).filter((x): x is RunItem => x instanceof RunItem && !!x.runDir).map((r) => r.runDir!);
  if (runDirs.length < 2) {
    const all: RunItem[] = [];
    for (const exp of await tree.experiments()) all.push(...tree.runs(exp).filter((r) => r.runDir));
    const picks = await vscode.window.showQuickPick(
      all.map((r) => ({ label: `${r.record?.experiment} / ${String(r.label)}`, description: String(r.description ?? ''), picked: runDirs.includes(r.runDir!), runDir: r.runDir! })),
      { canPickMany: true, placeHolder: 'Runs to compare (two or more)' },
    );
    if (!picks || picks.length < 2) return undefined;
    runDirs = picks.map((p) => p.runDir);
  }
  return dashboards.compare(runDirs);
}

async function explorerCommand(arg: unknown, tree: ExperimentsTree, explorers: Explorers): Promise<unknown> {
  const runDir = await pickRun(arg, tree, (r) => !!r.record?.lastCheckpoint, 'Run to explore');
  return runDir ? explorers.open(runDir) : undefined;
}

async function exportCommand(arg: unknown, tree: ExperimentsTree, m: RunManager, dest?: string): Promise<string | undefined> {
  const runDir = await pickRun(arg, tree, (r) => r.status !== 'running' && r.status !== 'queued', 'Run to export');
  if (!runDir) return undefined;
  if (m.findByRunDir(runDir)) {
    void vscode.window.showWarningMessage('Stop the run before exporting it.');
    return undefined;
  }
  let target = dest;
  if (!target) {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Export here' });
    if (!picked?.[0]) return undefined;
    target = picked[0].fsPath;
  }
  const rec = readRunRecord(runDir);
  const out = path.join(target, `${rec.experiment}-${rec.runId}`);
  if (fs.existsSync(out)) {
    void vscode.window.showErrorMessage(`${out} already exists; nothing was overwritten.`);
    return undefined;
  }
  // Everything a user needs to reuse or publish the run; checkpoints stay behind (they are for resuming).
  fs.mkdirSync(out, { recursive: true });
  for (const name of ['run.json', 'metrics.jsonl', 'eval.json', 'images', 'model']) {
    const src = path.join(runDir, name);
    if (fs.existsSync(src)) fs.cpSync(src, path.join(out, name), { recursive: true });
  }
  void vscode.window.showInformationMessage(`Exported ${rec.experiment}/${rec.runId} to ${out}`);
  return out;
}

async function deleteCommand(arg: unknown, tree: ExperimentsTree, m: RunManager, confirmed: boolean, refreshNow: () => void): Promise<boolean> {
  const runDir = await pickRun(arg, tree, (r) => r.status !== 'running' && r.status !== 'queued', 'Run to delete');
  if (!runDir) return false;
  if (m.findByRunDir(runDir)) {
    void vscode.window.showWarningMessage('Stop the run before deleting it.');
    return false;
  }
  const rec = recordOrSayWhy(runDir);
  if (!rec) return false;
  // Only ever delete a run folder inside the configured runs root: <root>/<experiment>/<run id>.
  const root = runsRootFor(vscode.Uri.file(runDir));
  if (!isInside(root, runDir) || path.basename(runDir) !== rec.runId || path.basename(path.dirname(runDir)) !== rec.experiment) {
    void vscode.window.showErrorMessage(`${runDir} does not look like a VAE Lab run folder; nothing was deleted.`);
    return false;
  }
  if (!confirmed) {
    const ok = await vscode.window.showWarningMessage(`Delete run ${rec.experiment}/${rec.runId} and all its files?`, { modal: true }, 'Delete');
    if (ok !== 'Delete') return false;
  }
  fs.rmSync(runDir, { recursive: true, force: true });
  refreshNow();
  return true;
}

export type { VaeTreeItem };

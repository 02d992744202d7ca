// VAE Lab's VS Code extension: the experiments tree, commands, diagnostics, the run manager and its status bar, and
// sweeps (run by the CLI, shown in the tree and in the sweep panel). It never loads tfjs: training and evaluation run
// in dist/engine.js child processes, sweeps in dist/cli.js.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { parseExperimentText } from '../core/config';
import { effectiveStatus, listRuns, readRunRecord, RunRecord } from '../core/runFolder';
import { sweepCounts, sweepStatus, unfinished } from '../core/sweep';
import { DashboardPanel, Dashboards } from './dashboard';
import { ExperimentDiagnostics } from './diagnostics';
import { NOT_DOWNLOADED, downloadDatasetCommand } from './downloadDataset';
import { Explorers } from './explorer';
import { EXPERIMENT_GLOB, ExperimentItem, ExperimentsTree, RunItem, SweepItem, VaeTreeItem } from './experimentsTree';
import { InstallBackendArgs, installBackendCommand } from './installBackend';
import { learnByDoingCommand } from './lessons';
import { RunJob, RunManager } from './runManager';
import { isInside, runsRootFor, settings } from './settings';
import { countsLabel } from './sweepModel';
import { SweepPanel, SweepPanels } from './sweepPanel';
import { listSweeps, loadSweep, StartSweepOptions, SweepJob, SweepOutcome, SweepRunner } from './sweeps';
import { TheoryPanel, TheoryPanels } from './theoryPanel';
import { throttle } from './throttle';

/** What activate() returns: used by the integration tests, and by other extensions that want to drive VAE Lab. */
export interface VaeLabApi {
  manager: RunManager;
  tree: ExperimentsTree;
  diagnostics: ExperimentDiagnostics;
  dashboards: Dashboards;
  explorers: Explorers;
  sweeps: SweepRunner;
  sweepPanels: SweepPanels;
  theoryPanels: TheoryPanels;
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
  const sweeps = new SweepRunner(context.asAbsolutePath(path.join('dist', 'cli.js')), output);
  const sweepPanels = new SweepPanels(context, log);
  sweepPanels.openRun = (runDir) => void dashboards.open(runDir);
  const theoryPanels = new TheoryPanels(context, context.asAbsolutePath(path.join('dist', 'cli.js')), output, log);
  tree.runningSweep = (dir) => sweeps.findByDir(dir) !== undefined;
  const view = vscode.window.createTreeView('vaeLab.experiments', { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true });
  const status = vscode.window.createStatusBarItem('vaeLab.status', vscode.StatusBarAlignment.Left, 10);
  status.name = 'VAE Lab training';
  context.subscriptions.push(output, manager, tree, diagnostics, dashboards, explorers, sweeps, sweepPanels, theoryPanels, view, status);

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
    sweeps.onDidChange(() => treeRefresh()),
  );
  const watchers = [vscode.workspace.createFileSystemWatcher(EXPERIMENT_GLOB), vscode.workspace.createFileSystemWatcher('**/run.json'), vscode.workspace.createFileSystemWatcher('**/sweep.json')];
  for (const w of watchers) {
    context.subscriptions.push(w, w.onDidCreate(() => treeRefresh()), w.onDidChange(() => treeRefresh()), w.onDidDelete(() => treeRefresh()));
  }
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => refresh.flush()));

  const reg = (id: string, fn: (...args: any[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  reg('vaeLab.train', (arg?: unknown) => trainCommand(arg, manager!, diagnostics));
  reg('vaeLab.stop', (arg?: unknown) => stopCommand(arg, manager!, sweeps));
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
  reg('vaeLab.downloadDataset', (name?: unknown) => downloadDatasetCommand(context.asAbsolutePath(path.join('dist', 'cli.js')), output, typeof name === 'string' && name ? name : undefined));
  reg('vaeLab.showOutput', () => output.show(true));
  reg('vaeLab.refresh', () => refresh.flush());
  reg('vaeLab.runSweep', (arg?: unknown, options?: unknown) => runSweepCommand(context, arg, options, sweeps, diagnostics));
  reg('vaeLab.resumeSweep', (arg?: unknown, options?: unknown) => resumeSweepCommand(arg, options, sweeps));
  reg('vaeLab.cancelSweep', (arg?: unknown) => cancelSweepCommand(arg, sweeps));
  reg('vaeLab.openSweep', (arg?: unknown) => openSweepCommand(arg, sweepPanels));
  reg('vaeLab.openTheoryLab', (arg?: unknown) => theoryLabCommand(arg, tree, theoryPanels));
  reg('vaeLab.learnByDoing', (arg?: unknown) => learnByDoingCommand(context, theoryPanels, arg));
  updateStatusBar(status, manager);
  return { manager, tree, diagnostics, dashboards, explorers, sweeps, sweepPanels, theoryPanels };
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
/**
 * Open an experiment as a saved text document and check it; a file that cannot be read or has problems gets one error
 * message ("x.vae.json cannot be trained: /pointer: message", with Show Problems) and gives undefined.
 */
async function openValidExperiment(uri: vscode.Uri, verb: 'trained' | 'swept', diagnostics: ExperimentDiagnostics): Promise<vscode.TextDocument | undefined> {
  let doc: vscode.TextDocument;
  try {
    doc = await vscode.workspace.openTextDocument(uri);
  } catch (err) {
    // e.g. a binary file, which VS Code does not open as text
    void vscode.window.showErrorMessage(`${path.basename(uri.fsPath)} cannot be ${verb}: it cannot be read as a text file (${(err as Error).message.split('\n')[0]}).`);
    return undefined;
  }
  if (doc.isDirty) await doc.save();
  const issues = diagnostics.update(doc);
  if (issues.length > 0) {
    const first = issues[0];
    void vscode.window
      .showErrorMessage(
        `${path.basename(uri.fsPath)} cannot be ${verb}: ${first.pointer || '(document)'}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : ''}`,
        'Show Problems',
      )
      .then((choice) => choice && vscode.commands.executeCommand('workbench.actions.view.problems'));
    return undefined;
  }
  return doc;
}

async function trainCommand(arg: unknown, m: RunManager, diagnostics: ExperimentDiagnostics): Promise<RunJob | undefined> {
  if (!requireTrust()) return undefined;
  const uri = await pickExperiment(arg);
  if (!uri) return undefined;
  if (!(await openValidExperiment(uri, 'trained', diagnostics))) return undefined;
  const s = settings();
  const job = m.submit({ kind: 'train', experimentFile: uri.fsPath, runsRoot: runsRootFor(uri), backend: s.backend === 'experiment' ? undefined : s.backend });
  showProgress(job, m);
  void job.done.then((state) => {
    if (state === 'failed') showRunFailure(job);
  });
  return job;
}

/** A failed run's message: "Show Output", and "Download Dataset" when its data set is not downloaded yet. */
function showRunFailure(job: RunJob): void {
  const missing = NOT_DOWNLOADED.exec(job.error ?? '')?.[1];
  const actions = missing ? ['Download Dataset', 'Show Output'] : ['Show Output'];
  void vscode.window.showErrorMessage(`Training ${job.label} failed: ${job.error ?? 'see the VAE Lab output'}`, ...actions).then((c) => {
    if (c === 'Show Output') void vscode.commands.executeCommand('vaeLab.showOutput');
    else if (c === 'Download Dataset') void vscode.commands.executeCommand('vaeLab.downloadDataset', missing);
  });
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

async function stopCommand(arg: unknown, m: RunManager, sweeps: SweepRunner): Promise<void> {
  let job: RunJob | undefined;
  if (arg instanceof RunItem && arg.sweep && !arg.job && !(arg.runDir && m.findByRunDir(arg.runDir))) {
    // Trained by its sweep's process: the sweep is what stops (its runs write checkpoints; Resume Sweep goes on).
    const sweep = arg.sweep.sweep;
    const choice = await vscode.window.showInformationMessage(
      `${String(arg.label)} is a run of sweep ${sweep.record.sweepId}, trained by the sweep's process. Cancel the whole sweep? Its runs stop with checkpoints, and "Resume Sweep" goes on later.`,
      'Cancel Sweep',
    );
    if (choice) await cancelSweepCommand(sweep, sweeps);
    return;
  }
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

/** "VAE: Open Theory Lab": the lessons of `vae-lab theory` on a run (a finished one: the CLI loads its model). */
async function theoryLabCommand(arg: unknown, tree: ExperimentsTree, panels: TheoryPanels): Promise<TheoryPanel | undefined> {
  const runDir = await pickRun(arg instanceof vscode.Uri ? arg.fsPath : arg, tree, (r) => r.status !== 'running' && r.status !== 'queued' && !!r.record?.lastCheckpoint, 'Run to study in the Theory Lab');
  if (!runDir) return undefined;
  try {
    return panels.open(runDir);
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return undefined;
  }
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

// --------------------------------------------------------------------------------------------------- sweeps

function hasSweepBlock(doc: unknown): boolean {
  const sweep = (doc as { sweep?: unknown } | null)?.sweep;
  return typeof sweep === 'object' && sweep !== null && !Array.isArray(sweep);
}

function readDoc(file: string): { name?: unknown; sweep?: unknown } | undefined {
  try {
    return parseExperimentText(fs.readFileSync(file, 'utf8'), file) as { name?: unknown; sweep?: unknown };
  } catch {
    return undefined;
  }
}

/** An experiment file with a sweep block: the argument, the active editor's, or a quick pick. */
async function pickSweepExperiment(context: vscode.ExtensionContext, arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  if (arg instanceof ExperimentItem) return arg.uri;
  if (typeof arg === 'string') return vscode.Uri.file(arg);
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document.uri.path.endsWith('.vae.json') && hasSweepBlock(readDoc(editor.document.uri.fsPath) ?? safeParse(editor.document.getText()))) return editor.document.uri;
  const uris = (await vscode.workspace.findFiles(EXPERIMENT_GLOB, '{**/node_modules/**,**/.vae-runs/**}')).filter((u) => hasSweepBlock(readDoc(u.fsPath)));
  if (uris.length === 0) {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const choice = await vscode.window.showInformationMessage('No experiment in this workspace has a "sweep" block (the values to vary; see the schema).', ...(folder ? ['Add the β-VAE Sweep Example'] : []));
    if (choice && folder) {
      return writeTemplate(context.asAbsolutePath(path.join('examples', 'mnist-beta-sweep.vae.json')), vscode.Uri.joinPath(folder.uri, 'mnist-beta-sweep.vae.json'), 'mnist-beta-sweep');
    }
    return undefined;
  }
  if (uris.length === 1) return uris[0];
  const pick = await vscode.window.showQuickPick(
    uris.map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(u), uri: u })),
    { placeHolder: 'Experiment to sweep' },
  );
  return pick?.uri;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Options a caller (tests, other extensions) may pass: --set overrides, --epochs, --parallel, --executor. */
function sweepOptions(o: unknown): StartSweepOptions {
  if (typeof o !== 'object' || o === null) return {};
  const r = o as Record<string, unknown>;
  const out: StartSweepOptions = {};
  if (Array.isArray(r.set)) out.set = r.set.filter((x): x is string => typeof x === 'string');
  if (typeof r.epochs === 'number' && Number.isInteger(r.epochs) && r.epochs > 0) out.epochs = r.epochs;
  if (typeof r.parallel === 'number' && Number.isInteger(r.parallel) && r.parallel > 0) out.parallel = r.parallel;
  if (r.executor === 'local' || r.executor === 'slurm') out.executor = r.executor;
  return out;
}

/** "VAE: Run Sweep": returns the job (its `done` resolves with the outcome), or undefined when nothing started. */
async function runSweepCommand(context: vscode.ExtensionContext, arg: unknown, options: unknown, sweeps: SweepRunner, diagnostics: ExperimentDiagnostics): Promise<SweepJob | undefined> {
  if (!requireTrust()) return undefined;
  const uri = await pickSweepExperiment(context, arg);
  if (!uri) return undefined;
  const doc = await openValidExperiment(uri, 'swept', diagnostics);
  if (!doc) return undefined;
  const parsed = safeParse(doc.getText()) as { name?: unknown } | undefined;
  if (!hasSweepBlock(parsed) || typeof parsed?.name !== 'string') {
    void vscode.window.showErrorMessage(`${path.basename(uri.fsPath)} has no "sweep" block: add one with the values to vary (see the schema), or train the file as written with "VAE: Train".`);
    return undefined;
  }
  const job = sweeps.run(uri.fsPath, parsed.name, runsRootFor(uri), sweepOptions(options));
  followSweep(job, sweeps);
  return job;
}

/** The progress notification ("Sweep mnist-beta-sweep: 3/12 runs ended"; Cancel sends SIGINT) and the closing message. */
function followSweep(job: SweepJob, sweeps: SweepRunner): void {
  void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Sweep ${job.experiment}`, cancellable: true }, (progress, token) => {
    token.onCancellationRequested(() => sweeps.cancel(job));
    let reported = 0;
    const update = () => {
      const total = job.total;
      const pct = total ? (100 * job.ended) / total : 0;
      const message =
        job.state === 'cancelling'
          ? `cancelling: the runs finish their step and write a checkpoint (${job.ended}/${total ?? '?'} ended)`
          : total !== undefined
            ? `${job.ended}/${total} runs ended${job.running.size ? ` · ${job.running.size} running` : ''}`
            : 'starting';
      progress.report({ message, increment: pct - reported });
      reported = pct;
    };
    update();
    const sub = sweeps.onDidChange((j) => j === job && update());
    return job.done.finally(() => sub.dispose());
  });
  void job.done.then((o) => sweepEndedMessage(job, o));
}

function sweepEndedMessage(job: SweepJob, o: SweepOutcome): void {
  let counts = o.counts;
  let total = job.total ?? 0;
  if (o.dir) {
    try {
      const r = loadSweep(o.dir);
      counts ??= sweepCounts(r);
      total = r.runs.length;
    } catch {
      /* the folder went away */
    }
  }
  const open = (choice: string | undefined) => {
    if (choice === 'Open Sweep' && o.dir) void vscode.commands.executeCommand('vaeLab.openSweep', o.dir);
    if (choice === 'Resume Sweep' && o.dir) void vscode.commands.executeCommand('vaeLab.resumeSweep', o.dir);
    if (choice === 'Show Output') void vscode.commands.executeCommand('vaeLab.showOutput');
  };
  if (!o.dir) {
    void vscode.window.showErrorMessage(`Sweep ${job.experiment} did not start: ${o.error ?? 'see the VAE Lab output'}`, 'Show Output').then(open);
  } else if (o.state === 'completed') {
    void vscode.window.showInformationMessage(`Sweep ${job.experiment} finished: ${counts?.completed ?? total} of ${total} runs completed.`, 'Open Sweep').then(open);
  } else if (o.state === 'cancelled') {
    void vscode.window.showInformationMessage(`Sweep ${job.experiment} cancelled: ${counts?.completed ?? 0} of ${total} runs completed; "Resume Sweep" goes on from the checkpoints.`, 'Open Sweep', 'Resume Sweep').then(open);
  } else {
    void vscode.window
      .showWarningMessage(`Sweep ${job.experiment} ended: ${counts ? `${counts.failed} of ${total} runs failed` : 'it failed'}${o.error ? ` (${o.error})` : ''}.`, 'Open Sweep', 'Show Output')
      .then(open);
  }
}

/** Every sweep folder under the runs roots of the workspace's experiments. */
async function collectSweeps(): Promise<string[]> {
  const out: string[] = [];
  const roots = new Set<string>();
  for (const uri of await vscode.workspace.findFiles(EXPERIMENT_GLOB, '{**/node_modules/**,**/.vae-runs/**}')) roots.add(runsRootFor(uri));
  for (const root of roots) {
    let experiments: string[];
    try {
      experiments = fs.readdirSync(root);
    } catch {
      continue;
    }
    for (const exp of experiments) out.push(...listSweeps(root, exp));
  }
  return out.sort((a, b) => path.basename(b).localeCompare(path.basename(a))); // newest first
}

/** A sweep folder from a tree item, a path or URI, or a quick pick of the workspace's sweeps matching `filter`. */
async function pickSweep(arg: unknown, placeHolder: string, filter: (status: string) => boolean = () => true): Promise<string | undefined> {
  if (arg instanceof SweepItem) return arg.dir;
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  const items: { label: string; description: string; dir: string }[] = [];
  for (const dir of await collectSweeps()) {
    try {
      const r = loadSweep(dir);
      const status = sweepStatus(r);
      if (filter(status)) items.push({ label: `${r.experiment} / sweep ${r.sweepId}`, description: `${status} · ${countsLabel(r)}`, dir });
    } catch {
      /* an unreadable sweep.json */
    }
  }
  if (items.length === 0) {
    void vscode.window.showInformationMessage(`No sweep to choose from (${placeHolder.toLowerCase()}). "VAE: Run Sweep" starts one.`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(items, { placeHolder });
  return pick?.dir;
}

async function openSweepCommand(arg: unknown, panels: SweepPanels): Promise<SweepPanel | undefined> {
  const dir = await pickSweep(arg, 'Sweep to show');
  if (!dir) return undefined;
  try {
    return panels.open(dir);
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return undefined;
  }
}

async function resumeSweepCommand(arg: unknown, options: unknown, sweeps: SweepRunner): Promise<SweepJob | undefined> {
  if (!requireTrust()) return undefined;
  const dir = await pickSweep(arg, 'Sweep to resume', (s) => s === 'cancelled' || s === 'failed' || s === 'interrupted');
  if (!dir) return undefined;
  let record;
  try {
    record = loadSweep(dir);
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return undefined;
  }
  if (sweeps.findByDir(dir) || record.pid !== undefined) {
    void vscode.window.showInformationMessage(`Sweep ${record.experiment} ${record.sweepId} is running${record.pid !== undefined ? ` (process ${record.pid})` : ''}; nothing to resume.`);
    return undefined;
  }
  if (unfinished(record).length === 0) {
    void vscode.window.showInformationMessage(`Every run of sweep ${record.experiment} ${record.sweepId} has completed; nothing to resume.`);
    return undefined;
  }
  const job = sweeps.resume(dir, sweepOptions(options));
  followSweep(job, sweeps);
  return job;
}

async function cancelSweepCommand(arg: unknown, sweeps: SweepRunner): Promise<boolean> {
  const dir = await pickSweep(arg, 'Sweep to cancel', (s) => s === 'running');
  if (!dir) return false;
  const job = sweeps.findByDir(dir);
  if (job) {
    sweeps.cancel(job);
    return true;
  }
  // Run by another window or a terminal on this machine: the same SIGINT, to the process sweep.json names.
  let record;
  try {
    record = loadSweep(dir);
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return false;
  }
  if (record.pid === undefined) {
    void vscode.window.showInformationMessage(`Sweep ${record.experiment} ${record.sweepId} is not running.`);
    return false;
  }
  try {
    process.kill(record.pid, 'SIGINT');
    void vscode.window.showInformationMessage(`Asked sweep ${record.experiment} ${record.sweepId} (process ${record.pid}) to stop; its runs write checkpoints.`);
    return true;
  } catch (err) {
    void vscode.window.showErrorMessage(`Could not stop process ${record.pid}: ${(err as Error).message}`);
    return false;
  }
}

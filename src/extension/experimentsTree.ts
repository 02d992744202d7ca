// The Experiments view: every *.vae.json in the workspace, and under each its sweeps and runs (from the runs folder on
// disk, plus queued runs of this window) with status icons, tooltips with the final metrics, and context values that
// drive the inline buttons and menus. A sweep's node holds its children, ordinary run items labelled with their
// parameters.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { validateExperiment } from '../core/config';
import type { EvalResult, RunStatus } from '../core/protocol';
import { effectiveStatus, listRuns, readRunRecord, RunRecord, runFiles } from '../core/runFolder';
import { ranked, metricValue, SweepChild, SweepRecord, sweepStatus } from '../core/sweep';
import type { RunJob, RunManager } from './runManager';
import { runsRootFor } from './settings';
import { childStatusLabel, childTreeLabel, countsLabel } from './sweepModel';
import { listSweeps, loadSweep } from './sweeps';

export const EXPERIMENT_GLOB = '**/*.vae.json';
const EXCLUDE_GLOB = '{**/node_modules/**,**/.vae-runs/**,**/.vscode-test/**}';

export type DisplayStatus = RunStatus | 'queued';

export class ExperimentItem extends vscode.TreeItem {
  readonly kind = 'experiment' as const;
  constructor(readonly uri: vscode.Uri, readonly experimentName: string | undefined, problems: number, readonly hasSweep = false) {
    super(experimentName ?? path.basename(uri.fsPath), vscode.TreeItemCollapsibleState.Expanded);
    this.resourceUri = uri;
    this.id = `exp:${uri.toString()}`;
    this.description = vscode.workspace.asRelativePath(uri, false);
    // 'experiment.sweep' for a file with a sweep block (menus match /^experiment/ for what every experiment has).
    this.contextValue = problems > 0 ? 'experiment.invalid' : hasSweep ? 'experiment.sweep' : 'experiment';
    this.iconPath = new vscode.ThemeIcon(problems > 0 ? 'warning' : 'beaker', problems > 0 ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
    this.tooltip =
      problems > 0
        ? `${problems} problem(s): fix them before training (see the Problems panel).`
        : hasSweep
          ? `Run its sweep with "VAE: Run Sweep" (or train the file as written with ▷).`
          : `Train with the ▷ button or "VAE: Train".`;
    this.accessibilityInformation = { label: `Experiment ${this.label as string}, ${this.description as string}${problems > 0 ? `, ${problems} problems` : ''}` };
    this.command = { command: 'vscode.open', title: 'Open experiment', arguments: [uri] };
  }
}

/** A run of a sweep, shown under its sweep's node. */
export interface SweepRunInfo {
  sweep: SweepItem;
  child: SweepChild;
}

export class RunItem extends vscode.TreeItem {
  readonly kind = 'run' as const;
  constructor(
    readonly experiment: ExperimentItem,
    readonly runDir: string | undefined,
    readonly status: DisplayStatus,
    readonly record: RunRecord | undefined,
    readonly job: RunJob | undefined,
    colorIndex: number,
    readonly sweep?: SweepRunInfo,
  ) {
    super(sweep ? childTreeLabel(sweep.child) : (record?.runId ?? job?.label ?? 'queued run'), vscode.TreeItemCollapsibleState.None);
    this.id = `run:${runDir ?? `job${job?.id}`}`;
    this.contextValue = `run.${status}${record?.lastCheckpoint ? '.checkpoint' : ''}`;
    this.iconPath = statusIcon(status, colorIndex);
    this.description = sweep ? describeSweepChild(status, sweep.child, record, job) : describe(status, record, job);
    this.tooltip = tooltip(status, record, job, runDir, sweep);
    this.accessibilityInformation = { label: `Run ${this.label as string} of ${sweep ? `sweep ${sweep.sweep.record.sweepId} of ` : ''}${experiment.label as string}, ${this.description as string}` };
    // A queued child of a sweep has nothing to show yet.
    if (runDir && !(sweep && status === 'queued')) this.command = { command: 'vaeLab.openDashboard', title: 'Open Dashboard', arguments: [this] };
  }
}

/** A sweep of an experiment: its counts, and its runs as children. */
export class SweepItem extends vscode.TreeItem {
  readonly kind = 'sweep' as const;
  readonly status: DisplayStatus;
  constructor(
    readonly experiment: ExperimentItem,
    readonly dir: string,
    readonly record: SweepRecord,
    running: boolean,
  ) {
    super(`sweep ${record.sweepId}`, vscode.TreeItemCollapsibleState.Collapsed);
    // A sweep this window runs counts as running even before its first run has written its record.
    const status = sweepStatus(record);
    this.status = running && status !== 'completed' ? 'running' : status;
    this.id = `sweep:${dir}`;
    this.contextValue = `sweep.${this.status}`;
    this.iconPath = sweepIcon(this.status);
    this.description = countsLabel(record);
    this.tooltip = sweepTooltip(record, dir, this.status);
    this.accessibilityInformation = { label: `Sweep ${record.sweepId} of ${experiment.label as string}, ${this.status}, ${this.description}` };
  }
}

export type VaeTreeItem = ExperimentItem | SweepItem | RunItem;

/** Run colours, shared with the dashboards: the same colour in the tree and on the charts. */
export const RUN_COLORS = ['charts.blue', 'charts.orange', 'charts.green', 'charts.purple', 'charts.red', 'charts.yellow'];

/** A run's colour index: its position among its experiment's runs, oldest first (stable as runs are added). */
export function runColorIndex(runDir: string): number {
  const dir = path.resolve(runDir);
  const i = listRuns(path.dirname(path.dirname(dir)), path.basename(path.dirname(dir))).findIndex((d) => path.resolve(d) === dir);
  return Math.max(0, i);
}

/** The CSS custom property webviews use for a run's colour, e.g. "--vscode-charts-blue". */
export function runColorVar(runDir: string): string {
  return `--vscode-${RUN_COLORS[runColorIndex(runDir) % RUN_COLORS.length].replace('.', '-')}`;
}

function statusIcon(status: DisplayStatus, colorIndex: number): vscode.ThemeIcon {
  const color = new vscode.ThemeColor(RUN_COLORS[colorIndex % RUN_COLORS.length]);
  switch (status) {
    case 'running':
      return new vscode.ThemeIcon('sync~spin', color);
    case 'queued':
      return new vscode.ThemeIcon('clock', color);
    case 'completed':
      return new vscode.ThemeIcon('pass-filled', color);
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    case 'cancelled':
      return new vscode.ThemeIcon('circle-slash', color);
    case 'interrupted':
      return new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  }
}

function sweepIcon(status: DisplayStatus): vscode.ThemeIcon {
  switch (status) {
    case 'running':
      return new vscode.ThemeIcon('sync~spin');
    case 'queued':
      return new vscode.ThemeIcon('clock');
    case 'completed':
      return new vscode.ThemeIcon('layers', new vscode.ThemeColor('charts.green'));
    case 'failed':
      return new vscode.ThemeIcon('layers', new vscode.ThemeColor('errorForeground'));
    case 'cancelled':
      return new vscode.ThemeIcon('circle-slash');
    case 'interrupted':
      return new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  }
}

function sweepTooltip(record: SweepRecord, dir: string, status: DisplayStatus): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${record.experiment}** · sweep ${record.sweepId}\n\n`);
  md.appendMarkdown(`Status: **${status}** · ${countsLabel(record)}\n\n`);
  md.appendMarkdown(`Swept: ${record.parameters.map((p) => `\`${p}\``).join(', ')}${record.spec.seeds !== undefined ? ' and seeds' : ''} · ${record.executor} executor${record.slurm ? ` (job ${record.slurm.jobIds.join(', ')})` : ''}\n\n`);
  const best = ranked(record)[0];
  const v = best ? metricValue(best, record.metric.name) : undefined;
  if (best && v !== undefined) md.appendMarkdown(`Best ${record.metric.name} (validation): **${v.toFixed(2)}** nats, ${childTreeLabel(best)}\n\n`);
  md.appendMarkdown(`Folder: ${dir}\n\n"Open Sweep" shows the rate-distortion plane and the leaderboard.`);
  return md;
}

function describeSweepChild(status: DisplayStatus, child: SweepChild, rec: RunRecord | undefined, job: RunJob | undefined): string {
  if (job || status !== 'running') return status === 'queued' ? childStatusLabel(child) : describe(status, rec, job);
  // Trained by the sweep's process, not this window's: progress from its record.
  const p = rec?.progress;
  return p && p.totalSteps > 0 ? `running ${Math.floor((100 * p.step) / p.totalSteps)}%` : 'running';
}

function describe(status: DisplayStatus, rec: RunRecord | undefined, job: RunJob | undefined): string {
  if (status === 'running' && job?.started) {
    const s = job.lastStep;
    // A resumed run starts where its checkpoint was, not at 0.
    const pct = Math.floor((100 * (s?.step ?? job.started.step)) / job.started.totalSteps);
    return `running ${pct}%${s ? ` · loss ${s.metrics.loss.toFixed(1)}` : ''}`;
  }
  const loss = rec?.finalMetrics?.loss;
  return `${status}${loss !== undefined && Number.isFinite(loss) ? ` · val loss ${loss.toFixed(2)}` : ''}`;
}

function readEval(runDir: string): EvalResult | undefined {
  try {
    return JSON.parse(fs.readFileSync(runFiles.evaluation(runDir), 'utf8')) as EvalResult;
  } catch {
    return undefined;
  }
}

function tooltip(status: DisplayStatus, rec: RunRecord | undefined, job: RunJob | undefined, runDir: string | undefined, sweep?: SweepRunInfo): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${rec?.experiment ?? job?.label ?? ''}** · ${rec?.runId ?? ''}\n\n`);
  if (sweep) md.appendMarkdown(`Sweep ${sweep.sweep.record.sweepId}: ${childTreeLabel(sweep.child)}\n\n`);
  md.appendMarkdown(`Status: **${sweep && status === 'queued' ? childStatusLabel(sweep.child) : status}**${rec?.statusReason ? ` (${rec.statusReason})` : ''}\n\n`);
  if (sweep?.child.slurm) md.appendMarkdown(`Slurm: job ${sweep.child.slurm.jobId}_${sweep.child.slurm.taskId}${sweep.child.slurm.state ? `, ${sweep.child.slurm.state}` : ''}${sweep.child.slurm.exitCode ? `, exit ${sweep.child.slurm.exitCode}` : ''}\n\n`);
  if (rec?.backend) {
    md.appendMarkdown(`Backend: ${rec.backend.name} ${rec.backend.version}${rec.backend.requested === 'auto' ? ' (auto)' : ''}\n\n`);
    for (const n of rec.backend.notUsed ?? []) md.appendMarkdown(`Not used: ${n.name}: ${n.reason}\n\n`);
  }
  if (rec) md.appendMarkdown(`Progress: epoch ${rec.progress.epoch}/${rec.config.training.epochs}, step ${rec.progress.step}/${rec.progress.totalSteps}\n\n`);
  const m = rec?.finalMetrics;
  if (m) {
    md.appendMarkdown(`| validation | nats |\n| --- | --- |\n| loss | ${m.loss.toFixed(2)} |\n`);
    if (m.elbo !== undefined) md.appendMarkdown(`| ELBO | ${m.elbo.toFixed(2)} |\n`);
    md.appendMarkdown(`| reconstruction | ${m.recon.toFixed(2)} |\n`);
    if (m.kl !== undefined) md.appendMarkdown(`| KL | ${m.kl.toFixed(2)} |\n`);
    md.appendMarkdown('\n');
  }
  const ev = runDir ? readEval(runDir) : undefined;
  if (ev?.metrics.elbo !== undefined) md.appendMarkdown(`Test ELBO (L=${ev.samples}): **${ev.metrics.elbo.toFixed(2)}** nats\n\n`);
  if (rec?.timings.examplesPerSecond) md.appendMarkdown(`Throughput: ${Math.round(rec.timings.examplesPerSecond)} examples/s\n\n`);
  if (rec?.error) md.appendMarkdown(`Error: ${rec.error}\n\n`);
  return md;
}

export class ExperimentsTree implements vscode.TreeDataProvider<VaeTreeItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<VaeTreeItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  /** Sweep folders this window's "Run Sweep" is running (set by the extension). */
  runningSweep: (dir: string) => boolean = () => false;

  constructor(private readonly manager: RunManager) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(item: VaeTreeItem): vscode.TreeItem {
    return item;
  }

  async getChildren(item?: VaeTreeItem): Promise<VaeTreeItem[]> {
    if (!item) return this.experiments();
    if (item.kind === 'experiment') return [...this.sweeps(item), ...this.runs(item)];
    if (item.kind === 'sweep') return this.sweepRuns(item);
    return [];
  }

  async experiments(): Promise<ExperimentItem[]> {
    const uris = await vscode.workspace.findFiles(EXPERIMENT_GLOB, EXCLUDE_GLOB);
    uris.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
    return uris.map((uri) => {
      let name: string | undefined;
      let problems = 0;
      let hasSweep = false;
      try {
        const doc = JSON.parse(fs.readFileSync(uri.fsPath, 'utf8')) as { name?: unknown; sweep?: unknown };
        if (typeof doc.name === 'string') name = doc.name;
        hasSweep = typeof doc.sweep === 'object' && doc.sweep !== null && !Array.isArray(doc.sweep);
        problems = validateExperiment(doc).length;
      } catch {
        problems = 1;
      }
      return new ExperimentItem(uri, name, problems, hasSweep);
    });
  }

  runs(exp: ExperimentItem): RunItem[] {
    const items: RunItem[] = [];
    const root = runsRootFor(exp.uri);
    const dirs = exp.experimentName ? listRuns(root, exp.experimentName) : [];
    dirs.forEach((dir, i) => {
      let rec: RunRecord | undefined;
      try {
        rec = readRunRecord(dir);
      } catch {
        return;
      }
      const job = this.manager.findByRunDir(dir);
      // Runs of this window are judged by their job; others by their record and whether their process lives.
      const status: DisplayStatus = job ? 'running' : effectiveStatus(rec);
      items.push(new RunItem(exp, dir, status, rec, job, i));
    });
    for (const job of this.manager.active()) {
      if (job.runDir || path.resolve(job.experimentFile) !== path.resolve(exp.uri.fsPath)) continue;
      items.push(new RunItem(exp, undefined, job.state === 'queued' ? 'queued' : 'running', undefined, job, items.length));
    }
    return items.reverse(); // newest first
  }

  /** The sweeps of an experiment, newest first (read from their folders, each child's status from its run.json). */
  sweeps(exp: ExperimentItem): SweepItem[] {
    if (!exp.experimentName) return [];
    const items: SweepItem[] = [];
    for (const dir of listSweeps(runsRootFor(exp.uri), exp.experimentName)) {
      try {
        items.push(new SweepItem(exp, dir, loadSweep(dir), this.runningSweep(dir)));
      } catch {
        /* an unreadable sweep.json */
      }
    }
    return items.reverse();
  }

  /** A sweep's runs in expansion order, as run items labelled with their parameters. */
  sweepRuns(sweep: SweepItem): RunItem[] {
    return sweep.record.runs.map((child) => {
      const runDir = path.join(sweep.dir, child.dir);
      let rec: RunRecord | undefined;
      try {
        rec = readRunRecord(runDir);
      } catch {
        rec = undefined;
      }
      const job = this.manager.findByRunDir(runDir);
      const status: DisplayStatus = job ? 'running' : child.status;
      return new RunItem(sweep.experiment, runDir, status, rec, job, child.index, { sweep, child });
    });
  }

  dispose(): void {
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

// The Experiments view: every *.vae.json in the workspace, and under each its runs (from the runs folder on disk,
// plus queued runs of this window) with status icons, tooltips with the final metrics, and context values that
// drive the inline buttons and menus.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { validateExperiment } from '../core/config';
import type { EvalResult, RunStatus } from '../core/protocol';
import { effectiveStatus, listRuns, readRunRecord, RunRecord, runFiles } from '../core/runFolder';
import type { RunJob, RunManager } from './runManager';
import { runsRootFor } from './settings';

export const EXPERIMENT_GLOB = '**/*.vae.json';
const EXCLUDE_GLOB = '{**/node_modules/**,**/.vae-runs/**,**/.vscode-test/**}';

export type DisplayStatus = RunStatus | 'queued';

export class ExperimentItem extends vscode.TreeItem {
  readonly kind = 'experiment' as const;
  constructor(readonly uri: vscode.Uri, readonly experimentName: string | undefined, problems: number) {
    super(experimentName ?? path.basename(uri.fsPath), vscode.TreeItemCollapsibleState.Expanded);
    this.resourceUri = uri;
    this.id = `exp:${uri.toString()}`;
    this.description = vscode.workspace.asRelativePath(uri, false);
    this.contextValue = problems > 0 ? 'experiment.invalid' : 'experiment';
    this.iconPath = new vscode.ThemeIcon(problems > 0 ? 'warning' : 'beaker', problems > 0 ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
    this.tooltip = problems > 0 ? `${problems} problem(s): fix them before training (see the Problems panel).` : `Train with the ▷ button or "VAE: Train".`;
    this.accessibilityInformation = { label: `Experiment ${this.label as string}, ${this.description as string}${problems > 0 ? `, ${problems} problems` : ''}` };
    this.command = { command: 'vscode.open', title: 'Open experiment', arguments: [uri] };
  }
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
  ) {
    super(record?.runId ?? job?.label ?? 'queued run', vscode.TreeItemCollapsibleState.None);
    this.id = `run:${runDir ?? `job${job?.id}`}`;
    this.contextValue = `run.${status}${record?.lastCheckpoint ? '.checkpoint' : ''}`;
    this.iconPath = statusIcon(status, colorIndex);
    this.description = describe(status, record, job);
    this.tooltip = tooltip(status, record, job, runDir);
    this.accessibilityInformation = { label: `Run ${this.label as string} of ${experiment.label as string}, ${this.description as string}` };
    if (runDir) this.command = { command: 'vaeLab.openDashboard', title: 'Open Dashboard', arguments: [this] };
  }
}

export type VaeTreeItem = ExperimentItem | RunItem;

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

function tooltip(status: DisplayStatus, rec: RunRecord | undefined, job: RunJob | undefined, runDir: string | undefined): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${rec?.experiment ?? job?.label ?? ''}** · ${rec?.runId ?? ''}\n\n`);
  md.appendMarkdown(`Status: **${status}**${rec?.statusReason ? ` (${rec.statusReason})` : ''}\n\n`);
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

  constructor(private readonly manager: RunManager) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(item: VaeTreeItem): vscode.TreeItem {
    return item;
  }

  async getChildren(item?: VaeTreeItem): Promise<VaeTreeItem[]> {
    if (!item) return this.experiments();
    if (item.kind === 'experiment') return this.runs(item);
    return [];
  }

  async experiments(): Promise<ExperimentItem[]> {
    const uris = await vscode.workspace.findFiles(EXPERIMENT_GLOB, EXCLUDE_GLOB);
    uris.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
    return uris.map((uri) => {
      let name: string | undefined;
      let problems = 0;
      try {
        const doc = JSON.parse(fs.readFileSync(uri.fsPath, 'utf8')) as { name?: unknown };
        if (typeof doc.name === 'string') name = doc.name;
        problems = validateExperiment(doc).length;
      } catch {
        problems = 1;
      }
      return new ExperimentItem(uri, name, problems);
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

  dispose(): void {
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

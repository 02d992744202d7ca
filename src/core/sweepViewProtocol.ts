// Messages between the extension and the sweep panel (webview/sweepMain.ts), one union per direction, with the
// validators used on receipt. The extension sends ready-to-draw data (src/extension/sweepModel.ts groups the runs by
// setting and computes the means and spreads); the panel only scales, colours and draws. Imports neither vscode nor
// tfjs; the webview imports this file (types only from sweep.ts).
import type { SweepCounts, SweepExecutor, SweepMetric, SweepRunStatus } from './sweep';

export const SWEEP_METRICS: SweepMetric[] = ['elbo', 'loss', 'recon', 'kl'];

export interface MeanSd {
  mean: number;
  /** Sample standard deviation over the seeds (0 for one seed). */
  sd: number;
  n: number;
}

export interface SweepParamView {
  /** Dotted path, e.g. "objective.beta". */
  name: string;
  /** The distinct values the sweep takes, sorted when numeric. */
  values: (number | string | boolean)[];
  /** Every value is a finite number. */
  numeric: boolean;
  /** Log-spaced: declared `scale: "log"`, or every value > 0 with max/min >= 10. */
  log: boolean;
}

export type RunMetrics = Partial<Record<SweepMetric, number>>;

export interface SweepRunView {
  index: number;
  /** "#003" */
  label: string;
  /** The child's run folder (absolute): what "open its dashboard" sends back. */
  runDir: string;
  params: Record<string, unknown>;
  /** "objective.beta=0.5" */
  setting: string;
  seed: number;
  status: SweepRunStatus;
  /** The status as shown: "queued on the cluster" for a Slurm task still pending. */
  statusLabel: string;
  slurm?: { jobId: string; taskId: number; state?: string; exitCode?: string };
  /** Final validation metrics (nats per example). */
  metrics: RunMetrics;
  /** Validation rate KL(q(z|x) || p(z)) and distortion -E_q[log p(x|z)] (nats). */
  val: { rate?: number; distortion?: number };
  /** The same on the test split (after `vae-lab eval`). */
  test?: { rate?: number; distortion?: number; elbo?: number };
  epochs: number;
  totalEpochs?: number;
  seconds?: number;
  /** Webview URI of the run's latest prior-samples image. */
  samplesUri?: string;
  error?: string;
}

export interface SplitStats {
  rate?: MeanSd;
  distortion?: MeanSd;
}

/** One parameter setting: its seeds together, mean and spread over the completed ones. */
export interface SweepSettingView {
  setting: string;
  params: Record<string, unknown>;
  /** Indices of its runs (SweepRunView.index). */
  runs: number[];
  completed: number;
  val: SplitStats;
  test: SplitStats;
  metrics: Partial<Record<SweepMetric, MeanSd>>;
}

export interface SweepViewData {
  dir: string;
  sweepId: string;
  experiment: string;
  status: SweepRunStatus;
  executor: SweepExecutor;
  counts: SweepCounts & { total: number };
  /** "12 runs: 8 done, 2 running, 2 queued, 0 failed" */
  countsLabel: string;
  metric: { name: SweepMetric; goal: 'max' | 'min' };
  parameters: SweepParamView[];
  runs: SweepRunView[];
  settings: SweepSettingView[];
  /** Some child has test-split numbers (eval.json). */
  hasTest: boolean;
  updatedAt: string;
}

export type ToSweepView = { type: 'init'; view: SweepViewData } | { type: 'update'; view: SweepViewData };

export type FromSweepView =
  | { type: 'ready' }
  /** Open a child's run dashboard (only runs of the panel's sweep are accepted). */
  | { type: 'openRun'; runDir: string }
  /** The panel drew the view: how many points on the rate-distortion plane and rows in the leaderboard. */
  | { type: 'rendered'; points: number; rows: number; lines: number };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 1e7;

export function isFromSweepView(v: unknown): v is FromSweepView {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
      return true;
    case 'openRun':
      return isStr(v.runDir) && v.runDir.length < 4096;
    case 'rendered':
      return isCount(v.points) && isCount(v.rows) && isCount(v.lines);
    default:
      return false;
  }
}

function isViewData(v: unknown): v is SweepViewData {
  return (
    isObj(v) &&
    isStr(v.dir) &&
    isStr(v.sweepId) &&
    isStr(v.experiment) &&
    isStr(v.status) &&
    isObj(v.counts) &&
    isObj(v.metric) &&
    Array.isArray(v.parameters) &&
    Array.isArray(v.runs) &&
    Array.isArray(v.settings) &&
    v.runs.every((r) => isObj(r) && typeof r.index === 'number' && isStr(r.runDir) && isObj(r.params) && isObj(r.metrics) && isObj(r.val))
  );
}

export function isToSweepView(v: unknown): v is ToSweepView {
  return isObj(v) && (v.type === 'init' || v.type === 'update') && isViewData(v.view);
}

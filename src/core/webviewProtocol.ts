// Messages between the extension and its webview panels, one discriminated union per direction and panel, with
// validators used on receipt on both sides (unknown or malformed messages are ignored and logged, never acted on).
// Imports neither vscode nor tfjs; the webview scripts import this file.
import type { ExplorerMeta } from './explorer';
import type { EngineEvent, EvalResult } from './protocol';

/** Events a dashboard draws (the rest of the engine's events are not sent to webviews). */
export type DashboardEvent = Extract<EngineEvent, { type: 'started' | 'step' | 'epoch' | 'images' | 'finished' | 'cancelled' | 'failed' }>;

const DASHBOARD_EVENT_TYPES = new Set(['started', 'step', 'epoch', 'images', 'finished', 'cancelled', 'failed']);

export function isDashboardEvent(e: EngineEvent): e is DashboardEvent {
  return DASHBOARD_EVENT_TYPES.has(e.type);
}

export type DisplayStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted' | 'queued';

/** Everything a dashboard knows about one run. */
export interface RunSeries {
  /** Identifies the run (its folder). */
  runDir: string;
  label: string;
  kind: string;
  /** CSS custom property of the run's colour, the same as its icon in the tree, e.g. "--vscode-charts-blue". */
  color: string;
  status: DisplayStatus;
  statusReason?: string;
  epochs: number;
  latentDim: number;
  events: DashboardEvent[];
  /** Webview URIs of the run's images, keyed by their path relative to the run folder. */
  imageUris: Record<string, string>;
  evaluation?: EvalResult;
}

export type ToDashboard =
  | { type: 'init'; mode: 'run' | 'compare'; runs: RunSeries[] }
  | { type: 'append'; runDir: string; events: DashboardEvent[]; imageUris: Record<string, string>; status: DisplayStatus };

export type FromDashboard =
  | { type: 'ready' }
  | { type: 'exportPng'; chart: string; dataUrl: string }
  | { type: 'exportCsv'; runDir: string; csv: string }
  | { type: 'openExplorer'; runDir: string };

export type ToExplorer = { type: 'init'; meta: ExplorerMeta; decoderUrl: string; imagesUrl: string };

export type FromExplorer =
  | { type: 'ready' }
  /** Decoder loaded and every view drawn. */
  | { type: 'loaded' }
  | { type: 'error'; message: string }
  /** Slider-to-paint latencies (ms) measured in the panel, for the benchmark and the e2e test. */
  | { type: 'latency'; samples: number[] };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const STATUSES = new Set(['running', 'completed', 'failed', 'cancelled', 'interrupted', 'queued']);

export function isFromDashboard(v: unknown): v is FromDashboard {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
      return true;
    case 'exportPng':
      return isStr(v.chart) && /^[a-z0-9-]{1,40}$/.test(v.chart) && isStr(v.dataUrl) && v.dataUrl.startsWith('data:image/png;base64,') && v.dataUrl.length < 20_000_000;
    case 'exportCsv':
      return isStr(v.runDir) && isStr(v.csv) && v.csv.length < 50_000_000;
    case 'openExplorer':
      return isStr(v.runDir);
    default:
      return false;
  }
}

function isRunSeries(v: unknown): v is RunSeries {
  return (
    isObj(v) &&
    isStr(v.runDir) &&
    isStr(v.label) &&
    isStr(v.kind) &&
    isStr(v.color) &&
    STATUSES.has(v.status as string) &&
    typeof v.epochs === 'number' &&
    typeof v.latentDim === 'number' &&
    Array.isArray(v.events) &&
    isObj(v.imageUris)
  );
}

export function isToDashboard(v: unknown): v is ToDashboard {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'init':
      return (v.mode === 'run' || v.mode === 'compare') && Array.isArray(v.runs) && v.runs.every(isRunSeries);
    case 'append':
      return isStr(v.runDir) && Array.isArray(v.events) && isObj(v.imageUris) && STATUSES.has(v.status as string);
    default:
      return false;
  }
}

export function isFromExplorer(v: unknown): v is FromExplorer {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
    case 'loaded':
      return true;
    case 'error':
      return isStr(v.message);
    case 'latency':
      return Array.isArray(v.samples) && v.samples.length <= 100000 && v.samples.every((x) => typeof x === 'number');
    default:
      return false;
  }
}

export function isToExplorer(v: unknown): v is ToExplorer {
  return isObj(v) && v.type === 'init' && isObj(v.meta) && isStr(v.decoderUrl) && isStr(v.imagesUrl);
}

// The dashboard's state, as a pure function of the messages it received. Replaying 'init' after the panel was
// hidden and shown again rebuilds the same state; appended events that were already seen are ignored.
import type { DashboardEvent, RunSeries, ToDashboard } from '../src/core/webviewProtocol';
import type { EvalSplitMetrics, TermMetrics } from '../src/core/protocol';

export interface StepPoint {
  step: number;
  epoch: number;
  metrics: TermMetrics & { beta?: number; lr: number };
}

export interface EpochPoint {
  epoch: number;
  /** Global step at the end of the epoch (x position on the step axis). */
  step: number;
  train: TermMetrics;
  validation: EvalSplitMetrics;
}

export interface ImagePoint {
  epoch: number;
  reconstructions?: string;
  samples?: string;
  /** Views of particular model kinds (denoising triples, samples per class, codes versus prior). */
  extra?: { title: string; path: string }[];
}

/** A run as the dashboard draws it: what the host sent, with its events folded into series. */
export interface SeriesState extends Omit<RunSeries, 'events'> {
  totalSteps?: number;
  backend?: string;
  steps: StepPoint[];
  epochPoints: EpochPoint[];
  images: ImagePoint[];
}

export interface DashboardState {
  mode: 'run' | 'compare';
  runs: SeriesState[];
}

export const emptyState: DashboardState = { mode: 'run', runs: [] };

function emptySeries(r: RunSeries): SeriesState {
  const { events: _events, ...rest } = r;
  return { ...rest, imageUris: { ...r.imageUris }, steps: [], epochPoints: [], images: [] };
}

/** Insert keeping the array sorted by `key` and unique: a repeated key replaces the old entry. */
function upsert<T>(arr: T[], item: T, key: (t: T) => number): T[] {
  const k = key(item);
  const i = arr.findIndex((x) => key(x) >= k);
  if (i === -1) return [...arr, item];
  if (key(arr[i]) === k) return [...arr.slice(0, i), item, ...arr.slice(i + 1)];
  return [...arr.slice(0, i), item, ...arr.slice(i)];
}

function applyEvent(s: SeriesState, e: DashboardEvent): SeriesState {
  switch (e.type) {
    case 'started':
      // A resumed run repeats the events after its checkpoint: drop what lies beyond the restart point.
      return {
        ...s,
        totalSteps: e.totalSteps,
        backend: `${e.backend.name} ${e.backend.version}`,
        steps: s.steps.filter((p) => p.step <= e.step),
        epochPoints: s.epochPoints.filter((p) => p.step <= e.step),
      };
    case 'step':
      return { ...s, steps: upsert(s.steps, { step: e.step, epoch: e.epoch, metrics: e.metrics }, (p) => p.step) };
    case 'epoch':
      return { ...s, epochPoints: upsert(s.epochPoints, { epoch: e.epoch, step: e.step, train: e.train, validation: e.validation }, (p) => p.epoch) };
    case 'images':
      return { ...s, images: upsert(s.images, { epoch: e.epoch, reconstructions: e.reconstructions, samples: e.samples, extra: e.extra }, (p) => p.epoch) };
    case 'finished':
      return { ...s, status: 'completed', statusReason: e.reason };
    case 'cancelled':
      return { ...s, status: 'cancelled', statusReason: e.reason };
    case 'failed':
      return { ...s, status: 'failed', statusReason: e.error };
  }
}

export function reduce(state: DashboardState, msg: ToDashboard): DashboardState {
  if (msg.type === 'init') {
    return { mode: msg.mode, runs: msg.runs.map((r) => r.events.reduce(applyEvent, emptySeries(r))) };
  }
  return {
    ...state,
    runs: state.runs.map((s) => {
      if (s.runDir !== msg.runDir) return s;
      const next = msg.events.reduce(applyEvent, { ...s, imageUris: { ...s.imageUris, ...msg.imageUris } });
      // A final event in this batch decides the status; otherwise the host's view of the run does.
      const ended = msg.events.some((e) => e.type === 'finished' || e.type === 'cancelled' || e.type === 'failed');
      return ended ? next : { ...next, status: msg.status };
    }),
  };
}

/** The latest validation metrics of a run. */
export function latestValidation(s: SeriesState): EvalSplitMetrics | undefined {
  return s.epochPoints[s.epochPoints.length - 1]?.validation;
}

/** Metrics as CSV: one row per step event and per epoch event, with every metric as a column. */
export function toCsv(s: SeriesState): string {
  const stepKeys = [...new Set(s.steps.flatMap((p) => Object.keys(p.metrics)))];
  const valKeys = [...new Set(s.epochPoints.flatMap((p) => Object.keys(p.validation).filter((k) => typeof p.validation[k] === 'number')))];
  const header = ['kind', 'epoch', 'step', ...stepKeys.map((k) => `train_${k}`), ...valKeys.map((k) => `val_${k}`)];
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : '');
  const rows = [
    ...s.steps.map((p) => ['step', String(p.epoch + 1), String(p.step), ...stepKeys.map((k) => num(p.metrics[k])), ...valKeys.map(() => '')]),
    ...s.epochPoints.map((p) => ['epoch', String(p.epoch + 1), String(p.step), ...stepKeys.map((k) => num(p.train[k])), ...valKeys.map((k) => num(p.validation[k]))]),
  ];
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}

/** Numbers every run's fixed charts draw already; any other number a step logs is a term of its kind's own objective. */
const SHARED_TERMS: ReadonlySet<string> = new Set(['loss', 'recon', 'kl', 'elbo', 'beta', 'lr', 'klPenalty', 'capacity', 'sigma']);

/** A kind's own terms that belong on one chart (the rest share the "other terms" chart). */
const TERM_GROUPS: Record<string, { id: string; title: string; terms: string[] }[]> = {
  hvae: [{ id: 'kl-layers', title: 'KL per layer: kl1 = KL(q(z1|x) ‖ p(z1|z2)), kl2 = KL(q(z2|z1) ‖ p(z2))', terms: ['kl1', 'kl2'] }],
  'beta-tcvae': [{ id: 'kl-decomposition', title: 'KL decomposition: index-code MI, total correlation, dimension-wise KL', terms: ['mi', 'tc', 'dimKl'] }],
  'vq-vae': [
    { id: 'codebook-perplexity', title: 'Codebook usage: perplexity of the codes a batch uses (at most the codebook size)', terms: ['perplexity'] },
    { id: 'codebook-used', title: 'Codebook usage: fraction of the codebook a batch uses', terms: ['codesUsed'] },
  ],
};

/**
 * The charts of a run's own objective terms (per-layer KL, the KL decomposition, codebook usage, ...): the kind's
 * groups for the terms it logs, then one chart of every other term. Empty for kinds that log only the shared terms.
 */
export function termCharts(s: SeriesState): { id: string; title: string; terms: string[] }[] {
  const logged = new Set<string>();
  for (const p of s.steps) for (const [k, v] of Object.entries(p.metrics)) if (typeof v === 'number' && !SHARED_TERMS.has(k)) logged.add(k);
  const groups = (TERM_GROUPS[s.kind] ?? []).map((g) => ({ ...g, terms: g.terms.filter((t) => logged.has(t)) })).filter((g) => g.terms.length > 0);
  const grouped = new Set(groups.flatMap((g) => g.terms));
  const rest = [...logged].filter((t) => !grouped.has(t)).sort();
  return rest.length > 0 ? [...groups, { id: 'other-terms', title: `The ${s.kind}'s own terms`, terms: rest }] : groups;
}

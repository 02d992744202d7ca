// The run dashboard and the run comparison, in the webview. Draws from DashboardState (dashboardState.ts), which the
// extension fills with 'init' (the whole history, replayed whenever the panel is shown) and 'append' (live events).
import Chart from 'chart.js/auto';
import type { ChartDataset } from 'chart.js';
import { ACTIVE_UNIT_THRESHOLD } from '../src/core/protocol';
import { FromDashboard, isToDashboard } from '../src/core/webviewProtocol';
import { DashboardState, emptyState, latestValidation, reduce, SeriesState, termCharts, toCsv } from './dashboardState';

interface VsCodeApi {
  postMessage(m: FromDashboard): void;
  getState(): PersistedState | undefined;
  setState(s: PersistedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What survives a reload of the panel (with the run folders, which the extension stores for the serializer). */
interface PersistedState {
  runDirs: string[];
  mode: 'run' | 'compare';
  /** Epoch shown by the image slider; undefined follows the latest. */
  imageEpoch?: number;
}

const vscode = acquireVsCodeApi();
let state: DashboardState = emptyState;
let persisted: PersistedState = vscode.getState() ?? { runDirs: [], mode: 'run' };
const charts = new Map<string, Chart>();

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;
const css = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

function send(m: FromDashboard): void {
  vscode.postMessage(m);
}

// ----------------------------------------------------------------------------------------------- model views
// Views that only some model kinds have register here by kind ('*' for every kind). The engine writes the
// images of these views (denoising triples, samples per class, an aae's codes against its prior) as the `extra`
// of its image events; the view below shows them for the epoch the slider selects.
type KindView = (s: SeriesState, container: HTMLElement) => void;
const kindViews: Record<string, KindView[]> = {};
function registerKindView(kind: string, view: KindView): void {
  (kindViews[kind] ??= []).push(view);
}

registerKindView('*', (s, container) => {
  const shown = s.images[imageIndex(s)];
  for (const x of shown?.extra ?? []) {
    const src = s.imageUris[x.path];
    if (!src) continue;
    const fig = document.createElement('figure');
    const cap = document.createElement('figcaption');
    cap.textContent = `${x.title} (epoch ${shown.epoch + 1})`;
    const img = document.createElement('img');
    img.src = src;
    img.alt = x.title;
    fig.append(cap, img);
    container.appendChild(fig);
  }
});

// ------------------------------------------------------------------------------------------------------ charts

interface ChartSpec {
  id: string;
  title: string;
  /** Datasets for one run. */
  datasets: (s: SeriesState, color: string) => ChartDataset<'line' | 'bar', { x: number; y: number }[]>[];
  xTitle: string;
  type?: 'line' | 'bar';
  y2?: string;
  logY?: boolean;
  /** Start both axes at 0 and leave headroom on the second, so that two constant schedules do not overlap. */
  fromZero?: boolean;
  when?: (s: SeriesState) => boolean;
}

const hasKl = (s: SeriesState) => s.kind !== 'ae';
const pts = <T>(arr: T[], x: (t: T) => number, y: (t: T) => number | undefined) =>
  arr.map((p) => ({ x: x(p), y: y(p) })).filter((p): p is { x: number; y: number } => typeof p.y === 'number' && Number.isFinite(p.y));

function line(label: string, data: { x: number; y: number }[], color: string, opts: Partial<ChartDataset<'line', { x: number; y: number }[]>> = {}): ChartDataset<'line', { x: number; y: number }[]> {
  return { type: 'line', label, data, borderColor: color, backgroundColor: color, borderWidth: 1.5, pointRadius: 0, tension: 0, ...opts };
}

function epochDots(label: string, data: { x: number; y: number }[], color: string, dashed = false): ChartDataset<'line', { x: number; y: number }[]> {
  return line(label, data, color, { pointRadius: 3, borderWidth: 2, borderDash: dashed ? [5, 4] : undefined });
}

const RUN_CHARTS: ChartSpec[] = [
  {
    id: 'loss',
    title: 'Loss and ELBO (nats per example)',
    xTitle: 'step',
    datasets: (s, c) => [
      line('train loss', pts(s.steps, (p) => p.step, (p) => p.metrics.loss), c),
      epochDots('validation loss', pts(s.epochPoints, (p) => p.step, (p) => p.validation.loss), css('--vscode-charts-orange', '#d18616')),
      ...(hasKl(s) ? [epochDots('validation −ELBO', pts(s.epochPoints, (p) => p.step, (p) => (p.validation.elbo === undefined ? undefined : -p.validation.elbo)), css('--vscode-charts-purple', '#b180d7'), true)] : []),
    ],
  },
  {
    id: 'recon',
    title: 'Reconstruction −E[log p(x|z)]',
    xTitle: 'step',
    datasets: (s, c) => [line('train', pts(s.steps, (p) => p.step, (p) => p.metrics.recon), c), epochDots('validation', pts(s.epochPoints, (p) => p.step, (p) => p.validation.recon), css('--vscode-charts-orange', '#d18616'))],
  },
  {
    id: 'kl',
    title: 'KL(q(z|x) ‖ p(z))',
    xTitle: 'step',
    when: hasKl,
    datasets: (s, c) => [line('train', pts(s.steps, (p) => p.step, (p) => p.metrics.kl), c), epochDots('validation', pts(s.epochPoints, (p) => p.step, (p) => p.validation.kl), css('--vscode-charts-orange', '#d18616'))],
  },
  {
    id: 'schedules',
    title: 'Schedules: KL weight β and learning rate',
    xTitle: 'step',
    y2: 'learning rate',
    fromZero: true,
    datasets: (s, c) => [
      ...(hasKl(s) ? [line('β (effective KL weight)', pts(s.steps, (p) => p.step, (p) => p.metrics.beta), c)] : []),
      line('learning rate', pts(s.steps, (p) => p.step, (p) => p.metrics.lr), css('--vscode-charts-green', '#388a34'), { yAxisID: 'y2' }),
    ],
  },
  {
    id: 'klperdim',
    title: 'KL per latent dimension (latest validation); active units in colour',
    xTitle: 'latent dimension',
    type: 'bar',
    when: hasKl,
    datasets: (s, c) => {
      const v = latestValidation(s);
      const kl = v?.klPerDim ?? [];
      const grey = css('--vscode-disabledForeground', '#888');
      return [
        {
          type: 'bar',
          label: 'KL (nats)',
          data: kl.map((y, i) => ({ x: i, y })),
          backgroundColor: kl.map((_, i) => ((v?.activity?.[i] ?? 0) > ACTIVE_UNIT_THRESHOLD ? c : grey)),
        } as ChartDataset<'bar', { x: number; y: number }[]>,
      ];
    },
  },
];

const TERM_COLORS: [string, string][] = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#388a34'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-red', '#f14c4c'],
  ['--vscode-charts-yellow', '#cca700'],
];

/** Charts of the run's own terms (dashboardState's termCharts): each term's training curve and validation dots. */
function termChartSpecs(s: SeriesState): ChartSpec[] {
  return termCharts(s).map((g) => ({
    id: `terms-${g.id}`,
    title: g.title,
    xTitle: 'step',
    datasets: (run: SeriesState) =>
      g.terms.flatMap((t, i) => {
        const c = css(...TERM_COLORS[i % TERM_COLORS.length]);
        const val = (p: { validation: Record<string, unknown> }) => (typeof p.validation[t] === 'number' ? (p.validation[t] as number) : undefined);
        return [line(t, pts(run.steps, (p) => p.step, (p) => p.metrics[t] as number | undefined), c), epochDots(`${t} (validation)`, pts(run.epochPoints, (p) => p.step, val), c, true)];
      }),
  }));
}

const COMPARE_CHARTS: ChartSpec[] = [
  { id: 'val-loss', title: 'Validation loss per epoch', xTitle: 'epoch', datasets: (s, c) => [epochDots(s.label, pts(s.epochPoints, (p) => p.epoch + 1, (p) => p.validation.loss), c)] },
  { id: 'train-loss', title: 'Training loss', xTitle: 'step', datasets: (s, c) => [line(s.label, pts(s.steps, (p) => p.step, (p) => p.metrics.loss), c)] },
  { id: 'val-recon', title: 'Validation reconstruction per epoch', xTitle: 'epoch', datasets: (s, c) => [epochDots(s.label, pts(s.epochPoints, (p) => p.epoch + 1, (p) => p.validation.recon), c)] },
  { id: 'val-kl', title: 'Validation KL per epoch', xTitle: 'epoch', when: hasKl, datasets: (s, c) => [epochDots(s.label, pts(s.epochPoints, (p) => p.epoch + 1, (p) => p.validation.kl), c)] },
];

function runColor(s: SeriesState, index: number, all: SeriesState[]): { color: string; dashed: boolean } {
  const color = css(s.color, ['#3794ff', '#d18616', '#388a34', '#b180d7', '#f14c4c', '#cca700'][index % 6]);
  // Two runs sharing a tree colour: the later one is drawn dashed so that every run stays distinguishable.
  const dashed = all.slice(0, index).some((o) => o.color === s.color);
  return { color, dashed };
}

function ensureChart(spec: ChartSpec, container: HTMLElement): Chart {
  let chart = charts.get(spec.id);
  if (chart) return chart;
  const card = document.createElement('section');
  card.className = 'card';
  card.innerHTML = `<header><h3></h3><button class="export" title="Save this chart as a PNG in the run folder">PNG</button></header><div class="plot"><canvas></canvas></div>`;
  card.querySelector('h3')!.textContent = spec.title;
  container.appendChild(card);
  const canvas = card.querySelector('canvas')!;
  canvas.id = `chart-${spec.id}`;
  const fg = css('--vscode-foreground', '#ccc');
  const grid = css('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
  chart = new Chart(canvas, {
    type: spec.type ?? 'line',
    data: { datasets: [] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      plugins: { legend: { labels: { color: fg, boxWidth: 12 } }, tooltip: { mode: 'nearest', intersect: false } },
      scales: {
        x: { type: 'linear', title: { display: true, text: spec.xTitle, color: fg }, ticks: { color: fg, precision: 0 }, grid: { color: grid } },
        y: { type: spec.logY ? 'logarithmic' : 'linear', beginAtZero: spec.fromZero, grace: spec.fromZero ? '10%' : undefined, ticks: { color: fg }, grid: { color: grid } },
        ...(spec.y2 ? { y2: { type: 'linear' as const, position: 'right' as const, beginAtZero: spec.fromZero, grace: spec.fromZero ? '100%' : undefined, title: { display: true, text: spec.y2, color: fg }, ticks: { color: fg }, grid: { drawOnChartArea: false } } } : {}),
      },
    },
  });
  card.querySelector('button')!.addEventListener('click', () => send({ type: 'exportPng', chart: spec.id, dataUrl: chart!.toBase64Image('image/png', 1) }));
  charts.set(spec.id, chart);
  return chart;
}

function drawCharts(specs: ChartSpec[], container: HTMLElement): void {
  let total = 0;
  for (const spec of specs) {
    const runs = state.runs.filter((s) => !spec.when || spec.when(s));
    if (runs.length === 0) continue;
    const chart = ensureChart(spec, container);
    chart.data.datasets = runs.flatMap((s) => {
      const i = state.runs.indexOf(s);
      const { color, dashed } = runColor(s, i, state.runs);
      return spec.datasets(s, color).map((d) => (dashed && d.type === 'line' ? { ...d, borderDash: [6, 4] } : d));
    }) as never;
    chart.update('none');
    const n = chart.data.datasets.reduce((a, d) => a + (d.data as unknown[]).length, 0);
    chart.canvas.dataset.points = String(n);
    total += n;
  }
  document.body.dataset.points = String(total);
}

// ------------------------------------------------------------------------------------------------------ images

function drawImages(s: SeriesState): void {
  const box = $('#images');
  if (s.images.length === 0) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const slider = $<HTMLInputElement>('#epoch-slider');
  slider.min = '0';
  slider.max = String(s.images.length - 1);
  const follow = persisted.imageEpoch === undefined;
  const index = imageIndex(s);
  slider.value = String(index);
  const shown = s.images[index];
  $('#epoch-label').textContent = `epoch ${shown.epoch + 1} of ${s.epochs}${follow ? ' (latest)' : ''}`;
  setImage($<HTMLImageElement>('#recon-img'), shown.reconstructions ? s.imageUris[shown.reconstructions] : undefined);
  setImage($<HTMLImageElement>('#samples-img'), shown.samples ? s.imageUris[shown.samples] : undefined);
}

/** The image epoch the slider shows: the latest unless the user picked one. */
function imageIndex(s: SeriesState): number {
  if (persisted.imageEpoch === undefined) return s.images.length - 1;
  return Math.max(0, s.images.findIndex((p) => p.epoch === persisted.imageEpoch));
}

function drawKindViews(s: SeriesState): void {
  const extra = $('#kind-views');
  extra.replaceChildren();
  for (const view of [...(kindViews['*'] ?? []), ...(kindViews[s.kind] ?? [])]) view(s, extra);
}

function setImage(img: HTMLImageElement, src: string | undefined): void {
  if (!src) {
    img.hidden = true;
    return;
  }
  img.hidden = false;
  if (img.getAttribute('src') !== src) img.src = src;
}

// --------------------------------------------------------------------------------------------------- rendering

const fmt = (v: number | undefined, d = 2) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

function renderHeader(s: SeriesState): void {
  $('#title').textContent = s.label;
  const badge = $('#status');
  badge.textContent = s.status;
  badge.dataset.status = s.status;
  // The step reached: the last logged step or epoch end (a completed run shows its final step).
  const reached = Math.max(s.steps[s.steps.length - 1]?.step ?? 0, s.epochPoints[s.epochPoints.length - 1]?.step ?? 0);
  const v = latestValidation(s);
  const parts = [s.kind, s.backend ?? '', reached && s.totalSteps ? `step ${reached} / ${s.totalSteps}` : ''];
  if (v) parts.push(`validation loss ${fmt(v.loss)}`, v.activeUnits !== undefined ? `${v.activeUnits} / ${s.latentDim} active units` : '');
  if (s.evaluation?.metrics.elbo !== undefined) parts.push(`test ELBO ${fmt(s.evaluation.metrics.elbo)} (L=${s.evaluation.samples})`);
  $('#subtitle').textContent = parts.filter(Boolean).join(' · ');
  $('#reason').textContent = s.statusReason ?? '';
}

function renderCompareTable(): void {
  const rows = state.runs.map((s, i) => {
    const v = latestValidation(s);
    const { color } = runColor(s, i, state.runs);
    return `<tr><td><span class="swatch" data-color="${escape(color)}"></span>${escape(s.label)}</td><td>${escape(s.kind)}</td><td>${s.status}</td><td>${s.epochPoints.length}</td><td>${fmt(v?.loss)}</td><td>${fmt(v?.elbo)}</td><td>${fmt(v?.recon)}</td><td>${fmt(v?.kl)}</td><td>${v?.activeUnits ?? '–'}</td><td>${fmt(s.evaluation?.metrics.elbo)}</td></tr>`;
  });
  const table = $('#compare-table');
  table.innerHTML = `<table><thead><tr><th>run</th><th>model</th><th>status</th><th>epochs</th><th>val loss</th><th>val ELBO</th><th>val recon</th><th>val KL</th><th>active units</th><th>test ELBO</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  // Colours through the CSSOM: the strict CSP forbids inline style attributes.
  for (const sw of table.querySelectorAll<HTMLElement>('.swatch')) sw.style.backgroundColor = sw.dataset.color ?? '';
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

let scheduled = false;
function render(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    const compare = state.mode === 'compare';
    document.body.classList.toggle('compare', compare);
    if (state.runs.length === 0) return;
    if (compare) {
      $('#title').textContent = `Comparing ${state.runs.length} runs`;
      $('#subtitle').textContent = '';
      $('#status').textContent = '';
      renderCompareTable();
      drawCharts(COMPARE_CHARTS, $('#charts'));
    } else {
      const s = state.runs[0];
      renderHeader(s);
      drawCharts([...RUN_CHARTS, ...termChartSpecs(s)], $('#charts'));
      drawImages(s);
      drawKindViews(s);
    }
  });
}

// ------------------------------------------------------------------------------------------------------- wiring

window.addEventListener('message', (ev: MessageEvent) => {
  const msg: unknown = ev.data;
  if (!isToDashboard(msg)) {
    console.warn('VAE Lab dashboard: ignored a malformed message', msg);
    return;
  }
  state = reduce(state, msg);
  if (msg.type === 'init') {
    persisted = { ...persisted, runDirs: msg.runs.map((r) => r.runDir), mode: msg.mode };
    vscode.setState(persisted);
  }
  render();
});

$<HTMLInputElement>('#epoch-slider').addEventListener('input', (e) => {
  const s = state.runs[0];
  const i = Number((e.target as HTMLInputElement).value);
  persisted = { ...persisted, imageEpoch: i >= s.images.length - 1 ? undefined : s.images[i].epoch };
  vscode.setState(persisted);
  drawImages(s);
  drawKindViews(s);
});
$('#export-csv').addEventListener('click', () => {
  const s = state.runs[0];
  if (s) send({ type: 'exportCsv', runDir: s.runDir, csv: toCsv(s) });
});
$('#open-explorer').addEventListener('click', () => {
  const s = state.runs[0];
  if (s) send({ type: 'openExplorer', runDir: s.runDir });
});

send({ type: 'ready' });

// The sweep panel, in the webview: the rate-distortion plane (one point per setting with ±1 sd error bars, or one per
// seed; coloured by a swept value; dashed lines of equal ELBO), a metric against a swept parameter, and a sortable
// leaderboard. Drawn with SVG from the ready-to-draw data the extension sends (src/core/sweepViewProtocol.ts); the
// arithmetic is in sweepPlot.ts. A click (or Enter) on a point or a row opens that run's dashboard.
import { FromSweepView, isToSweepView, MeanSd, SWEEP_METRICS, SweepParamView, SweepRunView, SweepViewData } from '../src/core/sweepViewProtocol';
import { colorPosition, Domain, equalElboLines, formatNumber, makeScale, paddedDomain, Scale, sequentialColor, SortDir, sortRows, ticks } from './sweepPlot';

type Metric = (typeof SWEEP_METRICS)[number];

interface VsCodeApi {
  postMessage(m: FromSweepView): void;
  getState(): PersistedState | undefined;
  setState(s: PersistedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What survives a reload of the panel; `dir` is what the extension's serializer reopens. */
interface PersistedState {
  dir?: string;
  split: 'val' | 'test';
  mode: 'mean' | 'seeds';
  colorParam?: string;
  metric?: Metric;
  xParam?: string;
  sortKey: string;
  sortDir: SortDir;
}

const vscode = acquireVsCodeApi();
let view: SweepViewData | undefined;
let ui: PersistedState = { split: 'val', mode: 'mean', sortKey: 'rank', sortDir: 'asc', ...(vscode.getState() ?? {}) };
const SVG = 'http://www.w3.org/2000/svg';
const $ = <T extends Element = HTMLElement>(sel: string) => document.querySelector(sel) as unknown as T;

function save(): void {
  vscode.setState(ui);
}

function send(m: FromSweepView): void {
  vscode.postMessage(m);
}

const METRIC_LABEL: Record<Metric, string> = { elbo: 'ELBO', loss: 'loss', recon: 'reconstruction −E[log p(x|z)]', kl: 'KL(q(z|x) ‖ p(z))' };

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function htmlEl<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

// ------------------------------------------------------------------------------------------------ colours

interface ColorScale {
  param?: SweepParamView;
  color(params: Record<string, unknown>): string;
}

function colorScale(param: SweepParamView | undefined): ColorScale {
  if (!param) return { color: () => sequentialColor(0.35) };
  if (param.numeric) {
    const nums = param.values as number[];
    const min = Math.min(...nums);
    const max = Math.max(...nums);
    return { param, color: (p) => sequentialColor(typeof p[param.name] === 'number' ? colorPosition(p[param.name] as number, min, max, param.log) : 0) };
  }
  const keys = param.values.map((v) => JSON.stringify(v));
  return { param, color: (p) => sequentialColor(keys.length > 1 ? keys.indexOf(JSON.stringify(p[param.name])) / (keys.length - 1) : 0.5) };
}

function drawLegend(box: HTMLElement, cs: ColorScale): void {
  box.replaceChildren();
  const p = cs.param;
  if (!p) return;
  box.appendChild(htmlEl('span', `${p.name}${p.log ? ' (log scale)' : ''}:`, 'legend-title'));
  const values = p.values.length <= 12 ? p.values : p.numeric ? sampleEvenly(p.values as number[], 8, p.log) : p.values.slice(0, 12);
  for (const v of values) {
    const item = htmlEl('span', undefined, 'legend-item');
    const sw = htmlEl('span', undefined, 'swatch');
    // Colours through the CSSOM: the strict CSP forbids inline style attributes.
    sw.style.backgroundColor = cs.color({ [p.name]: v });
    item.append(sw, document.createTextNode(typeof v === 'number' ? formatNumber(v) : String(v)));
    box.appendChild(item);
  }
}

function sampleEvenly(sorted: number[], n: number, log: boolean): number[] {
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  return Array.from({ length: n }, (_, i) => {
    const t = i / (n - 1);
    return log && min > 0 ? Math.exp(Math.log(min) + t * (Math.log(max) - Math.log(min))) : min + t * (max - min);
  });
}

// ------------------------------------------------------------------------------------------------ axes

const MARGIN = { left: 62, right: 18, top: 14, bottom: 46 };

interface Frame {
  svg: SVGSVGElement;
  x: Scale;
  y: Scale;
  width: number;
  height: number;
}

function frame(svg: SVGSVGElement, xd: Domain, yd: Domain, xlog: boolean, ylog: boolean, xTitle: string, yTitle: string, xCategories?: string[]): Frame {
  const width = Math.max(320, Math.round(svg.getBoundingClientRect().width || 560));
  const height = 340;
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  const x = makeScale(xd, [MARGIN.left, width - MARGIN.right], xlog);
  const y = makeScale(yd, [height - MARGIN.bottom, MARGIN.top], ylog);
  const axes = svgEl('g', { class: 'axes' }, svg);
  const xt = xCategories ? xCategories.map((_, i) => i) : ticks(x, Math.max(3, Math.floor(width / 90)));
  for (const t of xt) {
    const px = x(t);
    svgEl('line', { x1: px, x2: px, y1: MARGIN.top, y2: height - MARGIN.bottom, class: 'grid' }, axes);
    const label = svgEl('text', { x: px, y: height - MARGIN.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, axes);
    label.textContent = xCategories ? xCategories[t] : formatNumber(t);
  }
  for (const t of ticks(y, 5)) {
    const py = y(t);
    svgEl('line', { x1: MARGIN.left, x2: width - MARGIN.right, y1: py, y2: py, class: 'grid' }, axes);
    const label = svgEl('text', { x: MARGIN.left - 6, y: py + 4, 'text-anchor': 'end', class: 'tick' }, axes);
    label.textContent = formatNumber(t);
  }
  svgEl('rect', { x: MARGIN.left, y: MARGIN.top, width: width - MARGIN.left - MARGIN.right, height: height - MARGIN.top - MARGIN.bottom, class: 'plot-box' }, axes);
  const xl = svgEl('text', { x: (MARGIN.left + width - MARGIN.right) / 2, y: height - 8, 'text-anchor': 'middle', class: 'axis-title' }, axes);
  xl.textContent = xTitle;
  const yl = svgEl('text', { x: 14, y: (MARGIN.top + height - MARGIN.bottom) / 2, 'text-anchor': 'middle', class: 'axis-title', transform: `rotate(-90 14 ${(MARGIN.top + height - MARGIN.bottom) / 2})` }, axes);
  yl.textContent = yTitle;
  return { svg, x, y, width, height };
}

function errorBars(g: Element, f: Frame, x: number, y: number, sx: number, sy: number): void {
  const cap = 4;
  if (sx > 0) {
    svgEl('line', { x1: f.x(x - sx), x2: f.x(x + sx), y1: f.y(y), y2: f.y(y), class: 'errorbar' }, g);
    for (const e of [x - sx, x + sx]) svgEl('line', { x1: f.x(e), x2: f.x(e), y1: f.y(y) - cap, y2: f.y(y) + cap, class: 'errorbar' }, g);
  }
  if (sy > 0) {
    svgEl('line', { x1: f.x(x), x2: f.x(x), y1: f.y(y - sy), y2: f.y(y + sy), class: 'errorbar' }, g);
    for (const e of [y - sy, y + sy]) svgEl('line', { x1: f.x(x) - cap, x2: f.x(x) + cap, y1: f.y(e), y2: f.y(e), class: 'errorbar' }, g);
  }
}

// ------------------------------------------------------------------------------------------------ tooltip, open

interface Hover {
  lines: string[];
  image?: string;
}

function showTooltip(target: Element, h: Hover): void {
  const tip = $('#tooltip');
  const text = $('#tooltip-text');
  text.replaceChildren(...h.lines.map((l, i) => htmlEl('div', l, i === 0 ? 'tt-title' : undefined)));
  const img = $<HTMLImageElement>('#tooltip-img');
  if (h.image) {
    img.hidden = false;
    if (img.getAttribute('src') !== h.image) img.src = h.image;
  } else img.hidden = true;
  tip.hidden = false;
  const r = target.getBoundingClientRect();
  const tw = tip.offsetWidth;
  const th = tip.offsetHeight;
  let left = r.right + 12 + window.scrollX;
  if (left + tw > window.scrollX + document.documentElement.clientWidth - 8) left = r.left - tw - 12 + window.scrollX;
  // Above and to the right of the point: on the rate-distortion plane that is the dominated corner, where no points lie.
  let top = r.top + window.scrollY - th + 4;
  if (top < window.scrollY + 4) top = r.bottom + window.scrollY + 4;
  tip.style.left = `${Math.max(4, left)}px`;
  tip.style.top = `${top}px`;
}

function hideTooltip(): void {
  $('#tooltip').hidden = true;
}

function openRun(runDir: string | undefined): void {
  if (runDir) send({ type: 'openRun', runDir });
}

/** Pointer and keyboard: hover or focus shows the tooltip, click or Enter/Space opens the run. */
function interactive(e: SVGElement, label: string, hover: Hover, runDir: string | undefined): void {
  e.setAttribute('tabindex', '0');
  e.setAttribute('role', 'button');
  e.setAttribute('aria-label', label + (runDir ? '. Press Enter to open its dashboard.' : ''));
  e.addEventListener('mouseenter', () => showTooltip(e, hover));
  e.addEventListener('focus', () => showTooltip(e, hover));
  e.addEventListener('mouseleave', hideTooltip);
  e.addEventListener('blur', hideTooltip);
  e.addEventListener('click', () => openRun(runDir));
  e.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      openRun(runDir);
    }
  });
}

const pm = (s: MeanSd | undefined) => (s ? (s.n > 1 ? `${formatNumber(s.mean, 4)} ± ${formatNumber(s.sd, 2)}` : formatNumber(s.mean, 4)) : '–');

// ------------------------------------------------------------------------------------------------ rate-distortion

interface RdPoint {
  x: number;
  y: number;
  sx: number;
  sy: number;
  params: Record<string, unknown>;
  label: string;
  hover: Hover;
  runDir?: string;
}

/** The run to open for a setting: its best completed seed by the sweep's metric. */
function bestRun(v: SweepViewData, indices: number[]): SweepRunView | undefined {
  const runs = indices.map((i) => v.runs.find((r) => r.index === i)).filter((r): r is SweepRunView => !!r && r.status === 'completed');
  const sign = v.metric.goal === 'max' ? -1 : 1;
  return sortRows(runs, (r) => (r.metrics[v.metric.name] === undefined ? undefined : sign * r.metrics[v.metric.name]!), 'asc')[0] ?? runs[0];
}

function rdPoints(v: SweepViewData): RdPoint[] {
  const split = ui.split === 'test' && v.hasTest ? 'test' : 'val';
  const splitName = split === 'test' ? 'test' : 'validation';
  const out: RdPoint[] = [];
  if (ui.mode === 'mean') {
    for (const s of v.settings) {
      const r = s[split].rate;
      const d = s[split].distortion;
      if (!r || !d) continue;
      const best = bestRun(v, s.runs);
      out.push({
        x: r.mean,
        y: d.mean,
        sx: r.sd,
        sy: d.sd,
        params: s.params,
        label: `${s.setting || 'setting'}: rate ${formatNumber(r.mean, 4)}, distortion ${formatNumber(d.mean, 4)} nats (${splitName}, mean of ${r.n} seed${r.n === 1 ? '' : 's'})`,
        hover: {
          lines: [
            s.setting || 'the only setting',
            `${r.n} of ${s.runs.length} seed(s) completed · ${splitName}`,
            `rate ${pm(r)} nats`,
            `distortion ${pm(d)} nats`,
            `−ELBO (R + D) ${formatNumber(r.mean + d.mean, 4)} nats`,
            ...(s.metrics.elbo ? [`validation ELBO ${pm(s.metrics.elbo)}`] : []),
            ...(best ? [`samples of ${best.label} (seed ${best.seed})`] : []),
          ],
          image: best?.samplesUri,
        },
        runDir: best?.runDir,
      });
    }
  } else {
    for (const run of v.runs) {
      const r = split === 'test' ? run.test?.rate : run.val.rate;
      const d = split === 'test' ? run.test?.distortion : run.val.distortion;
      if (r === undefined || d === undefined || run.status !== 'completed') continue;
      out.push({
        x: r,
        y: d,
        sx: 0,
        sy: 0,
        params: run.params,
        label: `${run.label} ${run.setting} seed ${run.seed}: rate ${formatNumber(r, 4)}, distortion ${formatNumber(d, 4)} nats (${splitName})`,
        hover: {
          lines: [
            `${run.label} ${run.setting} seed=${run.seed}`,
            `${splitName}`,
            `rate ${formatNumber(r, 4)} nats`,
            `distortion ${formatNumber(d, 4)} nats`,
            `−ELBO (R + D) ${formatNumber(r + d, 4)} nats`,
            ...(run.metrics.elbo !== undefined ? [`validation ELBO ${formatNumber(run.metrics.elbo, 4)}`] : []),
          ],
          image: run.samplesUri,
        },
        runDir: run.runDir,
      });
    }
  }
  return out;
}

function drawRd(v: SweepViewData, cs: ColorScale): { points: number; lines: number } {
  const svg = $<SVGSVGElement>('#rd-plot');
  const note = $('#rd-note');
  const pts = rdPoints(v);
  if (pts.length === 0) {
    svg.replaceChildren();
    svg.setAttribute('height', '0');
    note.textContent = v.runs.some((r) => r.status === 'completed')
      ? 'No rate to show: this model kind has no KL term (an autoencoder), or its runs recorded no KL.'
      : 'Points appear as runs complete.';
    return { points: 0, lines: 0 };
  }
  note.textContent = 'Dashed: lines of equal ELBO, rate + distortion = −ELBO (slope −1); points further down-left have a higher ELBO.';
  const xd = paddedDomain(pts.flatMap((p) => [p.x - p.sx, p.x + p.sx]))!;
  const yd = paddedDomain(pts.flatMap((p) => [p.y - p.sy, p.y + p.sy]))!;
  const split = ui.split === 'test' && v.hasTest ? 'test' : 'validation';
  const f = frame(svg, xd, yd, false, false, `rate: KL(q(z|x) ‖ p(z)), nats (${split})`, `distortion: −E[log p(x|z)], nats`);
  const lines = equalElboLines(xd, yd, 5);
  // Everything of the lines stays inside the plot box.
  const clipId = 'rd-clip';
  const clip = svgEl('clipPath', { id: clipId }, svgEl('defs', {}, svg));
  svgEl('rect', { x: MARGIN.left, y: MARGIN.top, width: f.width - MARGIN.left - MARGIN.right, height: f.height - MARGIN.top - MARGIN.bottom }, clip);
  const lg = svgEl('g', { class: 'elbo-lines', 'clip-path': `url(#${clipId})` }, svg);
  for (const s of lines) {
    const [ax, ay, bx, by] = [f.x(s.x1), f.y(s.y1), f.x(s.x2), f.y(s.y2)];
    svgEl('line', { x1: ax, y1: ay, x2: bx, y2: by, class: 'elbo-line' }, lg);
    // The label along its line, starting a little in from the upper-left end; none on a line too short to hold it.
    const length = Math.hypot(bx - ax, by - ay);
    const text = `−ELBO ${formatNumber(s.c)}`;
    const room = text.length * 6 + 16;
    if (length < room) continue;
    const t = 10 / length;
    const lx = ax + t * (bx - ax);
    const ly = ay + t * (by - ay);
    const angle = (Math.atan2(by - ay, bx - ax) * 180) / Math.PI;
    // Below its line (inside the box at the upper-left end, where the line leaves through the top or left edge).
    const label = svgEl('text', { x: lx, y: ly + 11, class: 'elbo-label', transform: `rotate(${angle.toFixed(1)} ${lx.toFixed(1)} ${ly.toFixed(1)})` }, lg);
    label.textContent = text;
  }
  const g = svgEl('g', { class: 'points' }, svg);
  for (const p of pts) {
    errorBars(g, f, p.x, p.y, p.sx, p.sy);
  }
  for (const p of pts) {
    const c = svgEl('circle', { cx: f.x(p.x), cy: f.y(p.y), r: ui.mode === 'mean' ? 6 : 4.5, fill: cs.color(p.params), class: 'point' }, g);
    interactive(c, p.label, p.hover, p.runDir);
  }
  svg.dataset.points = String(pts.length);
  svg.dataset.lines = String(lines.length);
  return { points: pts.length, lines: lines.length };
}

// ------------------------------------------------------------------------------------------ metric vs parameter

function drawMetricParam(v: SweepViewData): void {
  const svg = $<SVGSVGElement>('#mp-plot');
  const legend = $('#mp-legend');
  legend.replaceChildren();
  const metric: Metric = ui.metric && SWEEP_METRICS.includes(ui.metric) ? ui.metric : v.metric.name;
  const param = v.parameters.find((p) => p.name === ui.xParam) ?? v.parameters[0];
  if (!param) {
    svg.replaceChildren();
    return;
  }
  const others = v.parameters.filter((p) => p !== param).map((p) => p.name);
  const seriesKey = (params: Record<string, unknown>) => others.map((n) => `${n}=${JSON.stringify(params[n])}`).join(' ');
  interface MpPoint {
    x: number;
    s: MeanSd;
    setting: string;
    runDir?: string;
    image?: string;
    key: string;
  }
  const cats = param.numeric ? undefined : param.values.map((x) => String(x));
  const pts: MpPoint[] = [];
  for (const s of v.settings) {
    const m = s.metrics[metric];
    const raw = s.params[param.name];
    const x = param.numeric ? (raw as number) : cats!.indexOf(String(raw));
    if (!m || x === undefined || (param.log && !(x > 0))) continue;
    const best = bestRun(v, s.runs);
    pts.push({ x, s: m, setting: s.setting, runDir: best?.runDir, image: best?.samplesUri, key: seriesKey(s.params) });
  }
  if (pts.length === 0) {
    svg.replaceChildren();
    svg.setAttribute('height', '0');
    legend.textContent = 'Points appear as runs complete.';
    return;
  }
  const xd = cats ? ([-0.5, cats.length - 0.5] as Domain) : paddedDomain(pts.map((p) => p.x), param.log)!;
  const yd = paddedDomain(pts.flatMap((p) => [p.s.mean - p.s.sd, p.s.mean + p.s.sd]))!;
  const f = frame(svg, xd, yd, !cats && param.log, false, `${param.name}${param.log ? ' (log scale)' : ''}`, `validation ${METRIC_LABEL[metric]}, nats`, cats);
  const keys = [...new Set(pts.map((p) => p.key))];
  // One series: the theme's chart colour (a CSS class: presentation attributes take no var()); several: the scale.
  const mono = keys.length === 1;
  const color = (k: string) => sequentialColor(keys.indexOf(k) / Math.max(1, keys.length - 1));
  const g = svgEl('g', { class: 'series' }, svg);
  for (const k of keys) {
    const series = pts.filter((p) => p.key === k).sort((a, b) => a.x - b.x);
    if (series.length > 1) {
      const d = series.map((p, i) => `${i ? 'L' : 'M'}${f.x(p.x).toFixed(1)},${f.y(p.s.mean).toFixed(1)}`).join(' ');
      const line = svgEl('path', { d, class: mono ? 'series-line mono' : 'series-line' }, g);
      if (!mono) line.setAttribute('stroke', color(k));
    }
    for (const p of series) errorBars(g, f, p.x, p.s.mean, 0, p.s.sd);
    for (const p of series) {
      const c = svgEl('circle', { cx: f.x(p.x), cy: f.y(p.s.mean), r: 5, class: mono ? 'point mono' : 'point' }, g);
      if (!mono) c.setAttribute('fill', color(k));
      interactive(
        c,
        `${p.setting}: validation ${metric} ${pm(p.s)} over ${p.s.n} seed(s)`,
        { lines: [p.setting, `validation ${METRIC_LABEL[metric]}`, `${pm(p.s)} nats (${p.s.n} seed${p.s.n === 1 ? '' : 's'})`], image: p.image },
        p.runDir,
      );
    }
    if (!mono) {
      const item = htmlEl('span', undefined, 'legend-item');
      const sw = htmlEl('span', undefined, 'swatch');
      sw.style.backgroundColor = color(k);
      item.append(sw, document.createTextNode(k));
      legend.appendChild(item);
    }
  }
  svg.dataset.points = String(pts.length);
}

// ------------------------------------------------------------------------------------------------ leaderboard

interface Column {
  key: string;
  title: string;
  value: (r: SweepRunView) => number | string | undefined;
  text: (r: SweepRunView) => string;
  numeric?: boolean;
}

function columns(v: SweepViewData, rank: Map<number, number>): Column[] {
  const m = v.metric.name;
  const cols: Column[] = [
    { key: 'rank', title: 'rank', value: (r) => rank.get(r.index), text: (r) => (rank.has(r.index) ? String(rank.get(r.index)) : '–'), numeric: true },
    { key: 'run', title: 'run', value: (r) => r.index, text: (r) => r.label },
    ...v.parameters.map((p) => ({
      key: `p:${p.name}`,
      title: p.name,
      value: (r: SweepRunView) => {
        const x = r.params[p.name];
        return typeof x === 'number' ? x : x === undefined ? undefined : JSON.stringify(x);
      },
      text: (r: SweepRunView) => {
        const x = r.params[p.name];
        return typeof x === 'number' ? formatNumber(x, 4) : typeof x === 'string' ? x : JSON.stringify(x);
      },
      numeric: p.numeric,
    })),
    { key: 'seed', title: 'seed', value: (r) => r.seed, text: (r) => String(r.seed), numeric: true },
    { key: 'status', title: 'status', value: (r) => r.statusLabel, text: (r) => r.statusLabel },
  ];
  if (v.runs.some((r) => r.slurm)) {
    const slurm = (r: SweepRunView) => (r.slurm ? `${r.slurm.state ?? '–'}${r.slurm.exitCode && r.slurm.exitCode !== '0:0' ? ` ${r.slurm.exitCode}` : ''}` : '–');
    cols.push({ key: 'slurm', title: 'Slurm', value: (r) => (r.slurm ? slurm(r) : undefined), text: slurm });
  }
  const num = (key: string, title: string, get: (r: SweepRunView) => number | undefined, digits = 2): Column => ({
    key,
    title,
    value: get,
    text: (r) => {
      const x = get(r);
      return x === undefined ? '–' : x.toFixed(digits);
    },
    numeric: true,
  });
  cols.push(num('metric', `val ${m === 'elbo' ? 'ELBO' : m}`, (r) => r.metrics[m]));
  if (m !== 'elbo' && v.runs.some((r) => r.metrics.elbo !== undefined)) cols.push(num('elbo', 'val ELBO', (r) => r.metrics.elbo));
  cols.push(num('rate', 'rate', (r) => r.val.rate), num('distortion', 'distortion', (r) => r.val.distortion));
  if (v.hasTest) cols.push(num('test-rate', 'test rate', (r) => r.test?.rate), num('test-distortion', 'test distortion', (r) => r.test?.distortion), num('test-elbo', 'test ELBO', (r) => r.test?.elbo));
  cols.push({ key: 'epochs', title: 'epochs', value: (r) => r.epochs, text: (r) => `${r.epochs}${r.totalEpochs ? `/${r.totalEpochs}` : ''}`, numeric: true });
  cols.push({ key: 'time', title: 'time', value: (r) => r.seconds, text: (r) => (r.seconds ? `${r.seconds.toFixed(1)} s` : '–'), numeric: true });
  return cols;
}

function drawLeaderboard(v: SweepViewData): number {
  const sign = v.metric.goal === 'max' ? -1 : 1;
  const byMetric = sortRows(v.runs.filter((r) => r.metrics[v.metric.name] !== undefined), (r) => sign * r.metrics[v.metric.name]!, 'asc');
  const rank = new Map(byMetric.map((r, i) => [r.index, i + 1]));
  const cols = columns(v, rank);
  const col = cols.find((c) => c.key === ui.sortKey) ?? cols[0];
  const rows = sortRows(v.runs, col.value, ui.sortDir);
  const table = $<HTMLTableElement>('#leaderboard');
  const focusedIndex = (document.activeElement as HTMLElement | null)?.dataset?.index;
  const thead = htmlEl('thead');
  const hr = htmlEl('tr');
  for (const c of cols) {
    const th = htmlEl('th');
    th.scope = 'col';
    th.className = c.numeric ? 'num' : 'text';
    th.setAttribute('aria-sort', c === col ? (ui.sortDir === 'asc' ? 'ascending' : 'descending') : 'none');
    const b = htmlEl('button', `${c.title}${c === col ? (ui.sortDir === 'asc' ? ' ▲' : ' ▼') : ''}`, 'sort');
    b.dataset.key = c.key;
    b.setAttribute('aria-label', `Sort by ${c.title}`);
    b.addEventListener('click', () => {
      if (ui.sortKey === c.key) ui.sortDir = ui.sortDir === 'asc' ? 'desc' : 'asc';
      else {
        ui.sortKey = c.key;
        ui.sortDir = 'asc';
      }
      save();
      drawLeaderboard(v);
      (document.querySelector(`#leaderboard button.sort[data-key="${CSS.escape(c.key)}"]`) as HTMLElement | null)?.focus();
    });
    th.appendChild(b);
    hr.appendChild(th);
  }
  thead.appendChild(hr);
  const tbody = htmlEl('tbody');
  for (const r of rows) {
    const tr = htmlEl('tr');
    tr.dataset.index = String(r.index);
    tr.dataset.status = r.status;
    const openable = r.status !== 'queued';
    tr.tabIndex = 0;
    tr.className = openable ? 'run-row' : 'run-row inert';
    const metric = r.metrics[v.metric.name];
    tr.setAttribute(
      'aria-label',
      `Run ${r.label}, ${r.setting} seed ${r.seed}, ${r.statusLabel}${metric !== undefined ? `, validation ${v.metric.name} ${metric.toFixed(2)}` : ''}${openable ? '. Press Enter to open its dashboard.' : ''}`,
    );
    if (r.error) tr.title = r.error;
    for (const c of cols) {
      const td = htmlEl('td', c.text(r));
      td.className = c.numeric ? 'num' : 'text';
      if (c.key === 'status') td.dataset.status = r.status;
      tr.appendChild(td);
    }
    const open = () => openable && openRun(r.runDir);
    tr.addEventListener('click', open);
    tr.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        open();
      } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        const next = (ev.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null;
        next?.focus();
      }
    });
    tbody.appendChild(tr);
  }
  table.replaceChildren(thead, tbody);
  if (focusedIndex !== undefined) (tbody.querySelector(`tr[data-index="${focusedIndex}"]`) as HTMLElement | null)?.focus();
  return rows.length;
}

// ------------------------------------------------------------------------------------------------ controls

function fillSelect(sel: HTMLSelectElement, options: { value: string; label: string }[], selected: string | undefined): string {
  const values = options.map((o) => o.value);
  const current = selected && values.includes(selected) ? selected : values[0];
  if (sel.options.length !== options.length || [...sel.options].some((o, i) => o.value !== values[i])) {
    sel.replaceChildren(...options.map((o) => new Option(o.label, o.value)));
  }
  sel.value = current ?? '';
  return current;
}

function syncControls(v: SweepViewData): void {
  const numericFirst = [...v.parameters].sort((a, b) => Number(b.numeric) - Number(a.numeric));
  ui.colorParam = fillSelect($<HTMLSelectElement>('#color-param'), numericFirst.map((p) => ({ value: p.name, label: p.name })), ui.colorParam);
  ui.metric = fillSelect($<HTMLSelectElement>('#metric'), SWEEP_METRICS.map((m) => ({ value: m, label: METRIC_LABEL[m] })), ui.metric ?? v.metric.name) as Metric;
  ui.xParam = fillSelect($<HTMLSelectElement>('#x-param'), numericFirst.map((p) => ({ value: p.name, label: p.name })), ui.xParam);
  const test = $<HTMLButtonElement>('#split-test');
  test.disabled = !v.hasTest;
  test.title = v.hasTest ? '' : 'No run of this sweep has been evaluated on its test split ("VAE: Evaluate Run" or vae-lab eval).';
  if (!v.hasTest) ui.split = 'val';
  $('#split-val').setAttribute('aria-pressed', String(ui.split === 'val'));
  test.setAttribute('aria-pressed', String(ui.split === 'test'));
  $('#mode-mean').setAttribute('aria-pressed', String(ui.mode === 'mean'));
  $('#mode-seeds').setAttribute('aria-pressed', String(ui.mode === 'seeds'));
}

// ------------------------------------------------------------------------------------------------ rendering

let scheduled = false;
function render(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    const v = view;
    if (!v) return;
    hideTooltip();
    $('#title').textContent = `${v.experiment} · sweep ${v.sweepId}`;
    const badge = $('#status');
    badge.textContent = v.status;
    badge.dataset.status = v.status;
    $('#counts').textContent = v.countsLabel;
    const swept = v.parameters.map((p) => `${p.name}${p.log ? ' (log-spaced)' : ''}: ${p.values.map((x) => (typeof x === 'number' ? formatNumber(x) : String(x))).join(', ')}`);
    const seeds = [...new Set(v.runs.map((r) => r.seed))];
    $('#subtitle').textContent = [...swept, `seeds ${seeds.join(', ')}`, `${v.executor} executor`, `ranked by validation ${v.metric.name} (${v.metric.goal === 'max' ? 'higher' : 'lower'} is better)`].join(' · ');
    syncControls(v);
    const cs = colorScale(v.parameters.find((p) => p.name === ui.colorParam));
    drawLegend($('#rd-legend'), cs);
    const rd = drawRd(v, cs);
    drawMetricParam(v);
    const rows = drawLeaderboard(v);
    document.body.dataset.points = String(rd.points);
    document.body.dataset.rows = String(rows);
    document.body.dataset.lines = String(rd.lines);
    document.body.dataset.status = v.status;
    send({ type: 'rendered', points: rd.points, rows, lines: rd.lines });
  });
}

window.addEventListener('message', (ev: MessageEvent) => {
  const msg: unknown = ev.data;
  if (!isToSweepView(msg)) {
    console.warn('VAE Lab sweep panel: ignored a malformed message', msg);
    return;
  }
  view = msg.view;
  if (ui.dir !== view.dir) {
    ui.dir = view.dir;
    save();
  }
  render();
});

const toggle = (id: string, apply: () => void) =>
  $(id).addEventListener('click', () => {
    apply();
    save();
    render();
  });
toggle('#split-val', () => (ui.split = 'val'));
toggle('#split-test', () => (ui.split = 'test'));
toggle('#mode-mean', () => (ui.mode = 'mean'));
toggle('#mode-seeds', () => (ui.mode = 'seeds'));
for (const [id, key] of [['#color-param', 'colorParam'], ['#metric', 'metric'], ['#x-param', 'xParam']] as const) {
  $<HTMLSelectElement>(id).addEventListener('change', (e) => {
    (ui as unknown as Record<string, string>)[key] = (e.target as HTMLSelectElement).value;
    save();
    render();
  });
}
let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(render, 100);
});

send({ type: 'ready' });

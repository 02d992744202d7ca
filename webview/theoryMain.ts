// The Theory Lab panel, in the webview: one tab per lesson of `vae-lab theory`, each with a title, what the learner is
// looking at, the formulas (KaTeX, rendered into the DOM: its inline styles go through the CSSOM, which the strict CSP
// allows) and the run's numbers and plots, drawn on canvases from the lesson's file (src/core/theory.ts) as the
// extension sends it (src/core/theoryViewProtocol.ts). Every number shown comes from the file. A lesson without a file
// offers "Compute" (the extension runs the CLI); one that does not apply shows the CLI's reason.
import katex from 'katex';
import type { HolesResult, LikelihoodsResult, LinearPcaResult, MonteCarloResult, PosteriorResult, ReparamResult, TheoryLesson, TheoryResult } from '../src/core/theory';
import { FromTheoryView, isToTheoryView, LessonState, TheoryViewData, VIEW_LESSONS } from '../src/core/theoryViewProtocol';
import { Domain, formatNumber, makeScale, paddedDomain, Scale, ticks } from './sweepPlot';
import { LESSON_TEXT } from './theoryLessons';
import { argmaxCell, boundingDomains, ellipsePoints, equalAspect, heatmapPixels, holeMask, labelColor, logColorDomain, nearestPoint, normalDensity, stderrBand } from './theoryPlot';

interface VsCodeApi {
  postMessage(m: FromTheoryView): void;
  getState(): PersistedState | undefined;
  setState(s: PersistedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What survives a reload; `runDir` is what the extension's serializer reopens. */
interface PersistedState {
  runDir?: string;
  tab: TheoryLesson;
}

const vscode = acquireVsCodeApi();
let view: TheoryViewData | undefined;
const ui: PersistedState = { tab: 'posterior', ...(vscode.getState() ?? {}) };
const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector(sel) as T;

function send(m: FromTheoryView): void {
  vscode.postMessage(m);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

const css = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
const fmt = (v: number | null | undefined, digits = 4) => (typeof v === 'number' ? formatNumber(v, digits) : '–');

// ------------------------------------------------------------------------------------------------ KaTeX

/** Render TeX into a new element; a parse error is shown as the TeX source (and counted). */
function tex(source: string, display = true): HTMLElement {
  const box = el(display ? 'div' : 'span', undefined, display ? 'formula' : 'formula-inline');
  try {
    katex.render(source, box, { displayMode: display, throwOnError: true, output: 'htmlAndMathml' });
  } catch (err) {
    box.textContent = source;
    box.classList.add('katex-failed');
    box.title = (err as Error).message;
  }
  return box;
}

// ------------------------------------------------------------------------------------------------ canvas

interface Plot {
  canvas: HTMLCanvasElement;
  ctx: CanvasRenderingContext2D;
  x: Scale;
  y: Scale;
  left: number;
  top: number;
  width: number;
  height: number;
}

const MARGIN = { left: 64, right: 14, top: 12, bottom: 42 };

function canvas(width: number, height: number, label: string): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const c = el('canvas', undefined, 'theory-plot');
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.round(width * dpr);
  c.height = Math.round(height * dpr);
  c.style.width = `${width}px`;
  c.style.height = `${height}px`;
  c.setAttribute('role', 'img');
  c.setAttribute('aria-label', label);
  const ctx = c.getContext('2d')!;
  ctx.scale(dpr, dpr);
  return { canvas: c, ctx };
}

/** A canvas of exactly w x h pixels (for images drawn pixel by pixel). */
function rawCanvas(w: number, h: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  return c;
}

/** A canvas with axes: frame, ticks, grid lines and titles. */
function plot(width: number, height: number, xd: Domain, yd: Domain, xlog: boolean, ylog: boolean, xTitle: string, yTitle: string, label: string): Plot {
  const { canvas: c, ctx } = canvas(width, height, label);
  const w = width - MARGIN.left - MARGIN.right;
  const h = height - MARGIN.top - MARGIN.bottom;
  const x = makeScale(xd, [MARGIN.left, MARGIN.left + w], xlog);
  const y = makeScale(yd, [MARGIN.top + h, MARGIN.top], ylog);
  const fg = css('--vscode-foreground', '#ccc');
  const muted = css('--vscode-descriptionForeground', '#999');
  const border = css('--vscode-panel-border', '#555');
  ctx.font = `11px ${css('--vscode-font-family', 'sans-serif')}`;
  ctx.strokeStyle = border;
  ctx.lineWidth = 1;
  // About one tick per 55 px, so that the labels of a narrow plot (an equal-aspect heatmap) do not run together.
  const xTicks = ticks(x, Math.max(2, Math.min(5, Math.round(w / 55))));
  const yTicks = ticks(y, Math.max(2, Math.min(5, Math.round(h / 40))));
  ctx.globalAlpha = 0.35;
  for (const t of xTicks) line(ctx, x(t), MARGIN.top, x(t), MARGIN.top + h);
  for (const t of yTicks) line(ctx, MARGIN.left, y(t), MARGIN.left + w, y(t));
  ctx.globalAlpha = 1;
  ctx.strokeRect(MARGIN.left + 0.5, MARGIN.top + 0.5, w, h);
  ctx.fillStyle = fg;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of xTicks) ctx.fillText(formatNumber(t), x(t), MARGIN.top + h + 4);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of yTicks) ctx.fillText(formatNumber(t), MARGIN.left - 5, y(t));
  ctx.fillStyle = muted;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText(xTitle, MARGIN.left + w / 2, height - 4);
  ctx.save();
  ctx.translate(12, MARGIN.top + h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(yTitle, 0, 0);
  ctx.restore();
  return { canvas: c, ctx, x, y, left: MARGIN.left, top: MARGIN.top, width: w, height: h };
}

function line(ctx: CanvasRenderingContext2D, x1: number, y1: number, x2: number, y2: number): void {
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x2, y2);
  ctx.stroke();
}

function clip(p: Plot): void {
  p.ctx.save();
  p.ctx.beginPath();
  p.ctx.rect(p.left, p.top, p.width, p.height);
  p.ctx.clip();
}

function polyline(p: Plot, pts: [number, number][], color: string, width = 1.5, dash: number[] = []): void {
  const { ctx } = p;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.beginPath();
  pts.forEach(([a, b], i) => (i === 0 ? ctx.moveTo(p.x(a), p.y(b)) : ctx.lineTo(p.x(a), p.y(b))));
  ctx.stroke();
  ctx.restore();
}

function dots(p: Plot, pts: [number, number][], color: string, r = 3): void {
  p.ctx.fillStyle = color;
  for (const [a, b] of pts) {
    p.ctx.beginPath();
    p.ctx.arc(p.x(a), p.y(b), r, 0, 2 * Math.PI);
    p.ctx.fill();
  }
}

/** A heatmap of a 2-D grid's values filling the plot (the grid's box is the plot's domain). */
function heatmap(p: Plot, values: readonly (number | null)[], cells: number[], domain: Domain, transform?: (v: number) => number): void {
  const img = new ImageData(heatmapPixels(values, cells, domain, transform) as Uint8ClampedArray<ArrayBuffer>, cells[0], cells[1]);
  const off = rawCanvas(cells[0], cells[1]);
  off.getContext('2d')!.putImageData(img, 0, 0);
  p.ctx.save();
  p.ctx.imageSmoothingEnabled = false;
  p.ctx.drawImage(off, 0, 0, cells[0], cells[1], p.left, p.top, p.width, p.height);
  p.ctx.restore();
  // The frame again, over the image.
  p.ctx.strokeStyle = css('--vscode-panel-border', '#555');
  p.ctx.strokeRect(p.left + 0.5, p.top + 0.5, p.width, p.height);
}

function legend(items: { label: string; color: string; dashed?: boolean }[]): HTMLElement {
  const box = el('div', undefined, 'legend');
  for (const it of items) {
    const item = el('span', undefined, 'legend-item');
    const sw = el('span', undefined, it.dashed ? 'swatch dashed' : 'swatch');
    sw.style.backgroundColor = it.color;
    item.append(sw, document.createTextNode(it.label));
    box.appendChild(item);
  }
  return box;
}

// ------------------------------------------------------------------------------------------------ tables

interface Counts {
  plots: number;
  rows: number;
}

/** A two-column table of named numbers; the names may be TeX. */
function numbers(rows: [string, number | null | undefined, string?][], counts: Counts, caption?: string): HTMLTableElement {
  const t = el('table', undefined, 'numbers');
  if (caption) t.appendChild(el('caption', caption));
  for (const [name, value, note] of rows) {
    const tr = el('tr');
    const th = el('th');
    th.appendChild(tex(name, false));
    const td = el('td', fmt(value, 6));
    td.dataset.value = String(value);
    tr.append(th, td, el('td', note ?? '', 'note-cell'));
    t.appendChild(tr);
    counts.rows++;
  }
  return t;
}

/** A table with a header row; cells are numbers (formatted) or text. */
function grid(headers: string[], rows: (number | string | null | undefined)[][], counts: Counts): HTMLTableElement {
  const t = el('table', undefined, 'numbers');
  const head = el('tr');
  for (const h of headers) head.appendChild(el('th', h));
  t.appendChild(head);
  for (const r of rows) {
    const tr = el('tr');
    for (const c of r) tr.appendChild(el('td', typeof c === 'number' || c === null || c === undefined ? fmt(c as number | null | undefined) : c));
    t.appendChild(tr);
    counts.rows++;
  }
  return t;
}

// ------------------------------------------------------------------------------------------------ lessons

function posteriorView(r: PosteriorResult, counts: Counts): HTMLElement {
  const box = el('div', undefined, 'lesson-body');
  const row = el('div', undefined, 'row');
  const accent = css('--vscode-charts-red', '#f14c4c');
  const accent2 = css('--vscode-charts-orange', '#d18616');
  const g = r.truePosterior;
  if (r.latentDim === 2) {
    // Equal units on both axes, so that the ellipses' shapes are true.
    const inner = equalAspect([g.lo[0], g.hi[0]], [g.lo[1], g.hi[1]], 320);
    const p = plot(inner.width + MARGIN.left + MARGIN.right, inner.height + MARGIN.top + MARGIN.bottom, [g.lo[0], g.hi[0]], [g.lo[1], g.hi[1]], false, false, 'z₁', 'z₂', 'True posterior p(z|x) with q(z|x) ellipses');
    p.canvas.id = 'posterior-map';
    const dom = logColorDomain(g.logDensity, 12);
    if (dom) heatmap(p, g.logDensity, g.cells, dom);
    clip(p);
    polyline(p, ellipsePoints(r.q.mean, r.q.std, 1), accent, 2);
    polyline(p, ellipsePoints(r.q.mean, r.q.std, 2), accent, 1.5, [5, 4]);
    dots(p, [[r.q.mean[0], r.q.mean[1]]], accent, 3.5);
    // The true posterior's mean, as a cross.
    const [mx, my] = [p.x(r.posteriorMean[0]), p.y(r.posteriorMean[1])];
    p.ctx.strokeStyle = accent2;
    p.ctx.lineWidth = 2;
    line(p.ctx, mx - 6, my, mx + 6, my);
    line(p.ctx, mx, my - 6, mx, my + 6);
    p.ctx.restore();
    counts.plots++;
    const fig = el('figure');
    fig.append(el('figcaption', `p(z|x) on ${g.cells.join(' × ')} cells; colour: log p(z|x), from 12 nats below its peak (dark) to the peak (bright)`), p.canvas);
    fig.appendChild(
      legend([
        { label: 'q(z|x) 1σ', color: accent },
        { label: 'q(z|x) 2σ', color: accent, dashed: true },
        { label: 'mean of p(z|x)', color: accent2 },
      ]),
    );
    const peak = argmaxCell(g.logDensity, g.lo, g.hi, g.cells);
    if (peak) fig.appendChild(el('p', `Mode of the map near z = (${peak.centre.map((v) => formatNumber(v)).join(', ')}).`, 'muted'));
    row.appendChild(fig);
  } else {
    // 1-D: the density p(z|x) and q(z|x) as curves.
    const zs = Array.from({ length: g.cells[0] }, (_, i) => g.lo[0] + ((i + 0.5) * (g.hi[0] - g.lo[0])) / g.cells[0]);
    const dens = g.logDensity.map((v) => (typeof v === 'number' ? Math.exp(v) : 0));
    const qd = zs.map((z) => normalDensity(z, r.q.mean[0], r.q.std[0]));
    const p = plot(420, 300, [g.lo[0], g.hi[0]], paddedDomain([0, ...dens, ...qd]) ?? [0, 1], false, false, 'z', 'density', 'p(z|x) and q(z|x)');
    p.canvas.id = 'posterior-map';
    polyline(p, zs.map((z, i) => [z, dens[i]]), css('--vscode-charts-blue', '#3794ff'), 2);
    polyline(p, zs.map((z, i) => [z, qd[i]]), accent, 2, [5, 4]);
    counts.plots++;
    const fig = el('figure');
    fig.append(el('figcaption', 'p(z|x) (solid) and q(z|x) (dashed)'), p.canvas);
    row.appendChild(fig);
  }
  // The codes, to pick another test example.
  const codes = r.codes.z.filter((z) => z.length >= Math.min(2, r.latentDim));
  if (codes.length > 0) {
    const pts = codes.map((z) => (r.latentDim === 2 ? z : [z[0], 0]));
    const [xd, yd] = boundingDomains(pts);
    const p = plot(320, 320, xd, yd, false, false, r.latentDim === 2 ? 'E_q[z₁|x]' : 'E_q[z|x]', r.latentDim === 2 ? 'E_q[z₂|x]' : '', 'Codes of test examples; click one to see its posterior');
    p.canvas.id = 'codes-scatter';
    p.canvas.classList.add('scatter');
    p.canvas.tabIndex = 0;
    pts.forEach((z, i) => dots(p, [[z[0], z[1]]], labelColor(r.codes.labels?.[i]), 3));
    const cur = pts[r.settings.example];
    if (cur) {
      p.ctx.strokeStyle = css('--vscode-focusBorder', '#007fd4');
      p.ctx.lineWidth = 2;
      p.ctx.beginPath();
      p.ctx.arc(p.x(cur[0]), p.y(cur[1]), 7, 0, 2 * Math.PI);
      p.ctx.stroke();
    }
    const screen = pts.map((z) => [p.x(z[0]), p.y(z[1])] as [number, number]);
    // Where each example's dot is (CSS pixels in the canvas), for tests that click one.
    p.canvas.dataset.points = JSON.stringify(screen.map(([x, y]) => [Math.round(x), Math.round(y)]));
    p.canvas.addEventListener('click', (ev) => {
      const rect = p.canvas.getBoundingClientRect();
      const i = nearestPoint(screen, ev.clientX - rect.left, ev.clientY - rect.top, 10);
      if (i >= 0) send({ type: 'showExample', example: i });
    });
    counts.plots++;
    const fig = el('figure');
    fig.append(el('figcaption', `Codes of the first ${codes.length} test examples${r.codes.labels ? ', coloured by label' : ''}: click one`), p.canvas);
    if (r.codes.labels) {
      const labels = [...new Set(r.codes.labels)].sort((a, b) => a - b);
      fig.appendChild(legend(labels.map((l) => ({ label: String(l), color: labelColor(l) }))));
    }
    // The same choice from the keyboard: a test example's index.
    const pick = el('div', undefined, 'controls');
    const label = el('label', 'test example ');
    const input = el('input');
    input.type = 'number';
    input.min = '0';
    input.max = String(codes.length - 1);
    input.step = '1';
    input.value = String(r.settings.example);
    input.id = 'example-input';
    label.appendChild(input);
    const go = el('button', 'Show');
    go.id = 'example-show';
    const show = () => {
      const i = Number(input.value);
      if (Number.isInteger(i) && i >= 0 && i < codes.length) send({ type: 'showExample', example: i });
    };
    go.addEventListener('click', show);
    input.addEventListener('keydown', (ev) => ev.key === 'Enter' && show());
    pick.append(label, go);
    fig.appendChild(pick);
    row.appendChild(fig);
  }
  box.appendChild(row);
  box.appendChild(el('h3', `Test example ${r.settings.example}: the bounds (nats)`));
  const rows: [string, number | null | undefined, string?][] = [
    ['\\log p(x)', r.logPx, 'by quadrature on the grid'],
    ['\\text{ELBO}', r.elbo],
    ['\\mathbb{E}_q[\\log p(x\\mid z)]', r.recon],
    ['\\mathrm{KL}(q(z\\mid x)\\,\\|\\,p(z))', r.kl],
    ['\\log p(x) - \\text{ELBO}', r.gap, 'the gap'],
    ['\\mathrm{KL}(q(z\\mid x)\\,\\|\\,p(z\\mid x))', r.klPosterior, 'on the grid: equals the gap'],
    ...Object.entries(r.iwae)
      .sort((a, b) => Number(a[0]) - Number(b[0]))
      .map(([k, v]) => [`\\mathcal{L}_{${Number(k)}}`, v, `IWAE, k = ${k}`] as [string, number, string]),
  ];
  box.appendChild(numbers(rows, counts));
  box.appendChild(
    grid(
      ['', 'mean z₁', r.latentDim === 2 ? 'mean z₂' : '', 'std z₁', r.latentDim === 2 ? 'std z₂' : ''],
      [
        ['q(z|x)', r.q.mean[0], r.q.mean[1] ?? '', r.q.std[0], r.q.std[1] ?? ''],
        ['p(z|x)', r.posteriorMean[0], r.posteriorMean[1] ?? '', r.posteriorStd[0], r.posteriorStd[1] ?? ''],
      ],
      counts,
    ),
  );
  return box;
}

function mcPlot(title: string, rows: MonteCarloResult['kl']['rows'], reference: number, refLabel: string, counts: Counts, id: string): HTMLElement {
  const band = stderrBand(rows);
  const xs = rows.map((r) => r.samples);
  const yd = paddedDomain([...band.flatMap((b) => [b.lo, b.hi]), reference], false, 0.1) ?? [0, 1];
  const xd = paddedDomain(xs, true, 0.05) ?? [1, 10];
  const p = plot(440, 300, xd, yd, true, false, 'samples L (log scale)', title, `${title} against L`);
  p.canvas.id = id;
  const blue = css('--vscode-charts-blue', '#3794ff');
  const ref = css('--vscode-charts-red', '#f14c4c');
  clip(p);
  // The ±1 standard-error band.
  if (band.length > 1) {
    p.ctx.fillStyle = blue;
    p.ctx.globalAlpha = 0.22;
    p.ctx.beginPath();
    band.forEach((b, i) => (i === 0 ? p.ctx.moveTo(p.x(b.x), p.y(b.hi)) : p.ctx.lineTo(p.x(b.x), p.y(b.hi))));
    for (const b of [...band].reverse()) p.ctx.lineTo(p.x(b.x), p.y(b.lo));
    p.ctx.closePath();
    p.ctx.fill();
    p.ctx.globalAlpha = 1;
  }
  polyline(p, [[xd[0], reference], [xd[1], reference]], ref, 1.5, [6, 4]);
  polyline(p, rows.map((r) => [r.samples, r.mean]), blue, 1.5);
  dots(p, rows.map((r) => [r.samples, r.mean]), blue, 3);
  p.ctx.restore();
  counts.plots++;
  const fig = el('figure');
  fig.append(el('figcaption', title), p.canvas, legend([{ label: 'mean of the L-sample estimate ± 1 standard error', color: blue }, { label: refLabel, color: ref, dashed: true }]));
  return fig;
}

function monteCarloView(r: MonteCarloResult, counts: Counts): HTMLElement {
  const box = el('div', undefined, 'lesson-body');
  const row = el('div', undefined, 'row');
  row.appendChild(mcPlot('KL(q(z|x) ‖ p(z)), nats', r.kl.rows, r.kl.closedForm, `closed form ${fmt(r.kl.closedForm)}`, counts, 'mc-kl'));
  row.appendChild(mcPlot('E_q[log p(x|z)], nats', r.recon.rows, r.recon.reference, `largest L's mean ${fmt(r.recon.reference)}`, counts, 'mc-recon'));
  box.appendChild(row);
  box.appendChild(el('p', `Batch of ${r.settings.batch} test examples; ${r.settings.repeats} independent estimates per L for the KL, ${r.settings.reconRepeats} for the reconstruction term (nats per example).`, 'muted'));
  box.appendChild(numbers([['\\mathrm{KL}\\ \\text{closed form}', r.kl.closedForm], ['\\mathbb{E}_q[\\log p(x\\mid z)]\\ \\text{reference}', r.recon.reference]], counts));
  box.appendChild(
    grid(
      ['L', 'KL mean', 'KL sd', 'KL std. error', 'E_q[log p(x|z)] mean', 'sd', 'std. error'],
      r.kl.rows.map((k, i) => [k.samples, k.mean, k.sd, k.stderr, r.recon.rows[i]?.mean, r.recon.rows[i]?.sd, r.recon.rows[i]?.stderr]),
      counts,
    ),
  );
  return box;
}

function reparamView(r: ReparamResult, counts: Counts): HTMLElement {
  const box = el('div', undefined, 'lesson-body');
  const series: { label: string; color: string; key: 'scoreVariance' | 'scoreBaselineVariance' | 'reparamVariance'; slope: number | null }[] = [
    { label: 'score function', color: css('--vscode-charts-red', '#f14c4c'), key: 'scoreVariance', slope: r.slopes.score },
    { label: 'score function + leave-one-out baseline', color: css('--vscode-charts-orange', '#d18616'), key: 'scoreBaselineVariance', slope: r.slopes.scoreBaseline },
    { label: 'reparameterised', color: css('--vscode-charts-blue', '#3794ff'), key: 'reparamVariance', slope: r.slopes.reparam },
  ];
  const vals = r.rows.flatMap((row) => series.map((s) => row[s.key])).filter((v): v is number => typeof v === 'number' && v > 0);
  const p = plot(520, 340, paddedDomain(r.rows.map((x) => x.samples), true, 0.05) ?? [1, 10], paddedDomain(vals, true, 0.08) ?? [1, 10], true, true, 'samples L (log scale)', 'total gradient variance (log scale)', 'Gradient variance against L');
  p.canvas.id = 'reparam-plot';
  clip(p);
  for (const s of series) {
    const pts = r.rows.filter((row) => typeof row[s.key] === 'number' && (row[s.key] as number) > 0).map((row) => [row.samples, row[s.key] as number] as [number, number]);
    polyline(p, pts, s.color, 1.5);
    dots(p, pts, s.color, 3);
  }
  p.ctx.restore();
  counts.plots++;
  const fig = el('figure');
  fig.append(el('figcaption', 'Variance of an L-sample gradient estimate (sum over the encoder\'s parameters)'), p.canvas, legend(series.map((s) => ({ label: `${s.label} (slope ${fmt(s.slope, 3)})`, color: s.color }))));
  box.appendChild(fig);
  box.appendChild(
    grid(
      ['L', 'score', 'score + baseline', 'reparameterised', 'ratio score / reparam', '‖mean‖² score', '‖mean‖² reparam'],
      r.rows.map((row) => [row.samples, row.scoreVariance, row.scoreBaselineVariance, row.reparamVariance, row.ratio, row.scoreMeanNormSq, row.reparamMeanNormSq]),
      counts,
    ),
  );
  box.appendChild(el('p', `Batch of ${r.settings.batch} training examples, ${r.settings.repeats} draws per L, ${r.settings.parameters} encoder parameters. ${r.settings.definitions}`, 'muted'));
  return box;
}

function holesView(r: HolesResult, counts: Counts): HTMLElement {
  const box = el('div', undefined, 'lesson-body');
  const companions = r.companions ?? [];
  if (companions.length > 0) {
    // The comparison first: an autoencoder's codes leave much of the prior uncovered, a VAE's KL term fills it.
    box.appendChild(
      grid(
        ['run', 'model', 'code density', 'prior mass in holes'],
        [r, ...companions].map((c) => [c.runId, c.kind, c.settings.density === 'kde' ? `kernel density (h = ${c.settings.bandwidth})` : 'aggregate posterior', c.priorMassInHoles]),
        counts,
      ),
    );
  }
  box.appendChild(holesMaps(r, counts, 'holes'));
  const rows: [string, number | null | undefined, string?][] = [
    ['\\int_{\\text{holes}} p(z)\\,dz', r.priorMassInHoles, `prior mass in holes (q(z) < ${r.settings.threshold} p(z))`],
    ['\\int_{\\text{grid}} q(z)\\,dz', r.codeMassOnGrid, 'code mass on the grid'],
    ['\\text{codes outside the grid}', r.codeRange.outsideGrid, 'share'],
  ];
  if (r.meansKdePriorMassInHoles !== undefined) rows.splice(1, 0, ['\\int_{\\text{holes}} p(z)\\,dz\\ (\\text{means only})', r.meansKdePriorMassInHoles, `the same for a kernel density of the posterior means alone (bandwidth ${r.settings.bandwidth}), as an autoencoder's codes`]);
  box.appendChild(numbers(rows, counts));
  box.appendChild(el('p', `${r.kind}, ${r.settings.examples} training examples. ${r.settings.definitions}`, 'muted'));
  companions.forEach((c, i) => {
    const section = el('section', undefined, 'companion');
    section.append(el('h3', `Compared with: ${c.kind}, run ${c.runId}`), holesMaps(c, counts, `holes-c${i}`));
    section.appendChild(el('p', `${c.kind}, ${c.settings.examples} training examples; prior mass in holes ${fmt(c.priorMassInHoles)}.`, 'muted'));
    box.appendChild(section);
  });
  return box;
}

/** The code density, the prior and the holes of one run (2-D: three maps; 1-D: two curves). */
function holesMaps(r: HolesResult, counts: Counts, id: string): HTMLElement {
  const box = el('div');
  const g = r.settings.grid;
  if (r.latentDim === 2) {
    const row = el('div', undefined, 'row');
    // One colour scale for both maps, so that they compare.
    const dom = logColorDomain([...r.logCodeDensity, ...r.logPrior], 12);
    for (const [values, title, canvasId] of [
      [r.logCodeDensity, r.settings.density === 'kde' ? 'log density of the codes (kernel density)' : 'log q(z), the aggregate posterior', `${id}-codes`],
      [r.logPrior, 'log p(z), the prior N(0, I)', `${id}-prior`],
    ] as const) {
      const p = plot(310, 310, [g.lo[0], g.hi[0]], [g.lo[1], g.hi[1]], false, false, 'z₁', 'z₂', title);
      p.canvas.id = canvasId;
      if (dom) heatmap(p, values, g.cells, dom);
      counts.plots++;
      const fig = el('figure');
      fig.append(el('figcaption', title), p.canvas);
      row.appendChild(fig);
    }
    // The holes themselves: the prior's map with the hole cells in red.
    const p = plot(310, 310, [g.lo[0], g.hi[0]], [g.lo[1], g.hi[1]], false, false, 'z₁', 'z₂', 'Holes over the prior');
    p.canvas.id = `${id}-mask`;
    if (dom) heatmap(p, r.logPrior, g.cells, dom);
    const mask = holeMask(r.logCodeDensity, r.logPrior, r.settings.threshold);
    const cw = p.width / g.cells[0];
    const ch = p.height / g.cells[1];
    p.ctx.fillStyle = css('--vscode-charts-red', '#f14c4c');
    p.ctx.globalAlpha = 0.75;
    mask.forEach((hole, c) => {
      if (!hole) return;
      const i = Math.floor(c / g.cells[1]);
      const j = c % g.cells[1];
      p.ctx.fillRect(p.left + i * cw, p.top + (g.cells[1] - 1 - j) * ch, cw + 0.5, ch + 0.5);
    });
    p.ctx.globalAlpha = 1;
    counts.plots++;
    const fig = el('figure');
    fig.append(el('figcaption', `holes (red): cells where the code density is below ${r.settings.threshold} × the prior's`), p.canvas);
    row.appendChild(fig);
    box.appendChild(row);
    box.appendChild(el('p', 'The maps share one colour scale: from 12 nats below the highest log density (dark) to it (bright).', 'muted'));
  } else {
    const zs = Array.from({ length: g.cells[0] }, (_, i) => g.lo[0] + ((i + 0.5) * (g.hi[0] - g.lo[0])) / g.cells[0]);
    const code = r.logCodeDensity.map((v) => (typeof v === 'number' ? Math.exp(v) : 0));
    const prior = r.logPrior.map((v) => (typeof v === 'number' ? Math.exp(v) : 0));
    const p = plot(440, 300, [g.lo[0], g.hi[0]], paddedDomain([0, ...code, ...prior]) ?? [0, 1], false, false, 'z', 'density', 'Code density and prior');
    p.canvas.id = `${id}-codes`;
    polyline(p, zs.map((z, i) => [z, code[i]]), css('--vscode-charts-blue', '#3794ff'), 2);
    polyline(p, zs.map((z, i) => [z, prior[i]]), css('--vscode-charts-red', '#f14c4c'), 2, [5, 4]);
    counts.plots++;
    const fig = el('figure');
    fig.append(el('figcaption', 'code density (solid) and prior (dashed)'), p.canvas);
    box.appendChild(fig);
  }
  return box;
}

function basisImage(vec: number[], shape: [number, number, number]): HTMLCanvasElement | undefined {
  const [h, w, ch] = shape;
  if (vec.length !== h * w * ch) return undefined;
  const m = Math.max(1e-12, ...vec.map(Math.abs));
  const c = rawCanvas(w, h);
  const ctx = c.getContext('2d')!;
  c.setAttribute('role', 'img');
  c.setAttribute('aria-label', 'basis vector as an image');
  c.style.width = `${w * 3}px`;
  c.style.height = `${h * 3}px`;
  c.classList.add('pixels');
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    // Diverging: negative blue, positive red, 0 white-ish grey.
    const v = vec[i * ch] / m;
    img.data[i * 4] = Math.round(128 + 127 * Math.max(0, v) - 128 * Math.max(0, -v));
    img.data[i * 4 + 1] = Math.round(128 - 128 * Math.abs(v));
    img.data[i * 4 + 2] = Math.round(128 + 127 * Math.max(0, -v) - 128 * Math.max(0, v));
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

function linearPcaView(r: LinearPcaResult, counts: Counts, shape: [number, number, number] | undefined): HTMLElement {
  const box = el('div', undefined, 'lesson-body');
  box.appendChild(
    numbers(
      [
        ['\\frac{1}{N}\\sum_i \\lVert x_i - \\hat{x}_i^{AE} \\rVert^2', r.aeReconstructionError, 'linear autoencoder'],
        ['\\frac{1}{N}\\sum_i \\lVert x_i - \\hat{x}_i^{PCA} \\rVert^2', r.pcaReconstructionError, `PCA, rank ${r.settings.k}`],
      ],
      counts,
    ),
  );
  box.appendChild(grid(['i', 'principal angle θᵢ (degrees)', 'variance of component i'], r.anglesDegrees.map((a, i) => [i + 1, a, r.explainedVariance[i]]), counts));
  if (shape && r.decoderBasis.length > 0) {
    for (const [title, vectors] of [
      ['Decoder directions', r.decoderBasis],
      ['Principal components', r.principalComponents],
    ] as const) {
      const imgs = vectors.map((v) => basisImage(v, shape)).filter((c): c is HTMLCanvasElement => c !== undefined);
      if (imgs.length === 0) continue;
      const fig = el('figure');
      const strip = el('div', undefined, 'strip');
      strip.append(...imgs);
      fig.append(el('figcaption', `${title} (red positive, blue negative)`), strip);
      box.appendChild(fig);
      counts.plots++;
    }
  }
  box.appendChild(el('p', `k = ${r.settings.k}, ${r.settings.examples} training examples of ${r.dataDim} values, PCA by ${r.settings.pcaMethod}.`, 'muted'));
  return box;
}

function likelihoodsView(r: LikelihoodsResult, counts: Counts): HTMLElement {
  const box = el('div', undefined, 'lesson-body');
  const rows: [string, number | null | undefined, string?][] = [['-\\log p(x\\mid z)\\ \\text{(engine)}', r.negLogLik, 'batch mean, nats per example'], ['\\text{formula}', r.formula, r.likelihood === 'bernoulli' ? 'binary cross-entropy' : 'SSE / (2σ²) + constant']];
  if (r.sigma !== undefined) rows.push(['\\sigma', r.sigma]);
  if (r.sse !== undefined) rows.push(['\\lVert x - \\hat{x} \\rVert^2', r.sse, 'sum of squared errors']);
  if (r.scaledSse !== undefined) rows.push(['\\lVert x - \\hat{x} \\rVert^2 / (2\\sigma^2)', r.scaledSse]);
  rows.push([r.likelihood === 'bernoulli' ? '\\sum_i H(x_i)' : '\\frac{n}{2}\\log(2\\pi\\sigma^2)', r.constant, r.likelihood === 'bernoulli' ? 'the BCE\'s floor (0 on binary data)' : 'the constant']);
  rows.push(['\\max |\\text{engine} - \\text{formula}|', r.maxAbsDifference, 'over the examples']);
  box.appendChild(el('p', `Likelihood: ${r.likelihood}; n = ${r.dims} values per example; ${r.settings.batch} test examples.`, 'muted'));
  box.appendChild(numbers(rows, counts));
  box.appendChild(grid(['example', '−log p(x|z) (engine)', 'formula'], r.perExample.negLogLik.map((v, i) => [i, fmt(v, 9), fmt(r.perExample.formula[i], 9)]), counts));
  const all = [r, ...(r.companions ?? [])];
  if (all.length > 1) {
    box.appendChild(el('h3', 'Side by side'));
    box.appendChild(
      grid(
        ['run', 'likelihood', 'σ', '−log p(x|z)', 'formula', 'largest difference'],
        all.map((c) => [c.runId, c.likelihood, c.sigma ?? '–', c.negLogLik, c.formula, c.maxAbsDifference]),
        counts,
      ),
    );
  }
  const withImages = all.filter((c) => c.images);
  if (withImages.length > 0) {
    const table = el('table', undefined, 'pictures');
    table.id = 'likelihood-pictures';
    const head = el('tr');
    for (const h of ['', 'test inputs', 'reconstructions E[x | z = μ(x)]', 'samples E[x | z], z ~ N(0, I)']) head.appendChild(el('th', h));
    table.appendChild(head);
    for (const c of withImages) {
      const tr = el('tr');
      const label = el('th', likelihoodLabel(c));
      label.appendChild(el('div', c.runId, 'muted'));
      tr.appendChild(label);
      for (const set of [c.images!.inputs, c.images!.reconstructions, c.images!.samples]) {
        const td = el('td');
        td.appendChild(pictureStrip(set, c.images!.shape));
        tr.appendChild(td);
      }
      table.appendChild(tr);
      counts.plots++;
    }
    box.appendChild(table);
    box.appendChild(
      el(
        'p',
        'Each row is one run on the same test digits; the samples of every row decode the same draws z from the prior. The pictures show the mean of p(x|z): the Bernoulli\'s probabilities, the Gaussian\'s means (clipped to [0, 1]).',
        'muted',
      ),
    );
  }
  return box;
}

function likelihoodLabel(r: LikelihoodsResult): string {
  if (r.likelihood === 'bernoulli') return 'Bernoulli (BCE)';
  return `Gaussian, ${r.likelihood === 'gaussian-learned' ? 'learned' : 'fixed'} σ = ${fmt(r.sigma ?? null, 3)}`;
}

/** Pictures (bytes, height x width x channels) side by side, drawn pixel for pixel and shown at twice the size. */
function pictureStrip(rows: number[][], shape: [number, number, number]): HTMLElement {
  const strip = el('div', undefined, 'strip');
  const [h, w, ch] = shape;
  for (const values of rows) {
    if (values.length !== h * w * ch) continue;
    const c = rawCanvas(w, h);
    c.classList.add('pixels');
    c.style.width = `${w * 2}px`;
    c.style.height = `${h * 2}px`;
    c.setAttribute('role', 'img');
    c.setAttribute('aria-label', 'example');
    const ctx = c.getContext('2d')!;
    const img = ctx.createImageData(w, h);
    for (let i = 0; i < h * w; i++) {
      for (let k = 0; k < 3; k++) img.data[i * 4 + k] = values[i * ch + (ch === 3 ? k : 0)];
      img.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    strip.appendChild(c);
  }
  return strip;
}

// ------------------------------------------------------------------------------------------------ sections

function status(text: string, cls = 'muted'): HTMLElement {
  const p = el('p', text, cls);
  p.setAttribute('role', 'status');
  return p;
}

function computeButton(lesson: TheoryLesson, label: string): HTMLButtonElement {
  const b = el('button', label, 'primary compute');
  b.dataset.lesson = lesson;
  b.addEventListener('click', () => send({ type: 'compute', lesson, ...(lesson === 'posterior' && view ? { example: view.example } : {}) }));
  return b;
}

function renderLesson(lesson: TheoryLesson): void {
  if (!view) return;
  const section = document.getElementById(`lesson-${lesson}`)!;
  const text = LESSON_TEXT[lesson];
  const state: LessonState = view.lessons[lesson];
  section.replaceChildren();
  section.dataset.status = state.status;
  const head = el('header', undefined, 'lesson-head');
  head.appendChild(el('h2', text.title));
  section.appendChild(head);
  section.appendChild(el('p', view.run.latentDim === 1 && text.intro1d ? text.intro1d : text.intro, 'note'));
  for (const f of text.formulas) section.appendChild(tex(f));
  const counts: Counts = { plots: 0, rows: 0 };
  switch (state.status) {
    case 'missing':
      section.appendChild(status(`Not computed yet for this run${lesson === 'posterior' ? ` (test example ${view.example})` : ''}. "Compute" runs vae-lab theory ${lesson}${lesson === 'posterior' ? ` --example ${view.example}` : ''} on it.`));
      section.appendChild(computeButton(lesson, 'Compute'));
      break;
    case 'computing':
      section.appendChild(status(`Computing with vae-lab theory ${lesson}${state.example !== undefined ? ` --example ${state.example}` : ''}… (progress in the notification; output in the "VAE Lab" channel)`));
      break;
    case 'notApplicable':
      section.appendChild(status(`Does not apply to this run: ${state.reason}`, 'not-applicable'));
      break;
    case 'error':
      section.appendChild(status(state.message, 'error'));
      section.appendChild(computeButton(lesson, 'Try again'));
      break;
    case 'ready': {
      const r: TheoryResult = state.result;
      const meta = el('p', `Computed ${new Date(r.computedAt).toLocaleString()} on ${r.backend} in ${formatNumber(r.seconds)} s by vae-lab theory ${lesson}.`, 'muted meta');
      const again = computeButton(lesson, 'Recompute');
      again.classList.remove('primary');
      head.appendChild(again);
      try {
        switch (r.lesson) {
          case 'posterior':
            section.appendChild(posteriorView(r, counts));
            break;
          case 'montecarlo':
            section.appendChild(monteCarloView(r, counts));
            break;
          case 'reparam':
            section.appendChild(reparamView(r, counts));
            break;
          case 'holes':
            section.appendChild(holesView(r, counts));
            break;
          case 'linear-pca':
            section.appendChild(linearPcaView(r, counts, view.run.imageShape));
            break;
          case 'likelihoods':
            section.appendChild(likelihoodsView(r, counts));
            break;
        }
      } catch (err) {
        section.appendChild(status(`Cannot draw this file: ${(err as Error).message}`, 'error'));
      }
      section.appendChild(meta);
      break;
    }
  }
  send({
    type: 'rendered',
    lesson,
    status: state.status,
    plots: counts.plots,
    rows: counts.rows,
    katex: section.querySelectorAll('.katex').length,
    katexErrors: section.querySelectorAll('.katex-failed, .katex-error').length,
  });
}

function showTab(lesson: TheoryLesson): void {
  ui.tab = lesson;
  vscode.setState(ui);
  for (const l of VIEW_LESSONS) {
    const tab = document.getElementById(`tab-${l}`)!;
    tab.setAttribute('aria-selected', String(l === lesson));
    tab.tabIndex = l === lesson ? 0 : -1;
    document.getElementById(`lesson-${l}`)!.hidden = l !== lesson;
  }
}

function buildTabs(): void {
  const bar = $('#tabs');
  const panels = $('#lessons');
  bar.replaceChildren();
  panels.replaceChildren();
  for (const l of VIEW_LESSONS) {
    const b = el('button', LESSON_TEXT[l].tab, 'tab');
    b.id = `tab-${l}`;
    b.setAttribute('role', 'tab');
    b.setAttribute('aria-controls', `lesson-${l}`);
    b.addEventListener('click', () => showTab(l));
    b.addEventListener('keydown', (ev) => {
      const i = VIEW_LESSONS.indexOf(l);
      const next = ev.key === 'ArrowRight' ? VIEW_LESSONS[(i + 1) % VIEW_LESSONS.length] : ev.key === 'ArrowLeft' ? VIEW_LESSONS[(i + VIEW_LESSONS.length - 1) % VIEW_LESSONS.length] : undefined;
      if (next) {
        showTab(next);
        document.getElementById(`tab-${next}`)!.focus();
      }
    });
    bar.appendChild(b);
    const s = el('section', undefined, 'lesson');
    s.id = `lesson-${l}`;
    s.setAttribute('role', 'tabpanel');
    s.setAttribute('aria-labelledby', `tab-${l}`);
    panels.appendChild(s);
  }
}

function badge(l: TheoryLesson): void {
  const st = view?.lessons[l].status;
  const tab = document.getElementById(`tab-${l}`);
  if (tab) tab.dataset.status = st ?? '';
}

window.addEventListener('message', (ev: MessageEvent) => {
  const m = ev.data as unknown;
  if (!isToTheoryView(m)) return;
  if (m.type === 'init') {
    view = m.view;
    ui.runDir = view.run.runDir;
    $('#title').textContent = `Theory Lab: ${view.run.experiment} / ${view.run.runId}`;
    $('#subtitle').textContent = `${view.run.kind}, latentDim ${view.run.latentDim}. Every number below is read from ${view.run.runDir}/theory/, written by vae-lab theory.`;
    buildTabs();
    showTab(view.tab ?? (VIEW_LESSONS.includes(ui.tab) ? ui.tab : 'posterior'));
    for (const l of VIEW_LESSONS) {
      badge(l);
      renderLesson(l);
    }
    // Which font faces loaded (KaTeX's fonts come from the extension through the CSP's font-src).
    void document.fonts.ready.then(() => {
      const loaded = new Set<string>();
      document.fonts.forEach((f) => {
        if (f.status === 'loaded') loaded.add(f.family.replace(/["']/g, ''));
      });
      send({ type: 'fonts', loaded: [...loaded].sort() });
    });
    return;
  }
  if (!view) return;
  if (m.type === 'select') {
    showTab(m.lesson);
    return;
  }
  view.lessons[m.lesson] = m.state;
  if (m.example !== undefined) view.example = m.example;
  if (m.examples) view.examples = m.examples;
  badge(m.lesson);
  renderLesson(m.lesson);
});

send({ type: 'ready' });

// Plot arithmetic for the Theory Lab panel, without the DOM (unit-tested in Node): the heatmap of a lesson's grid
// (row-major, the last dimension fastest, as src/core/theory.ts stores it) turned into RGBA pixels with z1 to the right
// and z2 upwards, its colour scale, the 1- and 2-sigma ellipses of q(z|x), the ±1 standard-error band of a Monte Carlo
// estimate, a categorical colour per label, and the nearest point to a click. Scales and ticks are sweepPlot.ts's.
import { Domain, sequentialColor } from './sweepPlot';

export type Rgb = [number, number, number];

/** The sequential (viridis) colour at t in [0, 1], as numbers. */
export function heatRgb(t: number): Rgb {
  const c = sequentialColor(t);
  return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as Rgb;
}

/** Finite values only; null (JSON's NaN) and infinities are skipped. */
export function finiteValues(values: readonly (number | null)[]): number[] {
  return values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/**
 * The colour domain of log densities: [max - span, max], so that the map shows `span` nats below the peak (lower values
 * get the lowest colour). Undefined when no value is finite.
 */
export function logColorDomain(values: readonly (number | null)[], span = 12): Domain | undefined {
  const xs = finiteValues(values);
  if (xs.length === 0) return undefined;
  let max = -Infinity;
  for (const v of xs) if (v > max) max = v;
  return [max - span, max];
}

/** Where v falls on the domain, clamped to [0, 1]; values that are not finite numbers give 0. */
export function colorT(v: number | null, domain: Domain): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 0;
  const span = domain[1] - domain[0];
  if (!(span > 0)) return 0.5;
  return Math.min(1, Math.max(0, (v - domain[0]) / span));
}

/**
 * RGBA pixels (one per cell) of a 2-D grid's values: width = cells[0] (z1 to the right), height = cells[1] (z2 upwards,
 * so the last row of pixels is the grid's first z2 cell). Value at (i, j) is values[i * cells[1] + j].
 */
export function heatmapPixels(values: readonly (number | null)[], cells: readonly number[], domain: Domain, transform: (v: number) => number = (v) => v): Uint8ClampedArray {
  const [nx, ny] = cells;
  const out = new Uint8ClampedArray(nx * ny * 4);
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      const v = values[i * ny + j];
      const [r, g, b] = heatRgb(colorT(typeof v === 'number' ? transform(v) : null, domain));
      const p = ((ny - 1 - j) * nx + i) * 4;
      out[p] = r;
      out[p + 1] = g;
      out[p + 2] = b;
      out[p + 3] = 255;
    }
  }
  return out;
}

/** The cell holding the largest value: its indices per dimension and its centre. */
export function argmaxCell(values: readonly (number | null)[], lo: readonly number[], hi: readonly number[], cells: readonly number[]): { index: number[]; centre: number[] } | undefined {
  let best = -1;
  let bestV = -Infinity;
  values.forEach((v, c) => {
    if (typeof v === 'number' && v > bestV) {
      bestV = v;
      best = c;
    }
  });
  if (best < 0) return undefined;
  const index = new Array<number>(cells.length);
  let rest = best;
  for (let d = cells.length - 1; d >= 0; d--) {
    index[d] = rest % cells[d];
    rest = Math.floor(rest / cells[d]);
  }
  return { index, centre: index.map((k, d) => lo[d] + ((k + 0.5) * (hi[d] - lo[d])) / cells[d]) };
}

/** Points of the axis-aligned ellipse mean ± k * std (q(z|x) has a diagonal covariance), closed (last = first). */
export function ellipsePoints(mean: readonly number[], std: readonly number[], k: number, n = 64): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i <= n; i++) {
    const t = (2 * Math.PI * (i % n)) / n;
    out.push([mean[0] + k * std[0] * Math.cos(t), mean[1] + k * std[1] * Math.sin(t)]);
  }
  return out;
}

/** Density of N(mean, std^2) at x (for the 1-D posterior's q curve). */
export function normalDensity(x: number, mean: number, std: number): number {
  return Math.exp(-0.5 * ((x - mean) / std) ** 2) / (std * Math.sqrt(2 * Math.PI));
}

export interface McRow {
  samples: number;
  mean: number;
  stderr: number;
}

/** The ±1 standard-error band of Monte Carlo rows: per L, [mean - stderr, mean + stderr]. */
export function stderrBand(rows: readonly McRow[]): { x: number; lo: number; hi: number }[] {
  return rows.filter((r) => Number.isFinite(r.mean) && Number.isFinite(r.stderr)).map((r) => ({ x: r.samples, lo: r.mean - r.stderr, hi: r.mean + r.stderr }));
}

// Categorical colours for class labels (Tableau 10), distinguishable on light and dark themes.
const CATEGORICAL = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function labelColor(label: number | undefined): string {
  if (label === undefined || !Number.isInteger(label) || label < 0) return CATEGORICAL[0];
  return CATEGORICAL[label % CATEGORICAL.length];
}

/** The index of the point nearest to (x, y) within maxDist (pixels), or -1. */
export function nearestPoint(points: readonly [number, number][], x: number, y: number, maxDist = 8): number {
  let best = -1;
  let bestD = maxDist * maxDist;
  points.forEach(([px, py], i) => {
    const d = (px - x) ** 2 + (py - y) ** 2;
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}

/** The box [lo, hi] per axis holding all the points, the extra ranges and a margin (share of the span). */
export function boundingDomains(points: readonly number[][], extra: { x?: number[]; y?: number[] } = {}, margin = 0.08): [Domain, Domain] {
  const xs = [...points.map((p) => p[0]), ...(extra.x ?? [])].filter(Number.isFinite);
  const ys = [...points.map((p) => p[1]), ...(extra.y ?? [])].filter(Number.isFinite);
  const dom = (v: number[]): Domain => {
    if (v.length === 0) return [-1, 1];
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    const d = (hi - lo) * margin || 1;
    return [lo - d, hi + d];
  };
  return [dom(xs), dom(ys)];
}

/** The hole cells of the holes lesson: where the code density is below threshold x the prior density (as the CLI counts them). */
export function holeMask(logCode: readonly (number | null)[], logPrior: readonly (number | null)[], threshold: number): boolean[] {
  const t = Math.log(threshold);
  return logPrior.map((lp, c) => {
    const lc = logCode[c];
    if (typeof lp !== 'number') return false;
    return typeof lc !== 'number' || lc < t + lp;
  });
}

/** Inner plot sizes with one unit the same length on both axes, the longer side `size` (and neither below `min`). */
export function equalAspect(x: Domain, y: Domain, size: number, min = 120): { width: number; height: number } {
  const sx = Math.abs(x[1] - x[0]) || 1;
  const sy = Math.abs(y[1] - y[0]) || 1;
  return sx >= sy ? { width: size, height: Math.max(min, Math.round((size * sy) / sx)) } : { width: Math.max(min, Math.round((size * sx) / sy)), height: size };
}

// Plot arithmetic for the sweep panel, without the DOM (unit-tested in Node): linear and log scales with round
// ticks, padded domains, the lines of equal ELBO on the rate-distortion plane (R + D = c, slope -1) clipped to the
// plot, a sequential colour scale, and the leaderboard's sort.

export type Domain = [number, number];

export interface Scale {
  log: boolean;
  domain: Domain;
  range: Domain;
  (v: number): number;
}

export function makeScale(domain: Domain, range: Domain, log = false): Scale {
  const f = log ? Math.log10 : (x: number) => x;
  const d0 = f(domain[0]);
  const d1 = f(domain[1]);
  const span = d1 - d0 || 1;
  const s = ((v: number) => range[0] + ((f(v) - d0) / span) * (range[1] - range[0])) as Scale;
  s.log = log;
  s.domain = domain;
  s.range = range;
  return s;
}

/** A round step (1, 2 or 5 times a power of ten) giving about `count` intervals over `span`. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/** Round ticks within [min, max] (inclusive, up to float noise). */
export function linearTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return Number.isFinite(min) ? [min] : [];
  const step = niceStep(max - min, count);
  const out: number[] = [];
  // k * step, not a running sum: -0.2 + 0.2 would be 5.55e-17, not 0.
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** Ticks of a log axis: the powers of ten inside, and 2 and 5 times them when there are fewer than three. */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > min)) return min > 0 ? [min] : [];
  const out: number[] = [];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const inside = (v: number) => v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9);
  for (let e = lo; e <= hi; e++) if (inside(10 ** e)) out.push(Number((10 ** e).toPrecision(12)));
  if (out.length < 3) {
    out.length = 0;
    for (let e = lo; e <= hi; e++) for (const m of [1, 2, 5]) if (inside(m * 10 ** e)) out.push(Number((m * 10 ** e).toPrecision(12)));
  }
  return out;
}

export function ticks(s: Scale, count = 5): number[] {
  return s.log ? logTicks(s.domain[0], s.domain[1]) : linearTicks(s.domain[0], s.domain[1], count);
}

/**
 * The domain of an axis over these values, padded by `pad` of its span on both sides (multiplicatively on a log
 * axis). One value gets a span of its own (10% of it, or 1 around 0).
 */
export function paddedDomain(values: number[], log = false, pad = 0.06): Domain | undefined {
  const xs = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (xs.length === 0) return undefined;
  let lo = Math.min(...xs);
  let hi = Math.max(...xs);
  if (log) {
    if (hi === lo) return [lo / 2, hi * 2];
    const f = Math.pow(hi / lo, pad);
    return [lo / f, hi * f];
  }
  if (hi === lo) {
    const d = Math.abs(lo) * 0.1 || 1;
    return [lo - d, hi + d];
  }
  const d = (hi - lo) * pad;
  lo -= d;
  hi += d;
  return [lo, hi];
}

export interface Segment {
  /** The level: every point on the line has rate + distortion = c (= -ELBO). */
  c: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** The part of the line x + y = c inside the box [x0, x1] x [y0, y1], or undefined when it misses the box. */
export function clipEqualSum(c: number, x: Domain, y: Domain): Segment | undefined {
  const from = Math.max(x[0], c - y[1]);
  const to = Math.min(x[1], c - y[0]);
  if (!(to > from)) return undefined;
  return { c, x1: from, y1: c - from, x2: to, y2: c - to };
}

/**
 * Lines of equal ELBO on the rate-distortion plane (x = rate, y = distortion, both in nats): R + D = -ELBO, so each is
 * a line of slope -1. Round levels over the range the box spans, each clipped to the box.
 */
export function equalElboLines(x: Domain, y: Domain, count = 5): Segment[] {
  const lo = x[0] + y[0];
  const hi = x[1] + y[1];
  return linearTicks(lo, hi, count)
    .filter((c) => c > lo && c < hi)
    .map((c) => clipEqualSum(c, x, y))
    .filter((s): s is Segment => s !== undefined && Math.hypot(s.x2 - s.x1, s.y2 - s.y1) > 1e-9);
}

// A sequential colour scale (viridis, from dark purple to yellow), readable on light and dark backgrounds.
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];

/** The colour at t in [0, 1] (clamped) of the sequential scale. */
export function sequentialColor(t: number): string {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(u));
  const f = u - i;
  const a = hex(VIRIDIS[i]);
  const b = hex(VIRIDIS[i + 1]);
  return '#' + a.map((v, k) => Math.round(v + f * (b[k] - v)).toString(16).padStart(2, '0')).join('');
}

function hex(c: string): number[] {
  return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
}

/** Where a value falls on the colour scale of a parameter: 0 at its smallest value, 1 at its largest. */
export function colorPosition(value: number, min: number, max: number, log: boolean): number {
  if (!(max > min)) return 0.5;
  if (log && min > 0 && value > 0) return (Math.log(value) - Math.log(min)) / (Math.log(max) - Math.log(min));
  return (value - min) / (max - min);
}

export type SortDir = 'asc' | 'desc';

/** Rows sorted by a key (numbers numerically, text by locale); rows without a value last in either direction. */
export function sortRows<T>(rows: T[], key: (r: T) => number | string | undefined, dir: SortDir): T[] {
  const sign = dir === 'asc' ? 1 : -1;
  return rows
    .map((r, i) => ({ r, i, k: key(r) }))
    .sort((a, b) => {
      const ma = a.k === undefined || (typeof a.k === 'number' && !Number.isFinite(a.k));
      const mb = b.k === undefined || (typeof b.k === 'number' && !Number.isFinite(b.k));
      if (ma || mb) return ma === mb ? a.i - b.i : ma ? 1 : -1;
      const c = typeof a.k === 'number' && typeof b.k === 'number' ? a.k - b.k : String(a.k).localeCompare(String(b.k), undefined, { numeric: true });
      return sign * c || a.i - b.i;
    })
    .map((x) => x.r);
}

/** Short numbers for axes and tables: 3 significant digits, no trailing zeros, exponent for very large or small. */
export function formatNumber(v: number | undefined, digits = 3): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(digits)));
}

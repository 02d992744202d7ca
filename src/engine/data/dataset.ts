// In-memory data sets: one flat typed array per split, examples stored row after row. Sources that are 8-bit (IDX and
// NPY uint8 files, PNG images, the catalog data sets, the bundled MNIST) keep their bytes (a quarter of the memory
// of float32) and are converted to floats per batch, through a 256-entry table so that the values are exactly the
// float32 of byte / 255 that a float copy would hold.

/** Example values: floats, or bytes that stand for byte / 255. */
export type ExampleValues = Float32Array | Uint8Array;

export interface Dataset {
  /**
   * n * dim values, example after example (images are height x width x channels, channels last). A Uint8Array holds
   * bytes that mean byte / 255; read values through copyRows / floatRows / valueRange rather than directly.
   */
  x: ExampleValues;
  n: number;
  /** Shape of one example: [h, w, c] for images, [d] for vectors. */
  shape: number[];
  labels?: Int32Array;
  /** Names of the label classes (index = label). */
  classNames?: string[];
  /** Ground-truth generative factors, n * factorNames.length values (shapes only). */
  factors?: Float32Array;
  factorNames?: string[];
}

export interface SplitData {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
  /** Where the data came from, for messages. */
  origin: string;
}

/** A loader error always names the file (or data source) it is about. */
export class DataError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'DataError';
  }
}

export function exampleSize(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function isImageShape(shape: number[]): boolean {
  return shape.length === 3;
}

/** float32(byte / 255) for every byte: the value a stored byte stands for. */
export const BYTE_VALUES: Float32Array = (() => {
  const t = new Float32Array(256);
  for (let i = 0; i < 256; i++) t[i] = i / 255;
  return t;
})();

/** Bytes per stored value of a data set (1 for 8-bit storage, 4 for float32). */
export function bytesPerValue(d: Dataset): number {
  return d.x.BYTES_PER_ELEMENT;
}

/** Copy the examples rows[0..count) (indices into d) as floats into out, starting at example `at` of out. */
export function copyRows(d: Dataset, rows: ArrayLike<number>, out: Float32Array, at = 0, count = rows.length): void {
  const dim = exampleSize(d.shape);
  const x = d.x;
  if (x instanceof Float32Array) {
    for (let i = 0; i < count; i++) out.set(x.subarray(rows[i] * dim, (rows[i] + 1) * dim), (at + i) * dim);
    return;
  }
  for (let i = 0; i < count; i++) {
    const src = rows[i] * dim;
    const dst = (at + i) * dim;
    for (let k = 0; k < dim; k++) out[dst + k] = BYTE_VALUES[x[src + k]];
  }
}

/** Examples [start, end) as floats: a view of float storage, a converted copy of 8-bit storage. */
export function floatRows(d: Dataset, start: number, end: number): Float32Array {
  const dim = exampleSize(d.shape);
  const x = d.x;
  if (x instanceof Float32Array) return x.subarray(start * dim, end * dim);
  const out = new Float32Array((end - start) * dim);
  const src = x.subarray(start * dim, end * dim);
  for (let i = 0; i < out.length; i++) out[i] = BYTE_VALUES[src[i]];
  return out;
}

/**
 * Bounds that hold every value, and whether every value is finite: the smallest and largest value of float storage;
 * [0, 1] for 8-bit storage, where every value (byte / 255) lies by construction (not scanned: 0.2 s saved per load
 * of a 60,000-image set).
 */
export function valueRange(d: Dataset): { lo: number; hi: number; finite: boolean } {
  let lo = Infinity;
  let hi = -Infinity;
  let finite = true;
  const x = d.x;
  if (x instanceof Uint8Array) return { lo: 0, hi: 1, finite };
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) finite = false;
    else {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return { lo, hi, finite };
}

/** Copy the examples at the given indices into a new data set (same storage type). */
export function subset(d: Dataset, indices: ArrayLike<number>): Dataset {
  const dim = exampleSize(d.shape);
  const n = indices.length;
  const x = d.x instanceof Uint8Array ? new Uint8Array(n * dim) : new Float32Array(n * dim);
  const labels = d.labels ? new Int32Array(n) : undefined;
  const nf = d.factorNames?.length ?? 0;
  const factors = d.factors ? new Float32Array(n * nf) : undefined;
  for (let i = 0; i < n; i++) {
    const src = indices[i];
    x.set(d.x.subarray(src * dim, (src + 1) * dim), i * dim);
    if (labels && d.labels) labels[i] = d.labels[src];
    if (factors && d.factors) factors.set(d.factors.subarray(src * nf, (src + 1) * nf), i * nf);
  }
  return { x, n, shape: d.shape.slice(), labels, classNames: d.classNames, factors, factorNames: d.factorNames };
}

/** Examples [start, end) of a data set as a new data set that shares its storage (no copy). */
export function rowView(d: Dataset, start: number, end: number): Dataset {
  const dim = exampleSize(d.shape);
  const nf = d.factorNames?.length ?? 0;
  return {
    ...d,
    x: d.x.subarray(start * dim, end * dim),
    n: end - start,
    labels: d.labels?.subarray(start, end),
    factors: d.factors?.subarray(start * nf, end * nf),
  };
}

/**
 * Reorder the examples of a data set in place so that example i becomes the old example order[i] (for the first
 * order.length examples; order is a permutation of 0..order.length-1). The same result as subset(d, order) without a
 * second copy of the data: each cycle of the permutation is followed with one example's worth of scratch space.
 * Only for data sets the caller owns (their storage is changed).
 */
export function permuteRowsInPlace(d: Dataset, order: ArrayLike<number>): void {
  const dim = exampleSize(d.shape);
  const nf = d.factorNames?.length ?? 0;
  const stores: { a: ExampleValues | Int32Array | Float32Array; w: number }[] = [{ a: d.x, w: dim }];
  if (d.labels) stores.push({ a: d.labels, w: 1 });
  if (d.factors) stores.push({ a: d.factors, w: nf });
  const done = new Uint8Array(order.length);
  for (const { a, w } of stores) {
    done.fill(0);
    const tmp = a.slice(0, w);
    for (let i = 0; i < order.length; i++) {
      if (done[i] || order[i] === i) continue;
      tmp.set(a.subarray(i * w, (i + 1) * w));
      let j = i;
      for (;;) {
        done[j] = 1;
        const k = order[j];
        if (k === i) {
          a.set(tmp, j * w);
          break;
        }
        a.copyWithin(j * w, k * w, (k + 1) * w);
        j = k;
      }
    }
  }
}

export function range(start: number, end: number): Int32Array {
  const out = new Int32Array(Math.max(0, end - start));
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}

export function numClasses(d: Dataset): number {
  if (d.classNames) return d.classNames.length;
  if (!d.labels || d.labels.length === 0) return 0;
  let max = 0;
  for (const l of d.labels) if (l > max) max = l;
  return max + 1;
}

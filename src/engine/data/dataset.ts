// In-memory data sets: one flat Float32Array per split, examples stored row after row.

export interface Dataset {
  /** n * dim values, example after example (images are height x width x channels, channels last). */
  x: Float32Array;
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

/** Copy the examples at the given indices into a new data set. */
export function subset(d: Dataset, indices: ArrayLike<number>): Dataset {
  const dim = exampleSize(d.shape);
  const n = indices.length;
  const x = new Float32Array(n * dim);
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

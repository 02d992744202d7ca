// Sample quality of `vae-lab eval`: samples of the model and test images compared in the 128 features of a classifier
// trained on the data set (featureClassifier.ts).
//
// - Fréchet distance (Dowson and Landau 1982; Heusel et al. 2017 use it in Inception features as the FID) between
//   Gaussians fitted to the two feature sets: |m1 - m2|^2 + Tr S1 + Tr S2 - 2 Tr sqrt(S1^½ S2 S1^½), the square root
//   by the Jacobi eigendecomposition (linalg.ts). In this small classifier's features it is "FD (<data> classifier)",
//   never an FID: the numbers are comparable between runs on one data set with one classifier only.
// - Precision and recall (Kynkäänniemi et al. 2019): each feature vector of a set stands for a ball reaching its k-th
//   nearest neighbour in that set (k = 3); precision is the share of samples inside some test image's ball (samples
//   look like data), recall the share of test images inside some sample's ball (the data are covered).
import { Matrix, traceSqrtProduct } from './linalg';

export const SAMPLE_QUALITY_VERSION = 1;
/** Samples decoded (and test images used, at most) for the sample quality. */
export const SAMPLE_QUALITY_EXAMPLES = 1000;
/** The k of the k-NN radii of precision and recall (Kynkäänniemi et al. 2019 use 3). */
export const PR_K = 3;

export interface Gaussian {
  mean: number[];
  cov: Matrix;
}

/** Mean and covariance (divided by n - 1) of feature rows. */
export function fitGaussian(rows: number[][]): Gaussian {
  const n = rows.length;
  const d = rows[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / n;
  const cov: Matrix = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const c = new Float64Array(d);
  for (const r of rows) {
    for (let j = 0; j < d; j++) c[j] = r[j] - mean[j];
    for (let i = 0; i < d; i++) {
      const ci = c[i];
      if (ci === 0) continue;
      const row = cov[i];
      for (let j = i; j < d; j++) row[j] += ci * c[j];
    }
  }
  const denom = Math.max(1, n - 1);
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) cov[j][i] = cov[i][j] /= denom;
  return { mean, cov };
}

/** The Fréchet (2-Wasserstein squared) distance between two Gaussians. */
export function frechetDistance(a: Gaussian, b: Gaussian): number {
  let dm = 0;
  for (let j = 0; j < a.mean.length; j++) dm += (a.mean[j] - b.mean[j]) ** 2;
  let tr = 0;
  for (let j = 0; j < a.mean.length; j++) tr += a.cov[j][j] + b.cov[j][j];
  return Math.max(0, dm + tr - 2 * traceSqrtProduct(a.cov, b.cov));
}

/** Squared Euclidean distances between the rows of a [n][d] and b [m][d], as one n x m array. */
function squaredDistances(a: number[][], b: number[][]): Float64Array {
  const out = new Float64Array(a.length * b.length);
  const d = a[0]?.length ?? 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    for (let j = 0; j < b.length; j++) {
      const y = b[j];
      let s = 0;
      for (let t = 0; t < d; t++) {
        const e = x[t] - y[t];
        s += e * e;
      }
      out[i * b.length + j] = s;
    }
  }
  return out;
}

/** The squared distance of each row to its k-th nearest other row. */
function kthNeighbourRadii(rows: number[][], k: number): Float64Array {
  const n = rows.length;
  const d2 = squaredDistances(rows, rows);
  const radii = new Float64Array(n);
  const best = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    best.fill(Infinity);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const v = d2[i * n + j];
      if (v >= best[k - 1]) continue;
      let p = k - 1;
      while (p > 0 && best[p - 1] > v) {
        best[p] = best[p - 1];
        p--;
      }
      best[p] = v;
    }
    radii[i] = best[k - 1];
  }
  return radii;
}

/** The share of `queries` inside at least one ball of `manifold` (k-NN radii). */
function coverage(manifold: number[][], radii: Float64Array, queries: number[][]): number {
  const d2 = squaredDistances(queries, manifold);
  const m = manifold.length;
  let inside = 0;
  for (let q = 0; q < queries.length; q++) {
    for (let i = 0; i < m; i++) {
      if (d2[q * m + i] <= radii[i]) {
        inside++;
        break;
      }
    }
  }
  return inside / Math.max(1, queries.length);
}

/** Improved precision and recall (Kynkäänniemi et al. 2019) of `fake` against `real` features, k-NN radii with k. */
export function precisionRecall(real: number[][], fake: number[][], k = PR_K): { precision: number; recall: number } {
  if (real.length <= k || fake.length <= k) throw new RangeError(`precision and recall need more than k = ${k} examples on each side (got ${real.length} and ${fake.length})`);
  return { precision: coverage(real, kthNeighbourRadii(real, k), fake), recall: coverage(fake, kthNeighbourRadii(fake, k), real) };
}

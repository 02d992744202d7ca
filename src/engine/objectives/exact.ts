// Exact log p(x) for models with a 1- or 2-dimensional latent space, by quadrature on a grid (the theory lab).
//
//   p(x)      = integral p(x|z) p(z) dz                ~ sum_c p(x|z_c) p(z_c) * cell      (midpoint rule)
//   p(z|x)    = p(x|z) p(z) / p(x)                     (the true posterior, on the grid)
//   ELBO(x)   = E_q[log p(x|z)] - KL(q(z|x) || p(z))   (the expectation on the grid, the KL in closed form)
//   log p(x)  = ELBO(x) + KL(q(z|x) || p(z|x))         (so the gap is a KL, also computed on the grid)
//
// For densities as smooth as these, the midpoint rule converges faster than any power of the cell size once the cells
// are narrower than the densities and the box holds all their mass (the error falls like exp(-2 pi^2 s^2 / h^2) for
// a Gaussian of width s and cells of width h). So the grid adapts to each example: a few coarse passes find where
// p(z|x) lives (its mean and spread on the grid), then the final box covers both the posterior (+-8 of its standard
// deviations) and q(z|x) (+-6 of its), with cells at most half the narrower of the two in each dimension (for a
// Gaussian that is a relative error of about exp(-8 pi^2), far below float32's own).
// Sums are done in float64 with log-sum-exp.
import * as tf from '@tensorflow/tfjs';

const LOG_2PI = Math.log(2 * Math.PI);

/** How the grid is chosen, in words (written to eval.json). */
export const EXACT_GRID_RULE =
  'per example: coarse passes of 32 cells per dimension, from q(z|x) +-10 sigma and the prior +-4 zooming onto p(z|x) until its spread settles; then a box covering p(z|x) +-8 and q(z|x) +-6 standard deviations, cells at most half the narrower of the two (48 to 400 per dimension); midpoint rule, sums in float64';

/** What the quadrature needs of a model for one example. */
export interface ExactProblem {
  /** q(z|x): mean and log-variance, one value per latent dimension (1 or 2). */
  mean: ArrayLike<number>;
  logVar: ArrayLike<number>;
  /** log p(x|z) of this example for M codes [M, D] (returns [M]). Called inside tidy. */
  logLikelihood: (z: tf.Tensor2D) => tf.Tensor1D;
}

export interface ExactGrid {
  /** Cells per dimension. */
  cells: number[];
  /** Lower and upper corners of the box. */
  lo: number[];
  hi: number[];
  /** Coarse passes that located the posterior before the final one. */
  passes: number;
  /** Share of the posterior's mass in the outermost ring of cells (small: the box holds the mass). */
  edgeMass: number;
}

export interface ExactExample {
  /** log p(x) by quadrature, nats. */
  logPx: number;
  /** ELBO with E_q[log p(x|z)] on the grid and the closed-form KL(q || p(z)). */
  elbo: number;
  /** E_q[log p(x|z)]. */
  recon: number;
  /** KL(q(z|x) || p(z)) in closed form. */
  kl: number;
  /** log p(x) - ELBO. */
  gap: number;
  /** KL(q(z|x) || p(z|x)) summed on the grid: equals the gap up to quadrature error. */
  klPosterior: number;
  /** Mean and standard deviation of the true posterior p(z|x), from the grid. */
  posteriorMean: number[];
  posteriorStd: number[];
  grid: ExactGrid;
}

/** The grid's cell centres (row-major, last dimension fastest) as [M, D] float32. */
function cellCentres(lo: number[], hi: number[], cells: number[]): Float32Array {
  const d = cells.length;
  const m = cells.reduce((a, b) => a * b, 1);
  const out = new Float32Array(m * d);
  const h = cells.map((n, i) => (hi[i] - lo[i]) / n);
  for (let c = 0; c < m; c++) {
    let rest = c;
    for (let i = d - 1; i >= 0; i--) {
      const k = rest % cells[i];
      rest = Math.floor(rest / cells[i]);
      out[c * d + i] = lo[i] + (k + 0.5) * h[i];
    }
  }
  return out;
}

/** log p(x|z_c) for every cell, decoded in chunks so that memory stays bounded. */
async function gridLogLikelihood(p: ExactProblem, z: Float32Array, d: number, chunk = 4096): Promise<Float64Array> {
  const m = z.length / d;
  const out = new Float64Array(m);
  for (let s = 0; s < m; s += chunk) {
    const e = Math.min(m, s + chunk);
    const t = tf.tidy(() => p.logLikelihood(tf.tensor2d(z.subarray(s * d, e * d), [e - s, d])));
    out.set(await t.data(), s);
    t.dispose();
  }
  return out;
}

function logSumExp(v: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) if (v[i] > max) max = v[i];
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.exp(v[i] - max);
  return max + Math.log(s);
}

interface Pass {
  logPx: number;
  /** log p(x, z_c) per cell. */
  logJoint: Float64Array;
  logLik: Float64Array;
  z: Float32Array;
  mean: number[];
  std: number[];
  edgeMass: number;
  cellLogVolume: number;
}

async function pass(p: ExactProblem, lo: number[], hi: number[], cells: number[]): Promise<Pass> {
  const d = cells.length;
  const z = cellCentres(lo, hi, cells);
  const logLik = await gridLogLikelihood(p, z, d);
  const m = logLik.length;
  const logJoint = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    let sq = 0;
    for (let i = 0; i < d; i++) sq += z[c * d + i] ** 2;
    logJoint[c] = logLik[c] - 0.5 * (sq + d * LOG_2PI);
  }
  const cellLogVolume = cells.reduce((a, n, i) => a + Math.log((hi[i] - lo[i]) / n), 0);
  const lse = logSumExp(logJoint);
  // Posterior moments and the mass in the outermost ring of cells.
  const mean = new Array(d).fill(0);
  const second = new Array(d).fill(0);
  let edge = 0;
  for (let c = 0; c < m; c++) {
    const w = Math.exp(logJoint[c] - lse);
    let rest = c;
    let onEdge = false;
    for (let i = d - 1; i >= 0; i--) {
      const k = rest % cells[i];
      rest = Math.floor(rest / cells[i]);
      if (k === 0 || k === cells[i] - 1) onEdge = true;
      const v = z[c * d + i];
      mean[i] += w * v;
      second[i] += w * v * v;
    }
    if (onEdge) edge += w;
  }
  const std = mean.map((mu, i) => Math.sqrt(Math.max(second[i] - mu * mu, 0)));
  return { logPx: lse + cellLogVolume, logJoint, logLik, z, mean, std, edgeMass: edge, cellLogVolume };
}

/** Box covering [centre - k * width, centre + k * width] for both the posterior and q. */
function unionBox(post: { mean: number[]; std: number[] }, qMean: number[], qStd: number[], kPost: number, kQ: number): { lo: number[]; hi: number[] } {
  const lo = qMean.map((m, i) => Math.min(post.mean[i] - kPost * post.std[i], m - kQ * qStd[i]));
  const hi = qMean.map((m, i) => Math.max(post.mean[i] + kPost * post.std[i], m + kQ * qStd[i]));
  return { lo, hi };
}

export interface ExactSettings {
  /** Cells per dimension of each coarse pass (default 32). */
  coarseCells?: number;
  /** Most cells per dimension of the final pass (default 400 in 1-D and 2-D). */
  maxCells?: number;
  /** Fewest cells per dimension of the final pass (default 48). */
  minCells?: number;
  /** Cells per standard deviation of the narrower of p(z|x) and q(z|x) in the final pass (default 2). */
  cellsPerStd?: number;
}

/** log p(x), the ELBO, the gap and KL(q || p(z|x)) for one example, on a grid that adapts to it. */
export async function exactExample(p: ExactProblem, settings: ExactSettings = {}): Promise<ExactExample> {
  const d = p.mean.length;
  if (d < 1 || d > 2) throw new Error(`exact log p(x) needs a latent space of 1 or 2 dimensions, this one has ${d}`);
  const coarse = settings.coarseCells ?? 32;
  const maxCells = settings.maxCells ?? 400;
  const minCells = settings.minCells ?? 48;
  const cellsPerStd = settings.cellsPerStd ?? 2;
  const qMean = Array.from(p.mean);
  const qLogVar = Array.from(p.logVar);
  const qStd = qLogVar.map((v) => Math.exp(0.5 * v));
  // Coarse passes: start from q's +-10 sigma and the prior's +-4, then zoom onto the posterior until it settles.
  let lo = qMean.map((m, i) => Math.min(m - 10 * qStd[i], -4));
  let hi = qMean.map((m, i) => Math.max(m + 10 * qStd[i], 4));
  let cur = await pass(p, lo, hi, new Array(d).fill(coarse));
  let passes = 1;
  for (; passes < 6; passes++) {
    // A spread under one coarse cell is not resolved: take a cell's width as the upper bound.
    const std = cur.std.map((s, i) => Math.max(s, (hi[i] - lo[i]) / coarse / 2));
    const box = unionBox({ mean: cur.mean, std }, qMean, qStd, 10, 6);
    const next = await pass(p, box.lo, box.hi, new Array(d).fill(coarse));
    const settled = next.std.every((s, i) => Math.abs(s - cur.std[i]) <= 0.1 * s) && next.edgeMass < 1e-6;
    lo = box.lo;
    hi = box.hi;
    cur = next;
    if (settled) break;
  }
  // The final pass: cells at most half the narrower of the posterior and q, within [minCells, maxCells].
  const postStd = cur.std.map((s, i) => Math.max(s, (hi[i] - lo[i]) / coarse / 2));
  const box = unionBox({ mean: cur.mean, std: postStd }, qMean, qStd, 8, 6);
  const cells = qMean.map((_, i) => {
    const h = Math.min(postStd[i], qStd[i]) / cellsPerStd;
    return Math.max(minCells, Math.min(maxCells, Math.ceil((box.hi[i] - box.lo[i]) / h)));
  });
  const fin = await pass(p, box.lo, box.hi, cells);
  // E_q[log p(x|z)] and KL(q || p(z|x)) on the grid, with q's cell weights normalised (they sum to 1 up to the
  // quadrature error; normalising keeps both terms consistent with the grid's own measure of q).
  const m = fin.logLik.length;
  const logQ = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += (fin.z[c * d + i] - qMean[i]) ** 2 / Math.exp(qLogVar[i]) + qLogVar[i] + LOG_2PI;
    logQ[c] = -0.5 * s;
  }
  const qNorm = logSumExp(logQ.map((v) => v + fin.cellLogVolume));
  let recon = 0;
  let klPosterior = 0;
  for (let c = 0; c < m; c++) {
    const w = Math.exp(logQ[c] + fin.cellLogVolume - qNorm);
    if (w === 0) continue;
    recon += w * fin.logLik[c];
    klPosterior += w * (logQ[c] - qNorm - (fin.logJoint[c] - fin.logPx));
  }
  const kl = qMean.reduce((a, mu, i) => a + 0.5 * (Math.exp(qLogVar[i]) + mu * mu - 1 - qLogVar[i]), 0);
  const elbo = recon - kl;
  return {
    logPx: fin.logPx,
    elbo,
    recon,
    kl,
    gap: fin.logPx - elbo,
    klPosterior,
    posteriorMean: fin.mean,
    posteriorStd: fin.std,
    grid: { cells, lo: box.lo, hi: box.hi, passes, edgeMass: fin.edgeMass },
  };
}

/**
 * The true posterior on a given grid (the theory lab's map): log p(z_c|x) = log p(x, z_c) - log p(x)_grid per cell,
 * normalised on this grid so that sum_c exp(v_c) * cell volume = 1. Also the grid's own log p(x).
 */
export async function posteriorOnGrid(p: ExactProblem, lo: number[], hi: number[], cells: number[]): Promise<{ logDensity: Float64Array; logPx: number }> {
  const g = await pass(p, lo, hi, cells);
  return { logDensity: g.logJoint.map((v) => v - g.logPx), logPx: g.logPx };
}

/** log N(x; b, W W^T + s^2 I) for the linear-Gaussian model x = W z + b + s eps, z ~ N(0, I): the exact answer. */
export function linearGaussianLogPx(x: ArrayLike<number>, w: number[][], b: ArrayLike<number>, sigma: number): number {
  // Covariance C = W W^T + s^2 I (n x n), by Cholesky; n is small in the tests that use it.
  const n = x.length;
  const c = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => w[i].reduce((a, v, k) => a + v * w[j][k], 0) + (i === j ? sigma * sigma : 0)));
  const l = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = c[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      l[i][j] = i === j ? Math.sqrt(s) : s / l[j][j];
    }
  }
  // Solve L y = x - b; log N = -0.5 (|y|^2 + log det C + n log 2 pi).
  const y = new Array(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = x[i] - b[i];
    for (let k = 0; k < i; k++) s -= l[i][k] * y[k];
    y[i] = s / l[i][i];
  }
  const logDet = 2 * l.reduce((a, row, i) => a + Math.log(row[i]), 0);
  return -0.5 * (y.reduce((a, v) => a + v * v, 0) + logDet + n * LOG_2PI);
}

// Lesson "holes" (Holes in the code space): where the codes of the training data live, against the prior p(z) that
// generation samples from (latentDim 1 or 2).
//
//   VAE family: the aggregate posterior   q(z) = (1/N) sum_i N(z; mu_i, diag sigma_i^2)        (Hoffman and Johnson 2016)
//   deterministic codes z_i = f(x_i):     q_h(z) = (1/N) sum_i N(z; z_i, h^2 I)                (Gaussian kernel density)
//   prior                                 p(z) = N(0, I)
//
// A grid cell c is a hole where q(z_c) < threshold * p(z_c) (default threshold 0.01: the codes' density is below 1% of
// the prior's there). The prior mass in holes, sum over hole cells of p(z_c) * cell volume, is the chance that a draw
// from the prior lands where (almost) no training code was: what the decoder was never trained to decode. A VAE's KL
// term pulls q(z) towards p(z), so its holes are small; an autoencoder has no such term.
// Densities are summed with log-sum-exp over the codes (float32 on the backend, chunks of cells).
import * as tf from '@tensorflow/tfjs';
import type { HolesResult, HolesSettings, TheoryGrid } from '../../core/theory';
import type { Dataset } from '../data';
import type { AutoencoderModel } from '../models';
import { Vae } from '../models/vae';
import { batchOf, gridCentres, header } from './common';

export const HOLES_THRESHOLD = 0.01;
export const HOLES_BANDWIDTH = 0.1;
export const HOLES_DEFINITIONS =
  'hole: a grid cell where the code density is below threshold x the prior density N(0, I) there; prior mass in holes: sum of prior density x cell volume over hole cells; ' +
  'VAE family: code density = aggregate posterior mean_i N(z; mu_i, diag sigma_i^2); deterministic codes: Gaussian kernel density with standard deviation = bandwidth (latent units)';

const LOG_2PI = Math.log(2 * Math.PI);

/** The default grid: [-4, 4] per dimension, 100 x 100 cells in 2-D, 400 in 1-D. */
export function holesGrid(latentDim: number): TheoryGrid {
  return { lo: new Array(latentDim).fill(-4), hi: new Array(latentDim).fill(4), cells: new Array(latentDim).fill(latentDim === 1 ? 400 : 100) };
}

/** log of (1/N) sum_i N(z_c; m_i, diag v_i) for every cell centre z_c: [M]. `variances` is [N, D] or one number. */
export async function logMixtureDensity(centres: number[][], means: number[][], variances: number[][] | number): Promise<Float64Array> {
  const n = means.length;
  const d = means[0].length;
  const mu = tf.tensor2d(means, [n, d]);
  const logVar = typeof variances === 'number' ? tf.fill([n, d], Math.log(variances)) : tf.log(tf.tensor2d(variances, [n, d]));
  const out = new Float64Array(centres.length);
  const chunk = Math.max(1, Math.floor(4_000_000 / (n * d)));
  try {
    for (let s = 0; s < centres.length; s += chunk) {
      const e = Math.min(centres.length, s + chunk);
      const t = tf.tidy(() => {
        const z = tf.tensor2d(centres.slice(s, e), [e - s, d]).expandDims(1); // [m, 1, D]
        const logN = tf.neg(z.sub(mu.expandDims(0)).square().div(logVar.exp().expandDims(0)).add(logVar.expandDims(0)).add(LOG_2PI).mul(0.5).sum(2)); // [m, N]
        return tf.logSumExp(logN, 1).sub(Math.log(n));
      });
      out.set(await t.data(), s);
      t.dispose();
    }
  } finally {
    tf.dispose([mu, logVar]);
  }
  return out;
}

/** Prior mass (on the grid) of the cells where logCode < log(threshold) + logPrior. */
export function priorMassInHoles(logCode: ArrayLike<number>, logPrior: ArrayLike<number>, cellVolume: number, threshold: number): number {
  let mass = 0;
  for (let c = 0; c < logPrior.length; c++) if (logCode[c] < Math.log(threshold) + logPrior[c]) mass += Math.exp(logPrior[c]) * cellVolume;
  return mass;
}

/** Posterior means and variances (VAE family) or codes (others) of the first n examples of a split. */
async function codesAndVariances(model: AutoencoderModel, d: Dataset, n: number): Promise<{ z: number[][]; v?: number[][] }> {
  const z: number[][] = [];
  const v: number[][] = [];
  for (let start = 0; start < n; start += 500) {
    const end = Math.min(n, start + 500);
    const { x, labels } = batchOf(model, d, start, end);
    if (model instanceof Vae) {
      const p = tf.tidy(() => model.posterior(x, labels));
      z.push(...((await p.mean.array()) as number[][]));
      v.push(...((await tf.tidy(() => p.logVar.exp()).array()) as number[][]));
      tf.dispose([p.mean, p.logVar]);
    } else {
      const c = tf.tidy(() => model.encodeMean(x, labels));
      z.push(...((await c.array()) as number[][]));
      c.dispose();
    }
    tf.dispose([x, labels]);
  }
  return model instanceof Vae ? { z, v } : { z };
}

export async function holesLesson(
  model: AutoencoderModel,
  train: Dataset,
  run: { runId: string; experiment: string },
  o: { examples?: number; threshold?: number; bandwidth?: number; grid?: TheoryGrid } = {},
): Promise<HolesResult> {
  const t0 = Date.now();
  const examples = Math.min(train.n, o.examples ?? 10000);
  const grid = o.grid ?? holesGrid(model.latentDim);
  const variational = model instanceof Vae;
  const settings: HolesSettings = {
    examples,
    grid,
    threshold: o.threshold ?? HOLES_THRESHOLD,
    density: variational ? 'aggregate-posterior' : 'kde',
    bandwidth: o.bandwidth ?? HOLES_BANDWIDTH,
    definitions: HOLES_DEFINITIONS,
  };
  const { z, v } = await codesAndVariances(model, train, examples);
  const centres = gridCentres(grid.lo, grid.hi, grid.cells);
  const cellVolume = grid.cells.reduce((a, n, i) => a * ((grid.hi[i] - grid.lo[i]) / n), 1);
  const logPrior = centres.map((c) => -0.5 * c.reduce((a, x) => a + x * x + LOG_2PI, 0));
  const h2 = settings.bandwidth ** 2;
  const logCode = await logMixtureDensity(centres, z, v ?? h2);
  const meansKde = v ? priorMassInHoles(await logMixtureDensity(centres, z, h2), logPrior, cellVolume, settings.threshold) : undefined;
  const lo = z[0].map((_, j) => Math.min(...z.map((r) => r[j])));
  const hi = z[0].map((_, j) => Math.max(...z.map((r) => r[j])));
  const outside = z.filter((r) => r.some((x, j) => x < grid.lo[j] || x > grid.hi[j])).length / z.length;
  return {
    ...header('holes', run, t0, settings),
    kind: model.kind,
    latentDim: model.latentDim,
    logCodeDensity: Array.from(logCode, (x) => (Number.isFinite(x) ? x : -1e30)),
    logPrior,
    priorMassInHoles: priorMassInHoles(logCode, logPrior, cellVolume, settings.threshold),
    codeMassOnGrid: logCode.reduce((a, x) => a + Math.exp(x) * cellVolume, 0),
    meansKdePriorMassInHoles: meansKde,
    codeRange: { lo, hi, outsideGrid: outside },
  };
}

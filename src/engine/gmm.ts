// A Gaussian mixture fitted to codes by expectation-maximisation: the post-hoc ("ex-post") sampler of Ghosh et al.
// 2020 (RAE), usable for any kind. Sampling its mixture instead of N(0, I) draws codes where the training codes
// actually lie, which matters most for models without a prior (autoencoders) or whose aggregate posterior misses it.
//
//   p(z) = sum_k pi_k N(z; mu_k, Sigma_k)
//   E step: r_ik = pi_k N(z_i; mu_k, Sigma_k) / sum_j pi_j N(z_i; mu_j, Sigma_j)          (in log space)
//   M step: pi_k = mean_i r_ik, mu_k = sum_i r_ik z_i / sum_i r_ik,
//           Sigma_k = sum_i r_ik (z_i - mu_k)(z_i - mu_k)^T / sum_i r_ik + reg I
//
// Full covariances (Cholesky factors) up to FULL_MAX dimensions, diagonal above (an EM iteration on 10,000 codes of
// 32 dimensions with full covariances takes about a second here). Initialised by k-means++ seeding from a seeded
// generator; iterated until the mean log-likelihood improves by less than `tol` nats (at most `maxIterations`).
import { cholesky } from './linalg';
import { Rng } from './rng';

export const FULL_MAX = 16;
const LOG_2PI = Math.log(2 * Math.PI);

export interface GmmComponent {
  weight: number;
  mean: number[];
  /** Lower-triangular Cholesky factor of the covariance (full), or the variances on its diagonal (diag). */
  chol: number[][];
}

export interface Gmm {
  covariance: 'full' | 'diag';
  components: GmmComponent[];
  /** Mean log-likelihood per code on the fitting data, nats. */
  trainLogLik: number;
  iterations: number;
  regularization: number;
}

export interface GmmOptions {
  seed?: number;
  maxIterations?: number;
  tol?: number;
  /** Added to every covariance's diagonal (variance units). */
  regularization?: number;
  covariance?: 'full' | 'diag';
}

/** log N(z; mean, L L^T) (L diagonal when `diag`). */
function logDensity(z: ArrayLike<number>, c: GmmComponent, diag = false): number {
  const d = c.mean.length;
  if (diag) {
    let s = 0;
    for (let i = 0; i < d; i++) s += ((z[i] - c.mean[i]) / c.chol[i][i]) ** 2 + 2 * Math.log(c.chol[i][i]);
    return -0.5 * (s + d * LOG_2PI);
  }
  let quad = 0;
  let logDet = 0;
  const y = new Array<number>(d);
  for (let i = 0; i < d; i++) {
    let s = z[i] - c.mean[i];
    for (let k = 0; k < i; k++) s -= c.chol[i][k] * y[k];
    y[i] = s / c.chol[i][i];
    quad += y[i] * y[i];
    logDet += 2 * Math.log(c.chol[i][i]);
  }
  return -0.5 * (quad + logDet + d * LOG_2PI);
}

function logSumExp(v: number[]): number {
  const m = Math.max(...v);
  if (!Number.isFinite(m)) return m;
  let s = 0;
  for (const x of v) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** log p(z) under the mixture, for each code. */
export function gmmLogLikelihood(g: Gmm, codes: ArrayLike<number>[]): number[] {
  return codes.map((z) => logSumExp(g.components.map((c) => Math.log(c.weight) + logDensity(z, c, g.covariance === 'diag'))));
}

/** Draws from the mixture. */
export function sampleGmm(g: Gmm, n: number, rng: Rng): number[][] {
  const out: number[][] = [];
  for (let t = 0; t < n; t++) {
    let u = rng.next();
    let c = g.components[g.components.length - 1];
    for (const comp of g.components) {
      if (u < comp.weight) {
        c = comp;
        break;
      }
      u -= comp.weight;
    }
    const d = c.mean.length;
    const e = Array.from({ length: d }, () => rng.normal());
    out.push(c.mean.map((m, i) => m + c.chol[i].slice(0, i + 1).reduce((s, l, k) => s + l * e[k], 0)));
  }
  return out;
}

/** Fit a K-component mixture to codes [N][D]. */
export function fitGmm(codes: number[][], k: number, opts: GmmOptions = {}): Gmm {
  const n = codes.length;
  const d = codes[0]?.length ?? 0;
  if (n < k) throw new RangeError(`fitGmm: ${n} codes cannot fit ${k} components`);
  const covariance = opts.covariance ?? (d <= FULL_MAX ? 'full' : 'diag');
  const reg = opts.regularization ?? 1e-6;
  const rng = new Rng(opts.seed ?? 1);
  // k-means++ seeding of the means.
  const means: number[][] = [codes[Math.floor(rng.next() * n)].slice()];
  const d2 = new Float64Array(n).fill(Infinity);
  while (means.length < k) {
    const last = means[means.length - 1];
    let total = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (codes[i][j] - last[j]) ** 2;
      d2[i] = Math.min(d2[i], s);
      total += d2[i];
    }
    let u = rng.next() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      u -= d2[i];
      if (u <= 0) {
        pick = i;
        break;
      }
    }
    means.push(codes[pick].slice());
  }
  // Start every component with the data's overall variance per dimension.
  const overall = new Array<number>(d).fill(0);
  const grand = new Array<number>(d).fill(0);
  for (const z of codes) z.forEach((v, j) => (grand[j] += v / n));
  for (const z of codes) z.forEach((v, j) => (overall[j] += (v - grand[j]) ** 2 / n));
  let comps: GmmComponent[] = means.map((m) => ({
    weight: 1 / k,
    mean: m,
    chol: Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? Math.sqrt(overall[i] + reg) : 0))),
  }));
  const resp = Array.from({ length: n }, () => new Float64Array(k));
  let prev = -Infinity;
  let ll = -Infinity;
  const maxIt = opts.maxIterations ?? 100;
  const tol = opts.tol ?? 1e-4;
  let it = 0;
  for (; it < maxIt; it++) {
    // E step
    ll = 0;
    for (let i = 0; i < n; i++) {
      const lp = comps.map((c) => Math.log(c.weight) + logDensity(codes[i], c, covariance === 'diag'));
      const lse = logSumExp(lp);
      ll += lse;
      for (let c = 0; c < k; c++) resp[i][c] = Math.exp(lp[c] - lse);
    }
    ll /= n;
    if (ll - prev < tol) break;
    prev = ll;
    // M step
    comps = comps.map((_, c) => {
      let nk = 0;
      const mu = new Array<number>(d).fill(0);
      for (let i = 0; i < n; i++) {
        nk += resp[i][c];
        for (let j = 0; j < d; j++) mu[j] += resp[i][c] * codes[i][j];
      }
      nk = Math.max(nk, 1e-12);
      for (let j = 0; j < d; j++) mu[j] /= nk;
      const cov = Array.from({ length: d }, () => new Array<number>(d).fill(0));
      for (let i = 0; i < n; i++) {
        const r = resp[i][c];
        if (r < 1e-12) continue;
        for (let a = 0; a < d; a++) {
          const da = codes[i][a] - mu[a];
          if (covariance === 'diag') cov[a][a] += r * da * da;
          else for (let b = 0; b <= a; b++) cov[a][b] += r * da * (codes[i][b] - mu[b]);
        }
      }
      for (let a = 0; a < d; a++) {
        for (let b = 0; b <= a; b++) cov[a][b] = cov[b][a] = cov[a][b] / nk;
        cov[a][a] += reg;
      }
      return { weight: nk / n, mean: mu, chol: cholesky(cov) };
    });
  }
  return { covariance, components: comps, trainLogLik: ll, iterations: it, regularization: reg };
}

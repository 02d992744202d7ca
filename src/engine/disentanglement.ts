// Disentanglement scores beside MIG (mig.ts), from codes z (E_q[z|x] or f(x)) and ground-truth factors v of the same
// examples. Plain arrays in float64; the versions and settings are recorded with the results.
//
// SAP, the Separated Attribute Predictability (Kumar et al. 2018): a score S_jk of how well code j alone predicts
// factor k, and per factor the gap between the best and the second-best code:
//
//   SAP = mean_k (S_(1)k - S_(2)k)
//
//   S_jk = eta^2 of z_j grouped by the values of v_k (the share of z_j's variance explained by the factor's classes)
//          when v_k has at most DISCRETE_MAX distinct values, else the squared correlation of z_j and v_k: both are
//          the R^2 of the best predictor of z_j from v_k of their kind, in [0, 1].
//
// DCI (Eastwood and Williams 2018): an importance R_jk of code j for predicting factor k, from a linear predictor of
// each standardised factor from the standardised codes (ridge regression, lambda = RIDGE; disentanglement_lib uses
// gradient-boosted trees), R_jk = |w_jk|. Then, with P_jk = R_jk / sum_k R_jk and Q_jk = R_jk / sum_j R_jk,
//
//   disentanglement = sum_j rho_j (1 - H_K(P_j.)),  rho_j = sum_k R_jk / sum_jk R_jk     (entropy in base K)
//   completeness    = mean_k (1 - H_J(Q_.k))                                              (entropy in base J)
//   informativeness = mean_k R^2 of the predictor of v_k on held-out examples (the second half; higher is better:
//                     the paper reports the error, 1 - R^2 for standardised factors)
//
// A code captured by one factor and a factor captured by one code score 1; codes that mix the factors (a rotation of
// a disentangled code) score near 0 on SAP, D and C, with the same informativeness.
import { solveSymmetric } from './linalg';

export const DISENTANGLEMENT_VERSION = 1;
/** Factors with at most this many distinct values are treated as classes (SAP's eta^2). */
export const DISCRETE_MAX = 20;
export const RIDGE = 1e-3;

export interface DisentanglementScores {
  sap: number;
  dci: { disentanglement: number; completeness: number; informativeness: number };
  /** Factors left out (constant over the examples). */
  constantFactors: number[];
}

const mean = (v: Float64Array | number[]) => {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
};

function column(rows: number[][], j: number): Float64Array {
  return Float64Array.from(rows, (r) => r[j]);
}

function standardize(v: Float64Array): Float64Array {
  const m = mean(v);
  let ss = 0;
  for (const x of v) ss += (x - m) ** 2;
  const sd = Math.sqrt(ss / v.length);
  return v.map((x) => (sd > 0 ? (x - m) / sd : 0));
}

/** The share of z's variance explained by the classes of v (eta^2). */
function etaSquared(z: Float64Array, v: Float64Array): number {
  const groups = new Map<number, { sum: number; n: number }>();
  v.forEach((c, i) => {
    const g = groups.get(c) ?? { sum: 0, n: 0 };
    g.sum += z[i];
    g.n++;
    groups.set(c, g);
  });
  const m = mean(z);
  let total = 0;
  for (const x of z) total += (x - m) ** 2;
  if (total === 0) return 0;
  let between = 0;
  for (const g of groups.values()) between += g.n * (g.sum / g.n - m) ** 2;
  return between / total;
}

function squaredCorrelation(a: Float64Array, b: Float64Array): number {
  const sa = standardize(a);
  const sb = standardize(b);
  let c = 0;
  for (let i = 0; i < sa.length; i++) c += sa[i] * sb[i];
  c /= sa.length;
  return c * c;
}

const distinct = (v: Float64Array) => new Set(v).size;

/** Entropy of a distribution in base `base` (0 log 0 = 0). */
function entropy(p: number[], base: number): number {
  let h = 0;
  for (const x of p) if (x > 0) h -= x * Math.log(x);
  return base > 1 ? h / Math.log(base) : 0;
}

/** Ridge regression of y on the columns of X (both standardised, no intercept): the weights. */
function ridge(x: Float64Array[], y: Float64Array): number[] {
  const d = x.length;
  const n = y.length;
  const a: number[][] = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const b = new Array<number>(d).fill(0);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += x[i][t] * x[j][t];
      a[i][j] = a[j][i] = s / n + (i === j ? RIDGE : 0);
    }
    let s = 0;
    for (let t = 0; t < n; t++) s += x[i][t] * y[t];
    b[i] = s / n;
  }
  return solveSymmetric(a, b);
}

/** SAP and DCI of codes [N][J] against factors [N][K]. */
export function disentanglementScores(codes: number[][], factors: number[][]): DisentanglementScores {
  const n = codes.length;
  const jDim = codes[0]?.length ?? 0;
  const kAll = factors[0]?.length ?? 0;
  const zs = Array.from({ length: jDim }, (_, j) => column(codes, j));
  const constantFactors: number[] = [];
  const vs: { k: number; v: Float64Array }[] = [];
  for (let k = 0; k < kAll; k++) {
    const v = column(factors, k);
    if (distinct(v) < 2) constantFactors.push(k);
    else vs.push({ k, v });
  }
  // SAP
  const gaps = vs.map(({ v }) => {
    const discrete = distinct(v) <= DISCRETE_MAX;
    const s = zs.map((z) => (discrete ? etaSquared(z, v) : squaredCorrelation(z, v))).sort((a, b) => b - a);
    return (s[0] ?? 0) - (s[1] ?? 0);
  });
  // DCI: fit on the first half, informativeness on the second.
  const half = Math.floor(n / 2);
  const fit = (a: Float64Array) => standardize(a.subarray(0, half));
  const xFit = zs.map(fit);
  const xTest = zs.map((z) => standardize(z.subarray(half)));
  const r: number[][] = Array.from({ length: jDim }, () => new Array<number>(vs.length).fill(0));
  const r2: number[] = [];
  vs.forEach(({ v }, kk) => {
    const w = ridge(xFit, fit(v));
    w.forEach((wj, j) => (r[j][kk] = Math.abs(wj)));
    const yTest = standardize(v.subarray(half));
    let sse = 0;
    for (let t = 0; t < yTest.length; t++) {
      let pred = 0;
      for (let j = 0; j < jDim; j++) pred += w[j] * xTest[j][t];
      sse += (yTest[t] - pred) ** 2;
    }
    r2.push(1 - sse / yTest.length);
  });
  const total = r.flat().reduce((a, b) => a + b, 0);
  let disentanglement = 0;
  for (let j = 0; j < jDim; j++) {
    const row = r[j].reduce((a, b) => a + b, 0);
    if (row === 0 || total === 0) continue;
    disentanglement += (row / total) * (1 - entropy(r[j].map((x) => x / row), vs.length));
  }
  const completeness =
    vs.length === 0
      ? 0
      : mean(
          vs.map((_, kk) => {
            const col = r.reduce((a, row) => a + row[kk], 0);
            return col === 0 ? 0 : 1 - entropy(r.map((row) => row[kk] / col), jDim);
          }),
        );
  return {
    sap: gaps.length ? mean(gaps) : 0,
    dci: { disentanglement, completeness, informativeness: r2.length ? mean(r2) : 0 },
    constantFactors,
  };
}

// Mutual Information Gap (MIG), a disentanglement score (Chen et al. 2018, "Isolating Sources of Disentanglement
// in Variational Autoencoders").
//
// For each ground-truth factor v_k, MIG looks at the mutual information I(z_d; v_k) between the factor and every
// code dimension z_d, and asks how much more the best dimension knows than the runner-up, relative to how much
// there is to know:
//
//     gap_k = (I(z_(1); v_k) - I(z_(2); v_k)) / H(v_k)        MIG = mean_k gap_k
//
// where z_(1), z_(2) are the dimensions with the largest and second largest MI with v_k. A factor captured by a
// single dimension scores ~1; a factor spread over several dimensions (or captured by none) scores ~0.
//
// Estimator: the common discretised ("plug-in") one, as in disentanglement_lib. Each code dimension is
// discretised into `bins` equal-width bins over its observed range; each factor is used as is when it has at most
// `bins` distinct values (the usual case: ground-truth factors are discrete), else it is binned the same way. MI
// and entropies are then those of the empirical joint histograms, in nats. Plug-in MI never exceeds the plug-in
// entropy of either variable, so every gap lies in [0, 1]; it is biased upwards by about
// (bins_z - 1)(bins_v - 1) / (2n) nats, so use a few thousand examples. Factors with zero entropy (constant over
// the sample) carry no information and are left out of the mean.

/**
 * Equal-width binning of `values` into `bins` bins over [min, max]: bin i holds [min + i·w, min + (i+1)·w), the
 * maximum goes into the last bin. A constant input (max = min) maps entirely to bin 0.
 */
export function discretize(values: number[], bins: number): number[] {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`discretize: bins must be a positive integer, got ${bins}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`discretize: non-finite value ${v}`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) return values.map(() => 0);
  const width = (hi - lo) / bins;
  return values.map((v) => Math.min(bins - 1, Math.floor((v - lo) / width)));
}

/** Relabel arbitrary labels as 0..m-1 (in order of first appearance). */
function denseLabels(labels: number[]): { ids: Int32Array; count: number } {
  const index = new Map<number, number>();
  const ids = new Int32Array(labels.length);
  labels.forEach((label, i) => {
    let id = index.get(label);
    if (id === undefined) index.set(label, (id = index.size));
    ids[i] = id;
  });
  return { ids, count: index.size };
}

/** -Σ p ln p over a histogram of counts summing to n. */
function entropyOfCounts(counts: ArrayLike<number>, n: number): number {
  let h = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) h -= (counts[i] / n) * Math.log(counts[i] / n);
  return h;
}

/** Entropy (nats) of the empirical distribution of discrete labels: H = -Σ_x p(x) ln p(x). 0 for no labels. */
export function entropy(labels: number[]): number {
  const { ids, count } = denseLabels(labels);
  const counts = new Float64Array(count);
  for (const id of ids) counts[id]++;
  return entropyOfCounts(counts, labels.length);
}

/**
 * Mutual information (nats) between two discrete label sequences of equal length, from their empirical joint
 * distribution: I(a; b) = Σ_{x,y} p(x, y) ln(p(x, y) / (p(x) p(y))) = H(a) + H(b) - H(a, b) >= 0.
 */
export function mutualInformation(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new RangeError(`mutualInformation: lengths differ (${a.length} and ${b.length})`);
  const n = a.length;
  if (n === 0) return 0;
  const A = denseLabels(a);
  const B = denseLabels(b);
  const joint = new Float64Array(A.count * B.count);
  const ca = new Float64Array(A.count);
  const cb = new Float64Array(B.count);
  for (let i = 0; i < n; i++) {
    joint[A.ids[i] * B.count + B.ids[i]]++;
    ca[A.ids[i]]++;
    cb[B.ids[i]]++;
  }
  // p(x,y) ln(p(x,y) / (p(x)p(y))) with p = count / n becomes (c_xy / n) ln(c_xy n / (c_x c_y)).
  let mi = 0;
  for (let x = 0; x < A.count; x++) {
    for (let y = 0; y < B.count; y++) {
      const c = joint[x * B.count + y];
      if (c > 0) mi += (c / n) * Math.log((c * n) / (ca[x] * cb[y]));
    }
  }
  return Math.max(0, mi); // rounding can leave a tiny negative value for independent variables
}

/** A factor's labels: its distinct values if there are at most `bins` of them, else equal-width bins. */
function discretizeFactor(values: number[], bins: number): number[] {
  return new Set(values).size <= bins ? values : discretize(values, bins);
}

export interface MigFactor {
  /** Index of the factor (column of `factors`). */
  factor: number;
  /** (MI_best - MI_second) / entropy, in [0, 1]. */
  gap: number;
  /** H(factor), nats. */
  entropy: number;
  /** The code dimensions with the largest and second largest MI with this factor (second = -1 if D = 1). */
  best: number;
  second: number;
}

export interface MigResult {
  /** Mean gap over the factors with non-zero entropy; NaN if there is none. */
  mig: number;
  /** One entry per factor with non-zero entropy (constant factors are left out). */
  perFactor: MigFactor[];
  /** mi[d][k] = I(code_d; factor_k) in nats (D x K, as in disentanglement_lib). */
  mi: number[][];
}

/**
 * MIG of `codes` (n x D, e.g. posterior means) with respect to ground-truth `factors` (n x K), with the
 * discretised estimator described at the top of this file (default 20 bins). With a single code dimension the
 * runner-up MI is taken as 0.
 */
export function mutualInformationGap(codes: number[][], factors: number[][], opts: { bins?: number } = {}): MigResult {
  const bins = opts.bins ?? 20;
  const n = codes.length;
  if (n === 0) throw new RangeError('mutualInformationGap: no examples');
  if (factors.length !== n) throw new RangeError(`mutualInformationGap: ${n} codes but ${factors.length} factor rows`);
  const D = codes[0].length;
  const K = factors[0].length;
  if (codes.some((row) => row.length !== D) || factors.some((row) => row.length !== K)) throw new RangeError('mutualInformationGap: ragged input');

  const column = (m: number[][], j: number) => m.map((row) => row[j]);
  const z = Array.from({ length: D }, (_, d) => discretize(column(codes, d), bins));
  const v = Array.from({ length: K }, (_, k) => discretizeFactor(column(factors, k), bins));
  const mi = z.map((zd) => v.map((vk) => mutualInformation(zd, vk)));

  const perFactor: MigFactor[] = [];
  for (let k = 0; k < K; k++) {
    const h = entropy(v[k]);
    if (!(h > 0)) continue;
    const order = Array.from({ length: D }, (_, d) => d).sort((a, b) => mi[b][k] - mi[a][k]);
    const best = order[0] ?? -1;
    const second = order[1] ?? -1;
    const miBest = best >= 0 ? mi[best][k] : 0;
    const miSecond = second >= 0 ? mi[second][k] : 0;
    perFactor.push({ factor: k, gap: (miBest - miSecond) / h, entropy: h, best, second });
  }
  const mig = perFactor.length > 0 ? perFactor.reduce((s, f) => s + f.gap, 0) / perFactor.length : NaN;
  return { mig, perFactor, mi };
}

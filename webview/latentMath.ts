// Small numerical helpers for the latent explorer (pure functions, unit-tested in Node).

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function inverseNormalCdf(p: number): number {
  if (p <= 0 || p >= 1) throw new RangeError(`inverseNormalCdf needs 0 < p < 1, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -inverseNormalCdf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Per-dimension mean and standard deviation of a set of codes. */
export function fitGaussian(codes: number[][]): { mean: number[]; std: number[] } {
  const n = codes.length;
  const dim = codes[0]?.length ?? 0;
  const mean = new Array(dim).fill(0);
  for (const c of codes) for (let d = 0; d < dim; d++) mean[d] += c[d] / n;
  const std = new Array(dim).fill(0);
  for (const c of codes) for (let d = 0; d < dim; d++) std[d] += (c[d] - mean[d]) ** 2 / n;
  return { mean, std: std.map(Math.sqrt) };
}

/**
 * Project codes on their two principal components (power iteration on the covariance, with deflation). The
 * projection is not centred, so that the origin stays the prior's mean; for two or fewer dimensions the codes are
 * returned as they are.
 */
export function pca2(codes: number[][]): { points: [number, number][]; axes: number[][] } {
  const dim = codes[0]?.length ?? 0;
  if (dim <= 2) return { points: codes.map((c) => [c[0] ?? 0, c[1] ?? 0]), axes: [] };
  const { mean } = fitGaussian(codes);
  const cov = Array.from({ length: dim }, () => new Array(dim).fill(0));
  for (const c of codes) {
    for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) cov[i][j] += ((c[i] - mean[i]) * (c[j] - mean[j])) / codes.length;
  }
  const axes: number[][] = [];
  for (let k = 0; k < 2; k++) {
    let v: number[] = Array.from({ length: dim }, (_, i) => (i === k ? 1 : 0.1));
    let lambda = 0;
    for (let it = 0; it < 300; it++) {
      const w = cov.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
      lambda = Math.hypot(...w);
      if (lambda === 0) break;
      const next = w.map((x) => x / lambda);
      const delta = Math.hypot(...next.map((x, i) => x - v[i]));
      v = next;
      if (delta < 1e-10) break;
    }
    axes.push(v);
    for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) cov[i][j] -= lambda * v[i] * v[j];
  }
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
  return { points: codes.map((c) => [dot(c, axes[0]), dot(c, axes[1])]), axes };
}

/** Spherical interpolation between two codes (falls back to linear when they are nearly parallel). */
export function slerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float32Array {
  const n = a.length;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < n; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const cos = dot / Math.sqrt(na * nb || 1);
  const omega = Math.acos(Math.min(1, Math.max(-1, cos)));
  const out = new Float32Array(n);
  if (omega < 1e-4) {
    for (let i = 0; i < n; i++) out[i] = (1 - t) * a[i] + t * b[i];
    return out;
  }
  const s = Math.sin(omega);
  const wa = Math.sin((1 - t) * omega) / s;
  const wb = Math.sin(t * omega) / s;
  for (let i = 0; i < n; i++) out[i] = wa * a[i] + wb * b[i];
  return out;
}

/** The q-quantile of an ascending array (nearest rank). */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * n draws from a Gaussian mixture given by weights, means and lower-triangular Cholesky factors (the post-hoc sampler
 * the engine fits, engine/gmm.ts): a component by its weight, then mean + L e with e ~ N(0, I). Codes row after row.
 */
export function sampleMixture(components: { weight: number; mean: number[]; chol: number[][] }[], n: number, uniform: () => number, normal: () => number): Float32Array {
  const d = components[0]?.mean.length ?? 0;
  const out = new Float32Array(n * d);
  for (let t = 0; t < n; t++) {
    let u = uniform();
    let c = components[components.length - 1];
    for (const comp of components) {
      if (u < comp.weight) {
        c = comp;
        break;
      }
      u -= comp.weight;
    }
    const e = Array.from({ length: d }, normal);
    for (let i = 0; i < d; i++) {
      let v = c.mean[i];
      for (let k = 0; k <= i; k++) v += (c.chol[i][k] ?? 0) * e[k];
      out[t * d + i] = v;
    }
  }
  return out;
}

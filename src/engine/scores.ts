// The two disentanglement scores that need samples with chosen factors (beside MIG, SAP and DCI, which only need the
// test set's codes and factors: mig.ts, disentanglement.ts). Both follow the protocol of disentanglement_lib
// (Locatello et al. 2019), with fewer points so that `vae-lab eval` stays within seconds; the settings are recorded.
//
// beta-VAE score (Higgins et al. 2017): a point is made by choosing a factor k uniformly, drawing two batches of
// `batchSize` factor vectors that agree in factor k (and are independent in the others), and taking the mean over the
// batch of |z(x1) - z(x2)| per code dimension. A linear classifier learns to tell k from that vector; the score is its
// accuracy on fresh points (disentanglement_lib reports it as eval_accuracy). Codes with one dimension per factor give
// a vector whose k-th entry is small, which any linear classifier reads. Here the classifier is a multinomial logistic
// regression on standardised features with an L2 penalty of 1 / (2 n) ||W||^2 on the mean loss (sklearn's default
// C = 1, which disentanglement_lib uses), fitted by full-batch gradient descent in plain JS (float64).
//
// FactorVAE score (Kim and Mnih 2018): each code dimension is divided by its standard deviation over
// `varianceExamples` random draws, and dimensions whose standard deviation is below `pruneThreshold` (collapsed to
// the prior) are left out. A point: choose k, draw a batch with factor k fixed to one value and the others free, and
// vote for the active dimension with the smallest normalised variance over the batch. The classifier is the
// majority vote (each dimension predicts the factor that voted for it most); the score is its accuracy on fresh
// points. Codes that mix the factors equally give every dimension the same variance, and the score falls to chance.
//
// The metrics take a generic ground truth: sampleFactors draws one factor vector, render turns factor vectors into
// observations, encode turns observations into codes. shapes (data/shapes.ts) is one; the tests use synthetic ones.
import { Rng } from './rng';

/** A data set whose observations can be generated from chosen factors. */
export interface GroundTruth<O> {
  /** Names of the K factors. */
  factorNames: string[];
  /** One independent draw of the K factors (for example their grid indices). */
  sampleFactors(rng: Rng): number[];
  /** Observations for rows of factors (rng: for sources that are themselves random, e.g. binarised images). */
  render(factors: number[][], rng: Rng): O;
  /** The codes [rows][J] of observations. */
  encode(observations: O): Promise<number[][]> | number[][];
}

export const BETA_VAE_SCORE_VERSION = 1;
export const FACTOR_VAE_SCORE_VERSION = 1;

export interface BetaVaeSettings {
  /** Pairs of examples averaged into one point (disentanglement_lib: 64). */
  batchSize: number;
  /** Points the classifier is fitted to (disentanglement_lib: 10,000). */
  trainPoints: number;
  /** Fresh points the score is the accuracy on (disentanglement_lib: 5,000). */
  evalPoints: number;
  /** Gradient-descent steps of the logistic regression. */
  iterations: number;
}

export interface FactorVaeSettings {
  /** Examples with one factor fixed behind one vote (disentanglement_lib: 64). */
  batchSize: number;
  trainPoints: number;
  evalPoints: number;
  /** Random draws behind each dimension's global standard deviation (disentanglement_lib: 10,000). */
  varianceExamples: number;
  /** Dimensions whose global standard deviation is below this are left out (disentanglement_lib: 0.05). */
  pruneThreshold: number;
}

/**
 * The settings `vae-lab eval` uses: 8,000 and 11,000 rendered images, a few seconds each for the small conv encoder of
 * examples/shapes-beta-vae on 32x32 shapes (wasm, two cores). With 150 fresh points the scores' standard error is
 * about 0.04.
 */
export const BETA_VAE_SETTINGS: BetaVaeSettings = { batchSize: 10, trainPoints: 250, evalPoints: 150, iterations: 1000 };
export const FACTOR_VAE_SETTINGS: FactorVaeSettings = { batchSize: 25, trainPoints: 250, evalPoints: 150, varianceExamples: 1000, pruneThreshold: 0.05 };

export const BETA_VAE_CLASSIFIER = 'multinomial logistic regression on standardised features, L2 penalty as sklearn C = 1, full-batch gradient descent';

export interface BetaVaeResult {
  trainAccuracy: number;
  evalAccuracy: number;
}

export interface FactorVaeResult {
  trainAccuracy: number;
  evalAccuracy: number;
  /** Code dimensions kept after pruning (indices). */
  activeDims: number[];
  /** The majority-vote classifier: the factor each active dimension predicts (index into factorNames). */
  classifier: number[];
}

/** Observations rendered and encoded in chunks of at most this many rows. */
const CHUNK = 512;

/** The codes of rows of factors, rendered and encoded a chunk at a time. */
async function codesOfFactors<O>(gt: GroundTruth<O>, rows: number[][], rng: Rng): Promise<number[][]> {
  const out: number[][] = [];
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    const codes = await gt.encode(gt.render(chunk, rng));
    if (codes.length !== chunk.length) throw new Error(`encode returned ${codes.length} codes for ${chunk.length} observations`);
    out.push(...codes);
  }
  return out;
}

/** beta-VAE points: for each, the fixed factor and the mean over the batch of |z1 - z2|. */
async function betaVaePoints<O>(gt: GroundTruth<O>, n: number, batchSize: number, rng: Rng): Promise<{ x: number[][]; y: number[] }> {
  const kAll = gt.factorNames.length;
  const y: number[] = [];
  const rows: number[][] = [];
  for (let p = 0; p < n; p++) {
    const k = rng.int(kAll);
    y.push(k);
    const first = Array.from({ length: batchSize }, () => gt.sampleFactors(rng));
    const second = first.map((f) => {
      const g = gt.sampleFactors(rng);
      g[k] = f[k];
      return g;
    });
    rows.push(...first, ...second);
  }
  const codes = await codesOfFactors(gt, rows, rng);
  const x = y.map((_, p) => {
    const base = p * 2 * batchSize;
    const j = codes[base].length;
    const v = new Array<number>(j).fill(0);
    for (let b = 0; b < batchSize; b++) {
      const z1 = codes[base + b];
      const z2 = codes[base + batchSize + b];
      for (let d = 0; d < j; d++) v[d] += Math.abs(z1[d] - z2[d]) / batchSize;
    }
    return v;
  });
  return { x, y };
}

export interface LogisticModel {
  predict(x: number[][]): number[];
}

/**
 * Multinomial logistic regression of labels y (0..classes-1) on features x, on features standardised with the
 * training mean and standard deviation: minimises mean cross-entropy + l2 / 2 ||W||^2 (not the biases) by
 * full-batch gradient descent with step 1 / L, L = (d + 1) / 2 + l2 bounding the loss's curvature.
 */
export function fitLogistic(x: number[][], y: number[], classes: number, opts: { l2?: number; iterations?: number } = {}): LogisticModel {
  const n = x.length;
  const d = x[0]?.length ?? 0;
  const l2 = opts.l2 ?? 1 / Math.max(1, n);
  const iterations = opts.iterations ?? 1000;
  const mean = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (const r of x) for (let j = 0; j < d; j++) mean[j] += r[j] / n;
  for (const r of x) for (let j = 0; j < d; j++) sd[j] += (r[j] - mean[j]) ** 2 / n;
  for (let j = 0; j < d; j++) sd[j] = sd[j] > 0 ? Math.sqrt(sd[j]) : 1;
  const standardise = (r: number[]) => r.map((v, j) => (v - mean[j]) / sd[j]);
  const xs = x.map(standardise);
  const w: number[][] = Array.from({ length: classes }, () => new Array<number>(d).fill(0));
  const b = new Array<number>(classes).fill(0);
  const lr = 1 / ((d + 1) / 2 + l2);
  const logits = (r: number[]) => w.map((wc, c) => b[c] + wc.reduce((s, v, j) => s + v * r[j], 0));
  const p = new Array<number>(classes);
  for (let it = 0; it < iterations; it++) {
    const gw: number[][] = w.map((wc) => wc.map((v) => l2 * v));
    const gb = new Array<number>(classes).fill(0);
    for (let i = 0; i < n; i++) {
      const z = logits(xs[i]);
      const m = Math.max(...z);
      let s = 0;
      for (let c = 0; c < classes; c++) s += p[c] = Math.exp(z[c] - m);
      for (let c = 0; c < classes; c++) {
        const g = (p[c] / s - (c === y[i] ? 1 : 0)) / n;
        gb[c] += g;
        for (let j = 0; j < d; j++) gw[c][j] += g * xs[i][j];
      }
    }
    for (let c = 0; c < classes; c++) {
      b[c] -= lr * gb[c];
      for (let j = 0; j < d; j++) w[c][j] -= lr * gw[c][j];
    }
  }
  return {
    predict: (rows) =>
      rows.map((r) => {
        const z = logits(standardise(r));
        return z.indexOf(Math.max(...z));
      }),
  };
}

const accuracy = (pred: number[], y: number[]) => pred.filter((v, i) => v === y[i]).length / Math.max(1, y.length);

/** The beta-VAE score (eval accuracy) and the classifier's training accuracy. */
export async function betaVaeScore<O>(gt: GroundTruth<O>, rng: Rng, settings: BetaVaeSettings = BETA_VAE_SETTINGS): Promise<BetaVaeResult> {
  const train = await betaVaePoints(gt, settings.trainPoints, settings.batchSize, rng);
  const model = fitLogistic(train.x, train.y, gt.factorNames.length, { iterations: settings.iterations });
  const test = await betaVaePoints(gt, settings.evalPoints, settings.batchSize, rng);
  return { trainAccuracy: accuracy(model.predict(train.x), train.y), evalAccuracy: accuracy(model.predict(test.x), test.y) };
}

function variances(codes: number[][]): number[] {
  const n = codes.length;
  const j = codes[0]?.length ?? 0;
  const mean = new Array<number>(j).fill(0);
  for (const z of codes) for (let d = 0; d < j; d++) mean[d] += z[d] / n;
  const v = new Array<number>(j).fill(0);
  for (const z of codes) for (let d = 0; d < j; d++) v[d] += (z[d] - mean[d]) ** 2;
  return v.map((s) => s / Math.max(1, n - 1));
}

/** FactorVAE votes [K][active dims]: how often fixing factor k made active dimension a the least variable. */
async function factorVaeVotes<O>(gt: GroundTruth<O>, n: number, batchSize: number, rng: Rng, globalVar: number[], active: number[]): Promise<number[][]> {
  const kAll = gt.factorNames.length;
  const ks: number[] = [];
  const rows: number[][] = [];
  for (let p = 0; p < n; p++) {
    const k = rng.int(kAll);
    ks.push(k);
    const batch = Array.from({ length: batchSize }, () => gt.sampleFactors(rng));
    for (const f of batch) f[k] = batch[0][k];
    rows.push(...batch);
  }
  const codes = await codesOfFactors(gt, rows, rng);
  const votes = Array.from({ length: kAll }, () => new Array<number>(active.length).fill(0));
  ks.forEach((k, p) => {
    const local = variances(codes.slice(p * batchSize, (p + 1) * batchSize));
    let best = 0;
    for (let a = 1; a < active.length; a++) if (local[active[a]] / globalVar[active[a]] < local[active[best]] / globalVar[active[best]]) best = a;
    votes[k][best]++;
  });
  return votes;
}

/** The FactorVAE score (eval accuracy of the majority-vote classifier), its training accuracy and the kept dimensions. */
export async function factorVaeScore<O>(gt: GroundTruth<O>, rng: Rng, settings: FactorVaeSettings = FACTOR_VAE_SETTINGS): Promise<FactorVaeResult> {
  const sample = Array.from({ length: settings.varianceExamples }, () => gt.sampleFactors(rng));
  const globalVar = variances(await codesOfFactors(gt, sample, rng));
  const active = globalVar.flatMap((v, d) => (Math.sqrt(v) >= settings.pruneThreshold ? [d] : []));
  if (active.length === 0) return { trainAccuracy: 0, evalAccuracy: 0, activeDims: [], classifier: [] };
  const train = await factorVaeVotes(gt, settings.trainPoints, settings.batchSize, rng, globalVar, active);
  const classifier = active.map((_, a) => {
    let best = 0;
    for (let k = 1; k < train.length; k++) if (train[k][a] > train[best][a]) best = k;
    return best;
  });
  const score = (votes: number[][]) => {
    let right = 0;
    let total = 0;
    for (let a = 0; a < active.length; a++) {
      right += votes[classifier[a]][a];
      for (const row of votes) total += row[a];
    }
    return total ? right / total : 0;
  };
  const test = await factorVaeVotes(gt, settings.evalPoints, settings.batchSize, rng, globalVar, active);
  return { trainAccuracy: score(train), evalAccuracy: score(test), activeDims: active, classifier };
}

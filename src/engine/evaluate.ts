// Evaluation over a whole split, in batches, with the same objective code as training.
import * as tf from '@tensorflow/tfjs';
import { ACTIVE_UNIT_THRESHOLD, EvalSplitMetrics } from '../core/protocol';
import { Dataset, floatRows } from './data';
import { AutoencoderModel } from './models';
import type { Vae } from './models/vae';
import { ExactExample, exactExample, ExactSettings } from './objectives/exact';
import { repeatRows } from './objectives/likelihood';
import { mixSeed, Stream } from './rng';

export interface SumsSnapshot {
  sums: Record<string, number>;
  perDim?: number[];
  count: number;
}

/** Running sums of named scalar tensors, read with one synchronisation when needed. */
export class MetricSums {
  private sums = new Map<string, tf.Scalar>();
  private vec: tf.Tensor1D | undefined;
  count = 0;

  /** Add batch means weighted by the batch size (so that the final mean is per example). */
  add(metrics: Record<string, tf.Scalar>, weight: number, perDim?: tf.Tensor1D): void {
    for (const [k, v] of Object.entries(metrics)) {
      const prev = this.sums.get(k);
      const next = tf.tidy(() => (prev ? prev.add(v.mul(weight)) : v.mul(weight)) as tf.Scalar);
      prev?.dispose();
      this.sums.set(k, tf.keep(next));
    }
    if (perDim) {
      const prev = this.vec;
      this.vec = tf.keep(tf.tidy(() => (prev ? prev.add(perDim.mul(weight)) : perDim.mul(weight)) as tf.Tensor1D));
      prev?.dispose();
    }
    this.count += weight;
  }

  /** Means per example. */
  async read(): Promise<{ scalars: Record<string, number>; perDim?: number[] }> {
    const scalars: Record<string, number> = {};
    const keys = [...this.sums.keys()];
    if (keys.length > 0) {
      const all = tf.tidy(() => tf.stack(keys.map((k) => this.sums.get(k)!)));
      const values = await all.data();
      all.dispose();
      keys.forEach((k, i) => (scalars[k] = values[i] / Math.max(1, this.count)));
    }
    const perDim = this.vec ? Array.from(await this.vec.data(), (v) => v / Math.max(1, this.count)) : undefined;
    return { scalars, perDim };
  }

  /** Raw sums, for a checkpoint taken in the middle of an epoch. */
  async snapshot(): Promise<SumsSnapshot> {
    const sums: Record<string, number> = {};
    for (const [k, v] of this.sums) sums[k] = (await v.data())[0];
    return { sums, perDim: this.vec ? Array.from(await this.vec.data()) : undefined, count: this.count };
  }

  restore(s: SumsSnapshot): void {
    this.reset();
    for (const [k, v] of Object.entries(s.sums)) this.sums.set(k, tf.keep(tf.scalar(v)));
    if (s.perDim) this.vec = tf.keep(tf.tensor1d(s.perDim));
    this.count = s.count;
  }

  reset(): void {
    for (const v of this.sums.values()) v.dispose();
    this.sums.clear();
    this.vec?.dispose();
    this.vec = undefined;
    this.count = 0;
  }
}

/** One-hot labels of examples [start, end) of a split, for conditional models. */
export function batchLabels(d: Dataset, start: number, end: number, classes: number): tf.Tensor2D {
  if (!d.labels) throw new Error('this model needs labels, and the data has none');
  return tf.tidy(() => tf.oneHot(tf.tensor1d(d.labels!.subarray(start, end), 'int32'), classes).toFloat() as tf.Tensor2D);
}

/** Copy examples [start, end) of a split into a tensor of shape [n, ...exampleShape]. */
export function batchTensor(d: Dataset, start: number, end: number): tf.Tensor {
  return tf.tensor(floatRows(d, start, end), [end - start, ...d.shape]);
}

export interface EvalOptions {
  /** beta times schedule weight, so that the reported loss is the training objective at this point. */
  klWeight: number;
  step: number;
  totalSteps: number;
  seed: number;
  batchSize?: number;
}

/** Mean loss, ELBO terms and KL per dimension over a split (nats per example). */
export async function evaluateSplit(model: AutoencoderModel, d: Dataset, o: EvalOptions): Promise<EvalSplitMetrics> {
  const sums = new MetricSums();
  // First and second moments of the codes E_q[z|x], for the activity of each latent dimension.
  const codeSum = new MetricSums();
  const codeSq = new MetricSums();
  const bs = o.batchSize ?? 500;
  for (let start = 0, i = 0; start < d.n; start += bs, i++) {
    const end = Math.min(d.n, start + bs);
    tf.tidy(() => {
      const x = batchTensor(d, start, end);
      const labels = model.conditional ? batchLabels(d, start, end, model.numClasses) : undefined;
      const t = model.terms(x, x, { step: o.step, seed: mixSeed(o.seed, Stream.evaluation, i), klWeight: o.klWeight, totalSteps: o.totalSteps, labels });
      sums.add({ loss: t.loss, ...t.metrics }, end - start, t.klPerDim);
      const codes = model.encodeMean(x, labels);
      codeSum.add({}, end - start, codes.mean(0) as tf.Tensor1D);
      codeSq.add({}, end - start, codes.square().mean(0) as tf.Tensor1D);
    });
  }
  const { scalars, perDim } = await sums.read();
  const mean = (await codeSum.read()).perDim!;
  const meanSq = (await codeSq.read()).perDim!;
  for (const s of [sums, codeSum, codeSq]) s.reset();
  const { loss, recon, ...rest } = scalars;
  const out: EvalSplitMetrics = { loss, recon, ...rest };
  if (perDim) out.klPerDim = perDim;
  out.activity = mean.map((m, k) => Math.max(0, meanSq[k] - m * m));
  out.activeUnits = out.activity.filter((a) => a > ACTIVE_UNIT_THRESHOLD).length;
  return out;
}

/**
 * Exact log p(x), ELBO and gap by quadrature (objectives/exact.ts) for example i of d: `vae-lab eval --exact`, the
 * gap recorded per epoch for models with 1-D or 2-D codes, and the theory lab's posterior view.
 */
export async function exactForExample(model: Vae, d: Dataset, i: number, settings?: ExactSettings): Promise<ExactExample> {
  const x = batchTensor(d, i, i + 1);
  const labels = model.conditional ? batchLabels(d, i, i + 1, model.numClasses) : undefined;
  const post = tf.tidy(() => model.posterior(x, labels));
  const [mu, logVar] = await Promise.all([post.mean.data(), post.logVar.data()]);
  tf.dispose([post.mean, post.logVar]);
  try {
    return await exactExample({
      mean: mu,
      logVar,
      logLikelihood: (z) => {
        const m = z.shape[0];
        return model.logLik(repeatRows(x, m), model.decode(z, labels ? (repeatRows(labels, m) as tf.Tensor2D) : undefined));
      },
    }, settings);
  } finally {
    tf.dispose([x, labels]);
  }
}

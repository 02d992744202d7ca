// Lesson "likelihoods" (BCE or MSE): the reconstruction losses are negative log-likelihoods.
//
//   Gaussian, fixed sigma:  -log N(x; x^, sigma^2 I) = sum_i (x_i - x^_i)^2 / (2 sigma^2) + (n/2) log(2 pi sigma^2)
//     so minimising the sum of squared errors (or the MSE, SSE / n) is maximum likelihood: the constant
//     (n/2) log(2 pi sigma^2) does not depend on the model, and sigma only scales the loss (against the KL term).
//   Bernoulli, logits l, p = sigmoid(l):  -log p(x|l) = -sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)] = BCE(x, p)
//     Its floor on non-binary x (grey levels) is the entropy sum_i H(x_i), reached at p = x (0 on binary data).
//
// The engine's likelihood code (objectives/likelihood.ts, the stable forms) is compared with these textbook formulas
// on test examples reconstructed through the deterministic code (E_q[z|x] for the VAE family, f(x) for autoencoders).
import * as tf from '@tensorflow/tfjs';
import type { LikelihoodsResult, LikelihoodsSettings, TheoryImages } from '../../core/theory';
import type { AutoencoderModel } from '../models';
import { flat } from '../objectives/likelihood';
import { header, tfSeed } from './common';

const SHOWN = 10;
/** Pictures per row of the comparison: inputs, reconstructions, samples. */
const PICTURES = 8;

export async function likelihoodsLesson(
  model: AutoencoderModel,
  batch: { x: tf.Tensor; labels?: tf.Tensor2D },
  run: { runId: string; experiment: string },
  opts: { shape: number[]; seed: number },
): Promise<LikelihoodsResult> {
  const t0 = Date.now();
  const likelihood = model.config.model.likelihood;
  const b = batch.x.shape[0];
  const settings: LikelihoodsSettings = { batch: b };
  const sigma = likelihood === 'bernoulli' ? undefined : model.logSigma ? (await model.logSigma.data())[0] : Math.log(model.config.model.sigma);
  const sigmaValue = sigma === undefined ? undefined : Math.exp(sigma);
  const tensors = tf.tidy(() => {
    const out = model.decode(model.encodeMean(batch.x, batch.labels), batch.labels);
    const engine = tf.neg(model.logLik(batch.x, out)); // [B]
    const x = flat(batch.x);
    if (sigmaValue !== undefined) {
      const sse = x.sub(flat(out)).square().sum(1); // [B]
      const n = x.shape[1];
      const scaled = sse.div(2 * sigmaValue * sigmaValue);
      return [engine, scaled.add((n / 2) * Math.log(2 * Math.PI * sigmaValue * sigmaValue)), sse, scaled, tf.scalar(0)];
    }
    // The textbook BCE with p clipped away from 0 and 1 (float32: log(1 - p) of a saturated logit would be -inf).
    const p = tf.sigmoid(flat(out)).clipByValue(1e-7, 1 - 1e-7);
    const bce = tf.neg(x.mul(tf.log(p)).add(tf.sub(1, x).mul(tf.log(tf.sub(1, p))))).sum(1);
    // Entropy floor sum_i H(x_i), with 0 log 0 = 0: x is clipped inside the logs only, to [1e-7, 1 - 1e-7] (in float32
    // 1 - 1e-12 rounds to 1, whose log(1 - x) is -inf, and 0 * -inf is NaN).
    const xc = x.clipByValue(1e-7, 1 - 1e-7);
    const h = tf.neg(x.mul(tf.log(xc)).add(tf.sub(1, x).mul(tf.log(tf.sub(1, xc))))).sum(1).mean();
    return [engine, bce, bce, bce, h];
  });
  const [engine, formula, sse, scaled, floor] = await Promise.all(tensors.map((t) => t.data()));
  tf.dispose(tensors);
  const n = batch.x.size / b;
  const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, x) => a + x, 0) / v.length;
  let maxAbs = 0;
  for (let i = 0; i < b; i++) maxAbs = Math.max(maxAbs, Math.abs(engine[i] - formula[i]));
  return {
    ...header('likelihoods', run, t0, settings),
    likelihood,
    dims: n,
    sigma: sigmaValue,
    constant: sigmaValue !== undefined ? (n / 2) * Math.log(2 * Math.PI * sigmaValue * sigmaValue) : floor[0],
    negLogLik: mean(engine),
    formula: mean(formula),
    sse: sigmaValue !== undefined ? mean(sse) : undefined,
    scaledSse: sigmaValue !== undefined ? mean(scaled) : undefined,
    maxAbsDifference: maxAbs,
    perExample: { negLogLik: Array.from(engine.subarray(0, SHOWN)), formula: Array.from(formula.subarray(0, SHOWN)) },
    ...(opts.shape.length === 3 ? { images: await pictures(model, batch, opts.shape as [number, number, number], opts.seed) } : {}),
  };
}

/** The first test inputs, their reconstructions through the deterministic code, and decoded draws from the prior. */
async function pictures(model: AutoencoderModel, batch: { x: tf.Tensor; labels?: tf.Tensor2D }, shape: [number, number, number], seed: number): Promise<TheoryImages> {
  const n = Math.min(PICTURES, batch.x.shape[0]);
  const tensors = tf.tidy(() => {
    const x = batch.x.slice(0, n);
    const labels = batch.labels?.slice([0, 0], [n, -1]);
    const toBytes = (t: tf.Tensor) => flat(t).clipByValue(0, 1).mul(255).round();
    return [toBytes(x), toBytes(model.reconstruct(x, labels)), toBytes(model.sample(n, tfSeed(seed), labels))];
  });
  const [inputs, reconstructions, samples] = await Promise.all(tensors.map((t) => t.array() as Promise<number[][]>));
  tf.dispose(tensors);
  return { shape, seed, inputs, reconstructions, samples };
}

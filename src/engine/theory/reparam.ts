// Lesson "reparam" (Why reparameterise): the variance of two unbiased estimators of the gradient of the negative
// ELBO with respect to the encoder's parameters phi, on one batch of training data.
//
//   ELBO(x) = E_{q_phi(z|x)}[f(z)],   f(z) = log p(x|z) + log p(z) - log q_phi(z|x)        (the KL by Monte Carlo too)
//
//   score function (REINFORCE, Williams 1992):
//     grad_phi E_q[f] = E_q[f(z) grad_phi log q_phi(z|x)] + E_q[grad_phi f(z)|_{z fixed}]
//     The second term is -E_q[grad_phi log q_phi(z|x)] = 0 (the score has mean zero), so the estimator is
//       g_score = (1/L) sum_l f(z_l) grad_phi log q_phi(z_l|x),     z_l ~ q(z|x) drawn outside the gradient
//     (z and f(z) are constants: only log q(z_l|x) is differentiated, through the encoder's mean and log-variance).
//   score function with a leave-one-out baseline (L >= 2; unbiased because b_l does not depend on z_l):
//       g_loo = (1/L) sum_l (f(z_l) - b_l) grad_phi log q(z_l|x),   b_l = (1/(L-1)) sum_{m != l} f(z_m)
//   reparameterised (pathwise, Kingma and Welling 2014):
//       z_l = mu_phi(x) + sigma_phi(x) * eps_l,  eps_l ~ N(0, I),   g_rep = (1/L) sum_l grad_phi f(mu + sigma * eps_l)
//
// Each L-sample estimate is drawn R times independently; the variance of an estimator is the per-parameter sample
// variance over the R draws (divisor R - 1), summed over all encoder parameters (the trace of its covariance). For
// i.i.d. samples it falls exactly like 1/L in expectation, for both estimators; their ratio is the lesson.
// The gradients are of the batch-mean negative ELBO (the training loss with beta = 1); the sign does not change a variance.
import * as tf from '@tensorflow/tfjs';
import type { ReparamResult, ReparamRow, ReparamSettings } from '../../core/theory';
import type { Vae } from '../models/vae';
import { logNormal, logStandardNormal } from '../objectives/kl';
import { mixSeed } from '../rng';
import { decodeTiled, header, logLogSlope, tfSeed, tileTarget } from './common';

export const REPARAM_SAMPLES = [1, 2, 5, 10, 20, 50, 100];
export const REPARAM_DEFINITIONS =
  'f(z) = log p(x|z) + log p(z) - log q(z|x); score: (1/L) sum f(z_l) grad log q(z_l|x) with z_l held fixed, no baseline; ' +
  'score with baseline: f(z_l) minus the mean of the other L-1 samples\' f (leave-one-out, L >= 2); reparam: (1/L) sum grad f(mu + sigma eps_l); ' +
  'gradient of the batch-mean negative ELBO w.r.t. the encoder\'s weights; variance = sum over parameters of the per-parameter sample variance over R draws (divisor R - 1)';

export type GradientEstimator = 'score' | 'score-baseline' | 'reparam';

/** The encoder's trainable variables (the phi of q_phi). */
export function encoderVariables(model: Vae): tf.Variable[] {
  return model.encoder.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** One L-sample estimate of grad_phi(-ELBO) (batch mean), flattened over the encoder's variables in order. */
export async function gradientEstimate(model: Vae, x: tf.Tensor, labels: tf.Tensor2D | undefined, estimator: GradientEstimator, samples: number, seed: number): Promise<Float32Array> {
  const vars = encoderVariables(model);
  const L = samples;
  const b = x.shape[0];
  const grads = tf.tidy(() => {
    const target = tileTarget(x, L);
    let lossFn: () => tf.Scalar;
    if (estimator === 'reparam') {
      const eps = tf.randomNormal([L, b, model.latentDim], 0, 1, 'float32', tfSeed(seed));
      lossFn = () => {
        const { mean, logVar } = model.posterior(x, labels);
        const z3 = mean.expandDims(0).add(logVar.mul(0.5).exp().expandDims(0).mul(eps)); // [L, B, D]
        const z = z3.reshape([L * b, model.latentDim]) as tf.Tensor2D;
        const f = model.logLik(target, decodeTiled(model, z, labels, L)).reshape([L, b]).add(logStandardNormal(z3)).sub(logNormal(z3, mean.expandDims(0), logVar.expandDims(0)));
        return tf.neg(f.mean()) as tf.Scalar;
      };
    } else {
      // z_l ~ q(z|x) and f(z_l) computed outside the differentiated function: constants there.
      const { mean, logVar } = model.posterior(x, labels);
      const z3 = tf.randomNormal([L, b, model.latentDim], 0, 1, 'float32', tfSeed(seed)).mul(logVar.mul(0.5).exp().expandDims(0)).add(mean.expandDims(0));
      const z = z3.reshape([L * b, model.latentDim]) as tf.Tensor2D;
      let w = model.logLik(target, decodeTiled(model, z, labels, L)).reshape([L, b]).add(logStandardNormal(z3)).sub(logNormal(z3, mean.expandDims(0), logVar.expandDims(0)));
      if (estimator === 'score-baseline') {
        if (L < 2) throw new Error('the leave-one-out baseline needs L >= 2');
        const others = w.sum(0, true).sub(w).div(L - 1); // b_l: mean of the other samples' f
        w = w.sub(others);
      }
      const weights = w;
      lossFn = () => {
        const post = model.posterior(x, labels);
        const logQ = logNormal(z3, post.mean.expandDims(0), post.logVar.expandDims(0)); // [L, B]
        return tf.neg(weights.mul(logQ).mean()) as tf.Scalar;
      };
    }
    const { grads } = tf.variableGrads(lossFn, vars);
    return vars.map((v) => grads[v.name].reshape([-1]));
  });
  const flat = tf.concat(grads);
  const out = (await flat.data()) as Float32Array;
  tf.dispose([...grads, flat]);
  return out;
}

/** Per-parameter mean and sample variance of R independent L-sample estimates (float64 accumulators). */
export async function gradientMoments(model: Vae, x: tf.Tensor, labels: tf.Tensor2D | undefined, estimator: GradientEstimator, samples: number, repeats: number, seed: number): Promise<{ mean: Float64Array; variance: Float64Array }> {
  let sum: Float64Array | undefined;
  let sumSq: Float64Array | undefined;
  for (let r = 0; r < repeats; r++) {
    const g = await gradientEstimate(model, x, labels, estimator, samples, mixSeed(seed, samples, r));
    sum ??= new Float64Array(g.length);
    sumSq ??= new Float64Array(g.length);
    for (let j = 0; j < g.length; j++) {
      sum[j] += g[j];
      sumSq[j] += g[j] * g[j];
    }
  }
  const mean = sum!.map((s) => s / repeats);
  const variance = sumSq!.map((s, j) => Math.max(0, (s - repeats * mean[j] * mean[j]) / (repeats - 1)));
  return { mean, variance };
}

const total = (v: Float64Array) => v.reduce((a, b) => a + b, 0);
const normSq = (v: Float64Array) => v.reduce((a, b) => a + b * b, 0);

export async function reparamLesson(
  model: Vae,
  batch: { x: tf.Tensor; labels?: tf.Tensor2D },
  run: { runId: string; experiment: string },
  o: { seed: number; samples?: number[]; repeats?: number },
): Promise<ReparamResult> {
  const t0 = Date.now();
  const samples = o.samples ?? REPARAM_SAMPLES;
  const repeats = o.repeats ?? 30;
  const parameters = encoderVariables(model).reduce((a, v) => a + v.size, 0);
  const settings: ReparamSettings = { batch: batch.x.shape[0], samples, repeats, seed: o.seed, parameters, definitions: REPARAM_DEFINITIONS };
  const rows: ReparamRow[] = [];
  for (const L of samples) {
    const score = await gradientMoments(model, batch.x, batch.labels, 'score', L, repeats, mixSeed(o.seed, 1));
    const loo = L >= 2 ? await gradientMoments(model, batch.x, batch.labels, 'score-baseline', L, repeats, mixSeed(o.seed, 2)) : undefined;
    const rep = await gradientMoments(model, batch.x, batch.labels, 'reparam', L, repeats, mixSeed(o.seed, 3));
    rows.push({
      samples: L,
      scoreVariance: total(score.variance),
      scoreBaselineVariance: loo ? total(loo.variance) : null,
      reparamVariance: total(rep.variance),
      ratio: total(score.variance) / total(rep.variance),
      scoreMeanNormSq: normSq(score.mean),
      reparamMeanNormSq: normSq(rep.mean),
    });
  }
  const withLoo = rows.filter((r) => r.scoreBaselineVariance !== null);
  return {
    ...header('reparam', run, t0, settings),
    rows,
    slopes: {
      score: logLogSlope(samples, rows.map((r) => r.scoreVariance)),
      scoreBaseline: withLoo.length >= 2 ? logLogSlope(withLoo.map((r) => r.samples), withLoo.map((r) => r.scoreBaselineVariance!)) : null,
      reparam: logLogSlope(samples, rows.map((r) => r.reparamVariance)),
    },
  };
}

// The evidence lower bound. This is the one ELBO function of VAE Lab: training and evaluation both call it.
//
//   log p(x) >= ELBO(x) = E_{q(z|x)}[log p(x|z)] - KL(q(z|x) || p(z))
//
// with q(z|x) = N(mu(x), diag(exp(logVar(x)))), p(z) = N(0, I), the expectation estimated with L reparameterised
// samples z_l = mu + sigma * eps_l, eps_l ~ N(0, I), and the KL in closed form. Units: nats per example, summed over
// the pixels of an example and over latent dimensions; the batch mean is taken by the caller.
import * as tf from '@tensorflow/tfjs';
import { gaussianKlPerDim } from './kl';
import { LogLikelihood, repeatRows } from './likelihood';

export interface GaussianPosterior {
  mean: tf.Tensor2D;
  logVar: tf.Tensor2D;
}

export interface ElboOptions {
  /** Values the likelihood scores, shape [B, ...]. */
  target: tf.Tensor;
  posterior: GaussianPosterior;
  /** Decoder: z [N, D] -> parameters of p(x|z) [N, ...]. */
  decode: (z: tf.Tensor2D) => tf.Tensor;
  logLik: LogLikelihood;
  /** Monte Carlo samples L. */
  samples: number;
  /** Seed of the noise eps (a pure function of the run seed and the step, so that runs repeat exactly). */
  seed: number;
}

export interface ElboTerms {
  /** -E_q[log p(x|z)] per example, [B]. */
  recon: tf.Tensor1D;
  /** KL(q(z|x) || p(z)) per example, [B]. */
  kl: tf.Tensor1D;
  /** KL per example and latent dimension, [B, D]. */
  klPerDim: tf.Tensor2D;
  /** ELBO per example, [B]. */
  elbo: tf.Tensor1D;
}

/** z = mu + exp(logVar / 2) * eps: differentiable in mu and logVar. */
export function reparameterize(mean: tf.Tensor, logVar: tf.Tensor, eps: tf.Tensor): tf.Tensor {
  return tf.tidy(() => mean.add(logVar.mul(0.5).exp().mul(eps)));
}

export function elbo(o: ElboOptions): ElboTerms {
  return tf.tidy(() => {
    const { mean, logVar } = o.posterior;
    const [b, d] = mean.shape;
    const L = o.samples;
    const eps = tf.randomNormal([L, b, d], 0, 1, 'float32', o.seed);
    // [L, B, D] -> [L*B, D]: one decoder pass for all samples.
    const z = reparameterize(mean.expandDims(0), logVar.expandDims(0), eps).reshape([L * b, d]) as tf.Tensor2D;
    const out = o.decode(z);
    const target = L === 1 ? o.target : repeatRows(o.target.reshape([b, -1]), L);
    const logLik = o.logLik(target, out); // [L*B]
    const recon = L === 1 ? tf.neg(logLik) : tf.neg(logLik.reshape([L, b]).mean(0));
    const klPerDim = gaussianKlPerDim(mean, logVar);
    const kl = klPerDim.sum(1);
    return {
      recon: recon as tf.Tensor1D,
      kl: kl as tf.Tensor1D,
      klPerDim,
      elbo: tf.neg(recon.add(kl)) as tf.Tensor1D,
    };
  });
}

export interface KlWeighting {
  /** beta times the KL schedule's weight at this step. */
  weight: number;
  /** Free bits per latent dimension (nats); 0 turns them off. */
  freeBits: number;
  /** Capacity target C (nats) for beta-VAE with controlled capacity; undefined turns it off. */
  capacity?: number;
}

/**
 * The training loss from the ELBO terms: mean reconstruction + weight * KL penalty, where the KL penalty is the
 * batch-mean KL with free bits max(lambda, KL_d) per dimension, and |KL - C| when a capacity C is set.
 * With weight 1, no free bits and no capacity, loss = -mean(ELBO).
 */
export function klWeightedLoss(terms: ElboTerms, w: KlWeighting): { loss: tf.Scalar; klPenalty: tf.Scalar } {
  return tf.tidy(() => {
    const recon = terms.recon.mean();
    let klPenalty: tf.Scalar =
      w.freeBits > 0 ? (terms.klPerDim.mean(0).maximum(w.freeBits).sum() as tf.Scalar) : (terms.kl.mean() as tf.Scalar);
    if (w.capacity !== undefined) klPenalty = klPenalty.sub(w.capacity).abs() as tf.Scalar;
    return { loss: recon.add(klPenalty.mul(w.weight)), klPenalty };
  });
}

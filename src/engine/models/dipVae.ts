// DIP-VAE (Kumar et al. 2018, "Variational Inference of Disentangled Latent Concepts from Unlabeled Observations"):
// the ELBO plus a penalty that moves a covariance of the codes towards the identity, estimated on the batch:
//
//   DIP-VAE-I:   C = Cov_x[mu(x)]                                  (the covariance of the posterior means)
//   DIP-VAE-II:  C = E_x[diag sigma^2(x)] + Cov_x[mu(x)]          (the aggregate posterior's covariance)
//   penalty = lambdaOffDiagonal * sum_{i != j} C_ij^2 + lambdaDiagonal * sum_i (C_ii - 1)^2
//   loss = -ELBO-style terms (recon + w * KL, w the KL schedule times beta = 1) + penalty
//
// Logged: dipOffDiagonal and dipDiagonal (the two sums, unweighted) next to the ELBO's terms.
import * as tf from '@tensorflow/tfjs';
import type { ModelKind } from '../../core/config';
import { klWeightedLoss } from '../objectives/elbo';
import type { BatchTerms, StepContext } from './base';
import { Vae } from './vae';

/** The covariance DIP-VAE drives to I, from the batch's posterior means and log-variances: [D, D]. */
export function dipCovariance(mean: tf.Tensor2D, logVar: tf.Tensor2D, type: 'i' | 'ii'): tf.Tensor2D {
  return tf.tidy(() => {
    const b = mean.shape[0];
    const centred = mean.sub(mean.mean(0, true));
    const cov = centred.transpose().matMul(centred).div(b) as tf.Tensor2D;
    // diag(v) as I * v (tfjs has no gradient for Diag).
    return type === 'i' ? cov : (cov.add(tf.eye(mean.shape[1]).mul(logVar.exp().mean(0).expandDims(0))) as tf.Tensor2D);
  });
}

export class DipVae extends Vae {
  override readonly kind: ModelKind = 'dip-vae';

  override terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const dip = this.config.objective.dip!;
      const q = this.posterior(x, ctx.labels);
      const { mean, logVar } = q;
      const t = this.elboTerms(x, target, ctx, this.config.objective.samples, q);
      const c = dipCovariance(mean, logVar, dip.type);
      const eye = tf.eye(c.shape[0]);
      const dipOffDiagonal = c.mul(tf.sub(1, eye)).square().sum() as tf.Scalar;
      const dipDiagonal = c.mul(eye).sum(1).sub(1).square().sum() as tf.Scalar;
      const { loss, klPenalty } = klWeightedLoss(t, { weight: ctx.klWeight, freeBits: this.config.objective.freeBits });
      const penalty = dipOffDiagonal.mul(dip.lambdaOffDiagonal).add(dipDiagonal.mul(dip.lambdaDiagonal));
      const metrics: Record<string, tf.Scalar> = { recon: t.recon.mean(), kl: t.kl.mean(), elbo: t.elbo.mean(), klPenalty, dipOffDiagonal, dipDiagonal };
      if (this.logSigma) metrics.sigma = this.logSigma.exp() as tf.Scalar;
      return { loss: loss.add(penalty) as tf.Scalar, metrics, klPerDim: t.klPerDim.mean(0) as tf.Tensor1D };
    });
  }
}

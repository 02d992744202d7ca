// InfoVAE / MMD-VAE (Zhao et al. 2019): the ELBO's KL down-weighted and a divergence between the aggregate posterior
// q(z) and the prior added, here the maximum mean discrepancy between the batch's codes z ~ q(z|x) and as many draws
// from N(0, I) (objectives/mmd.ts):
//
//   loss = -E_q[log p(x|z)] + (1 - alpha) * w * KL(q(z|x) || p(z)) + (alpha + lambda - 1) * MMD^2(q(z), p(z))
//
// with w the KL schedule's weight. alpha = 0 keeps the ELBO's KL (the MMD term then pulls q(z) onto the prior where
// the per-example KL alone does not); alpha = 1 drops it (a WAE with a stochastic encoder). Logged: mmd, klPenalty.
import * as tf from '@tensorflow/tfjs';
import type { ModelKind } from '../../core/config';
import { reparameterize } from '../objectives/elbo';
import { mmdSquared } from '../objectives/mmd';
import { mixSeed, Stream } from '../rng';
import { klScheduleWeight } from '../schedules';
import type { BatchTerms, StepContext } from './base';
import { Vae } from './vae';

export class InfoVae extends Vae {
  override readonly kind: ModelKind = 'info-vae';

  override terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const { weight: lambda, alpha } = this.config.objective.mmd!;
      const q = this.posterior(x, ctx.labels);
      const { mean, logVar } = q;
      const t = this.elboTerms(x, target, ctx, this.config.objective.samples, q);
      const z = reparameterize(mean, logVar, tf.randomNormal(mean.shape, 0, 1, 'float32', mixSeed(ctx.seed, Stream.epsilon, 11))) as tf.Tensor2D;
      const prior = tf.randomNormal(mean.shape, 0, 1, 'float32', mixSeed(ctx.seed, Stream.sample, 11)) as tf.Tensor2D;
      const mmd = mmdSquared(z, prior);
      const w = klScheduleWeight(this.config.objective.klSchedule, ctx.step, ctx.totalSteps);
      const klPenalty = t.kl.mean().mul((1 - alpha) * w).add(mmd.mul(alpha + lambda - 1)) as tf.Scalar;
      const metrics: Record<string, tf.Scalar> = { recon: t.recon.mean(), kl: t.kl.mean(), elbo: t.elbo.mean(), klPenalty, mmd };
      if (this.logSigma) metrics.sigma = this.logSigma.exp() as tf.Scalar;
      return { loss: t.recon.mean().add(klPenalty) as tf.Scalar, metrics, klPerDim: t.klPerDim.mean(0) as tf.Tensor1D };
    });
  }
}

// beta-TCVAE (Chen et al. 2018): the ELBO's KL term split into index-code mutual information, total correlation (TC)
// and dimension-wise KL (objectives/tc.ts), with only the TC weighted by beta (default 6):
//
//   loss = -E_q[log p(x|z)] + w * (I_q(x; z) + beta * TC + sum_d KL(q(z_d) || p(z_d)))
//
// where w is the KL schedule's weight (1 without a schedule). Penalising the TC alone pushes the aggregate posterior
// towards independent dimensions without the information loss a larger weight on the whole KL costs (beta-VAE). The
// terms are estimated on the batch by minibatch stratified sampling with N = the training set's size; they are logged
// as mi, tc and dimKl, next to the closed-form KL and the ELBO (the bound itself, beta = 1).
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig, ModelKind } from '../../core/config';
import { reparameterize } from '../objectives/elbo';
import { klDecomposition } from '../objectives/tc';
import { mixSeed, Stream } from '../rng';
import { klScheduleWeight } from '../schedules';
import type { BatchTerms, StepContext } from './base';
import { Vae } from './vae';

export class BetaTcVae extends Vae {
  override readonly kind: ModelKind = 'beta-tcvae';
  constructor(
    config: ExperimentConfig,
    exampleShape: number[],
    /** Training examples behind the aggregate posterior q(z); 0: unknown, the batch stands for the data set. */
    readonly datasetSize = 0,
  ) {
    super(config, exampleShape);
  }

  override terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const q = this.posterior(x, ctx.labels);
      const { mean, logVar } = q;
      const t = this.elboTerms(x, target, ctx, this.config.objective.samples, q);
      // A code of its own per example for the decomposition (reparameterised: its gradient reaches the encoder).
      const eps = tf.randomNormal(mean.shape, 0, 1, 'float32', mixSeed(ctx.seed, Stream.epsilon, 7));
      const z = reparameterize(mean, logVar, eps) as tf.Tensor2D;
      const parts = klDecomposition(z, mean, logVar, this.datasetSize || mean.shape[0]);
      const mi = parts.mi.mean() as tf.Scalar;
      const tc = parts.tc.mean() as tf.Scalar;
      const dimKl = parts.dimKl.mean() as tf.Scalar;
      const w = klScheduleWeight(this.config.objective.klSchedule, ctx.step, ctx.totalSteps);
      const klPenalty = mi.add(tc.mul(this.config.objective.beta)).add(dimKl).mul(w) as tf.Scalar;
      const metrics: Record<string, tf.Scalar> = { recon: t.recon.mean(), kl: t.kl.mean(), elbo: t.elbo.mean(), klPenalty, mi, tc, dimKl };
      if (this.logSigma) metrics.sigma = this.logSigma.exp() as tf.Scalar;
      return { loss: t.recon.mean().add(klPenalty) as tf.Scalar, metrics, klPerDim: t.klPerDim.mean(0) as tf.Tensor1D };
    });
  }
}

// Variational autoencoder (Kingma and Welling 2014): a Gaussian encoder q(z|x) = N(mu(x), diag(sigma^2(x))) with
// separate mean and log-variance heads, the prior p(z) = N(0, I), and the decoder p(x|z). Trained by maximising
// the ELBO, estimated with L reparameterised samples z = mu + sigma * eps and the closed-form KL.
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../../core/config';
import { elbo, klWeightedLoss } from '../objectives/elbo';
import { AutoencoderModel, BatchTerms, StepContext } from './base';
import { buildDecoder, encoderTrunk, head, Seeds } from './networks';

export class Vae extends AutoencoderModel {
  readonly kind: 'vae' | 'beta-vae' = 'vae';
  readonly hasKl = true;
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;

  constructor(config: ExperimentConfig, exampleShape: number[]) {
    super(config, exampleShape);
    const seeds = new Seeds(config.training.seed);
    const { input, hidden } = encoderTrunk(exampleShape, config.model.encoder, seeds);
    const mean = head(hidden, this.latentDim, seeds, 'z_mean');
    const logVar = head(hidden, this.latentDim, seeds, 'z_log_var');
    this.encoder = tf.model({ inputs: input, outputs: [mean, logVar], name: 'encoder' });
    this.decoder = buildDecoder(this.latentDim, exampleShape, config.model.decoder, seeds);
  }

  /** Capacity target C at a step; none for the plain VAE. */
  protected capacityAt(_step: number): number | undefined {
    return undefined;
  }

  terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const [mean, logVar] = this.encoder.apply(x) as tf.Tensor2D[];
      const t = elbo({
        target,
        posterior: { mean, logVar },
        decode: (z) => this.decoder.apply(z) as tf.Tensor,
        logLik: this.logLik,
        samples: this.config.objective.samples,
        seed: ctx.seed,
      });
      const capacity = this.capacityAt(ctx.step);
      const { loss, klPenalty } = klWeightedLoss(t, { weight: ctx.klWeight, freeBits: this.config.objective.freeBits, capacity });
      const metrics: Record<string, tf.Scalar> = {
        recon: t.recon.mean(),
        kl: t.kl.mean(),
        elbo: t.elbo.mean(),
        klPenalty,
      };
      if (capacity !== undefined) metrics.capacity = tf.scalar(capacity);
      if (this.logSigma) metrics.sigma = this.logSigma.exp() as tf.Scalar;
      return { loss, metrics, klPerDim: t.klPerDim.mean(0) as tf.Tensor1D };
    });
  }

  encodeMean(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => (this.encoder.apply(x) as tf.Tensor2D[])[0]);
  }

  /** Posterior parameters, for evaluation (importance sampling) and the latent explorer. */
  posterior(x: tf.Tensor): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
    const [mean, logVar] = this.encoder.apply(x) as tf.Tensor2D[];
    return { mean, logVar };
  }
}

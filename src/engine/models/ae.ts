// Deterministic autoencoder: x -> z = f(x) -> p(x|z). The loss is the reconstruction negative log-likelihood
// (binary cross-entropy for Bernoulli, scaled squared error for Gaussian), with no prior on z: the code space has
// no reason to look like N(0, I), which is why sampling it gives poor images (the seeds' central argument).
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../../core/config';
import { AutoencoderModel, BatchTerms, StepContext } from './base';
import { buildDecoder, encoderTrunk, head, Seeds } from './networks';

export class Autoencoder extends AutoencoderModel {
  readonly kind = 'ae' as const;
  readonly hasKl = false;
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;

  constructor(config: ExperimentConfig, exampleShape: number[]) {
    super(config, exampleShape);
    const seeds = new Seeds(config.training.seed);
    const { input, hidden } = encoderTrunk(exampleShape, config.model.encoder, seeds);
    const z = head(hidden, this.latentDim, seeds, 'z');
    this.encoder = tf.model({ inputs: input, outputs: z, name: 'encoder' });
    this.decoder = buildDecoder(this.latentDim, exampleShape, config.model.decoder, seeds);
  }

  terms(x: tf.Tensor, target: tf.Tensor, _ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const z = this.encoder.apply(x) as tf.Tensor2D;
      const recon = tf.neg(this.logLik(target, this.decoder.apply(z) as tf.Tensor)).mean() as tf.Scalar;
      return { loss: recon, metrics: { recon } };
    });
  }

  encodeMean(x: tf.Tensor): tf.Tensor2D {
    return this.encoder.apply(x) as tf.Tensor2D;
  }
}

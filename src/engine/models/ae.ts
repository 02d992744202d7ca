// Deterministic autoencoder: x -> z = f(x) -> p(x|z). The loss is the reconstruction negative log-likelihood
// (binary cross-entropy for Bernoulli, scaled squared error for Gaussian), with no prior on z: the code space has
// no reason to look like N(0, I), which is why sampling it gives poor images (the seeds' central argument).
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig, ModelKind } from '../../core/config';
import { AutoencoderModel, BatchTerms, StepContext } from './base';
import { activate, buildDecoder, encoderTrunk, head, Seeds } from './networks';

export class Autoencoder extends AutoencoderModel {
  readonly kind: ModelKind = 'ae';
  readonly hasKl = false;
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;

  constructor(config: ExperimentConfig, exampleShape: number[]) {
    super(config, exampleShape);
    const seeds = new Seeds(config.training.seed);
    const { input, hidden } = encoderTrunk(exampleShape, config.model.encoder, seeds);
    const z = activate(head(hidden, this.latentDim, seeds, 'z'), config.model.codeActivation, 'z_act');
    this.encoder = tf.model({ inputs: input, outputs: z, name: 'encoder' });
    this.decoder = buildDecoder(this.latentDim, exampleShape, config.model.decoder, seeds);
  }

  terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const z = this.encoder.apply(x) as tf.Tensor2D;
      const recon = tf.neg(this.logLik(target, this.decoder.apply(z) as tf.Tensor)).mean() as tf.Scalar;
      const penalty = this.codePenalty(z, x, ctx);
      if (!penalty) return { loss: recon, metrics: { recon } };
      return { loss: recon.add(penalty.value) as tf.Scalar, metrics: { recon, ...penalty.metrics } };
    });
  }

  /** A regulariser on the code (sparse and contractive autoencoders); none for the plain one. */
  protected codePenalty(_z: tf.Tensor2D, _x: tf.Tensor, _ctx: StepContext): { value: tf.Scalar; metrics: Record<string, tf.Scalar> } | undefined {
    return undefined;
  }

  encodeMean(x: tf.Tensor): tf.Tensor2D {
    return this.encoder.apply(x) as tf.Tensor2D;
  }
}

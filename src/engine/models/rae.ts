// Regularised autoencoder, RAE-L2 (Ghosh et al. 2020, "From Variational to Deterministic Autoencoders"): a
// deterministic autoencoder whose code norm and decoder weights are penalised instead of a VAE's noise and KL,
//
//   loss = -log p(x|f(x)) + beta * mean_i (1/2) ||z_i||^2 + lambda * sum_theta theta^2     (theta: the decoder's weights)
//
// and which is sampled ex post through a Gaussian mixture fitted to its codes (`vae-lab eval`'s post-hoc sampler,
// gmm.ts), not through N(0, I). Logged: codePenalty (the mean (1/2)||z||^2) and decoderPenalty (the sum of squares).
import * as tf from '@tensorflow/tfjs';
import type { ModelKind } from '../../core/config';
import { Autoencoder } from './ae';
import type { StepContext } from './base';

export class Rae extends Autoencoder {
  override readonly kind: ModelKind = 'rae';

  protected override codePenalty(z: tf.Tensor2D, _x: tf.Tensor, _ctx: StepContext): { value: tf.Scalar; metrics: Record<string, tf.Scalar> } {
    const { codeWeight, decoderWeight } = this.config.objective.rae!;
    const codePenalty = z.square().sum(1).mean().mul(0.5) as tf.Scalar;
    // The decoder's kernels (weight matrices and filters), not its biases, as weight decay does.
    const kernels = this.decoder.trainableWeights.filter((w) => /kernel/.test(w.name)).map((w) => w.read());
    const decoderPenalty = tf.addN(kernels.map((k) => k.square().sum())) as tf.Scalar;
    return { value: codePenalty.mul(codeWeight).add(decoderPenalty.mul(decoderWeight)) as tf.Scalar, metrics: { codePenalty, decoderPenalty } };
  }
}

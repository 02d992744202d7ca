// Sparse autoencoder: the code may be as wide as the input or wider (overcomplete), and a penalty keeps only a few
// units active at once (seed 003):
//   l1: weight * mean over the batch of sum_j |h_j|
//   kl: weight * sum_j KL(rho || rho_hat_j),  rho_hat_j = mean activation of unit j over the batch (sigmoid code)
// The mean activation is reported so that the sparsity can be watched.
import * as tf from '@tensorflow/tfjs';
import type { ModelKind } from '../../core/config';
import { Autoencoder } from './ae';
import type { StepContext } from './base';

export class SparseAutoencoder extends Autoencoder {
  override readonly kind: ModelKind = 'sparse-ae';

  protected override codePenalty(h: tf.Tensor2D, _x: tf.Tensor, _ctx: StepContext): { value: tf.Scalar; metrics: Record<string, tf.Scalar> } {
    const sp = this.config.objective.sparsity!;
    const meanActivation = h.mean() as tf.Scalar;
    let penalty: tf.Scalar;
    if (sp.penalty === 'l1') {
      penalty = h.abs().sum(1).mean() as tf.Scalar;
    } else {
      const rho = sp.target;
      const rhoHat = h.mean(0).clipByValue(1e-6, 1 - 1e-6);
      const kl = tf.add(tf.mul(rho, tf.log(tf.div(rho, rhoHat))), tf.mul(1 - rho, tf.log(tf.div(1 - rho, tf.sub(1, rhoHat)))));
      penalty = kl.sum() as tf.Scalar;
    }
    return { value: penalty.mul(sp.weight) as tf.Scalar, metrics: { sparsity: penalty, meanActivation } };
  }
}

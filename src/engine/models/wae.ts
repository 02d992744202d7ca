// Wasserstein autoencoder, WAE-MMD (Tolstikhin et al. 2018): a deterministic encoder z = f(x) whose codes, as a
// whole, are matched to the prior N(0, I) by the maximum mean discrepancy between the batch's codes and as many prior
// draws (objectives/mmd.ts), so that decoding prior samples works, unlike a plain autoencoder's:
//
//   loss = -log p(x|f(x)) + lambda * MMD^2({f(x_i)}, {z_i ~ N(0, I)})
//
// Logged: recon and mmd.
import * as tf from '@tensorflow/tfjs';
import type { ModelKind } from '../../core/config';
import { mmdSquared } from '../objectives/mmd';
import { mixSeed, Stream } from '../rng';
import { Autoencoder } from './ae';
import type { StepContext } from './base';

export class Wae extends Autoencoder {
  override readonly kind: ModelKind = 'wae';

  protected override codePenalty(z: tf.Tensor2D, _x: tf.Tensor, ctx: StepContext): { value: tf.Scalar; metrics: Record<string, tf.Scalar> } {
    const prior = tf.randomNormal(z.shape, 0, 1, 'float32', mixSeed(ctx.seed, Stream.sample, 13)) as tf.Tensor2D;
    const mmd = mmdSquared(z, prior);
    return { value: mmd.mul(this.config.objective.mmd!.weight) as tf.Scalar, metrics: { mmd } };
  }
}

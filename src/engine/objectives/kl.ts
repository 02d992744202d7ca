// KL divergences to the standard normal prior.
import * as tf from '@tensorflow/tfjs';

/**
 * Closed-form KL(N(mu, exp(logVar)) || N(0, 1)) for each latent dimension:
 *   0.5 * (mu^2 + exp(logVar) - 1 - logVar)        shape [B, D]
 */
export function gaussianKlPerDim(mean: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => mean.square().add(logVar.exp()).sub(1).sub(logVar).mul(0.5) as tf.Tensor2D);
}

/** log N(z; mu, exp(logVar)) summed over the last axis (used by importance-weighted estimates and tests). */
export function logNormal(z: tf.Tensor, mean: tf.Tensor, logVar: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const halfLog2Pi = 0.5 * Math.log(2 * Math.PI);
    // (z - mean)^2 with sub: tfjs's SquaredDifference gradient does not reduce broadcast dimensions.
    return tf.neg(z.sub(mean).square().mul(tf.exp(tf.neg(logVar))).mul(0.5).add(logVar.mul(0.5)).add(halfLog2Pi)).sum(-1);
  });
}

/** log N(z; 0, I) summed over the last axis. */
export function logStandardNormal(z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.neg(z.square().mul(0.5).add(0.5 * Math.log(2 * Math.PI))).sum(-1));
}

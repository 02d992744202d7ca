// Maximum mean discrepancy between two samples with a Gaussian kernel k(a, b) = exp(-|a - b|^2 / (2 s^2)),
// the unbiased estimate of MMD^2 (Gretton et al. 2012). Zero in expectation when both come from the same
// distribution; used to watch an aae's codes approach its prior.
import * as tf from '@tensorflow/tfjs';

function kernel(a: tf.Tensor2D, b: tf.Tensor2D, twoS2: number): tf.Tensor2D {
  const d2 = a.square().sum(1, true).add(b.square().sum(1).expandDims(0)).sub(a.matMul(b, false, true).mul(2));
  return tf.exp(tf.neg(d2.relu()).div(twoS2)) as tf.Tensor2D;
}

/** Unbiased MMD^2 between samples x [n, D] and y [m, D]; the bandwidth defaults to s^2 = D (the scale of N(0, I)). */
export function mmdSquared(x: tf.Tensor2D, y: tf.Tensor2D, s2 = x.shape[1]): tf.Scalar {
  return tf.tidy(() => {
    const n = x.shape[0];
    const m = y.shape[0];
    const within = (k: tf.Tensor2D, size: number) => k.sum().sub(size).div(size * (size - 1)); // off-diagonal mean (k(a, a) = 1)
    return within(kernel(x, x, 2 * s2), n).add(within(kernel(y, y, 2 * s2), m)).sub(kernel(x, y, 2 * s2).mean().mul(2)) as tf.Scalar;
  });
}

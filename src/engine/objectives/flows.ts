// Planar flows (Rezende and Mohamed 2015, "Variational Inference with Normalizing Flows"): a chain of invertible maps
// that turns the encoder's Gaussian sample z_0 into z_K with a density that is no longer Gaussian,
//
//   f(z) = z + u' tanh(w.z + b),       log |det df/dz| = log |1 + u'.psi(z)|,   psi(z) = (1 - tanh^2(w.z + b)) w
//   log q_K(z_K | x) = log q_0(z_0 | x) - sum_k log |det df_k/dz_{k-1}|
//
// where u' = u + (m(w.u) - w.u) w / ||w||^2 with m(a) = -1 + softplus(a) makes w.u' > -1, which keeps f invertible
// (appendix A of the paper) and 1 + u'.psi > 0, so the log needs no absolute value. The flow's parameters (u, w, b for
// each of the K maps) come from the encoder, one set per example (amortised).
import * as tf from '@tensorflow/tfjs';

/** Parameters per example of one flow of a chain of `length` over `dim` numbers: 2 dim + 1. */
export function planarParameterCount(dim: number, length: number): number {
  return length * (2 * dim + 1);
}

/**
 * Apply the chain to z [N, D] with parameters [N, length * (2D + 1)] (u, w, b for each map, in order).
 * Returns z_K [N, D] and sum_k log |det df_k/dz| [N].
 */
export function planarFlow(z0: tf.Tensor2D, params: tf.Tensor2D, length: number): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
  return tf.tidy(() => {
    const d = z0.shape[1];
    let z = z0;
    let logDet = tf.zeros([z0.shape[0]]) as tf.Tensor1D;
    for (let k = 0; k < length; k++) {
      const off = k * (2 * d + 1);
      const u = params.slice([0, off], [-1, d]);
      const w = params.slice([0, off + d], [-1, d]);
      const b = params.slice([0, off + 2 * d], [-1, 1]);
      const wu = w.mul(u).sum(1, true);
      const uHat = u.add(tf.softplus(wu).sub(1).sub(wu).mul(w).div(w.square().sum(1, true).add(1e-8)));
      const a = tf.tanh(w.mul(z).sum(1, true).add(b)); // [N, 1]
      z = z.add(uHat.mul(a)) as tf.Tensor2D;
      // psi . u' = (1 - a^2) w.u'
      const det = tf.scalar(1).add(tf.scalar(1).sub(a.square()).mul(w.mul(uHat).sum(1, true)));
      logDet = logDet.add(det.log().reshape([-1])) as tf.Tensor1D;
    }
    return { z, logDet };
  });
}

// The log-density of an equal-weight mixture of diagonal Gaussians, the VampPrior's p(z) (Tomczak and Welling 2018):
//
//   log p(z) = log (1/K) sum_k N(z; mu_k, diag(exp(logVar_k))) = logsumexp_k log N(z; mu_k, .) - log K
//
// computed for N codes against K components at once ([N, 1, D] against [1, K, D]), in log space so that far-away
// components underflow to -inf inside the logsumexp, not to a log of zero.
import * as tf from '@tensorflow/tfjs';
import { logNormal } from './kl';

/** log p(z) for codes z [N, D] under the mixture of components (means, logVars) [K, D]: [N]. */
export function mixtureLogDensity(z: tf.Tensor2D, means: tf.Tensor2D, logVars: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const perComponent = logNormal(z.expandDims(1), means.expandDims(0), logVars.expandDims(0)); // [N, K]
    return tf.logSumExp(perComponent, 1).sub(Math.log(means.shape[0])) as tf.Tensor1D;
  });
}

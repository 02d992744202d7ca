// The mutual information between x and z under the encoder (Hoffman and Johnson 2016), a measure of posterior
// collapse next to the active units and the KL per dimension:
//
//   I_q(x; z) = E_x E_q(z|x)[log q(z|x) - log q(z)],    q(z) = (1/N) sum_j q(z|x_j)  (the aggregate posterior)
//
// estimated over N evaluated examples at one z_i ~ q(z|x_i) per example: mean_i [log q(z_i|x_i) - log q(z_i)], with
// log q(z_i) as log-sum-exp over all N components minus log N (the pairs share z_i, so their noise largely cancels:
// exactly 0 when q(z|x) does not depend on x, exactly log N when every code identifies its example). Each term is at
// most log N, so the estimate is too.
import * as tf from '@tensorflow/tfjs';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Rows of the pairwise [rows, N, D] density computed at once. */
const CHUNK = 64;

export const MI_ESTIMATOR = 'aggregate posterior over the evaluated examples (Hoffman and Johnson 2016): mean of log q(z|x) - log q(z) at one z ~ q(z|x) per example, log q(z) by log-sum-exp over all N';

/** I_q(x; z) in nats for Gaussian posteriors (means and log-variances [N, D]) with noise eps [N, D] ~ N(0, I). */
export async function mutualInformation(mean: tf.Tensor2D, logVar: tf.Tensor2D, eps: tf.Tensor2D): Promise<number> {
  const [n, d] = mean.shape;
  const z = tf.tidy(() => mean.add(logVar.mul(0.5).exp().mul(eps)));
  // log q(z_i | x_i) = -(1/2) sum_d (eps_id^2 + logVar_id + log 2 pi).
  const logQzx = tf.tidy(() => eps.square().add(logVar).mul(-0.5).sub(HALF_LOG_2PI).sum(1).sum());
  let logQzSum = 0;
  for (let start = 0; start < n; start += CHUNK) {
    const rows = Math.min(CHUNK, n - start);
    const s = tf.tidy(() => {
      const zi = z.slice([start, 0], [rows, d]).expandDims(1); // [rows, 1, D]
      const lv = logVar.expandDims(0);
      const logQ = tf.neg(zi.sub(mean.expandDims(0)).square().mul(tf.exp(tf.neg(lv))).add(lv).mul(0.5).add(HALF_LOG_2PI)).sum(2); // [rows, N]
      return tf.logSumExp(logQ, 1).sub(Math.log(n)).sum();
    });
    logQzSum += (await s.data())[0];
    s.dispose();
  }
  const own = (await logQzx.data())[0];
  tf.dispose([logQzx, z]);
  return (own - logQzSum) / n;
}

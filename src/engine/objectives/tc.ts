// The KL term of the ELBO decomposed (Chen et al. 2018, "Isolating Sources of Disentanglement in VAEs", beta-TCVAE):
//
//   E_p(x)[KL(q(z|x) || p(z))] = I_q(x; z)                      index-code mutual information
//                              + KL(q(z) || prod_d q(z_d))      total correlation (TC)
//                              + sum_d KL(q(z_d) || p(z_d))     dimension-wise KL
//
// with q(z) = (1/N) sum_n q(z|x_n) the aggregate posterior of the N training examples. For z_i ~ q(z|x_i) of a
// minibatch of B examples, each term is a mean over i of differences of
//
//   log q(z_i|x_i)                               the encoder's Gaussian density,
//   log q(z_i)   ~= log sum_j w_ij q(z_i|x_j)    minibatch stratified sampling (MSS, the paper's appendix),
//   log q(z_id)  ~= log sum_j w_ij q(z_id|x_j)   the same per dimension,
//   log p(z_i)                                   the N(0, I) prior.
//
// MSS weights, M = B - 1: w_ii = 1/N (the example's own component), one other entry per row (N - M)/(N M), the rest
// 1/M; each row sums to 1, so q(z_i) is estimated by a proper mixture. With B = N (the batch is the data) it is the
// exact aggregate-posterior density. The three terms add up to the Monte Carlo KL, mean_i log q(z_i|x_i) - log p(z_i).
import * as tf from '@tensorflow/tfjs';
import { logStandardNormal } from './kl';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export interface KlDecomposition {
  /** Per example [B]: log q(z_i|x_i) - log q(z_i). Its mean is the index-code mutual information. */
  mi: tf.Tensor1D;
  /** Per example [B]: log q(z_i) - sum_d log q(z_id). Its mean is the total correlation. */
  tc: tf.Tensor1D;
  /** Per example [B]: sum_d log q(z_id) - log p(z_i). Its mean is the dimension-wise KL. */
  dimKl: tf.Tensor1D;
}

/** log w_ij of minibatch stratified sampling for a batch of `b` from a data set of `n` examples: [B, B]. */
export function mssLogWeights(b: number, n: number): tf.Tensor2D {
  const m = b - 1;
  const w = new Float32Array(b * b);
  if (b === 1) {
    w[0] = 1;
  } else {
    const strat = (n - m) / (n * m);
    w.fill(1 / m);
    for (let i = 0; i < b; i++) {
      w[i * b + i] = 1 / n;
      w[i * b + ((i + 1) % b)] = strat;
    }
  }
  return tf.tidy(() => tf.log(tf.tensor2d(w, [b, b])));
}

/**
 * The decomposition for codes z [B, D] drawn from q(z|x_i) = N(mean_i, diag exp(logVar_i)), with `datasetSize` N
 * examples behind the aggregate posterior (N >= B; N = B treats the batch as the data set).
 */
export function klDecomposition(z: tf.Tensor2D, mean: tf.Tensor2D, logVar: tf.Tensor2D, datasetSize: number): KlDecomposition {
  return tf.tidy(() => {
    const b = z.shape[0];
    const n = Math.max(datasetSize, b);
    // log q(z_id | x_j) for every pair: [B (i), B (j), D].
    const diff = z.expandDims(1).sub(mean.expandDims(0));
    const lv = logVar.expandDims(0);
    const logQ = tf.neg(diff.square().mul(tf.exp(tf.neg(lv))).add(lv).mul(0.5).add(HALF_LOG_2PI)) as tf.Tensor3D;
    const logW = mssLogWeights(b, n);
    const logQz = tf.logSumExp(logQ.sum(2).add(logW), 1); // [B]
    const logQzProd = tf.logSumExp(logQ.add(logW.expandDims(2)), 1).sum(1); // [B]
    // log q(z_i | x_i): the diagonal of the pair matrix.
    const eye = tf.oneHot(tf.range(0, b, 1, 'int32'), b).expandDims(2); // [B, B, 1]
    const logQzx = logQ.mul(eye).sum([1, 2]);
    const logPz = logStandardNormal(z);
    return {
      mi: logQzx.sub(logQz) as tf.Tensor1D,
      tc: logQz.sub(logQzProd) as tf.Tensor1D,
      dimKl: logQzProd.sub(logPz) as tf.Tensor1D,
    };
  });
}

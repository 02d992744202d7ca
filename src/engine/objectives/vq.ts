// Vector quantisation (van den Oord, Vinyals and Kavukcuoglu 2017, "Neural Discrete Representation Learning").
//
// The encoder's output z_e [B, D] is read as M = D / E vectors of E numbers. Each vector is replaced by its nearest
// codebook vector e_k (k = argmin_k ||z_e,m - e_k||^2, the codebook [K, E]), giving z_q [B, D]. The decoder reads
//
//   z_q,st = z_e + sg(z_q - z_e)          (value z_q; gradient copied to z_e: straight-through)
//
// and the two terms that train the codebook and keep the encoder near it are
//
//   codebook   = ||sg(z_e) - z_q||^2      (gradient only to the codebook)
//   commitment = ||z_e - sg(z_q)||^2      (gradient only to the encoder; weighted by beta = objective.vq.commitment)
//
// Reduction: both are summed over the D latent numbers of an example (the M vectors' squared distances added up)
// and averaged over the batch by the caller, as the reconstruction term is summed over pixels: nats-like units per
// example. (The paper's reference code averages over the numbers instead; a sum keeps the terms' balance with a
// reconstruction summed over 784 pixels closer to the paper's balance with a mean squared error.)
import * as tf from '@tensorflow/tfjs';
import { gumbelNoise } from './gumbel';
import { stopGradient, straightThrough } from './stopGradient';

export interface Quantised {
  /** The decoder's input: value z_q, gradient to z_e (straight-through), [B, D]. */
  zq: tf.Tensor2D;
  /** The nearest codebook vectors themselves, [B, D] (z_q without the straight-through form: for codes at evaluation). */
  e: tf.Tensor2D;
  /** Index of the code of each vector, int32 [B, M]. */
  codes: tf.Tensor2D;
  /** The codes one-hot, [B, M, K]. */
  oneHot: tf.Tensor3D;
  /** ||sg(z_e) - z_q||^2 per example, [B]. */
  codebookLoss: tf.Tensor1D;
  /** ||z_e - sg(z_q)||^2 per example, [B] (the same value; its gradient goes to the encoder). */
  commitmentLoss: tf.Tensor1D;
}

/** Index of the nearest codebook row (squared Euclidean distance) of each vector: vectors [N, E], codebook [K, E] -> int32 [N]. */
export function nearestCodes(vectors: tf.Tensor2D, codebook: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    // ||v - e||^2 = ||v||^2 - 2 v.e + ||e||^2; the first term is the same for every code and can be left out.
    const cross = tf.matMul(vectors, codebook, false, true); // [N, K]
    const d = codebook.square().sum(1).reshape([1, -1]).sub(cross.mul(2));
    return tf.argMin(d, 1) as tf.Tensor1D;
  });
}

/** Quantise z_e [B, D] with a codebook [K, E] (E divides D). */
export function quantise(ze: tf.Tensor2D, codebook: tf.Tensor2D): Quantised {
  return tf.tidy(() => {
    const [b, d] = ze.shape;
    const [k, e] = codebook.shape;
    const m = d / e;
    const frozen = stopGradient(ze);
    const idx = nearestCodes(frozen.reshape([b * m, e]) as tf.Tensor2D, stopGradient(codebook)); // [B*M]
    const oneHot = tf.oneHot(idx, k).toFloat() as tf.Tensor2D; // [B*M, K]
    // The chosen vectors as a product with the one-hot codes (its gradient reaches the codebook rows that were used).
    const chosen = tf.matMul(oneHot, codebook).reshape([b, d]) as tf.Tensor2D;
    return {
      zq: straightThrough(chosen, ze),
      e: stopGradient(chosen),
      codes: idx.reshape([b, m]) as tf.Tensor2D,
      oneHot: oneHot.reshape([b, m, k]) as tf.Tensor3D,
      codebookLoss: frozen.sub(chosen).square().sum(1) as tf.Tensor1D,
      commitmentLoss: ze.sub(stopGradient(chosen)).square().sum(1) as tf.Tensor1D,
    };
  });
}

/**
 * How the codebook is used by a set of codes (one-hot [..., K]): the perplexity exp(H(p)) of the average usage p
 * (K when every code is used equally, 1 when one code is used) and the fraction of the K codes used at least once.
 */
export function codebookUsage(oneHot: tf.Tensor): { perplexity: tf.Scalar; codesUsed: tf.Scalar } {
  return tf.tidy(() => {
    const k = oneHot.shape[oneHot.rank - 1];
    const p = oneHot.reshape([-1, k]).mean(0);
    // p log p with 0 log 0 = 0.
    const plogp = tf.where(p.greater(0), p.mul(tf.log(p.maximum(1e-30))), tf.zerosLike(p));
    return {
      perplexity: tf.exp(tf.neg(plogp.sum())) as tf.Scalar,
      codesUsed: p.greater(0).toFloat().mean() as tf.Scalar,
    };
  });
}

/**
 * Draws of one code per position from categorical distributions with the given log-probabilities (up to a constant)
 * [M, K], by the Gumbel-max trick: argmax_k (log p_mk + g), g ~ Gumbel(0, 1). Returns int32 [n, M].
 */
export function sampleCodes(logProbs: tf.Tensor2D, n: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [m, k] = logProbs.shape;
    return tf.argMax(gumbelNoise([n, m, k], seed).add(logProbs.expandDims(0)), 2) as tf.Tensor2D;
  });
}

/** The codebook vectors of codes int32 [n, M] laid out as codes [n, M * E]. */
export function lookupCodes(codes: tf.Tensor2D, codebook: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, m] = codes.shape;
    const [k, e] = codebook.shape;
    return tf.matMul(tf.oneHot(codes.reshape([n * m]) as tf.Tensor1D, k).toFloat(), codebook).reshape([n, m * e]) as tf.Tensor2D;
  });
}

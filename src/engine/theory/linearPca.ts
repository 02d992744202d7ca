// Lesson "linear-pca" (Linear autoencoder = PCA): a linear autoencoder trained with squared error (a Gaussian
// likelihood with fixed sigma) spans, at its optimum, the same subspace as the top-k principal components of the
// data (Baldi and Hornik 1989), though its basis need not be orthogonal nor ordered by variance.
//
//   PCA: C = Xc^T Xc / (n - 1) (Xc the centred training data), top-k unit eigenvectors u_1..u_k of C;
//        rank-k reconstruction x^ = m + U U^T (x - m), the least squared error of any rank-k affine map.
//   AE:  x^ = W_dec (W_enc x + b_enc) + b_dec, the decoder's directions = rows of the composed decoder kernel.
//   Principal angles between span(decoder directions) and span(u_1..u_k) (linalg.ts): 0 degrees = the same subspace.
//   Reconstruction errors: mean over the training examples of ||x - x^||^2 (summed over dimensions); PCA's is the
//   floor an affine rank-k map can reach, so the AE's is at least PCA's and equal at convergence.
import * as tf from '@tensorflow/tfjs';
import type { LinearPcaResult, LinearPcaSettings } from '../../core/theory';
import { Dataset, exampleSize, floatRows } from '../data';
import { orthonormalBasis, principalAnglesDegrees, symmetricEigen, topPrincipalComponents } from '../linalg';
import type { LinearAutoencoder } from '../models/linearAe';
import { Rng } from '../rng';
import { header } from './common';

/** Data dimensions up to which PCA uses the full Jacobi eigendecomposition (linalg.ts); above, subspace iteration. */
const JACOBI_MAX_DIM = 100;

/**
 * Top-k principal directions by orthogonal (subspace) iteration on C with k + 10 vectors and a final Rayleigh-Ritz
 * step: Q <- orth(C Q), repeated; then the eigenvectors of Q^T C Q, mapped back by Q. Converges like
 * (lambda_{k+11} / lambda_k)^iterations.
 */
export function subspaceIterationPcs(cov: tf.Tensor2D, k: number, iterations = 300, seed = 1): number[][] {
  const d = cov.shape[0];
  const p = Math.min(d, k + 10);
  const rng = new Rng(seed);
  let q = orthonormalBasis(Array.from({ length: p }, () => Array.from({ length: d }, () => rng.normal())));
  for (let it = 0; it < iterations; it++) {
    const cq = tf.tidy(() => cov.matMul(tf.tensor2d(q).transpose()).transpose().arraySync() as number[][]); // [p, d]: rows C q_j
    q = orthonormalBasis(cq);
  }
  const t = tf.tidy(() => {
    const qt = tf.tensor2d(q);
    return qt.matMul(cov).matMul(qt.transpose()).arraySync() as number[][];
  });
  const { vectors } = symmetricEigen(t.map((row, i) => row.map((v, j) => (v + t[j][i]) / 2)));
  return vectors.slice(0, k).map((v) => q[0].map((_, c) => v.reduce((s, vi, i) => s + vi * q[i][c], 0)));
}

export async function linearPcaLesson(model: LinearAutoencoder, train: Dataset, run: { runId: string; experiment: string }, o: { examples?: number } = {}): Promise<LinearPcaResult> {
  const t0 = Date.now();
  const n = Math.min(train.n, o.examples ?? 10000);
  const dim = exampleSize(train.shape);
  const k = model.latentDim;
  const settings: LinearPcaSettings = { examples: n, k, pcaMethod: dim <= JACOBI_MAX_DIM ? 'jacobi' : 'subspace-iteration' };
  const values = floatRows(train, 0, n);
  const x = tf.tensor2d(values, [n, dim]);
  try {
    const mean = tf.tidy(() => x.mean(0));
    const xc = tf.tidy(() => x.sub(mean));
    let pcs: number[][];
    if (settings.pcaMethod === 'jacobi') {
      pcs = topPrincipalComponents((await x.array()) as number[][], k);
    } else {
      const cov = tf.tidy(() => xc.transpose().matMul(xc).div(Math.max(1, n - 1))) as tf.Tensor2D;
      pcs = subspaceIterationPcs(cov, k);
      cov.dispose();
    }
    const [pcaError, aeError, variances] = tf.tidy(() => {
      const u = tf.tensor2d(pcs); // [k, dim]
      const proj = xc.matMul(u.transpose()); // [n, k]
      const pcaErr = xc.sub(proj.matMul(u)).square().sum(1).mean();
      const recon = model.reconstruct(x.reshape([n, ...train.shape])).reshape([n, dim]);
      const aeErr = x.sub(recon).square().sum(1).mean();
      const vars = proj.square().sum(0).div(Math.max(1, n - 1));
      return [pcaErr, aeErr, vars];
    });
    const [pe, ae, ev] = [(await pcaError.data())[0], (await aeError.data())[0], Array.from(await variances.data())];
    tf.dispose([mean, xc, pcaError, aeError, variances]);
    const basis = await model.decoderDirections();
    return {
      ...header('linear-pca', run, t0, settings),
      dataDim: dim,
      decoderBasis: basis,
      principalComponents: pcs,
      explainedVariance: ev,
      anglesDegrees: principalAnglesDegrees(basis, pcs),
      aeReconstructionError: ae,
      pcaReconstructionError: pe,
    };
  } finally {
    x.dispose();
  }
}

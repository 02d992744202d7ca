// Importance-weighted estimates of log p(x) (Burda et al. 2015), with q(z|x) as the proposal:
//   L_k(x) = log (1/k) sum_{i=1..k} w_i,   w_i = p(x|z_i) p(z_i) / q(z_i|x),   z_i ~ q(z|x)
// L_1 is the ELBO (one sample), L_k never decreases in expectation as k grows, and L_k -> log p(x). IWAE trains on
// L_k; evaluation uses it with k in the thousands, in chunks of samples so that memory stays bounded.
import * as tf from '@tensorflow/tfjs';
import type { ElboOptions } from './elbo';
import { reparameterize } from './elbo';
import { repeatRows } from './likelihood';
import { logNormal, logStandardNormal } from './kl';

/** The ELBO's options, with `samples` the number k of importance samples, and the prior's log-density (default N(0, I)). */
export type ImportanceOptions = ElboOptions & { logPrior?: (z: tf.Tensor2D) => tf.Tensor1D };

/**
 * log w for k samples per example, [k, B], for a Gaussian q(z|x) and the prior N(0, I) (a model with another
 * posterior or prior provides its own weights: AutoencoderModel.logImportanceWeights).
 */
export function gaussianLogWeights(o: ImportanceOptions): tf.Tensor2D {
  return tf.tidy(() => {
    const { mean, logVar } = o.posterior;
    const [b, d] = mean.shape;
    const k = o.samples;
    const eps = tf.randomNormal([k, b, d], 0, 1, 'float32', o.seed);
    const z3 = reparameterize(mean.expandDims(0), logVar.expandDims(0), eps); // [k, B, D]
    const z = z3.reshape([k * b, d]) as tf.Tensor2D;
    const target = repeatRows(o.target.reshape([b, -1]), k);
    const logPxz = o.logLik(target, o.decode(z)).reshape([k, b]);
    const logPz = o.logPrior ? o.logPrior(z).reshape([k, b]) : logStandardNormal(z3); // [k, B]
    const logQ = logNormal(z3, mean.expandDims(0), logVar.expandDims(0)); // [k, B]
    return logPxz.add(logPz).sub(logQ) as tf.Tensor2D;
  });
}

/** The k-sample bound per example, [B]. */
export function importanceWeightedBound(o: ImportanceOptions): tf.Tensor1D {
  return tf.tidy(() => tf.logSumExp(gaussianLogWeights(o), 0).sub(Math.log(o.samples)) as tf.Tensor1D);
}

/** log w for `samples` draws per example with a seed: [samples, B] (a model's logImportanceWeights for one batch). */
export type LogWeights = (samples: number, seed: number) => tf.Tensor2D;

/**
 * log p(x) estimated with k importance samples, drawn `chunk` at a time (so memory is bounded by chunk x batch).
 * Returns one value per example. Chunks combine exactly: logsumexp over all samples = logsumexp of chunk logsumexps.
 */
export async function estimateLogLikelihood(logWeights: LogWeights, k: number, seed: number, chunk = 500): Promise<Float32Array> {
  const parts: tf.Tensor1D[] = [];
  for (let done = 0, i = 0; done < k; done += chunk, i++) {
    const n = Math.min(chunk, k - done);
    parts.push(tf.tidy(() => tf.logSumExp(logWeights(n, seed + i * 7919), 0) as tf.Tensor1D));
    await tf.nextFrame?.();
  }
  const total = tf.tidy(() => tf.logSumExp(tf.stack(parts), 0).sub(Math.log(k)));
  const out = (await total.data()) as Float32Array;
  tf.dispose([...parts, total]);
  return out;
}

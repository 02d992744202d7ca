// Categorical latent variables and the Gumbel-softmax (Jang, Gu and Poole 2017, "Categorical Reparameterization with
// Gumbel-Softmax"; Maddison, Mnih and Teh 2017, "The Concrete Distribution").
//
// A variable with K categories and logits l has q(c = k) = softmax(l)_k. With g_k ~ Gumbel(0, 1) = -log(-log u),
// u ~ U(0, 1):
//   argmax_k (l_k + g_k) is an exact draw of c (the Gumbel-max trick), and
//   y = softmax((l + g) / tau) is its relaxation, a point of the simplex that tends to the one-hot draw as tau -> 0
//   and through which gradients reach l (the reparameterisation the discrete draw lacks).
// `hard` (straight-through Gumbel-softmax): the one-hot of argmax y forward, the gradient of y backward.
// With the uniform prior p(c = k) = 1/K, KL(q || p) = sum_k q_k log q_k + log K, in closed form.
import * as tf from '@tensorflow/tfjs';
import { straightThrough } from './stopGradient';

/** Gumbel(0, 1) noise -log(-log u) of a shape, seeded (u kept inside (0, 1) so that both logs are finite). */
export function gumbelNoise(shape: number[], seed: number): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.randomUniform(shape, 0, 1, 'float32', seed).clipByValue(1e-10, 1 - 1e-7);
    return tf.neg(tf.log(tf.neg(tf.log(u))));
  });
}

/** The relaxed sample softmax((logits + g) / tau) over the last axis; `hard`: one-hot forward, straight-through backward. */
export function gumbelSoftmax(logits: tf.Tensor, noise: tf.Tensor, tau: number, hard: boolean): tf.Tensor {
  return tf.tidy(() => {
    const y = tf.softmax(logits.add(noise).div(tau));
    if (!hard) return y;
    const k = y.shape[y.rank - 1];
    const oneHot = tf.oneHot(tf.argMax(y, -1), k).toFloat().reshape(y.shape);
    return straightThrough(oneHot, y);
  });
}

/** Exact one-hot draws from the categoricals of the logits (Gumbel-max), the logits' shape. */
export function sampleOneHot(logits: tf.Tensor, noise: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const k = logits.shape[logits.rank - 1];
    return tf.oneHot(tf.argMax(logits.add(noise), -1), k).toFloat().reshape(noise.shape);
  });
}

/** KL(q || uniform) = sum_k q_k log q_k + log K for each variable: logits [..., K] -> [...]. */
export function categoricalKl(logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const k = logits.shape[logits.rank - 1];
    const logQ = tf.logSoftmax(logits);
    return logQ.exp().mul(logQ).sum(-1).add(Math.log(k));
  });
}

/** log q(c) of one-hot values c [..., K] under the categoricals of the logits (broadcast), summed over the last axis. */
export function logCategorical(oneHot: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => oneHot.mul(tf.logSoftmax(logits)).sum(-1));
}

/** The annealed temperature tau(step) = start * (end / start)^(step / totalSteps), held at `end` after the last step. */
export function temperatureAt(start: number, end: number, step: number, totalSteps: number): number {
  const t = totalSteps > 0 ? Math.min(1, Math.max(0, step / totalSteps)) : 1;
  return start * Math.pow(end / start, t);
}

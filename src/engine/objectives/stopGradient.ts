// The stop-gradient operator sg(x) of the discrete-latent objectives (the vq-vae's codebook and commitment losses,
// straight-through estimators): sg(x) = x in the forward pass, d sg(x) / dx = 0. TF.js has no tf.stopGradient; it is
// a custom gradient that returns zeros.
import * as tf from '@tensorflow/tfjs';

const stop = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  return { value: x.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
});

/** sg(x): the value of x, no gradient to x. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stop(x) as T;
}

/**
 * The straight-through estimator (Bengio et al. 2013): the value of `forward`, the gradient of `backward`, written as
 * backward + sg(forward - backward). The forward value equals `forward` up to float rounding (one ulp of `backward`).
 */
export function straightThrough<T extends tf.Tensor>(forward: T, backward: T): T {
  return tf.tidy(() => backward.add(stopGradient(forward.sub(backward))) as T);
}

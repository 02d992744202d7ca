// `vae-lab backend check <name>`: start a backend and compare a small forward and backward pass (dense layer, strided
// convolution, transposed matmul) with the cpu backend. The installer runs it in a child process before it replaces
// an installed backend; users run it to see that a backend works on their machine.
import * as tf from '@tensorflow/tfjs';
import type { BackendChoice } from '../../core/config';
import type { BackendInfo } from '../../core/protocol';
import { BackendError, initBackend } from './index';

export interface CheckResult {
  backend: BackendInfo;
  /** The largest difference from the cpu backend, relative to the largest value of each output. */
  maxRelativeDifference: number;
  milliseconds: number;
}

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** Loss and gradients of a tiny model, as plain arrays, on the active backend (read asynchronously: GPU tensors). */
async function pass(): Promise<Float32Array[]> {
  const tensors = tf.tidy(() => {
    const x = seeded([8, 16], 1);
    const w = seeded([16, 12], 2);
    const img = seeded([2, 8, 8, 3], 3);
    const f = seeded([3, 3, 3, 4], 4);
    const loss = (wv: tf.Tensor, fv: tf.Tensor) =>
      tf.add(
        tf.sum(tf.square(tf.relu(tf.matMul(x, wv as tf.Tensor2D)))),
        tf.sum(tf.square(tf.conv2d(img as tf.Tensor4D, fv as tf.Tensor4D, 2, 'same'))),
      ) as tf.Scalar;
    const { value, grads } = tf.valueAndGrads(loss)([w, f]);
    return [value, ...grads];
  });
  const arrays = (await Promise.all(tensors.map((t) => t.data()))) as Float32Array[];
  tf.dispose(tensors);
  return arrays;
}

export async function checkBackend(name: BackendChoice): Promise<CheckResult> {
  await initBackend('cpu');
  const expected = await pass();
  const t0 = Date.now();
  const backend = await initBackend(name);
  const got = await pass();
  const milliseconds = Date.now() - t0;
  let worst = 0;
  expected.forEach((e, i) => {
    const scale = Math.max(1e-6, ...Array.from(e, Math.abs));
    for (let j = 0; j < e.length; j++) worst = Math.max(worst, Math.abs(e[j] - got[i][j]) / scale);
  });
  if (!(worst < 1e-3)) throw new BackendError(`backend ${name} started but its results differ from the cpu backend's by ${worst.toExponential(2)} (relative).`);
  return { backend, maxRelativeDifference: worst, milliseconds };
}

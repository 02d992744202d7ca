// Denoising autoencoder (Vincent et al. 2008): during training the encoder sees a corrupted input and the decoder
// must reproduce the clean one, which forces the code to capture the structure of the data rather than copy it.
// Corruption (training only): Gaussian noise of standard deviation `level`, masking a fraction `level` of the
// inputs to 0, or salt-and-pepper on a fraction `level`. Evaluation uses clean inputs.
import * as tf from '@tensorflow/tfjs';
import type { ModelKind } from '../../core/config';
import { imageGrid } from '../images';
import { Rng } from '../rng';
import { Autoencoder } from './ae';
import { readAfterTidy } from './base';

export function corrupt(xs: Float32Array, type: 'gaussian' | 'mask' | 'salt-and-pepper', level: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    if (type === 'gaussian') out[i] = xs[i] + level * rng.normal();
    else if (type === 'mask') out[i] = rng.next() < level ? 0 : xs[i];
    else out[i] = rng.next() < level ? (rng.next() < 0.5 ? 0 : 1) : xs[i];
  }
  return out;
}

export class DenoisingAutoencoder extends Autoencoder {
  override readonly kind: ModelKind = 'denoising-ae';

  override trainingInput(xs: Float32Array, seed: number): Float32Array {
    const c = this.config.objective.corruption!;
    return corrupt(xs, c.type, c.level, seed);
  }

  /** Rows of three: corrupted input, clean input, reconstruction from the corrupted input. */
  override async extraImages(validation: { x: Float32Array; n: number }, seed: number): Promise<{ title: string; name: string; png: Buffer }[]> {
    if (this.exampleShape.length !== 3) return [];
    const n = Math.min(8, validation.n);
    const dim = this.exampleShape.reduce((a, b) => a * b, 1);
    const clean = validation.x.subarray(0, n * dim);
    const noisy = this.trainingInput(Float32Array.from(clean), seed);
    const [recon] = await readAfterTidy(() => [this.reconstruct(tf.tensor(noisy, [n, ...this.exampleShape]))]);
    const grid = new Float32Array(3 * n * dim);
    for (let i = 0; i < n; i++) {
      grid.set(noisy.subarray(i * dim, (i + 1) * dim), (3 * i) * dim);
      grid.set(clean.subarray(i * dim, (i + 1) * dim), (3 * i + 1) * dim);
      grid.set(recon.subarray(i * dim, (i + 1) * dim), (3 * i + 2) * dim);
    }
    return [{ title: 'Noisy input, clean input, reconstruction from the noisy input', name: 'denoising', png: imageGrid(grid, 3 * n, this.exampleShape, 6) }];
  }
}

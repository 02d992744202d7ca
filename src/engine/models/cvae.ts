// Conditional VAE (Sohn et al. 2015): q(z|x, y) and p(x|z, y) read the one-hot label y next to the image, so the
// code is free to describe everything but the class (style), and generation picks the class: x ~ p(x|z, y=c),
// z ~ N(0, I). Its ELBO is the VAE's, conditioned on y.
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig, ModelKind } from '../../core/config';
import { DataError } from '../data';
import { imageGrid } from '../images';
import { readAfterTidy } from './base';
import { Vae } from './vae';

export class Cvae extends Vae {
  override readonly kind: ModelKind = 'cvae';

  constructor(config: ExperimentConfig, exampleShape: number[], numClasses: number) {
    if (numClasses < 2) throw new DataError('data', '/model/kind "cvae" needs labelled data with at least 2 classes; this source has no labels.');
    super(config, exampleShape, numClasses, true);
  }

  /** Samples per class: row c holds decodes of z ~ N(0, I) with y = c (the same z in every row). */
  override async extraImages(_validation: unknown, seed: number): Promise<{ title: string; name: string; png: Buffer }[]> {
    if (this.exampleShape.length !== 3) return [];
    const perClass = 10;
    const classes = Math.min(this.numClasses, 16);
    const [values] = await readAfterTidy(() => {
      const z = tf.tile(this.samplePrior(perClass, seed), [classes, 1]) as tf.Tensor2D;
      const y = tf.oneHot(tf.tensor1d(Array.from({ length: classes * perClass }, (_, k) => Math.floor(k / perClass)), 'int32'), this.numClasses).toFloat() as tf.Tensor2D;
      return [this.decodeMean(z, y)];
    });
    return [{ title: 'Samples per class (row c: y = c, the same z in every row)', name: 'per-class', png: imageGrid(values, classes * perClass, this.exampleShape, perClass) }];
  }
}

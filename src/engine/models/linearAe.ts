// Linear autoencoder: no activations and squared error (a Gaussian likelihood with fixed sigma). Its optimum spans
// the same subspace as the top principal components of the data (Baldi and Hornik 1989), which is why an
// autoencoder without non-linearities is PCA in disguise (seed 003).
import type { ModelKind } from '../../core/config';
import { Autoencoder } from './ae';

export class LinearAutoencoder extends Autoencoder {
  override readonly kind: ModelKind = 'linear-ae';

  /**
   * The directions the decoder maps codes onto: the rows of the composed linear map z -> x, one per latent dimension
   * (vectors in data space). The principal angles between their span and the top-k PCA subspace go to 0.
   */
  async decoderDirections(): Promise<number[][]> {
    // Compose the decoder's dense kernels (biases do not change the span): W = W_1 W_2 ... W_L, [latent, data].
    let w: number[][] | undefined;
    for (const layer of this.decoder.layers) {
      const kernel = layer.getWeights()[0];
      if (!kernel || kernel.shape.length !== 2) continue;
      const k = (await kernel.array()) as number[][];
      w = w ? w.map((row) => k[0].map((_, j) => row.reduce((s, v, i) => s + v * k[i][j], 0))) : k;
    }
    if (!w) throw new Error('the decoder has no dense layers');
    return w;
  }
}

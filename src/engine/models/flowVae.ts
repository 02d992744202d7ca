// VAE with a normalising-flow posterior (Rezende and Mohamed 2015): the encoder gives the Gaussian q_0(z_0|x) and, per
// example, the parameters of K planar flows (objectives/flows.ts) that carry z_0 to z_K. The posterior q_K(z_K|x) can
// then be skewed and curved towards p(z|x), which narrows the gap between the ELBO and log p(x):
//
//   ELBO = E_{z_0 ~ q_0}[log p(x|z_K) + log p(z_K) - log q_0(z_0|x) + sum_k log |det df_k/dz_{k-1}|]
//
// estimated with L samples; the KL term KL(q_K || p) is the Monte Carlo value log q_K(z_K|x) - log p(z_K), logged as
// kl, with the flows' mean log-determinant as logDet. The code a deterministic view shows is the flow applied to the
// mean, f_K(...f_1(mu(x))).
import * as tf from '@tensorflow/tfjs';
import type { ModelKind } from '../../core/config';
import { reparameterize } from '../objectives/elbo';
import { planarFlow, planarParameterCount } from '../objectives/flows';
import { logNormal, logStandardNormal } from '../objectives/kl';
import { repeatRows } from '../objectives/likelihood';
import { BatchTerms, StepContext } from './base';
import { head, Seeds } from './networks';
import { Vae } from './vae';

export class FlowVae extends Vae {
  override readonly kind: ModelKind = 'flow-vae';
  override readonly gaussianPosterior = false;

  /** The number K of planar maps (read from the config: the constructor of Vae asks for the heads before this class's fields exist). */
  get flowLength(): number {
    return this.config.objective.flow!.length;
  }

  protected override extraHeads(hidden: tf.SymbolicTensor, seeds: Seeds): tf.SymbolicTensor[] {
    return [head(hidden, planarParameterCount(this.latentDim, this.flowLength), seeds, 'flow_params')];
  }

  /** q_0's mean and log-variance and the flows' parameters, [B, D], [B, D], [B, K (2D + 1)]. */
  flowPosterior(x: tf.Tensor): { mean: tf.Tensor2D; logVar: tf.Tensor2D; params: tf.Tensor2D } {
    const [mean, logVar, params] = this.encoder.apply(x) as tf.Tensor2D[];
    return { mean, logVar, params };
  }

  /**
   * k draws z_K ~ q_K(z|x) per example with log q_K(z_K|x): z [k * B, D] (sample-major) and logQ [k, B].
   */
  drawPosterior(x: tf.Tensor, k: number, seed: number): { z: tf.Tensor2D; logQ: tf.Tensor2D; logDet: tf.Tensor2D } {
    return tf.tidy(() => {
      const { mean, logVar, params } = this.flowPosterior(x);
      const [b, d] = mean.shape;
      const eps = tf.randomNormal([k, b, d], 0, 1, 'float32', seed);
      const z0 = reparameterize(mean.expandDims(0), logVar.expandDims(0), eps); // [k, B, D]
      const logQ0 = logNormal(z0, mean.expandDims(0), logVar.expandDims(0)) as tf.Tensor2D; // [k, B]
      const flowed = planarFlow(z0.reshape([k * b, d]) as tf.Tensor2D, repeatRows(params, k) as tf.Tensor2D, this.flowLength);
      const logDet = flowed.logDet.reshape([k, b]) as tf.Tensor2D;
      return { z: flowed.z, logQ: logQ0.sub(logDet) as tf.Tensor2D, logDet };
    });
  }

  override terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const b = x.shape[0];
      const L = this.config.objective.samples;
      const { z, logQ, logDet } = this.drawPosterior(x, L, ctx.seed);
      const logLik = this.logLik(L === 1 ? target : repeatRows(target.reshape([b, -1]), L), this.decode(z)).reshape([L, b]);
      return this.monteCarloTerms(logLik as tf.Tensor2D, logQ, logStandardNormal(z).reshape([L, b]) as tf.Tensor2D, ctx.klWeight, { logDet: logDet.mean() });
    });
  }

  override encodeMean(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      const { mean, params } = this.flowPosterior(x);
      return planarFlow(mean, params, this.flowLength).z;
    });
  }

  override logImportanceWeights(x: tf.Tensor, _labels: tf.Tensor2D | undefined, k: number, seed: number): tf.Tensor2D {
    return tf.tidy(() => {
      const b = x.shape[0];
      const { z, logQ } = this.drawPosterior(x, k, seed);
      const logPxz = this.logLik(repeatRows(x.reshape([b, -1]), k), this.decode(z)).reshape([k, b]);
      return logPxz.add(logStandardNormal(z).reshape([k, b])).sub(logQ) as tf.Tensor2D;
    });
  }
}

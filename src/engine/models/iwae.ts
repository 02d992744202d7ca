// Importance-weighted autoencoder (Burda et al. 2015): the same networks as the VAE, trained on the k-sample bound
//   L_k = E[log (1/k) sum_i p(x, z_i) / q(z_i | x)] >= ELBO,
// which is tighter for k > 1 and lets q(z|x) be less exact. The ELBO and the closed-form KL are logged as well.
import * as tf from '@tensorflow/tfjs';
import type { ModelKind } from '../../core/config';
import { gaussianKlPerDim } from '../objectives/kl';
import { gaussianLogWeights } from '../objectives/importance';
import { BatchTerms, StepContext } from './base';
import { Vae } from './vae';

export class Iwae extends Vae {
  override readonly kind: ModelKind = 'iwae';

  override terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const k = this.config.objective.importanceSamples ?? 5;
      const posterior = this.posterior(x);
      const logW = gaussianLogWeights({ target, posterior, decode: (z) => this.decode(z), logLik: this.logLik, samples: k, seed: ctx.seed }); // [k, B]
      const bound = tf.logSumExp(logW, 0).sub(Math.log(k));
      const klPerDim = gaussianKlPerDim(posterior.mean, posterior.logVar);
      const kl = klPerDim.sum(1);
      // The ELBO from the same samples is the mean log weight; since ELBO = E[log p(x|z)] - KL, the reconstruction
      // term -E[log p(x|z)] is -(ELBO + KL).
      const elboPerExample = logW.mean(0);
      const metrics: Record<string, tf.Scalar> = {
        iwBound: bound.mean(),
        elbo: elboPerExample.mean(),
        kl: kl.mean(),
        recon: tf.neg(elboPerExample.add(kl)).mean(),
      };
      return { loss: tf.neg(bound.mean()) as tf.Scalar, metrics, klPerDim: klPerDim.mean(0) as tf.Tensor1D };
    });
  }
}

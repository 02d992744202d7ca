// VAE with a VampPrior (Tomczak and Welling 2018, "VAE with a VampPrior"): the prior is the mixture of the encoder's
// own posteriors at K learned pseudo-inputs u_k,
//
//   p(z) = (1/K) sum_k q(z | u_k)            (objectives/mixture.ts)
//
// the "variational mixture of posteriors" that approximates the aggregate posterior, which is the prior that
// maximises the ELBO. The pseudo-inputs live in data space (sigmoid of a free variable, so they stay in [0, 1] like
// the data) and are trained with the networks. The KL has no closed form: it is estimated with the ELBO's samples,
//
//   KL ~= (1/L) sum_l [log q(z_l|x) - log p(z_l)],   z_l = mu + sigma * eps_l,
//
// and weighted by beta times the KL schedule as for the VAE. Sampling draws a component, then z ~ q(z | u_k).
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig, ModelKind } from '../../core/config';
import { reparameterize } from '../objectives/elbo';
import { gaussianLogWeights } from '../objectives/importance';
import { logNormal } from '../objectives/kl';
import { repeatRows } from '../objectives/likelihood';
import { mixtureLogDensity } from '../objectives/mixture';
import { mixSeed, Stream } from '../rng';
import { countParameters } from './networks';
import { BatchTerms, StepContext } from './base';
import { Vae } from './vae';

export class VampVae extends Vae {
  override readonly kind: ModelKind = 'vamp-vae';
  override readonly standardPrior = false;
  /** The pseudo-inputs before the sigmoid, [K, ...example shape]. */
  readonly pseudoInputs: tf.Variable;

  constructor(config: ExperimentConfig, exampleShape: number[]) {
    super(config, exampleShape);
    const k = config.objective.vamp!.components;
    this.pseudoInputs = tf.tidy(() => tf.variable(tf.randomNormal([k, ...exampleShape], 0, 1, 'float32', mixSeed(config.training.seed, Stream.init, 9001)), true));
  }

  /** The mixture's components: q(z | u_k) for the K pseudo-inputs, means and log-variances [K, D]. */
  components(): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
    return tf.tidy(() => this.posterior(tf.sigmoid(this.pseudoInputs)));
  }

  /** log p(z) for codes [N, D]: [N]. */
  logPrior(z: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const c = this.components();
      return mixtureLogDensity(z, c.mean, c.logVar);
    });
  }

  override terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const { mean, logVar } = this.posterior(x);
      const [b, d] = mean.shape;
      const L = this.config.objective.samples;
      const eps = tf.randomNormal([L, b, d], 0, 1, 'float32', ctx.seed);
      const z3 = reparameterize(mean.expandDims(0), logVar.expandDims(0), eps); // [L, B, D]
      const z = z3.reshape([L * b, d]) as tf.Tensor2D;
      const logLik = this.logLik(L === 1 ? target : repeatRows(target.reshape([b, -1]), L), this.decode(z)).reshape([L, b]);
      const logQ = logNormal(z3, mean.expandDims(0), logVar.expandDims(0)); // [L, B]
      const logP = this.logPrior(z).reshape([L, b]) as tf.Tensor2D;
      return this.monteCarloTerms(logLik as tf.Tensor2D, logQ as tf.Tensor2D, logP, ctx.klWeight, { logPrior: logP.mean() });
    });
  }

  override samplePrior(n: number, seed: number): tf.Tensor2D {
    return tf.tidy(() => {
      const c = this.components();
      const k = c.mean.shape[0];
      const pick = tf.multinomial(tf.zeros([1, k]) as tf.Tensor2D, n, mixSeed(seed, Stream.sample, 1)).reshape([n]) as tf.Tensor1D;
      const eps = tf.randomNormal([n, this.latentDim], 0, 1, 'float32', mixSeed(seed, Stream.sample, 2));
      return reparameterize(tf.gather(c.mean, pick), tf.gather(c.logVar, pick), eps) as tf.Tensor2D;
    });
  }

  override logImportanceWeights(x: tf.Tensor, labels: tf.Tensor2D | undefined, k: number, seed: number): tf.Tensor2D {
    return tf.tidy(() => {
      const c = this.components();
      return gaussianLogWeights({
        target: x,
        posterior: this.posterior(x),
        decode: (z) => this.decode(z),
        logLik: this.logLik,
        samples: k,
        seed,
        logPrior: (z) => mixtureLogDensity(z, c.mean, c.logVar),
      });
    });
  }

  override trainableVariables(): tf.Variable[] {
    return [...super.trainableVariables(), this.pseudoInputs];
  }

  override parameterCount(): number {
    return countParameters([this.encoder, this.decoder], [this.pseudoInputs, ...(this.logSigma ? [this.logSigma] : [])]);
  }

  override dispose(): void {
    super.dispose();
    this.pseudoInputs.dispose();
  }
}

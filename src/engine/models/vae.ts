// Variational autoencoder (Kingma and Welling 2014): a Gaussian encoder q(z|x) = N(mu(x), diag(sigma^2(x))) with
// separate mean and log-variance heads, the prior p(z) = N(0, I), and the decoder p(x|z). Trained by maximising
// the ELBO, estimated with L reparameterised samples z = mu + sigma * eps and the closed-form KL.
// With `conditional`, encoder and decoder also read the one-hot label y (the cvae builds on this).
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig, ModelKind } from '../../core/config';
import { elbo, ElboTerms, klWeightedLoss } from '../objectives/elbo';
import { gaussianLogWeights } from '../objectives/importance';
import { repeatRows } from '../objectives/likelihood';
import { AutoencoderModel, BatchTerms, StepContext } from './base';
import { buildDecoder, encoderTrunk, head, Seeds } from './networks';

export class Vae extends AutoencoderModel {
  readonly kind: ModelKind = 'vae';
  readonly hasKl = true;
  /**
   * Whether q(z|x) is the Gaussian the encoder outputs (a flow transforms it) and p(z) is N(0, I) (a VampPrior or a
   * second stochastic layer replaces it): what the closed-form KL, the quadrature of --exact and the theory lab assume.
   */
  readonly gaussianPosterior: boolean = true;
  readonly standardPrior: boolean = true;
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;

  constructor(config: ExperimentConfig, exampleShape: number[], numClasses = 0, conditional = false) {
    super(config, exampleShape, numClasses, conditional);
    const seeds = new Seeds(config.training.seed);
    const classes = conditional ? numClasses : 0;
    const { input, label, hidden } = encoderTrunk(exampleShape, config.model.encoder, seeds, classes);
    const mean = head(hidden, this.latentDim, seeds, 'z_mean');
    const logVar = head(hidden, this.latentDim, seeds, 'z_log_var');
    this.encoder = tf.model({ inputs: label ? [input, label] : input, outputs: [mean, logVar, ...this.extraHeads(hidden, seeds)], name: 'encoder' });
    this.decoder = buildDecoder(this.latentDim, exampleShape, config.model.decoder, seeds, classes);
  }

  /** Encoder outputs after the mean and log-variance (a flow's parameters); called by the constructor. */
  protected extraHeads(_hidden: tf.SymbolicTensor, _seeds: Seeds): tf.SymbolicTensor[] {
    return [];
  }

  /** Capacity target C at a step; none for the plain VAE. */
  protected capacityAt(_step: number): number | undefined {
    return undefined;
  }

  /** Posterior parameters of q(z|x) (or q(z|x,y)). */
  posterior(x: tf.Tensor, labels?: tf.Tensor2D): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
    const [mean, logVar] = this.encoder.apply(this.conditional ? [x, labels!] : x) as tf.Tensor2D[];
    return { mean, logVar };
  }

  /** The ELBO's terms; a kind that also needs q(z|x) for a term of its own passes the posterior it computed. */
  protected elboTerms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext, samples: number, posterior = this.posterior(x, ctx.labels)): ElboTerms {
    return elbo({
      target,
      posterior,
      decode: (z) => this.decode(z, ctx.labels ? (repeatRows(ctx.labels, samples) as tf.Tensor2D) : undefined),
      logLik: this.logLik,
      samples,
      seed: ctx.seed,
    });
  }

  terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const t = this.elboTerms(x, target, ctx, this.config.objective.samples);
      const capacity = this.capacityAt(ctx.step);
      const { loss, klPenalty } = klWeightedLoss(t, { weight: ctx.klWeight, freeBits: this.config.objective.freeBits, capacity });
      const metrics: Record<string, tf.Scalar> = {
        recon: t.recon.mean(),
        kl: t.kl.mean(),
        elbo: t.elbo.mean(),
        klPenalty,
      };
      if (capacity !== undefined) metrics.capacity = tf.scalar(capacity);
      if (this.logSigma) metrics.sigma = this.logSigma.exp() as tf.Scalar;
      return { loss, metrics, klPerDim: t.klPerDim.mean(0) as tf.Tensor1D };
    });
  }

  encodeMean(x: tf.Tensor, labels?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.posterior(x, labels).mean);
  }

  /**
   * The terms when the KL has no closed form (a VampPrior, a flow posterior): from L draws per example, log p(x|z),
   * log q(z|x) and log p(z), each [L, B], recon = -mean_l log p(x|z_l) and KL = mean_l [log q(z_l|x) - log p(z_l)],
   * weighted by the KL schedule; `extra` adds the kind's own terms.
   */
  protected monteCarloTerms(logLik: tf.Tensor2D, logQ: tf.Tensor2D, logP: tf.Tensor2D, klWeight: number, extra: Record<string, tf.Scalar>): { loss: tf.Scalar; metrics: Record<string, tf.Scalar> } {
    // Called inside the kind's terms(), whose tidy owns these tensors.
    const recon = tf.neg(logLik.mean(0));
    const kl = logQ.sub(logP).mean(0);
    const klMean = kl.mean() as tf.Scalar;
    const metrics: Record<string, tf.Scalar> = { recon: recon.mean(), kl: klMean, elbo: tf.neg(recon.add(kl)).mean(), klPenalty: klMean, ...extra };
    if (this.logSigma) metrics.sigma = this.logSigma.exp() as tf.Scalar;
    return { loss: recon.mean().add(klMean.mul(klWeight)) as tf.Scalar, metrics };
  }

  override logImportanceWeights(x: tf.Tensor, labels: tf.Tensor2D | undefined, k: number, seed: number): tf.Tensor2D {
    return tf.tidy(() =>
      gaussianLogWeights({
        target: x,
        posterior: this.posterior(x, labels),
        decode: (z) => this.decode(z, labels ? (repeatRows(labels, z.shape[0] / labels.shape[0]) as tf.Tensor2D) : undefined),
        logLik: this.logLik,
        samples: k,
        seed,
      }),
    );
  }
}

/**
 * A VAE whose q(z|x) is the encoder's Gaussian and whose prior is N(0, I): what the quadrature of --exact, the gap per
 * epoch and the theory lab's posterior, Monte Carlo and reparameterisation lessons compute with.
 */
export function isPlainVae(model: unknown): model is Vae {
  return model instanceof Vae && model.gaussianPosterior && model.standardPrior;
}

// FactorVAE (Kim and Mnih 2018, "Disentangling by Factorising"): the ELBO plus gamma times the total correlation of
// the aggregate posterior, KL(q(z) || prod_d q(z_d)), estimated by a discriminator D that tells codes z ~ q(z) (label
// 1) from codes whose dimensions were shuffled independently across the batch (label 0, samples of prod_d q(z_d)):
//
//   TC ~= E_q(z)[log D(z) / (1 - D(z))] = E_q(z)[logit D(z)]        (the density-ratio trick)
//   VAE:           loss = recon + w * KL + gamma * mean logit D(z),  z ~ q(z|x) reparameterised   (gamma: objective.beta)
//   discriminator: loss = BCE(D(z), 1) + BCE(D(permute_dims(z)), 0),  z held fixed
//
// Each batch runs the two phases with their own optimizers (the discriminator: Adam with beta1 = 0.5 at
// model.discriminator.learningRate, as the aae's). The permutation uses the batch itself (the paper draws a second
// batch). Logged: tc (the discriminator's estimate), discLoss and discAccuracy next to the ELBO's terms.
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig, ModelKind } from '../../core/config';
import { reparameterize } from '../objectives/elbo';
import { bernoulliLogLik } from '../objectives/likelihood';
import { Optimizer } from '../optimizers';
import { mixSeed, permutation, Stream } from '../rng';
import { klScheduleWeight } from '../schedules';
import { BatchTerms, OptimizerGroup, StepContext } from './base';
import { codeDiscriminator } from './networks';
import { Vae } from './vae';

/** Each column of z [B, D] shuffled by its own seeded permutation of the rows: a sample of prod_d q(z_d). */
export function permuteDims(z: tf.Tensor2D, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const b = z.shape[0];
    const cols = tf.unstack(z, 1).map((col, j) => tf.gather(col, tf.tensor1d(Array.from(permutation(b, mixSeed(seed, Stream.shuffle, j))), 'int32')));
    return tf.stack(cols, 1) as tf.Tensor2D;
  });
}

export class FactorVae extends Vae {
  override readonly kind: ModelKind = 'factor-vae';
  readonly discriminator: tf.LayersModel;

  constructor(config: ExperimentConfig, exampleShape: number[]) {
    super(config, exampleShape);
    this.discriminator = codeDiscriminator(this.latentDim, config.model.discriminator!, mixSeed(config.training.seed, Stream.adversary), 'tc_disc', 'tc_discriminator');
  }

  private discVars(): tf.Variable[] {
    return this.discriminator.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  override trainableVariables(): tf.Variable[] {
    return [...super.trainableVariables(), ...this.discVars()];
  }

  override createOptimizers(): OptimizerGroup[] {
    const base = this.config.training.optimizer;
    return [
      { name: 'vae', optimizer: new Optimizer(base, super.trainableVariables()) },
      { name: 'discriminator', optimizer: new Optimizer({ ...base, type: 'adam', beta1: 0.5 }, this.discVars()) },
    ];
  }

  /** The discriminator's loss on codes z (label 1) and their dimension-shuffled copy (label 0), and its accuracy. */
  discriminatorTerms(z: tf.Tensor2D, seed: number): { loss: tf.Scalar; accuracy: tf.Scalar } {
    return tf.tidy(() => {
      const real = this.discriminator.apply(z) as tf.Tensor2D;
      const shuffled = this.discriminator.apply(permuteDims(z, seed)) as tf.Tensor2D;
      const loss = tf.neg(bernoulliLogLik(tf.onesLike(real), real).mean().add(bernoulliLogLik(tf.zerosLike(shuffled), shuffled).mean())) as tf.Scalar;
      const accuracy = tf.greater(real, 0).toFloat().mean().add(tf.lessEqual(shuffled, 0).toFloat().mean()).div(2) as tf.Scalar;
      return { loss, accuracy };
    });
  }

  /** The VAE phase's terms: the ELBO's, and the discriminator's TC estimate on reparameterised codes. */
  private vaeTerms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): { loss: tf.Scalar; metrics: Record<string, tf.Scalar>; klPerDim: tf.Tensor1D; z: tf.Tensor2D } {
    const q = this.posterior(x, ctx.labels);
    const { mean, logVar } = q;
    const t = this.elboTerms(x, target, ctx, this.config.objective.samples, q);
    const z = reparameterize(mean, logVar, tf.randomNormal(mean.shape, 0, 1, 'float32', mixSeed(ctx.seed, Stream.epsilon, 17))) as tf.Tensor2D;
    const tc = (this.discriminator.apply(z) as tf.Tensor2D).mean() as tf.Scalar;
    const w = klScheduleWeight(this.config.objective.klSchedule, ctx.step, ctx.totalSteps);
    const klPenalty = t.kl.mean().mul(w).add(tc.mul(this.config.objective.beta)) as tf.Scalar;
    const metrics: Record<string, tf.Scalar> = { recon: t.recon.mean(), kl: t.kl.mean(), elbo: t.elbo.mean(), klPenalty, tc };
    if (this.logSigma) metrics.sigma = this.logSigma.exp() as tf.Scalar;
    return { loss: t.recon.mean().add(klPenalty) as tf.Scalar, metrics, klPerDim: t.klPerDim.mean(0) as tf.Tensor1D, z };
  }

  override terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const v = this.vaeTerms(x, target, ctx);
      const d = this.discriminatorTerms(v.z, mixSeed(ctx.seed, Stream.adversary));
      return { loss: v.loss, metrics: { ...v.metrics, discLoss: d.loss, discAccuracy: d.accuracy }, klPerDim: v.klPerDim };
    });
  }

  override trainStep(x: tf.Tensor, target: tf.Tensor, ctx: StepContext, optimizers: OptimizerGroup[], lr: number, clipNorm: number): Record<string, tf.Scalar> {
    const [vaeOpt, discOpt] = optimizers.map((o) => o.optimizer);
    const discLr = this.config.model.discriminator!.learningRate * (lr / this.config.training.optimizer.learningRate);
    const vaeVars = super.trainableVariables();
    let metrics: Record<string, tf.Scalar> = {};
    let codes: tf.Tensor2D | undefined;
    // 1. The VAE (encoder and decoder), the discriminator fixed.
    const vae = tf.variableGrads(() => {
      const v = this.vaeTerms(x, target, ctx);
      metrics = Object.fromEntries(Object.entries(v.metrics).map(([k, m]) => [k, tf.keep(m)]));
      codes = tf.keep(v.z);
      return v.loss;
    }, vaeVars);
    vaeOpt.apply(vaeVars.map((w) => vae.grads[w.name]), lr, clipNorm)?.dispose();
    tf.dispose(vae.grads);
    // 2. The discriminator on the (now fixed) codes and their shuffled copy.
    const discVars = this.discVars();
    let accuracy: tf.Scalar | undefined;
    const fixed = codes!;
    const disc = tf.variableGrads(() => {
      const d = this.discriminatorTerms(fixed, mixSeed(ctx.seed, Stream.adversary));
      accuracy = tf.keep(d.accuracy);
      return d.loss;
    }, discVars);
    discOpt.apply(discVars.map((w) => disc.grads[w.name]), discLr, clipNorm)?.dispose();
    tf.dispose(disc.grads);
    fixed.dispose();
    return { loss: vae.value, ...metrics, discLoss: disc.value, discAccuracy: accuracy! };
  }

  override dispose(): void {
    super.dispose();
    this.discriminator.dispose();
  }
}

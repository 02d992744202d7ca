// Adversarial autoencoder (Makhzani et al. 2016): a deterministic autoencoder whose codes are pushed toward a prior
// by a discriminator instead of a KL term. Each batch runs three phases, each with its own optimizer:
//   1. reconstruction: encoder and decoder minimise -log p(x | z), z = f(x);
//   2. regularisation, discriminator: D learns to tell prior samples (label 1) from codes f(x) (label 0);
//   3. regularisation, generator: the encoder learns to make D call its codes prior samples.
// The prior is N(0, I) or a mixture of Gaussians on a circle (in the first two dimensions).
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig, ModelKind } from '../../core/config';
import { scatterPlot } from '../images';
import { bernoulliLogLik } from '../objectives/likelihood';
import { mmdSquared } from '../objectives/mmd';
import { Optimizer } from '../optimizers';
import { mixSeed, Rng, Stream } from '../rng';
import { Autoencoder } from './ae';
import { BatchTerms, OptimizerGroup, readAfterTidy, StepContext } from './base';
import { codeDiscriminator } from './networks';

export class AdversarialAutoencoder extends Autoencoder {
  override readonly kind: ModelKind = 'aae';
  readonly discriminator: tf.LayersModel;

  constructor(config: ExperimentConfig, exampleShape: number[]) {
    super(config, exampleShape);
    this.discriminator = codeDiscriminator(this.latentDim, config.model.discriminator!, mixSeed(config.training.seed, Stream.adversary), 'disc', 'discriminator');
  }

  private vars(m: tf.LayersModel): tf.Variable[] {
    return m.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  override trainableVariables(): tf.Variable[] {
    return [...super.trainableVariables(), ...this.vars(this.discriminator)];
  }

  override createOptimizers(): OptimizerGroup[] {
    const base = this.config.training.optimizer;
    const adversarial = { ...base, type: 'adam' as const, beta1: 0.5 };
    return [
      { name: 'reconstruction', optimizer: new Optimizer(base, super.trainableVariables()) },
      { name: 'discriminator', optimizer: new Optimizer(adversarial, this.vars(this.discriminator)) },
      { name: 'generator', optimizer: new Optimizer(adversarial, this.vars(this.encoder)) },
    ];
  }

  /** Prior samples: N(0, I), or a mixture of Gaussians with means on a circle in the first two dimensions. */
  override samplePrior(n: number, seed: number): tf.Tensor2D {
    const p = this.config.objective.prior!;
    if (p.type === 'normal') return super.samplePrior(n, seed);
    const rng = new Rng(seed);
    const z = new Float32Array(n * this.latentDim);
    for (let i = 0; i < n; i++) {
      const c = rng.int(p.components);
      const angle = (2 * Math.PI * c) / p.components;
      for (let d = 0; d < this.latentDim; d++) z[i * this.latentDim + d] = p.std * rng.normal();
      z[i * this.latentDim] += p.radius * Math.cos(angle);
      if (this.latentDim > 1) z[i * this.latentDim + 1] += p.radius * Math.sin(angle);
    }
    return tf.tensor2d(z, [n, this.latentDim]);
  }

  /** Discriminator losses (binary cross-entropy from logits) and its accuracy on prior samples and codes. */
  private adversarialTerms(codes: tf.Tensor2D, prior: tf.Tensor2D): { disc: tf.Scalar; gen: tf.Scalar; accuracy: tf.Scalar } {
    const realLogits = this.discriminator.apply(prior) as tf.Tensor2D;
    const fakeLogits = this.discriminator.apply(codes) as tf.Tensor2D;
    const ones = tf.onesLike(realLogits);
    const zeros = tf.zerosLike(fakeLogits);
    const disc = tf.neg(bernoulliLogLik(ones, realLogits).mean().add(bernoulliLogLik(zeros, fakeLogits).mean())) as tf.Scalar;
    const gen = tf.neg(bernoulliLogLik(tf.onesLike(fakeLogits), fakeLogits).mean()) as tf.Scalar;
    const accuracy = tf.greater(realLogits, 0).toFloat().mean().add(tf.lessEqual(fakeLogits, 0).toFloat().mean()).div(2) as tf.Scalar;
    return { disc, gen, accuracy };
  }

  override terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const z = this.encoder.apply(x) as tf.Tensor2D;
      const recon = tf.neg(this.logLik(target, this.decoder.apply(z) as tf.Tensor)).mean() as tf.Scalar;
      const prior = this.samplePrior(z.shape[0], mixSeed(ctx.seed, Stream.adversary));
      const a = this.adversarialTerms(z, prior);
      // How far the codes are from the prior, independently of the discriminator.
      return { loss: recon, metrics: { recon, discLoss: a.disc, genLoss: a.gen, discAccuracy: a.accuracy, priorMmd: mmdSquared(z, prior) } };
    });
  }

  override trainStep(x: tf.Tensor, target: tf.Tensor, ctx: StepContext, optimizers: OptimizerGroup[], lr: number, clipNorm: number): Record<string, tf.Scalar> {
    const [reconOpt, discOpt, genOpt] = optimizers.map((o) => o.optimizer);
    const adversarialLr = this.config.model.discriminator!.learningRate * (lr / this.config.training.optimizer.learningRate);
    const aeVars = super.trainableVariables();
    const discVars = this.vars(this.discriminator);
    const encVars = this.vars(this.encoder);
    const apply = (opt: Optimizer, vars: tf.Variable[], f: () => tf.Scalar, rate: number) => {
      const { value, grads } = tf.variableGrads(f, vars);
      opt.apply(vars.map((v) => grads[v.name]), rate, clipNorm)?.dispose();
      tf.dispose(grads);
      return value;
    };
    // 1. Reconstruction.
    const recon = apply(reconOpt, aeVars, () => tf.neg(this.logLik(target, this.decoder.apply(this.encoder.apply(x) as tf.Tensor) as tf.Tensor)).mean() as tf.Scalar, lr);
    // 2. Discriminator: prior samples versus (fixed) codes.
    const prior = this.samplePrior(x.shape[0], mixSeed(ctx.seed, Stream.adversary));
    const codes = tf.tidy(() => this.encoder.apply(x) as tf.Tensor2D);
    let accuracy: tf.Scalar | undefined;
    const disc = apply(discOpt, discVars, () => {
      const a = this.adversarialTerms(codes, prior);
      accuracy = tf.keep(a.accuracy);
      return a.disc;
    }, adversarialLr);
    // 3. Generator: the encoder fools the discriminator.
    const gen = apply(genOpt, encVars, () => this.adversarialTerms(this.encoder.apply(x) as tf.Tensor2D, prior).gen, adversarialLr);
    tf.dispose([prior, codes]);
    return { loss: recon, recon: tf.clone(recon), discLoss: disc, genLoss: gen, discAccuracy: accuracy! };
  }

  /** The discriminator's view: codes of validation examples (blue) against prior samples (orange), first two dimensions. */
  override async extraImages(validation: { x: Float32Array; n: number }, seed: number): Promise<{ title: string; name: string; png: Buffer }[]> {
    if (this.latentDim < 2) return [];
    const n = Math.min(1000, validation.n);
    const dim = this.exampleShape.reduce((a, b) => a * b, 1);
    const [codes, prior] = await readAfterTidy(() => {
      const z = this.encodeMean(tf.tensor(validation.x.subarray(0, n * dim), [n, ...this.exampleShape]));
      const p = this.samplePrior(n, seed);
      return [z.slice([0, 0], [n, 2]), p.slice([0, 0], [n, 2])];
    });
    return [{ title: 'Codes (blue) versus prior samples (orange), first two latent dimensions', name: 'codes-vs-prior', png: scatterPlot([{ points: prior, color: [255, 127, 14] }, { points: codes, color: [31, 119, 180] }]) }];
  }

  override dispose(): void {
    super.dispose();
    this.discriminator.dispose();
  }
}

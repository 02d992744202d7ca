// What every model in VAE Lab provides to the trainer, the evaluator and the image writer.
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig, ModelKind } from '../../core/config';
import { bernoulliLogLik, gaussianLogLik, LogLikelihood } from '../objectives/likelihood';
import { countParameters } from './networks';
import { Optimizer } from '../optimizers';

/** How many validation examples extraImages receives (the most any kind draws: the aae's code scatter). */
export const EXTRA_IMAGE_EXAMPLES = 1000;

export interface StepContext {
  /** Global training step (0-based); evaluation passes the current step. */
  step: number;
  /** Seed for this batch's noise. */
  seed: number;
  /** beta times the KL schedule weight at this step (ignored by models without a KL term). */
  klWeight: number;
  /** Total training steps of the run (for schedules such as a capacity ramp). */
  totalSteps: number;
  /** One-hot labels [B, classes], for conditional models. */
  labels?: tf.Tensor2D;
}

/** One optimizer and the variables it updates (most models have one; an aae has one per training phase). */
/**
 * Compute tensors in one tidy and read them after it, as float32 arrays. (Returning typed arrays from tidy makes it
 * scan them element by element for tensors: about 20 ms for an image grid.) Asynchronous: a GPU backend cannot read
 * synchronously in Node.
 */
export async function readAfterTidy(make: () => tf.Tensor[]): Promise<Float32Array[]> {
  const tensors = tf.tidy(make);
  try {
    return (await Promise.all(tensors.map((t) => t.data()))) as Float32Array[];
  } finally {
    tf.dispose(tensors);
  }
}

export interface OptimizerGroup {
  name: string;
  optimizer: Optimizer;
}

export interface BatchTerms {
  /** The scalar that training minimises. */
  loss: tf.Scalar;
  /** Every term of the objective under its own name (batch means, nats per example). */
  metrics: Record<string, tf.Scalar>;
  /** Batch-mean KL per latent dimension, [D]. */
  klPerDim?: tf.Tensor1D;
}

export abstract class AutoencoderModel {
  abstract readonly kind: ModelKind;
  /** Whether the model has a KL term (and so an ELBO). */
  abstract readonly hasKl: boolean;
  abstract readonly encoder: tf.LayersModel;
  abstract readonly decoder: tf.LayersModel;
  /** Learned log standard deviation of a Gaussian likelihood, when the config asks for one. */
  readonly logSigma?: tf.Variable;
  readonly latentDim: number;
  /**
   * @param numClasses classes of the data's labels (0 when it has none)
   * @param conditional whether the model reads the labels (ctx.labels), as a cvae does
   */
  constructor(readonly config: ExperimentConfig, readonly exampleShape: number[], readonly numClasses = 0, readonly conditional = false) {
    this.latentDim = config.model.latentDim;
    const m = config.model;
    if (m.likelihood === 'gaussian-learned') this.logSigma = tf.tidy(() => tf.variable(tf.scalar(Math.log(m.sigma)), true, undefined, 'float32'));
  }

  /** log p(target | decoder output), per example. */
  readonly logLik: LogLikelihood = (target, out) => {
    const m = this.config.model;
    if (m.likelihood === 'bernoulli') return bernoulliLogLik(target, out);
    if (this.logSigma) return gaussianLogLik(target, out, this.logSigma as tf.Scalar);
    return tf.tidy(() => gaussianLogLik(target, out, tf.scalar(Math.log(m.sigma))));
  };

  /** Loss and named terms for one batch. `x` is the encoder input, `target` what the decoder must reproduce. */
  abstract terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms;

  /** The deterministic code of each example: the posterior mean for a VAE, the code for an AE. [B, D]. */
  abstract encodeMean(x: tf.Tensor, labels?: tf.Tensor2D): tf.Tensor2D;

  /** The decoder's output (logits or means) for codes (and labels, for conditional models). */
  decode(z: tf.Tensor2D, labels?: tf.Tensor2D): tf.Tensor {
    return this.decoder.apply(this.conditional ? [z, labels!] : z) as tf.Tensor;
  }

  /**
   * log w = log p(x, z) - log q(z|x) for k draws z ~ q(z|x) per example, [k, B]: the importance weights behind
   * `vae-lab eval`'s log p(x) (objectives/importance.ts). Kinds without a density over their codes leave it undefined.
   */
  logImportanceWeights?(x: tf.Tensor, labels: tf.Tensor2D | undefined, k: number, seed: number): tf.Tensor2D;

  /** Decode codes into examples in data space: probabilities for Bernoulli, means for Gaussian. */
  decodeMean(z: tf.Tensor2D, labels?: tf.Tensor2D): tf.Tensor {
    return tf.tidy(() => {
      const out = this.decode(z, labels);
      return this.config.model.likelihood === 'bernoulli' ? tf.sigmoid(out) : out;
    });
  }

  reconstruct(x: tf.Tensor, labels?: tf.Tensor2D): tf.Tensor {
    return tf.tidy(() => this.decodeMean(this.encodeMean(x, labels), labels));
  }

  /** Draws from the prior N(0, I) decoded to data space (conditional models take the labels to generate). */
  sample(n: number, seed: number, labels?: tf.Tensor2D): tf.Tensor {
    return tf.tidy(() => this.decodeMean(this.samplePrior(n, seed), labels));
  }

  /** Codes drawn from the model's prior. */
  samplePrior(n: number, seed: number): tf.Tensor2D {
    return tf.randomNormal([n, this.latentDim], 0, 1, 'float32', seed) as tf.Tensor2D;
  }

  /** The encoder's input during training (a denoising model corrupts it here); the target stays clean. */
  trainingInput(xs: Float32Array, _seed: number): Float32Array {
    return xs;
  }

  /** The optimizers of training; the default is one over every trainable variable. */
  createOptimizers(): OptimizerGroup[] {
    return [{ name: 'model', optimizer: new Optimizer(this.config.training.optimizer, this.trainableVariables()) }];
  }

  /**
   * One training step with several optimizers (an aae's phases). Models with one objective leave it undefined and
   * the trainer minimises terms().loss with the first optimizer. Returns the step's metrics (the caller disposes).
   */
  trainStep?(x: tf.Tensor, target: tf.Tensor, ctx: StepContext, optimizers: OptimizerGroup[], lr: number, clipNorm: number): Record<string, tf.Scalar>;

  /**
   * Extra images a model kind shows (denoising triples, samples per class, ...), written at each image epoch. Gets the
   * first EXTRA_IMAGE_EXAMPLES validation examples (or all, when fewer) as floats.
   */
  extraImages?(validation: { x: Float32Array; n: number; labels?: Int32Array }, seed: number): Promise<{ title: string; name: string; png: Buffer }[]>;

  /**
   * What the exported model folder's vae-lab.json needs besides the two networks (a vq-vae's codebook, a
   * gumbel-vae's categories); its fields are added to (and may replace) the trainer's.
   */
  exportInfo?(): Promise<Record<string, unknown>>;

  trainableVariables(): tf.Variable[] {
    const vars = [...this.encoder.trainableWeights, ...this.decoder.trainableWeights].map((w) => w.read() as tf.Variable);
    if (this.logSigma) vars.push(this.logSigma);
    return vars;
  }

  parameterCount(): number {
    return countParameters([this.encoder, this.decoder], this.logSigma ? [this.logSigma] : []);
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.logSigma?.dispose();
  }
}

// Gumbel-softmax VAE (Jang, Gu and Poole 2017; Maddison, Mnih and Teh 2017): categorical latent variables. The encoder
// gives logits [B, D] read as M = D / K variables of K categories, q(c_m | x) = softmax(logits_m); the prior is
// uniform, p(c_m = k) = 1/K; the decoder p(x | c) reads the M one-hot vectors side by side ([B, D]). Training uses
// the relaxed sample y = softmax((logits + g) / tau), g ~ Gumbel(0, 1) (objectives/gumbel.ts), one-hot forward with
// `hard`, at a temperature annealed exponentially, tau(step) = start * (end / start)^(step / totalSteps):
//
//   loss = -log p(x | y) + beta * schedule(step) * sum_m KL(q(c_m | x) || U(K)),   KL = sum_k q_k log q_k + log K
//
// with free bits per variable when set (as the vae's per dimension). Logged: recon, kl, elbo = -(recon + kl) (the
// relaxed sample's ELBO: with tau > 0 the decoder sees a point of the simplex, not a category, so it is not exactly a
// bound on the discrete model's log p(x)), klPenalty and temperature; klPerDim is the KL per variable [M].
// log p(x) for `vae-lab eval` is importance-sampled with exact discrete draws c ~ q(c | x): log w = log p(x | c) +
// log p(c) - log q(c | x).
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig, ModelKind } from '../../core/config';
import { klWeightedLoss } from '../objectives/elbo';
import { categoricalKl, gumbelNoise, gumbelSoftmax, logCategorical, sampleOneHot, temperatureAt } from '../objectives/gumbel';
import { repeatRows } from '../objectives/likelihood';
import { imageGrid } from '../images';
import { AutoencoderModel, BatchTerms, readAfterTidy, StepContext } from './base';
import { buildDecoder, encoderTrunk, head, Seeds } from './networks';

export class GumbelVae extends AutoencoderModel {
  readonly kind: ModelKind = 'gumbel-vae';
  readonly hasKl = true;
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;
  /** K, the categories of each variable. */
  readonly categories: number;
  /** M, the number of categorical variables. */
  readonly variables: number;

  constructor(config: ExperimentConfig, exampleShape: number[]) {
    super(config, exampleShape);
    const seeds = new Seeds(config.training.seed);
    this.categories = config.objective.gumbel!.categories;
    this.variables = this.latentDim / this.categories;
    const { input, hidden } = encoderTrunk(exampleShape, config.model.encoder, seeds);
    this.encoder = tf.model({ inputs: input, outputs: head(hidden, this.latentDim, seeds, 'logits'), name: 'encoder' });
    this.decoder = buildDecoder(this.latentDim, exampleShape, config.model.decoder, seeds);
  }

  /** The logits of q(c | x), [B, M, K]. */
  logits(x: tf.Tensor): tf.Tensor3D {
    return tf.tidy(() => (this.encoder.apply(x) as tf.Tensor2D).reshape([-1, this.variables, this.categories]) as tf.Tensor3D);
  }

  temperature(step: number, totalSteps: number): number {
    const g = this.config.objective.gumbel!;
    return temperatureAt(g.temperatureStart, g.temperatureEnd, step, totalSteps);
  }

  terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const { hard } = this.config.objective.gumbel!;
      const L = this.config.objective.samples;
      const logits = this.logits(x);
      const b = logits.shape[0];
      const tau = this.temperature(ctx.step, ctx.totalSteps);
      // L relaxed samples per example, [L, B, M, K] -> [L * B, D]: one decoder pass for all of them.
      const y = gumbelSoftmax(logits.expandDims(0), gumbelNoise([L, b, this.variables, this.categories], ctx.seed), tau, hard).reshape([L * b, this.latentDim]) as tf.Tensor2D;
      const logLik = this.logLik(L === 1 ? target : repeatRows(target.reshape([b, -1]), L), this.decoder.apply(y) as tf.Tensor);
      const recon = (L === 1 ? tf.neg(logLik) : tf.neg(logLik.reshape([L, b]).mean(0))) as tf.Tensor1D;
      const klPerVar = categoricalKl(logits) as tf.Tensor2D; // [B, M]
      const kl = klPerVar.sum(1) as tf.Tensor1D;
      const elbo = tf.neg(recon.add(kl)) as tf.Tensor1D;
      const { loss, klPenalty } = klWeightedLoss({ recon, kl, klPerDim: klPerVar, elbo }, { weight: ctx.klWeight, freeBits: this.config.objective.freeBits });
      const metrics: Record<string, tf.Scalar> = { recon: recon.mean(), kl: kl.mean(), elbo: elbo.mean(), klPenalty, temperature: tf.scalar(tau) };
      if (this.logSigma) metrics.sigma = this.logSigma.exp() as tf.Scalar;
      return { loss, metrics, klPerDim: klPerVar.mean(0) as tf.Tensor1D };
    });
  }

  /** The posterior probabilities q(c_m = k | x) side by side, [B, D]. */
  encodeMean(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => tf.softmax(this.logits(x)).reshape([-1, this.latentDim]) as tf.Tensor2D);
  }

  /** Uniform one-hot draws, [n, D]. */
  override samplePrior(n: number, seed: number): tf.Tensor2D {
    return tf.tidy(() => sampleOneHot(tf.zeros([n, this.variables, this.categories]), gumbelNoise([n, this.variables, this.categories], seed)).reshape([n, this.latentDim]) as tf.Tensor2D);
  }

  /** log w = log p(x | c) + log p(c) - log q(c | x) for k exact draws c ~ q(c | x) per example, [k, B]. */
  override logImportanceWeights(x: tf.Tensor, _labels: tf.Tensor2D | undefined, k: number, seed: number): tf.Tensor2D {
    return tf.tidy(() => {
      const logits = this.logits(x);
      const b = logits.shape[0];
      const c = sampleOneHot(logits.expandDims(0), gumbelNoise([k, b, this.variables, this.categories], seed)); // [k, B, M, K]
      const logPxc = this.logLik(repeatRows(x.reshape([b, -1]), k), this.decoder.apply(c.reshape([k * b, this.latentDim])) as tf.Tensor).reshape([k, b]);
      const logQ = logCategorical(c, logits.expandDims(0)).sum(-1); // [k, B]
      return logPxc.sub(this.variables * Math.log(this.categories)).sub(logQ) as tf.Tensor2D;
    });
  }

  /**
   * Categorical traversals (image data): the rows are the (up to) 8 variables with the largest mean KL on the
   * validation examples (the ones the decoder reads most), most informative first; row r sets its variable to each
   * of the K categories, the other variables keep the most probable categories of the first validation example.
   */
  override async extraImages(validation: { x: Float32Array; n: number }, _seed: number): Promise<{ title: string; name: string; png: Buffer }[]> {
    if (this.exampleShape.length !== 3 || validation.n === 0) return [];
    const m = this.variables;
    const k = this.categories;
    const rows = Math.min(m, 8);
    const [values, chosen] = await readAfterTidy(() => {
      const logits = this.logits(tf.tensor(validation.x, [validation.n, ...this.exampleShape]));
      const which = tf.topk(categoricalKl(logits).mean(0), rows).indices as tf.Tensor1D;
      const base = tf.oneHot(tf.argMax(logits.slice([0, 0, 0], [1, m, k]), -1), k).toFloat().reshape([1, 1, m, k]);
      // Row r, column j: the base code with variable which[r] set to category j.
      const mask = tf.oneHot(which, m).toFloat().reshape([rows, 1, m, 1]);
      const category = tf.eye(k).reshape([1, k, 1, k]);
      const codes = base.mul(tf.sub(1, mask)).add(category.mul(mask)).reshape([rows * k, m * k]) as tf.Tensor2D;
      return [this.decodeMean(codes), which.toFloat()];
    });
    return [
      {
        title: `Categorical traversals: each row sets one variable (by mean KL, most informative first: ${Array.from(chosen).join(', ')}) to each of its ${k} categories, the other variables keep the first validation example's most probable categories`,
        name: 'categorical-traversals',
        png: imageGrid(values, rows * k, this.exampleShape, k),
      },
    ];
  }

  /** For the exported model folder: the encoder gives logits of latentDim / categories variables. */
  override async exportInfo(): Promise<Record<string, unknown>> {
    return { encoderOutputs: ['logits'], categories: this.categories };
  }
}

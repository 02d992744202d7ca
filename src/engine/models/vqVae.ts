// VQ-VAE (van den Oord, Vinyals and Kavukcuoglu 2017, "Neural Discrete Representation Learning"): a deterministic
// encoder z_e = f(x) [B, D] read as M = D / E vectors, each replaced by its nearest of K codebook vectors (E numbers
// each; objectives/vq.ts), and a decoder p(x | z_q). The loss, summed over pixels and latent numbers and averaged
// over the batch,
//
//   loss = -log p(x | z_q) + ||sg(z_e) - z_q||^2 + beta ||z_e - sg(z_q)||^2          (beta = objective.vq.commitment)
//
// with the decoder's gradient copied from z_q to z_e (straight-through). Logged: recon, codebook, commitment (both
// unweighted), perplexity (exp of the entropy of the batch's average code usage) and codesUsed (the fraction of the
// codebook used by the batch). No KL and no density: `vae-lab eval` reports no log p(x) for it.
//
// The prior. The paper fits an autoregressive prior (a PixelCNN) over the codes after training; here the prior is a
// categorical distribution per position, p(c_m = k) proportional to the usage counts of code k at position m, decayed
// by PRIOR_DECAY per training step (an exponential moving count over about the last 100 batches, so that the codes of
// the first, untrained steps fade out). The counts are a non-trainable variable updated after each training step and
// saved in the checkpoint beside the codebook (trainableVariables() is also the checkpoint's list), so that a reloaded
// or resumed run samples from the same prior and reconstructs exactly as before.
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig, ModelKind } from '../../core/config';
import { imageGrid } from '../images';
import { codebookUsage, lookupCodes, quantise, sampleCodes } from '../objectives/vq';
import { Optimizer } from '../optimizers';
import { mixSeed, Stream } from '../rng';
import { Autoencoder } from './ae';
import { BatchTerms, OptimizerGroup, readAfterTidy, StepContext } from './base';
import { countParameters } from './networks';

/** Decay per training step of the usage counts behind the fitted prior. */
export const PRIOR_DECAY = 0.99;
/** Pseudo-count of every code in the fitted prior (uniform before any training step; negligible after). */
const PRIOR_PSEUDO_COUNT = 1e-3;
/** The stream index of the codebook's initial values (Stream.init, beside the networks' layers 0, 1, 2, ...). */
const CODEBOOK_INIT = -1;

export class VqVae extends Autoencoder {
  override readonly kind: ModelKind = 'vq-vae';
  /** The codebook [K, E]. */
  readonly codebook: tf.Variable;
  /** Decayed usage counts of each code at each position [M, K] (not trained by gradients). */
  readonly usage: tf.Variable;
  readonly codebookSize: number;
  readonly embeddingDim: number;
  /** M: how many codebook vectors make up a code. */
  readonly positions: number;

  constructor(config: ExperimentConfig, exampleShape: number[]) {
    super(config, exampleShape);
    const vq = config.objective.vq!;
    this.codebookSize = vq.codebookSize;
    this.embeddingDim = vq.embeddingDim;
    this.positions = this.latentDim / vq.embeddingDim;
    // Uniform with unit variance per number (+-sqrt(3)): the scale of the freshly initialised encoder's outputs, so
    // that the encoder's first vectors fall among many codes rather than all outside a tiny codebook.
    const limit = Math.sqrt(3);
    this.codebook = tf.tidy(() => tf.variable(tf.randomUniform([vq.codebookSize, vq.embeddingDim], -limit, limit, 'float32', mixSeed(config.training.seed, Stream.init, CODEBOOK_INIT)), true));
    this.usage = tf.tidy(() => tf.variable(tf.zeros([this.positions, vq.codebookSize]), false));
  }

  /** Encoder, decoder, codebook (and a learned sigma): what the optimizer updates. */
  private optimizedVariables(): tf.Variable[] {
    return [...super.trainableVariables(), this.codebook];
  }

  /** The optimized variables and the usage counts: the checkpoint's variables (the optimizer skips the counts). */
  override trainableVariables(): tf.Variable[] {
    return [...this.optimizedVariables(), this.usage];
  }

  override createOptimizers(): OptimizerGroup[] {
    return [{ name: 'model', optimizer: new Optimizer(this.config.training.optimizer, this.optimizedVariables()) }];
  }

  override parameterCount(): number {
    return countParameters([this.encoder, this.decoder], [...(this.logSigma ? [this.logSigma] : []), this.codebook]);
  }

  /** The terms, and the batch's usage counts per position and code [M, K]. */
  private quantisedTerms(x: tf.Tensor, target: tf.Tensor): BatchTerms & { usage: tf.Tensor2D } {
    return tf.tidy(() => {
      const ze = this.encoder.apply(x) as tf.Tensor2D;
      const q = quantise(ze, this.codebook as tf.Tensor2D);
      const recon = tf.neg(this.logLik(target, this.decoder.apply(q.zq) as tf.Tensor)).mean() as tf.Scalar;
      const codebook = q.codebookLoss.mean() as tf.Scalar;
      const commitment = q.commitmentLoss.mean() as tf.Scalar;
      const loss = recon.add(codebook).add(commitment.mul(this.config.objective.vq!.commitment)) as tf.Scalar;
      const { perplexity, codesUsed } = codebookUsage(q.oneHot);
      const metrics: Record<string, tf.Scalar> = { recon, codebook, commitment, perplexity, codesUsed };
      if (this.logSigma) metrics.sigma = this.logSigma.exp() as tf.Scalar;
      return { loss, metrics, usage: q.oneHot.sum(0) as tf.Tensor2D };
    });
  }

  override terms(x: tf.Tensor, target: tf.Tensor, _ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const { loss, metrics } = this.quantisedTerms(x, target);
      return { loss, metrics };
    });
  }

  /** One optimizer step on the loss, then the batch's codes are added to the decayed usage counts (the prior). */
  override trainStep(x: tf.Tensor, target: tf.Tensor, _ctx: StepContext, optimizers: OptimizerGroup[], lr: number, clipNorm: number): Record<string, tf.Scalar> {
    const vars = this.optimizedVariables();
    let metrics: Record<string, tf.Scalar> = {};
    let usage: tf.Tensor2D | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const t = this.quantisedTerms(x, target);
      metrics = Object.fromEntries(Object.entries(t.metrics).map(([k, m]) => [k, tf.keep(m)]));
      usage = tf.keep(t.usage);
      return t.loss;
    }, vars);
    optimizers[0].optimizer.apply(vars.map((v) => grads[v.name]), lr, clipNorm)?.dispose();
    tf.dispose(grads);
    tf.tidy(() => this.usage.assign(this.usage.mul(PRIOR_DECAY).add(usage!)));
    usage!.dispose();
    return { loss: value, ...metrics };
  }

  /** The quantised code z_q of each example, [B, D]. */
  override encodeMean(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => quantise(this.encoder.apply(x) as tf.Tensor2D, this.codebook as tf.Tensor2D).e);
  }

  /** The fitted prior p(c_m = k), [M, K]. */
  priorProbabilities(): tf.Tensor2D {
    return tf.tidy(() => {
      const c = this.usage.add(PRIOR_PSEUDO_COUNT);
      return c.div(c.sum(1, true)) as tf.Tensor2D;
    });
  }

  /** Codes drawn from the fitted prior, one code per position, as codebook vectors [n, D]. */
  override samplePrior(n: number, seed: number): tf.Tensor2D {
    return tf.tidy(() => lookupCodes(sampleCodes(tf.log(this.priorProbabilities()) as tf.Tensor2D, n, seed), this.codebook as tf.Tensor2D));
  }

  /**
   * The fitted prior as a heat map (rows: positions, columns: codes, brightness relative to each row's most used
   * code), and for image data the codebook traversals: row m gives position m its most used codes (the most used
   * first), the other positions keep the codes of the first validation example.
   */
  override async extraImages(validation: { x: Float32Array; n: number }, _seed: number): Promise<{ title: string; name: string; png: Buffer }[]> {
    const m = this.positions;
    const k = this.codebookSize;
    const rows = Math.min(m, 8);
    const cols = Math.min(k, 8);
    const traversals = this.exampleShape.length === 3 && validation.n > 0;
    const dim = this.exampleShape.reduce((a, b) => a * b, 1);
    const [heat, decoded] = await readAfterTidy(() => {
      const p = this.priorProbabilities();
      const out: tf.Tensor[] = [p.div(p.max(1, true))];
      if (traversals) {
        const x = tf.tensor(validation.x.subarray(0, dim), [1, ...this.exampleShape]);
        const base = quantise(this.encoder.apply(x) as tf.Tensor2D, this.codebook as tf.Tensor2D).codes.toFloat(); // [1, M]
        const top = tf.topk(p.slice([0, 0], [rows, k]), cols).indices.toFloat(); // [rows, cols]
        // Row r, column c: the base codes with position r set to top[r][c].
        const mask = tf.oneHot(tf.range(0, rows, 1, 'int32'), m).toFloat().reshape([rows, 1, m]);
        const codes = base.reshape([1, 1, m]).mul(tf.sub(1, mask)).add(top.reshape([rows, cols, 1]).mul(mask));
        out.push(this.decodeMean(lookupCodes(codes.round().toInt().reshape([rows * cols, m]) as tf.Tensor2D, this.codebook as tf.Tensor2D)));
      }
      return out;
    });
    const images = [
      {
        title: `Codebook usage: the fitted prior p(code | position), ${m} positions (rows) by ${k} codes (columns), each row relative to its most used code`,
        name: 'codebook-usage',
        png: imageGrid(heat, 1, [m, k, 1], 1, Math.max(2, Math.min(8, Math.floor(512 / k)))),
      },
    ];
    if (decoded) {
      images.push({
        title: `Codebook traversals: row m sets position m to its ${cols} most used codes (most used first), the other positions keep the first validation example's codes`,
        name: 'codebook-traversals',
        png: imageGrid(decoded, rows * cols, this.exampleShape, cols),
      });
    }
    return images;
  }

  /** The codebook and the fitted prior, for the exported model folder (model/vae-lab.json): the decoder reads z_q. */
  override async exportInfo(): Promise<Record<string, unknown>> {
    const prior = this.priorProbabilities();
    try {
      return { quantiser: { embeddingDim: this.embeddingDim, codebook: await this.codebook.array(), prior: await prior.array() } };
    } finally {
      prior.dispose();
    }
  }

  override dispose(): void {
    super.dispose();
    this.codebook.dispose();
    this.usage.dispose();
  }
}

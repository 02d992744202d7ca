// A hierarchical VAE with two stochastic layers (as the two-layer models of Burda et al. 2015 and Sonderby et al.
// 2016's baseline): inference bottom-up, generation top-down,
//
//   q(z1, z2 | x) = q(z1|x) q(z2|z1)            p(x, z1, z2) = p(z2) p(z1|z2) p(x|z1),   p(z2) = N(0, I)
//
// every conditional a diagonal Gaussian given by an MLP (the encoder and decoder of model.*, and two small networks
// through objective.hvae.hidden). The ELBO splits into a reconstruction and one KL per layer:
//
//   ELBO = E_q[log p(x|z1)] - kl1 - kl2
//   kl1  = E_q[log q(z1|x) - log p(z1|z2)]       (Monte Carlo, the entropy of q(z1|x) in closed form)
//   kl2  = E_q(z1|x)[KL(q(z2|z1) || N(0, I))]   (closed form inside)
//
// logged as kl1 and kl2 (and kl = kl1 + kl2). The KL per dimension concatenates the layers: z1's then z2's. The
// decoder reads z1; prior samples go z2 ~ N(0, I), z1 ~ p(z1|z2).
import * as tf from '@tensorflow/tfjs';
import type { Activation, ExperimentConfig, ModelKind } from '../../core/config';
import { reparameterize } from '../objectives/elbo';
import { gaussianKlPerDim, logNormal, logStandardNormal } from '../objectives/kl';
import { repeatRows } from '../objectives/likelihood';
import { mixSeed, Stream } from '../rng';
import { BatchTerms, StepContext } from './base';
import { activate, countParameters, head, Seeds } from './networks';
import { Vae } from './vae';

const LOG_2PI = Math.log(2 * Math.PI);

/** An MLP from [inDim] to the mean and log-variance of a diagonal Gaussian over [outDim]. */
function gaussianMlp(inDim: number, outDim: number, hidden: number[], activation: Activation, seeds: Seeds, prefix: string): tf.LayersModel {
  const input = tf.input({ shape: [inDim], name: `${prefix}_in` });
  let h: tf.SymbolicTensor = input;
  hidden.forEach((units, i) => (h = activate(head(h, units, seeds, `${prefix}_dense${i}`), activation, `${prefix}_dense${i}_act`)));
  return tf.model({ inputs: input, outputs: [head(h, outDim, seeds, `${prefix}_mean`), head(h, outDim, seeds, `${prefix}_log_var`)], name: prefix });
}

export class Hvae extends Vae {
  override readonly kind: ModelKind = 'hvae';
  override readonly standardPrior = false;
  /** q(z2|z1) and p(z1|z2). */
  readonly upper: tf.LayersModel;
  readonly lower: tf.LayersModel;
  readonly topDim: number;

  constructor(config: ExperimentConfig, exampleShape: number[]) {
    super(config, exampleShape);
    const h = config.objective.hvae!;
    this.topDim = h.topDim;
    const seeds = new Seeds(mixSeed(config.training.seed, Stream.init, 7001));
    const act = config.model.encoder.activation;
    this.upper = gaussianMlp(this.latentDim, h.topDim, h.hidden, act, seeds, 'q_z2');
    this.lower = gaussianMlp(h.topDim, this.latentDim, h.hidden, act, seeds, 'p_z1');
  }

  /**
   * L draws of both layers for a batch: z1 [L * B, D1], z2 [L * B, D2], and the per-dimension terms of the two KLs,
   * [L * B, D1] and [L * B, D2], whose sums are log q(z1|x) - log p(z1|z2) and KL(q(z2|z1) || N(0, I)).
   */
  private layers(x: tf.Tensor, L: number, seed: number) {
    const q1 = this.posterior(x);
    const [b, d1] = q1.mean.shape;
    const eps1 = tf.randomNormal([L, b, d1], 0, 1, 'float32', seed);
    const z1 = reparameterize(q1.mean.expandDims(0), q1.logVar.expandDims(0), eps1).reshape([L * b, d1]) as tf.Tensor2D;
    const [m2, lv2] = this.upper.apply(z1) as tf.Tensor2D[];
    const eps2 = tf.randomNormal([L * b, this.topDim], 0, 1, 'float32', mixSeed(seed, Stream.epsilon, 2));
    const z2 = reparameterize(m2, lv2, eps2) as tf.Tensor2D;
    const [m1p, lv1p] = this.lower.apply(z2) as tf.Tensor2D[];
    // -H[q(z1|x)] per dimension = -(1/2)(1 + log 2 pi + logVar), minus log p(z1|z2) per dimension.
    const negEntropy = q1.logVar.add(1 + LOG_2PI).mul(-0.5);
    const logP1 = tf.neg(z1.sub(m1p).square().mul(tf.exp(tf.neg(lv1p))).add(lv1p).add(LOG_2PI).mul(0.5));
    const kl1PerDim = repeatRows(negEntropy, L).sub(logP1) as tf.Tensor2D;
    const kl2PerDim = gaussianKlPerDim(m2, lv2);
    return { q1, z1, z2, m2, lv2, m1p, lv1p, kl1PerDim, kl2PerDim, b };
  }

  override terms(x: tf.Tensor, target: tf.Tensor, ctx: StepContext): BatchTerms {
    return tf.tidy(() => {
      const L = this.config.objective.samples;
      const t = this.layers(x, L, ctx.seed);
      const logLik = this.logLik(L === 1 ? target : repeatRows(target.reshape([t.b, -1]), L), this.decode(t.z1));
      const recon = tf.neg(logLik).mean() as tf.Scalar;
      const kl1 = t.kl1PerDim.sum(1).mean() as tf.Scalar;
      const kl2 = t.kl2PerDim.sum(1).mean() as tf.Scalar;
      const klPerDim = tf.concat([t.kl1PerDim.mean(0), t.kl2PerDim.mean(0)]) as tf.Tensor1D;
      const freeBits = this.config.objective.freeBits;
      const klPenalty = (freeBits > 0 ? klPerDim.maximum(freeBits).sum() : kl1.add(kl2)) as tf.Scalar;
      const kl = kl1.add(kl2) as tf.Scalar;
      const metrics: Record<string, tf.Scalar> = { recon, kl, elbo: tf.neg(recon.add(kl)) as tf.Scalar, klPenalty, kl1, kl2 };
      if (this.logSigma) metrics.sigma = this.logSigma.exp() as tf.Scalar;
      return { loss: recon.add(klPenalty.mul(ctx.klWeight)) as tf.Scalar, metrics, klPerDim };
    });
  }

  override samplePrior(n: number, seed: number): tf.Tensor2D {
    return tf.tidy(() => {
      const z2 = tf.randomNormal([n, this.topDim], 0, 1, 'float32', mixSeed(seed, Stream.sample, 1));
      const [m, lv] = this.lower.apply(z2) as tf.Tensor2D[];
      return reparameterize(m, lv, tf.randomNormal([n, this.latentDim], 0, 1, 'float32', mixSeed(seed, Stream.sample, 2))) as tf.Tensor2D;
    });
  }

  override logImportanceWeights(x: tf.Tensor, _labels: tf.Tensor2D | undefined, k: number, seed: number): tf.Tensor2D {
    return tf.tidy(() => {
      const t = this.layers(x, k, seed);
      const logPx = this.logLik(repeatRows(x.reshape([t.b, -1]), k), this.decode(t.z1));
      const logQ1 = logNormal(t.z1, repeatRows(t.q1.mean, k), repeatRows(t.q1.logVar, k));
      const logQ2 = logNormal(t.z2, t.m2, t.lv2);
      const logP1 = logNormal(t.z1, t.m1p, t.lv1p);
      return logPx.add(logP1).add(logStandardNormal(t.z2)).sub(logQ1).sub(logQ2).reshape([k, t.b]) as tf.Tensor2D;
    });
  }

  private extraModels(): tf.LayersModel[] {
    return [this.upper, this.lower];
  }

  override trainableVariables(): tf.Variable[] {
    return [...super.trainableVariables(), ...this.extraModels().flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable))];
  }

  override parameterCount(): number {
    return countParameters([this.encoder, this.decoder, ...this.extraModels()], this.logSigma ? [this.logSigma] : []);
  }

  override dispose(): void {
    super.dispose();
    for (const m of this.extraModels()) m.dispose();
  }
}

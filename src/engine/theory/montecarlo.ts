// Lesson "montecarlo" (Monte Carlo vs closed form): the two terms of the ELBO estimated with L samples z_l ~ q(z|x).
//
//   KL(q(z|x) || p(z)) = E_q[log q(z|x) - log p(z)] ~ (1/L) sum_l [log q(z_l|x) - log p(z_l)]
//                      = 0.5 * sum_d (mu_d^2 + sigma_d^2 - 1 - log sigma_d^2)          (closed form, objectives/kl.ts)
//   E_q[log p(x|z)]    ~ (1/L) sum_l log p(x|z_l)                                     (no closed form)
//
// Each L-sample estimate (of the batch mean over the examples) is drawn R times independently (R = 50 for the KL,
// 10 for the reconstruction term, which costs L decoder passes per example): the mean of the R
// draws, their standard deviation sd (the spread of one L-sample estimate, ~ 1/sqrt(L)) and the standard error of
// the mean, sd / sqrt(R). The Monte Carlo KL is unbiased for the closed form; training uses the closed form, which
// has no sampling noise at all.
import * as tf from '@tensorflow/tfjs';
import type { MonteCarloResult, MonteCarloRow, MonteCarloSettings } from '../../core/theory';
import type { Vae } from '../models/vae';
import { gaussianKlPerDim, logNormal, logStandardNormal } from '../objectives/kl';
import { mixSeed } from '../rng';
import { decodeTiled, header, tfSeed, tileTarget } from './common';

export const MONTECARLO_SAMPLES = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** R independent L-sample estimates of the batch-mean KL or E_q[log p(x|z)]. */
export async function monteCarloDraws(model: Vae, x: tf.Tensor, labels: tf.Tensor2D | undefined, term: 'kl' | 'recon', samples: number, repeats: number, seed: number): Promise<number[]> {
  const b = x.shape[0];
  const d = model.latentDim;
  const post = tf.tidy(() => model.posterior(x, labels));
  // Decoder passes go in chunks of at most ~4096 codes, so memory stays bounded for L = 1000.
  const chunk = term === 'kl' ? samples : Math.max(1, Math.min(samples, Math.floor(4096 / b)));
  const out: number[] = [];
  try {
    for (let r = 0; r < repeats; r++) {
      let sum = 0;
      for (let done = 0, c = 0; done < samples; done += chunk, c++) {
        const n = Math.min(chunk, samples - done);
        const s = tf.tidy(() => {
          const eps = tf.randomNormal([n, b, d], 0, 1, 'float32', tfSeed(mixSeed(seed, samples, r, c)));
          const z3 = post.mean.expandDims(0).add(post.logVar.mul(0.5).exp().expandDims(0).mul(eps)); // [n, B, D]
          if (term === 'kl') return logNormal(z3, post.mean.expandDims(0), post.logVar.expandDims(0)).sub(logStandardNormal(z3)).sum();
          const z = z3.reshape([n * b, d]) as tf.Tensor2D;
          return model.logLik(tileTarget(x, n), decodeTiled(model, z, labels, n)).sum();
        });
        sum += (await s.data())[0];
        s.dispose();
      }
      out.push(sum / (samples * b));
    }
  } finally {
    tf.dispose([post.mean, post.logVar]);
  }
  return out;
}

function row(samples: number, draws: number[]): MonteCarloRow {
  const r = draws.length;
  const mean = draws.reduce((a, v) => a + v, 0) / r;
  const sd = Math.sqrt(draws.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, r - 1));
  return { samples, mean, sd, stderr: sd / Math.sqrt(r) };
}

/** The closed-form KL(q(z|x) || p(z)), batch mean. */
export async function closedFormKl(model: Vae, x: tf.Tensor, labels?: tf.Tensor2D): Promise<number> {
  const t = tf.tidy(() => {
    const p = model.posterior(x, labels);
    return gaussianKlPerDim(p.mean, p.logVar).sum(1).mean();
  });
  const v = (await t.data())[0];
  t.dispose();
  return v;
}

export async function monteCarloLesson(
  model: Vae,
  batch: { x: tf.Tensor; labels?: tf.Tensor2D },
  run: { runId: string; experiment: string },
  o: { seed: number; samples?: number[]; repeats?: number; reconRepeats?: number },
): Promise<MonteCarloResult> {
  const t0 = Date.now();
  const samples = o.samples ?? MONTECARLO_SAMPLES;
  const settings: MonteCarloSettings = { batch: batch.x.shape[0], samples, repeats: o.repeats ?? 50, reconRepeats: o.reconRepeats ?? 10, seed: o.seed };
  const klRows: MonteCarloRow[] = [];
  const reconRows: MonteCarloRow[] = [];
  for (const L of samples) {
    klRows.push(row(L, await monteCarloDraws(model, batch.x, batch.labels, 'kl', L, settings.repeats, mixSeed(o.seed, 1))));
    reconRows.push(row(L, await monteCarloDraws(model, batch.x, batch.labels, 'recon', L, settings.reconRepeats, mixSeed(o.seed, 2))));
  }
  return {
    ...header('montecarlo', run, t0, settings),
    kl: { closedForm: await closedFormKl(model, batch.x, batch.labels), rows: klRows },
    recon: { reference: reconRows[reconRows.length - 1].mean, rows: reconRows },
  };
}

// Lesson "posterior": the true posterior p(z|x) of one test example, next to the encoder's q(z|x) (latentDim 1 or 2).
//
//   p(z|x) = p(x|z) p(z) / p(x),    p(x) = integral p(x|z) p(z) dz        (quadrature: objectives/exact.ts)
//   log p(x) = ELBO(x) + KL(q(z|x) || p(z|x))                              (so the gap is the KL to the true posterior)
//   L_k(x) = log (1/k) sum_i p(x, z_i) / q(z_i|x),  z_i ~ q(z|x)           (IWAE bounds, objectives/importance.ts)
//
// The map is log p(z|x) on a coarser grid (mapCells per dimension) over the box the exact quadrature chose for this
// example (it holds the posterior's and q's mass), normalised on that grid. The codes E_q[z|x] of the first test
// examples are listed for the scatter the user clicks in.
import * as tf from '@tensorflow/tfjs';
import type { PosteriorResult, PosteriorSettings } from '../../core/theory';
import type { Dataset } from '../data';
import { exactForExample } from '../evaluate';
import type { AutoencoderModel } from '../models';
import { Vae } from '../models/vae';
import { ExactProblem, posteriorOnGrid } from '../objectives/exact';
import { estimateLogLikelihood } from '../objectives/importance';
import { repeatRows } from '../objectives/likelihood';
import { mixSeed } from '../rng';
import { batchOf, header } from './common';

export const POSTERIOR_DEFAULTS = { mapCells: 80, iwaeKs: [1, 5, 50, 5000], codes: 500 };

export async function posteriorLesson(
  model: Vae,
  test: Dataset,
  run: { runId: string; experiment: string },
  o: { example: number; seed: number; mapCells?: number; codes?: number },
): Promise<PosteriorResult> {
  const t0 = Date.now();
  const i = o.example;
  const settings: PosteriorSettings = {
    example: i,
    mapCells: o.mapCells ?? POSTERIOR_DEFAULTS.mapCells,
    iwaeKs: POSTERIOR_DEFAULTS.iwaeKs,
    seed: o.seed,
    codes: Math.min(test.n, o.codes ?? POSTERIOR_DEFAULTS.codes),
  };
  const exact = await exactForExample(model, test, i);
  const { x, labels } = batchOf(model, test, i, i + 1);
  try {
    const post = tf.tidy(() => model.posterior(x, labels));
    const [mu, logVar] = [Array.from(await post.mean.data()), Array.from(await post.logVar.data())];
    tf.dispose([post.mean, post.logVar]);
    const problem: ExactProblem = {
      mean: mu,
      logVar,
      logLikelihood: (z) => {
        const m = z.shape[0];
        return model.logLik(repeatRows(x, m), model.decode(z, labels ? (repeatRows(labels, m) as tf.Tensor2D) : undefined));
      },
    };
    const cells = exact.grid.cells.map(() => settings.mapCells);
    const map = await posteriorOnGrid(problem, exact.grid.lo, exact.grid.hi, cells);
    // IWAE bounds for this example, k importance samples from q(z|x).
    const iwae: Record<string, number> = {};
    for (const k of settings.iwaeKs) iwae[String(k)] = (await estimateLogLikelihood((n, s) => model.logImportanceWeights(x, labels, n, s), k, mixSeed(o.seed, k, i), 1000))[0];
    const codes = await codesOf(model, test, settings.codes);
    return {
      ...header('posterior', run, t0, settings),
      latentDim: model.latentDim,
      truePosterior: { lo: exact.grid.lo, hi: exact.grid.hi, cells, logDensity: Array.from(map.logDensity) },
      posteriorMean: exact.posteriorMean,
      posteriorStd: exact.posteriorStd,
      q: { mean: mu, std: logVar.map((v) => Math.exp(0.5 * v)) },
      logPx: exact.logPx,
      elbo: exact.elbo,
      recon: exact.recon,
      kl: exact.kl,
      gap: exact.gap,
      klPosterior: exact.klPosterior,
      iwae,
      exactGrid: { lo: exact.grid.lo, hi: exact.grid.hi, cells: exact.grid.cells, edgeMass: exact.grid.edgeMass },
      codes: { z: codes, labels: test.labels ? Array.from(test.labels.subarray(0, settings.codes)) : undefined },
    };
  } finally {
    tf.dispose([x, labels]);
  }
}

/** E_q[z|x] of the first n examples of a split (the deterministic code for models without q). */
export async function codesOf(model: AutoencoderModel, d: Dataset, n: number, bs = 250): Promise<number[][]> {
  const out: number[][] = [];
  for (let start = 0; start < n; start += bs) {
    const end = Math.min(n, start + bs);
    const z = tf.tidy(() => {
      const b = batchOf(model, d, start, end);
      return model.encodeMean(b.x, b.labels);
    });
    out.push(...((await z.array()) as number[][]));
    z.dispose();
  }
  return out;
}

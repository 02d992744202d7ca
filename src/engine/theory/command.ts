// `vae-lab theory <run folder> <lesson> [--example i] [--with <run>]... [--seed S] [--json]`: compute one lesson of the
// theory lab on a trained run and write it to <run>/theory/<lesson>.json (posterior: theory/posterior-<i>.json),
// atomically. The holes and likelihoods lessons are also computed on the runs given with --with (default: the run's
// completed sweep siblings) and stored under `companions`, to be shown side by side.
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { VARIATIONAL_KINDS } from '../../core/config';
import { readRunRecord, writeJsonAtomic } from '../../core/runFolder';
import { readSweepRecord } from '../../core/sweep';
import { isTheoryLesson, LikelihoodsResult, THEORY_LESSONS, THEORY_TITLES, theoryFiles, TheoryLesson, TheoryResult } from '../../core/theory';
import { ParsedArgs, UsageError } from '../cliArgs';
import { Dataset, subset } from '../data';
import { LinearAutoencoder } from '../models/linearAe';
import { isPlainVae, Vae } from '../models/vae';
import { mixSeed, permutation, Stream } from '../rng';
import { binarizeOnce, loadRunModel } from '../trainer';
import { batchOf } from './common';
import { holesLesson } from './holes';
import { likelihoodsLesson } from './likelihoods';
import { linearPcaLesson } from './linearPca';
import { monteCarloLesson } from './montecarlo';
import { posteriorLesson } from './posterior';
import { reparamLesson } from './reparam';

export const THEORY_USAGE = `  vae-lab theory <run folder> <${THEORY_LESSONS.join('|')}> [--example i] [--with <run folder>]... [--seed S] [--json]`;

/** Training examples in the reparam lesson's batch and test examples in the montecarlo / likelihoods batches. */
const REPARAM_BATCH = 32;
const MONTECARLO_BATCH = 8;
const LIKELIHOODS_BATCH = 100;

export interface TheoryOptions {
  example?: number;
  seed?: number;
  /** holes, likelihoods: other runs to compute the lesson on and show side by side (default: the run's sweep siblings). */
  with?: string[];
}

/** Lessons that compare the run with others (an AE next to a VAE, Bernoulli next to Gaussian). */
const COMPARED: readonly TheoryLesson[] = ['holes', 'likelihoods'];

/** Compute a lesson on a run (and on the runs it is compared with), write its file and return it with the file's path. */
export async function computeTheory(runDir: string, lesson: TheoryLesson, opts: TheoryOptions = {}): Promise<{ result: TheoryResult; file: string }> {
  if (opts.with?.length && !COMPARED.includes(lesson)) throw new UsageError(`--with goes with the ${COMPARED.join(' and ')} lessons.`);
  const { result, seed } = await lessonOnRun(runDir, lesson, opts);
  if (COMPARED.includes(lesson)) {
    const explicit = opts.with !== undefined && opts.with.length > 0;
    const companions: TheoryResult[] = [];
    for (const dir of explicit ? opts.with! : sweepSiblings(runDir, lesson)) {
      if (path.resolve(dir) === path.resolve(runDir)) continue;
      try {
        // The same seed: the same prior draws for the samples, the same training codes for the densities.
        companions.push((await lessonOnRun(dir, lesson, { seed })).result);
      } catch (err) {
        throw err instanceof UsageError ? new UsageError(`--with ${dir}: ${err.message}`) : err;
      }
    }
    if (companions.length > 0) (result as { companions?: TheoryResult[] }).companions = companions;
  }
  const file = theoryFiles.lesson(runDir, lesson, opts.example ?? 0);
  writeJsonAtomic(file, result);
  return { result, file };
}

/**
 * The completed runs of the same sweep as `runDir` that the lesson applies to (holes: latentDim 1 or 2), in the
 * sweep's order: a lesson sweep (model.kind over ae and vae, model.likelihood over three) compares its children.
 */
export function sweepSiblings(runDir: string, lesson: TheoryLesson): string[] {
  const sweep = readRunRecord(runDir).sweep;
  if (!sweep) return [];
  let runs: { dir: string }[];
  try {
    runs = readSweepRecord(sweep.dir).runs;
  } catch {
    return []; // the sweep folder was moved or removed: the run stands alone
  }
  const out: string[] = [];
  for (const r of runs) {
    const dir = path.join(sweep.dir, r.dir);
    if (path.resolve(dir) === path.resolve(runDir)) continue;
    try {
      const rec = readRunRecord(dir);
      if (rec.status === 'completed' && (lesson !== 'holes' || rec.config.model.latentDim <= 2)) out.push(dir);
    } catch {
      /* a child without a readable run.json is skipped */
    }
  }
  return out;
}

/** Compute a lesson on one run; returns the result and the seed it used. */
async function lessonOnRun(runDir: string, lesson: TheoryLesson, opts: TheoryOptions): Promise<{ result: TheoryResult; seed: number }> {
  const { record, config, model, data } = await loadRunModel(runDir);
  try {
    const kind = config.model.kind;
    const dim = config.model.latentDim;
    const run = { runId: record.runId, experiment: record.experiment };
    const seed = opts.seed ?? mixSeed(config.training.seed, Stream.evaluation, 15);
    const needs = (ok: boolean, what: string) => {
      if (!ok) throw new UsageError(`theory ${lesson} needs ${what}; this run is a ${kind} with latentDim ${dim}.`);
    };
    const dynamic = config.data.binarize === 'dynamic';
    const test = dynamic ? binarizeOnce(data.test, mixSeed(config.training.seed, Stream.binarize, -2)) : data.test;
    const trainSplit = (n: number): Dataset => {
      const d = subset(data.train, Array.from(permutation(data.train.n, mixSeed(seed, Stream.shuffle)).subarray(0, Math.min(n, data.train.n))));
      return dynamic ? binarizeOnce(d, mixSeed(config.training.seed, Stream.binarize, -3)) : d;
    };
    let result: TheoryResult;
    switch (lesson) {
      case 'posterior': {
        needs(isPlainVae(model) && dim <= 2, 'a VAE (vae, beta-vae, cvae or iwae) with latentDim 1 or 2');
        const example = opts.example ?? 0;
        if (example >= test.n) throw new UsageError(`--example ${example} is past the test set (${test.n} examples).`);
        result = await posteriorLesson(model as Vae, test, run, { example, seed });
        break;
      }
      case 'reparam':
      case 'montecarlo': {
        needs(isPlainVae(model) && VARIATIONAL_KINDS.includes(kind), 'a model with a Gaussian encoder q(z|x) (vae, beta-vae, cvae or iwae)');
        const d = lesson === 'reparam' ? trainSplit(Math.min(REPARAM_BATCH, config.training.batchSize)) : test;
        const n = Math.min(d.n, lesson === 'reparam' ? REPARAM_BATCH : MONTECARLO_BATCH);
        const batch = batchOf(model, d, 0, n);
        try {
          result = lesson === 'reparam' ? await reparamLesson(model as Vae, batch, run, { seed }) : await monteCarloLesson(model as Vae, batch, run, { seed });
        } finally {
          tf.dispose([batch.x, batch.labels]);
        }
        break;
      }
      case 'holes':
        needs(dim <= 2, 'latentDim 1 or 2');
        result = await holesLesson(model, trainSplit(10000), run);
        break;
      case 'linear-pca':
        needs(model instanceof LinearAutoencoder, 'a linear-ae');
        result = await linearPcaLesson(model as LinearAutoencoder, data.train, run);
        break;
      case 'likelihoods': {
        const batch = batchOf(model, test, 0, Math.min(test.n, LIKELIHOODS_BATCH));
        try {
          result = await likelihoodsLesson(model, batch, run, { shape: test.shape, seed });
        } finally {
          tf.dispose([batch.x, batch.labels]);
        }
        break;
      }
    }
    return { result, seed };
  } finally {
    model.dispose();
  }
}

const f = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '-' : v.toFixed(digits));
const e = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toExponential(2));

/** A short human summary of a lesson's result. */
export function theorySummary(r: TheoryResult): string {
  const lines = [`${THEORY_TITLES[r.lesson]} (${r.lesson}, run ${r.runId}, ${r.seconds.toFixed(1)} s)`];
  switch (r.lesson) {
    case 'posterior':
      lines.push(`test example ${r.settings.example}: log p(x) ${f(r.logPx)}, ELBO ${f(r.elbo)}, gap ${f(r.gap)}, KL(q || p(z|x)) ${f(r.klPosterior)} nats`);
      lines.push(`IWAE: ${Object.entries(r.iwae).map(([k, v]) => `k=${k} ${f(v)}`).join(', ')}`);
      lines.push(`q(z|x): mean [${r.q.mean.map((v) => f(v)).join(', ')}], std [${r.q.std.map((v) => f(v)).join(', ')}]; p(z|x): mean [${r.posteriorMean.map((v) => f(v)).join(', ')}], std [${r.posteriorStd.map((v) => f(v)).join(', ')}]`);
      lines.push(`map: ${r.truePosterior.cells.join(' x ')} cells; codes of ${r.codes.z.length} test examples`);
      break;
    case 'reparam':
      lines.push(`batch ${r.settings.batch}, ${r.settings.repeats} draws per L, ${r.settings.parameters} encoder parameters; total variance (sum over parameters):`);
      lines.push('L      score       score+LOO   reparam     score/reparam');
      for (const row of r.rows) lines.push(`${String(row.samples).padEnd(6)} ${e(row.scoreVariance).padEnd(11)} ${e(row.scoreBaselineVariance).padEnd(11)} ${e(row.reparamVariance).padEnd(11)} ${f(row.ratio, 1)}`);
      lines.push(`log-log slopes: score ${f(r.slopes.score, 2)}, score+LOO ${f(r.slopes.scoreBaseline, 2)}, reparam ${f(r.slopes.reparam, 2)} (1/L: -1)`);
      break;
    case 'montecarlo':
      lines.push(`batch ${r.settings.batch}, ${r.settings.repeats} (KL) and ${r.settings.reconRepeats} (reconstruction) draws per L; KL closed form ${f(r.kl.closedForm, 4)}; E_q[log p(x|z)] at L=${r.recon.rows[r.recon.rows.length - 1].samples}: ${f(r.recon.reference)}`);
      lines.push('L      KL mean (sd)            E_q[log p(x|z)] mean (sd)');
      r.kl.rows.forEach((k, i) => lines.push(`${String(k.samples).padEnd(6)} ${`${f(k.mean, 4)} (${f(k.sd, 4)})`.padEnd(23)} ${f(r.recon.rows[i].mean)} (${f(r.recon.rows[i].sd)})`));
      break;
    case 'holes':
      lines.push(`${r.kind}, ${r.settings.examples} training codes, ${r.settings.density === 'kde' ? `kernel density (bandwidth ${r.settings.bandwidth})` : 'aggregate posterior'} on ${r.settings.grid.cells.join(' x ')} cells over [${r.settings.grid.lo.join(', ')}] to [${r.settings.grid.hi.join(', ')}]`);
      lines.push(`prior mass in holes (code density < ${r.settings.threshold} x prior): ${f(r.priorMassInHoles, 4)}${r.meansKdePriorMassInHoles !== undefined ? `; a kernel density of the means alone: ${f(r.meansKdePriorMassInHoles, 4)}` : ''}`);
      lines.push(`codes range [${r.codeRange.lo.map((v) => f(v, 2)).join(', ')}] to [${r.codeRange.hi.map((v) => f(v, 2)).join(', ')}], ${f(100 * r.codeRange.outsideGrid, 1)}% outside the grid; code mass on the grid ${f(r.codeMassOnGrid, 4)}`);
      for (const c of r.companions ?? []) lines.push(`compared with ${c.kind} (run ${c.runId}): prior mass in holes ${f(c.priorMassInHoles, 4)}`);
      break;
    case 'linear-pca':
      lines.push(`k = ${r.settings.k}, ${r.settings.examples} training examples of ${r.dataDim} values, PCA by ${r.settings.pcaMethod}`);
      lines.push(`principal angles (degrees): ${r.anglesDegrees.map((v) => f(v, 3)).join(', ')}`);
      lines.push(`reconstruction squared error per example: autoencoder ${f(r.aeReconstructionError, 4)}, PCA rank ${r.settings.k} ${f(r.pcaReconstructionError, 4)}`);
      break;
    case 'likelihoods':
      for (const c of [r, ...(r.companions ?? [])]) {
        if (c !== r) lines.push(`compared with run ${c.runId}:`);
        lines.push(likelihoodLine(c));
      }
      break;
  }
  return lines.join('\n');
}

function likelihoodLine(r: LikelihoodsResult): string {
  if (r.likelihood === 'bernoulli') return `Bernoulli: -log p(x|z) ${f(r.negLogLik, 4)} = BCE ${f(r.formula, 4)} nats per example (largest difference ${e(r.maxAbsDifference)}); the BCE's floor sum H(x_i): ${f(r.constant, 3)}`;
  return `Gaussian${r.likelihood === 'gaussian-learned' ? ', learned' : ''} sigma ${f(r.sigma, 4)}: -log p(x|z) ${f(r.negLogLik, 4)} = SSE/(2 sigma^2) ${f(r.scaledSse, 4)} + (n/2) log(2 pi sigma^2) ${f(r.constant, 4)} (n = ${r.dims}; largest difference ${e(r.maxAbsDifference)}); SSE ${f(r.sse, 4)}`;
}

/** The CLI command. */
export async function theoryCommand(args: ParsedArgs): Promise<number> {
  if (args.positional.length !== 2) throw new UsageError(`usage: vae-lab theory <run folder> <lesson> (lessons: ${THEORY_LESSONS.join(', ')})`);
  const [dir, lesson] = args.positional;
  if (!isTheoryLesson(lesson)) throw new UsageError(`unknown lesson "${lesson}" (expected ${THEORY_LESSONS.join(', ')}).`);
  const exampleFlag = args.flags.get('--example');
  const example = exampleFlag === undefined ? undefined : Number(exampleFlag);
  if (example !== undefined && (!Number.isInteger(example) || example < 0)) throw new UsageError(`--example must be a whole number of at least 0, got "${exampleFlag}".`);
  if (example !== undefined && lesson !== 'posterior') throw new UsageError('--example goes with the posterior lesson.');
  const seedFlag = args.flags.get('--seed');
  const seed = seedFlag === undefined ? undefined : Number(seedFlag);
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed must be a whole number, got "${seedFlag}".`);
  const { result, file } = await computeTheory(dir, lesson, { example, seed, with: args.withRuns.length ? args.withRuns : undefined });
  if (args.json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(`${theorySummary(result)}\nWritten: ${file}\n`);
  return 0;
}

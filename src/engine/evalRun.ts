// `vae-lab eval <run folder>`: evaluate a trained run on its test set and write eval.json.
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { VARIATIONAL_KINDS } from '../core/config';
import type { ExperimentConfig } from '../core/config';
import type { EvalResult, ExactEvaluation } from '../core/protocol';
import { UsageError } from './cliArgs';
import { runFiles, writeFileAtomic, writeJsonAtomic } from '../core/runFolder';
import { activeBackend } from './backends/index';
import { Dataset, floatRows, range, subset } from './data';
import { batchLabels, batchTensor, evaluateSplit, exactForExample } from './evaluate';
import { DISCRETE_MAX, DISENTANGLEMENT_VERSION, disentanglementScores, RIDGE } from './disentanglement';
import { renderShapes, sampleShapeFactors, SHAPE_FACTORS } from './data/shapes';
import { classifierUnavailable, featureClassifier } from './featureClassifier';
import { fitGmm, Gmm, gmmLogLikelihood, sampleGmm } from './gmm';
import { imageGrid } from './images';
import { mutualInformationGap } from './mig';
import { MI_ESTIMATOR, mutualInformation } from './objectives/mutualInformation';
import { AutoencoderModel } from './models';
import { readAfterTidy } from './models/base';
import { isPlainVae, Vae } from './models/vae';
import { EXACT_GRID_RULE, ExactExample } from './objectives/exact';
import { estimateLogLikelihood } from './objectives/importance';
import { mixSeed, Rng, Stream } from './rng';
import { fitGaussian, frechetDistance, PR_K, precisionRecall, SAMPLE_QUALITY_EXAMPLES, SAMPLE_QUALITY_VERSION } from './sampleQuality';
import { BETA_VAE_CLASSIFIER, BETA_VAE_SCORE_VERSION, BETA_VAE_SETTINGS, betaVaeScore, FACTOR_VAE_SCORE_VERSION, FACTOR_VAE_SETTINGS, factorVaeScore, GroundTruth } from './scores';
import { binarizeOnce, loadRunModel } from './trainer';

export type { EvalResult };

export interface EvalOptions {
  /** Monte Carlo samples L for the test ELBO (default: the experiment's objective.samples). */
  samples?: number;
  /** Importance samples k for log p(x) (default 1000; 0 skips it). */
  k?: number;
  /** Test examples used for log p(x) (default 500; it costs k decoder passes per example). */
  llExamples?: number;
  /** Seed of the evaluation's samples (default: derived from the run's seed); vary it to see the estimates' spread. */
  seed?: number;
  /** Exact log p(x) by quadrature (latentDim 1 or 2). */
  exact?: boolean;
  /** Test examples for the exact evaluation (default 100). */
  exactExamples?: number;
  /** Components of the post-hoc Gaussian mixture (default 10; 0: none). */
  gmm?: number;
  /** Samples decoded for the sample quality (default SAMPLE_QUALITY_EXAMPLES; 0 skips it). */
  sampleQuality?: number;
  /** Where progress lines go (training the classifier, an unusable cache); default stderr. */
  log?: (line: string) => void;
}

/** The k of the IWAE bounds reported next to the exact log p(x). */
export const EXACT_IWAE_KS = [1, 5, 50, 5000];

export async function evaluateRun(runDir: string, opts: EvalOptions = {}): Promise<EvalResult> {
  const { record, config, model, data } = await loadRunModel(runDir, (c) => {
    if (opts.samples !== undefined && VARIATIONAL_KINDS.includes(c.model.kind)) c.objective.samples = opts.samples;
  });
  try {
    if (opts.exact && !(isPlainVae(model) && model.latentDim <= 2)) {
      throw new UsageError(`--exact needs a VAE (vae, beta-vae, cvae or iwae) with latentDim 1 or 2; this run is a ${config.model.kind} with latentDim ${config.model.latentDim}.`);
    }
    const seed = opts.seed ?? mixSeed(config.training.seed, Stream.evaluation, 1);
    const test = config.data.binarize === 'dynamic' ? binarizeOnce(data.test, mixSeed(config.training.seed, Stream.binarize, -2)) : data.test;
    // klWeight 1: the reported loss is the negative ELBO (for deterministic models, their loss).
    const metrics = await evaluateSplit(model, test, { klWeight: 1, step: record.progress.totalSteps, totalSteps: record.progress.totalSteps, seed, batchSize: 250 });
    delete metrics.klPenalty;
    delete metrics.capacity;
    const result: EvalResult = {
      runId: record.runId,
      experiment: record.experiment,
      split: 'test',
      examples: test.n,
      // An iwae's ELBO comes from its k importance samples.
      samples: config.model.kind === 'iwae' ? config.objective.importanceSamples! : VARIATIONAL_KINDS.includes(config.model.kind) ? config.objective.samples : 0,
      metrics,
      reconstructionMse: await reconstructionMse(model, test),
      backend: activeBackend()?.name ?? tf.getBackend(),
      time: new Date().toISOString(),
    };
    const k = opts.k ?? 1000;
    if (model.logImportanceWeights && k > 0) result.logLikelihood = await logLikelihood(model, test, k, Math.min(test.n, opts.llExamples ?? 500), seed);
    if (opts.exact && isPlainVae(model)) result.exact = await exactEvaluation(model, test, Math.min(test.n, opts.exactExamples ?? 100), seed);
    const gmmK = opts.gmm ?? POSTHOC_COMPONENTS;
    const withSampler = gmmK > 0 && !model.conditional;
    // The test set's codes, once, for the post-hoc sampler and the disentanglement scores.
    const codes = withSampler || test.factors ? await codesOf(model, test) : [];
    let gmm: Gmm | undefined;
    if (withSampler) ({ summary: result.posthocSampler, gmm } = await posthocSampler(model, data.train, test, codes, gmmK, seed, runDir));
    if (model instanceof Vae && model.gaussianPosterior) result.mutualInformation = await mutualInformationOf(model, test, Math.min(test.n, MI_EXAMPLES), seed);
    const notComputed: Record<string, string> = {};
    if (test.factors && test.factorNames) {
      const nf = test.factorNames.length;
      const factors = Array.from({ length: test.n }, (_, i) => Array.from(test.factors!.subarray(i * nf, (i + 1) * nf)));
      result.mig = mutualInformationGap(codes, factors).mig;
      const scores = disentanglementScores(codes, factors);
      const settings: NonNullable<EvalResult['disentanglement']>['settings'] = { examples: codes.length, factors: test.factorNames, constantFactors: scores.constantFactors.map((k) => test.factorNames![k]), discreteMax: DISCRETE_MAX, ridge: RIDGE, codes: 'E_q[z|x] (f(x) for autoencoders)' };
      const d: NonNullable<EvalResult['disentanglement']> = { mig: result.mig, sap: scores.sap, dci: scores.dci, version: DISENTANGLEMENT_VERSION, settings };
      if (config.data.source === 'shapes') {
        // The scores that need images with chosen factors, rendered by the same code that made the data set.
        const gt = shapesGroundTruth(model, config.data.options.imageSize!, config.data.binarize);
        let t0 = Date.now();
        const b = await betaVaeScore(gt, new Rng(mixSeed(seed, Stream.evaluation, 41)), BETA_VAE_SETTINGS);
        const bSeconds = (Date.now() - t0) / 1000;
        t0 = Date.now();
        const f = await factorVaeScore(gt, new Rng(mixSeed(seed, Stream.evaluation, 42)), FACTOR_VAE_SETTINGS);
        const fSeconds = (Date.now() - t0) / 1000;
        const sampling = `all ${SHAPE_FACTORS.length} factors drawn uniformly from their grids (3 shapes, 6 scales, 40 rotations, 32 x 32 positions), rotation kept although a square repeats every 90 degrees and an ellipse every 180 (as disentanglement_lib does)${config.data.binarize === 'none' ? '' : `; images binarised as in training (${config.data.binarize})`}`;
        settings.betaVae = { version: BETA_VAE_SCORE_VERSION, ...BETA_VAE_SETTINGS, classifier: BETA_VAE_CLASSIFIER, sampling };
        settings.factorVae = { version: FACTOR_VAE_SCORE_VERSION, ...FACTOR_VAE_SETTINGS, sampling };
        result.disentanglement = {
          mig: d.mig,
          betaVaeScore: b.evalAccuracy,
          factorVaeScore: f.evalAccuracy,
          sap: d.sap,
          dci: d.dci,
          betaVae: { trainAccuracy: b.trainAccuracy, evalAccuracy: b.evalAccuracy, seconds: bSeconds },
          factorVae: { trainAccuracy: f.trainAccuracy, evalAccuracy: f.evalAccuracy, activeDims: f.activeDims, classifier: f.classifier.map((k) => SHAPE_FACTORS[k]), seconds: fSeconds },
          version: d.version,
          settings,
        };
      } else {
        result.disentanglement = d;
        notComputed.betaVaeScore = notComputed.factorVaeScore = `needs images rendered from chosen factors, which only the shapes source can draw (this run's source is ${config.data.source})`;
      }
    } else notComputed.disentanglement = 'the data have no ground-truth factors (of the sources, only shapes has them)';
    const qualityN = opts.sampleQuality ?? SAMPLE_QUALITY_EXAMPLES;
    if (qualityN > 0) {
      const why = classifierUnavailable(data.train) ?? samplerUnavailable(model, gmm, gmmK);
      if (why) notComputed.sampleQuality = why;
      else result.sampleQuality = await sampleQuality(model, config.data, data.train, data.test, Math.min(qualityN, data.test.n), gmm, seed, opts.log ?? ((line) => process.stderr.write(line + '\n')));
    }
    if (Object.keys(notComputed).length) result.notComputed = notComputed;
    writeJsonAtomic(runFiles.evaluation(runDir), result);
    return result;
  } finally {
    model.dispose();
  }
}

/** Components of the post-hoc Gaussian mixture (Ghosh et al. 2020 use 10), and the training codes it is fitted to. */
export const POSTHOC_COMPONENTS = 10;
const POSTHOC_FIT = 10000;
const LOG_2PI = Math.log(2 * Math.PI);

/**
 * The post-hoc sampler: a Gaussian mixture fitted to the codes of (up to 10,000) training examples, its mean
 * log-likelihood on the test codes next to the N(0, I) prior's, and 64 decoded draws from it as an image grid
 * (images/posthoc-gmm-samples.png, for image data).
 */
async function posthocSampler(model: AutoencoderModel, train: Dataset, test: Dataset, testCodes: number[][], k: number, seed: number, runDir: string): Promise<{ summary: NonNullable<EvalResult['posthocSampler']>; gmm: Gmm }> {
  const fitCodes = await codesOf(model, subset(train, range(0, Math.min(train.n, POSTHOC_FIT))));
  const g = fitGmm(fitCodes, Math.min(k, fitCodes.length), { seed });
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const d = model.latentDim;
  const out: NonNullable<EvalResult['posthocSampler']> = {
    components: g.components.length,
    covariance: g.covariance,
    fitExamples: fitCodes.length,
    iterations: g.iterations,
    trainLogLik: g.trainLogLik,
    heldOutLogLik: mean(gmmLogLikelihood(g, testCodes)),
    priorHeldOutLogLik: mean(testCodes.map((z) => -0.5 * (z.reduce((a, v) => a + v * v, 0) + d * LOG_2PI))),
  };
  if (test.shape.length === 3) {
    const zs = sampleGmm(g, 64, new Rng(mixSeed(seed, Stream.sample, 31)));
    const [values] = await readAfterTidy(() => [model.decodeMean(tf.tensor2d(zs, [zs.length, d]))]);
    out.samples = 'images/posthoc-gmm-samples.png';
    writeFileAtomic(path.join(runDir, out.samples), imageGrid(values, zs.length, test.shape, 8));
  }
  return { summary: out, gmm: g };
}

/** Kinds whose prior is what they sample from; the others (deterministic autoencoders) sample the post-hoc mixture. */
function samplesPrior(model: AutoencoderModel): boolean {
  // A vq-vae samples from the categorical prior it fitted to its codes.
  return VARIATIONAL_KINDS.includes(model.kind) || model.kind === 'aae' || model.kind === 'wae' || model.kind === 'vq-vae';
}

function samplerUnavailable(model: AutoencoderModel, gmm: Gmm | undefined, gmmK: number): string | undefined {
  if (samplesPrior(model) || gmm) return undefined;
  return `a ${model.kind} has no meaningful prior and its samples come from the post-hoc mixture, which ${gmmK === 0 ? '--gmm 0 turned off' : 'was not fitted'}`;
}

/**
 * The shapes source as a ground truth for the beta-VAE and FactorVAE scores: images rendered from factor indices
 * (binarised as the run's data are: 'fixed' at 0.5, 'dynamic' by a Bernoulli draw), codes E_q[z|x] (f(x)).
 */
function shapesGroundTruth(model: AutoencoderModel, size: number, binarize: string): GroundTruth<{ x: Float32Array; labels: number[] }> {
  return {
    factorNames: SHAPE_FACTORS.slice(),
    sampleFactors: sampleShapeFactors,
    render: (rows, rng) => {
      const x = renderShapes(rows, size);
      if (binarize === 'fixed') for (let i = 0; i < x.length; i++) x[i] = x[i] >= 0.5 ? 1 : 0;
      else if (binarize === 'dynamic') for (let i = 0; i < x.length; i++) x[i] = rng.next() < x[i] ? 1 : 0;
      return { x, labels: rows.map((r) => r[0]) };
    },
    encode: async ({ x, labels }) => {
      const n = labels.length;
      const z = tf.tidy(() => model.encodeMean(tf.tensor4d(x, [n, size, size, 1]), model.conditional ? (tf.oneHot(tf.tensor1d(labels, 'int32'), model.numClasses).toFloat() as tf.Tensor2D) : undefined));
      const codes = (await z.array()) as number[][];
      z.dispose();
      return codes;
    },
  };
}

/**
 * Sample quality (sampleQuality.ts): n samples decoded from the prior (or the post-hoc mixture for deterministic
 * autoencoders) against the first n test images, in the features of the data set's cached classifier.
 */
async function sampleQuality(model: AutoencoderModel, dataConfig: ExperimentConfig['data'], train: Dataset, test: Dataset, n: number, gmm: Gmm | undefined, seed: number, log: (line: string) => void): Promise<NonNullable<EvalResult['sampleQuality']>> {
  const t0 = Date.now();
  const classifier = await featureClassifier(dataConfig, train, test, { log });
  try {
    const dim = test.shape.reduce((a, b) => a * b, 1);
    const fromPrior = samplesPrior(model);
    const samples = new Float32Array(n * dim);
    const rng = new Rng(mixSeed(seed, Stream.sample, 52));
    for (let start = 0, i = 0; start < n; start += 250, i++) {
      const end = Math.min(n, start + 250);
      const labels = model.conditional ? batchLabels(test, start, end, model.numClasses) : undefined;
      const x = tf.tidy(() => {
        if (fromPrior) return model.sample(end - start, mixSeed(seed, Stream.sample, 51, i), labels);
        const zs = sampleGmm(gmm!, end - start, rng);
        return model.decodeMean(tf.tensor2d(zs, [zs.length, model.latentDim]), labels);
      });
      samples.set(await x.data(), start * dim);
      tf.dispose([x, labels]);
    }
    const fake = await classifier.features(samples, n);
    const real = await classifier.features(floatRows(test, 0, n), n);
    const { precision, recall } = precisionRecall(real, fake, PR_K);
    const c = classifier.meta;
    return {
      fd: frechetDistance(fitGaussian(real), fitGaussian(fake)),
      precision,
      recall,
      classifier: c.name,
      version: SAMPLE_QUALITY_VERSION,
      samples: n,
      reference: `the first ${n} test images (before any binarisation)`,
      sampler: fromPrior
        ? `the model's prior p(z)${model.conditional ? ', with the test images\' labels' : ''}, decoded to the likelihood's mean`
        : `the post-hoc Gaussian mixture of ${gmm!.components.length} components on the training codes (${/^[aeiou]/.test(model.kind) ? 'an' : 'a'} ${model.kind}'s N(0, I) is not a prior it was trained to match), decoded`,
      features: `the ${c.key.classes}-class classifier's penultimate layer (128 ReLU units)`,
      k: PR_K,
      classifierCache: { dir: classifier.dir, status: classifier.status, ...(classifier.reason ? { reason: classifier.reason } : {}), testAccuracy: c.testAccuracy, trainSeconds: c.trainSeconds },
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    classifier.dispose();
  }
}

/** Test examples behind the mutual-information estimate (its upper bound is log of this). */
const MI_EXAMPLES = 1000;

async function mutualInformationOf(model: Vae, d: Dataset, n: number, seed: number): Promise<NonNullable<EvalResult['mutualInformation']>> {
  const means: tf.Tensor2D[] = [];
  const logVars: tf.Tensor2D[] = [];
  for (let start = 0; start < n; start += 250) {
    const end = Math.min(n, start + 250);
    const q = tf.tidy(() => model.posterior(batchTensor(d, start, end), model.conditional ? batchLabels(d, start, end, model.numClasses) : undefined));
    means.push(q.mean);
    logVars.push(q.logVar);
  }
  const mean = tf.concat(means) as tf.Tensor2D;
  const logVar = tf.concat(logVars) as tf.Tensor2D;
  const eps = tf.randomNormal(mean.shape, 0, 1, 'float32', mixSeed(seed, Stream.epsilon, 21)) as tf.Tensor2D;
  try {
    const value = await mutualInformation(mean, logVar, eps);
    return { value, examples: n, upperBound: Math.log(n), estimator: MI_ESTIMATOR, version: 1 };
  } finally {
    tf.dispose([...means, ...logVars, mean, logVar, eps]);
  }
}

async function codesOf(model: AutoencoderModel, d: Dataset): Promise<number[][]> {
  const out: number[][] = [];
  for (let start = 0; start < d.n; start += 250) {
    const end = Math.min(d.n, start + 250);
    const z = tf.tidy(() => model.encodeMean(batchTensor(d, start, end), model.conditional ? batchLabels(d, start, end, model.numClasses) : undefined));
    out.push(...((await z.array()) as number[][]));
    z.dispose();
  }
  return out;
}

async function reconstructionMse(model: AutoencoderModel, d: Dataset): Promise<number> {
  let total = 0;
  for (let start = 0; start < d.n; start += 250) {
    const end = Math.min(d.n, start + 250);
    const se = tf.tidy(() => {
      const x = batchTensor(d, start, end);
      const labels = model.conditional ? batchLabels(d, start, end, model.numClasses) : undefined;
      return tf.squaredDifference(model.reconstruct(x, labels), x).reshape([end - start, -1]).sum();
    });
    total += (await se.data())[0];
    se.dispose();
  }
  return total / d.n;
}

/**
 * Importance-sampled log p(x) with k samples for each of the first `examples` examples, in batches of 10 examples with
 * samples drawn in chunks; seedOf(start, batch) seeds each batch.
 */
async function importanceValues(model: AutoencoderModel, d: Dataset, k: number, examples: number, seedOf: (start: number, batch: number) => number): Promise<number[]> {
  const values: number[] = [];
  const bs = 10;
  for (let start = 0, i = 0; start < examples; start += bs, i++) {
    const end = Math.min(examples, start + bs);
    const x = batchTensor(d, start, end);
    const labels = model.conditional ? batchLabels(d, start, end, model.numClasses) : undefined;
    values.push(...(await estimateLogLikelihood((n, s) => model.logImportanceWeights!(x, labels, n, s), k, seedOf(start, i), Math.max(1, Math.floor(2000 / (end - start))))));
    tf.dispose([x, labels]);
  }
  return values;
}

/** Importance-sampled log p(x), k samples per example: mean and standard error over the examples. */
async function logLikelihood(model: AutoencoderModel, d: Dataset, k: number, examples: number, seed: number): Promise<{ k: number; examples: number; mean: number; stderr: number }> {
  const values = await importanceValues(model, d, k, examples, (_start, batch) => mixSeed(seed, batch));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1);
  return { k, examples: values.length, mean, stderr: Math.sqrt(variance / values.length) };
}

/**
 * log p(x) by quadrature for the first n test examples (objectives/exact.ts), with the IWAE bounds for EXACT_IWAE_KS
 * on the same examples.
 */
export async function exactEvaluation(model: Vae, d: Dataset, n: number, seed: number): Promise<ExactEvaluation> {
  const t0 = Date.now();
  const results: ExactExample[] = [];
  for (let i = 0; i < n; i++) results.push(await exactForExample(model, d, i));
  const iwae: Record<string, number> = {};
  for (const k of EXACT_IWAE_KS) iwae[String(k)] = mean(await importanceValues(model, d, k, n, (start) => mixSeed(seed, k, start)));
  const cells = results.map((r) => r.grid.cells);
  return {
    examples: n,
    logPx: mean(results.map((r) => r.logPx)),
    elbo: mean(results.map((r) => r.elbo)),
    gap: mean(results.map((r) => r.gap)),
    klPosterior: mean(results.map((r) => r.klPosterior)),
    iwae,
    perExample: { logPx: results.map((r) => r.logPx), elbo: results.map((r) => r.elbo), gap: results.map((r) => r.gap) },
    grid: {
      rule: EXACT_GRID_RULE,
      cellsMin: cells[0].map((_, j) => Math.min(...cells.map((c) => c[j]))),
      cellsMax: cells[0].map((_, j) => Math.max(...cells.map((c) => c[j]))),
      maxEdgeMass: Math.max(...results.map((r) => r.grid.edgeMass)),
      maxIdentityError: Math.max(...results.map((r) => Math.abs(r.gap - r.klPosterior))),
    },
    seconds: (Date.now() - t0) / 1000,
  };
}

function mean(v: number[]): number {
  return v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
}

export function evalTable(r: EvalResult, runDir: string): string {
  const m = r.metrics;
  const rows: [string, string][] = [
    ['run', path.basename(runDir)],
    ['test examples', String(r.examples)],
  ];
  if (m.elbo !== undefined) {
    rows.push([`test ELBO (L=${r.samples}), nats`, m.elbo.toFixed(3)]);
    rows.push(['  reconstruction -E[log p(x|z)]', m.recon.toFixed(3)]);
    rows.push(['  KL(q(z|x) || p(z))', (m.kl ?? NaN).toFixed(3)]);
  } else {
    rows.push(['test reconstruction loss, nats', m.recon.toFixed(3)]);
  }
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'number' && !['loss', 'recon', 'kl', 'elbo', 'activeUnits'].includes(k)) rows.push([`  ${k}`, v.toFixed(3)]);
  }
  if (r.logLikelihood) rows.push([`log p(x), importance-sampled (k=${r.logLikelihood.k}, ${r.logLikelihood.examples} examples)`, `${r.logLikelihood.mean.toFixed(3)} ± ${r.logLikelihood.stderr.toFixed(3)}`]);
  rows.push(['reconstruction squared error per example', r.reconstructionMse.toFixed(3)]);
  if (m.activeUnits !== undefined) rows.push(['active units (Var E[z_d] > 0.01)', `${m.activeUnits} of ${m.activity?.length ?? '?'}`]);
  if (r.mig !== undefined) rows.push(['Mutual Information Gap (factors)', r.mig.toFixed(3)]);
  if (r.disentanglement) {
    const d = r.disentanglement;
    if (d.betaVaeScore !== undefined) rows.push([`beta-VAE score (${d.settings.betaVae?.evalPoints ?? '?'} points; train accuracy ${d.betaVae?.trainAccuracy.toFixed(3) ?? '?'})`, d.betaVaeScore.toFixed(3)]);
    if (d.factorVaeScore !== undefined) rows.push([`FactorVAE score (${d.settings.factorVae?.evalPoints ?? '?'} votes; ${d.factorVae?.activeDims.length ?? '?'} active dimensions)`, d.factorVaeScore.toFixed(3)]);
    rows.push(['SAP (factors)', d.sap.toFixed(3)]);
    rows.push(['DCI disentanglement / completeness / informativeness (R^2)', `${d.dci.disentanglement.toFixed(3)} / ${d.dci.completeness.toFixed(3)} / ${d.dci.informativeness.toFixed(3)}`]);
  }
  if (r.sampleQuality) {
    const q = r.sampleQuality;
    const title = q.classifier.replace(/ \(.*$/, '');
    rows.push([`FD (${title}), ${q.samples} samples vs test images`, q.fd.toFixed(3)]);
    rows.push([`  precision / recall (k=${q.k})`, `${q.precision.toFixed(3)} / ${q.recall.toFixed(3)}`]);
    rows.push(['  features of', `${q.classifier}${q.classifierCache.status === 'loaded' ? '' : `, ${q.classifierCache.status} now in ${q.classifierCache.trainSeconds.toFixed(1)} s`}`]);
  }
  if (r.posthocSampler) {
    const p = r.posthocSampler;
    rows.push([`post-hoc mixture of ${p.components} Gaussians: test codes' log-likelihood`, `${p.heldOutLogLik.toFixed(3)} (N(0, I): ${p.priorHeldOutLogLik.toFixed(3)})${p.samples ? `; samples in ${p.samples}` : ''}`]);
  }
  if (r.mutualInformation) rows.push(['I(x; z) under q (nats)', `${r.mutualInformation.value.toFixed(3)} (at most log ${r.mutualInformation.examples} = ${r.mutualInformation.upperBound.toFixed(3)})`]);
  if (r.exact) {
    const e = r.exact;
    rows.push([`exact (quadrature, ${e.examples} examples): log p(x)`, e.logPx.toFixed(3)]);
    rows.push(['  ELBO (E_q[log p(x|z)] on the grid - KL)', e.elbo.toFixed(3)]);
    rows.push(['  gap log p(x) - ELBO', e.gap.toFixed(3)]);
    rows.push(['  KL(q(z|x) || p(z|x)) on the grid', e.klPosterior.toFixed(3)]);
    rows.push(['  IWAE bounds', Object.entries(e.iwae).map(([k, v]) => `k=${k}: ${v.toFixed(3)}`).join(', ')]);
    rows.push(['  grid cells per dimension', `${e.grid.cellsMin.join(' x ')} to ${e.grid.cellsMax.join(' x ')} (largest edge mass ${e.grid.maxEdgeMass.toExponential(1)})`]);
  }
  if (m.klPerDim) rows.push(['KL per dimension', m.klPerDim.map((v) => v.toFixed(2)).join(' ')]);
  for (const [k, why] of Object.entries(r.notComputed ?? {})) rows.push([`${k}: not computed`, why]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

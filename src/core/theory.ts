// The theory lab's results (GitHub issue 15): numbers computed from a user's own trained run, one JSON file per lesson
// under <run>/theory/, written by `vae-lab theory <run> <lesson>` (src/engine/theory/) and read by the Theory panel.
//   theory/posterior-<i>.json   true posterior p(z|x) on a grid for test example i, q(z|x), the bounds; codes to click
//   theory/reparam.json         gradient variance: score-function (REINFORCE) versus reparameterised estimator, per L
//   theory/montecarlo.json      Monte Carlo KL and reconstruction terms per L next to the closed form
//   theory/holes.json           aggregate posterior q(z) versus the prior on a grid; the prior mass in the "holes"
//   theory/linear-pca.json      a linear autoencoder's decoder basis versus the top-k principal components
//   theory/likelihoods.json     MSE = Gaussian negative log-likelihood up to a constant; BCE = Bernoulli's
// Pure types and small helpers: imports neither vscode nor tfjs.
import * as path from 'path';

export const THEORY_FORMAT_VERSION = 1;

export const THEORY_LESSONS = ['posterior', 'reparam', 'montecarlo', 'holes', 'linear-pca', 'likelihoods'] as const;
export type TheoryLesson = (typeof THEORY_LESSONS)[number];

/** Each lesson's title, as the seeds phrase it. */
export const THEORY_TITLES: Record<TheoryLesson, string> = {
  posterior: 'The true posterior p(z|x) and its approximation q(z|x)',
  reparam: 'Why reparameterise',
  montecarlo: 'Monte Carlo vs closed form',
  holes: 'Holes in the code space',
  'linear-pca': 'Linear autoencoder = PCA',
  likelihoods: 'BCE or MSE',
};

export function isTheoryLesson(s: string): s is TheoryLesson {
  return (THEORY_LESSONS as readonly string[]).includes(s);
}

/** The folder and file of a lesson's result (the posterior lesson has one file per test example). */
export const theoryFiles = {
  dir: (runDir: string) => path.join(runDir, 'theory'),
  lesson: (runDir: string, lesson: TheoryLesson, example?: number) =>
    path.join(runDir, 'theory', lesson === 'posterior' ? `posterior-${example ?? 0}.json` : `${lesson}.json`),
};

/** What every lesson's file starts with. */
export interface TheoryHeader<L extends TheoryLesson, S> {
  formatVersion: number;
  lesson: L;
  runId: string;
  experiment: string;
  /** ISO time the numbers were computed. */
  computedAt: string;
  /** Wall-clock seconds the computation took. */
  seconds: number;
  backend: string;
  /** The settings used (sample counts, seeds, grid sizes, thresholds), so that the numbers can be repeated. */
  settings: S;
}

/** A regular grid: `cells` per dimension over the box [lo, hi]; values row-major, the last dimension fastest. */
export interface TheoryGrid {
  lo: number[];
  hi: number[];
  cells: number[];
}

// posterior ------------------------------------------------------------------------------------------------------

export interface PosteriorSettings {
  example: number;
  /** Cells per dimension of the posterior map (over the box the exact quadrature chose for this example). */
  mapCells: number;
  iwaeKs: number[];
  seed: number;
  /** How many test examples' codes are listed. */
  codes: number;
}

export interface PosteriorResult extends TheoryHeader<'posterior', PosteriorSettings> {
  latentDim: number;
  /** The true posterior on the map grid: log p(z|x) per cell (a density: sum exp(v) * cell volume = 1 on the grid). */
  truePosterior: TheoryGrid & { logDensity: number[] };
  /** Mean and standard deviation of p(z|x) (from the exact quadrature's fine grid). */
  posteriorMean: number[];
  posteriorStd: number[];
  /** q(z|x) = N(mean, diag std^2): the 1- and 2-sigma ellipses are mean +- k * std along the axes. */
  q: { mean: number[]; std: number[] };
  /** Nats: log p(x) by quadrature, ELBO, their gap, KL(q || p(z|x)) on the grid (= the gap), the IWAE bounds per k. */
  logPx: number;
  elbo: number;
  recon: number;
  kl: number;
  gap: number;
  klPosterior: number;
  iwae: Record<string, number>;
  /** The exact quadrature's final grid (finer than the map). */
  exactGrid: TheoryGrid & { edgeMass: number };
  /** E_q[z|x] of the first test examples (for the scatter), with their labels when the data has them. */
  codes: { z: number[][]; labels?: number[] };
}

// reparam --------------------------------------------------------------------------------------------------------

export interface ReparamSettings {
  /** Training examples in the batch (fixed: the first of a seeded permutation). */
  batch: number;
  /** Samples L per estimate. */
  samples: number[];
  /** Independent draws R of each L-sample estimate, from which the variance is estimated. */
  repeats: number;
  seed: number;
  /** Encoder parameters (the gradient's length). */
  parameters: number;
  /** In words: f, the estimators, the baseline and how the variance is summarised. */
  definitions: string;
}

export interface ReparamRow {
  samples: number;
  /** Total variance: the sum over encoder parameters of the per-parameter variance of an L-sample estimate. */
  scoreVariance: number;
  /** The score-function estimator with the leave-one-out baseline (L >= 2; null for L = 1). */
  scoreBaselineVariance: number | null;
  reparamVariance: number;
  /** scoreVariance / reparamVariance. */
  ratio: number;
  /** Squared norm of the mean gradient over the R draws, for each estimator (the signal next to the noise). */
  scoreMeanNormSq: number;
  reparamMeanNormSq: number;
}

export interface ReparamResult extends TheoryHeader<'reparam', ReparamSettings> {
  rows: ReparamRow[];
  /** Least-squares slope of log variance against log L (1/L gives -1). */
  slopes: { score: number; scoreBaseline: number | null; reparam: number };
}

// montecarlo -----------------------------------------------------------------------------------------------------

export interface MonteCarloSettings {
  /** Test examples in the batch (the first ones). */
  batch: number;
  samples: number[];
  /** Independent L-sample estimates per L of the KL (their spread is the estimator's standard deviation). */
  repeats: number;
  /** The same for the reconstruction term (each costs L decoder passes per example). */
  reconRepeats: number;
  seed: number;
}

export interface MonteCarloRow {
  samples: number;
  /** Mean over the repeats of the L-sample estimate (batch mean per example, nats). */
  mean: number;
  /** Standard deviation of one L-sample estimate (over the repeats): falls like 1/sqrt(L). */
  sd: number;
  /** Standard error of `mean`: sd / sqrt(repeats). */
  stderr: number;
}

export interface MonteCarloResult extends TheoryHeader<'montecarlo', MonteCarloSettings> {
  /** KL(q(z|x) || p(z)) = E_q[log q(z|x) - log p(z)]: the closed form and the Monte Carlo estimates. */
  kl: { closedForm: number; rows: MonteCarloRow[] };
  /** E_q[log p(x|z)]: no closed form; the reference is the largest L's mean. */
  recon: { reference: number; rows: MonteCarloRow[] };
}

// holes ----------------------------------------------------------------------------------------------------------

export interface HolesSettings {
  /** Training examples whose codes make the aggregate density. */
  examples: number;
  grid: TheoryGrid;
  /** A cell is a hole where the code density is below threshold * the prior density there. */
  threshold: number;
  /** 'aggregate-posterior' (VAE family: mean of q(z|x_i)) or 'kde' (deterministic codes: Gaussian kernels). */
  density: 'aggregate-posterior' | 'kde';
  /** Kernel standard deviation for 'kde' (latent units); also used for the VAE's means-only comparison. */
  bandwidth: number;
  definitions: string;
}

export interface HolesResult extends TheoryHeader<'holes', HolesSettings> {
  kind: string;
  latentDim: number;
  /** log density per cell of the codes (aggregate posterior or KDE) and of the prior N(0, I). */
  logCodeDensity: number[];
  logPrior: number[];
  /** Prior mass (on the grid) of the cells that are holes. */
  priorMassInHoles: number;
  /** Code-density mass on the grid (near 1 when the box holds the codes). */
  codeMassOnGrid: number;
  /** For VAEs: the same measure for a KDE of the posterior means alone (the codes as an AE would have them). */
  meansKdePriorMassInHoles?: number;
  /** Range of the codes (E_q[z|x] or z = f(x)) per dimension, and the share outside the grid. */
  codeRange: { lo: number[]; hi: number[]; outsideGrid: number };
  /** The same lesson on other runs (the run's sweep siblings, or `--with`), on the same grid: an AE next to a VAE. */
  companions?: HolesResult[];
}

// linear-pca -----------------------------------------------------------------------------------------------------

export interface LinearPcaSettings {
  examples: number;
  k: number;
  /** 'jacobi' (full eigendecomposition, small data dimension) or 'subspace-iteration'. */
  pcaMethod: string;
}

export interface LinearPcaResult extends TheoryHeader<'linear-pca', LinearPcaSettings> {
  dataDim: number;
  /** The decoder's directions (rows of the composed linear map), one per latent dimension. */
  decoderBasis: number[][];
  /** Top-k principal directions (unit vectors, decreasing variance) and their variances. */
  principalComponents: number[][];
  explainedVariance: number[];
  /** Principal angles between the two subspaces, degrees, ascending. */
  anglesDegrees: number[];
  /** Mean squared reconstruction error per example (summed over dimensions) on the training data. */
  aeReconstructionError: number;
  pcaReconstructionError: number;
}

// likelihoods ----------------------------------------------------------------------------------------------------

export interface LikelihoodsSettings {
  /** Test examples (the first ones), reconstructed through the deterministic code E_q[z|x] / f(x). */
  batch: number;
}

export interface LikelihoodsResult extends TheoryHeader<'likelihoods', LikelihoodsSettings> {
  likelihood: 'gaussian' | 'gaussian-learned' | 'bernoulli';
  /** Values per example. */
  dims: number;
  /** Gaussian: sigma and the constant (n/2) log(2 pi sigma^2); Bernoulli: the BCE's floor, sum of H(x_i) (0 on binary data). */
  sigma?: number;
  constant: number;
  /** Batch means, nats per example: -log p(x|z) from the engine's likelihood code, and the same from the textbook formula. */
  negLogLik: number;
  formula: number;
  /** Gaussian: the sum of squared errors and SSE/(2 sigma^2); Bernoulli: the BCE (= formula). */
  sse?: number;
  scaledSse?: number;
  /** Largest |engine - formula| over the examples. */
  maxAbsDifference: number;
  /** The first few examples' values, for display. */
  perExample: { negLogLik: number[]; formula: number[] };
  /** Pictures (image data only): test inputs, their reconstructions and draws from the prior, decoded to E[x|z]. */
  images?: TheoryImages;
  /** The same lesson on other runs (the run's sweep siblings, or `--with`): Bernoulli next to Gaussian likelihoods. */
  companions?: LikelihoodsResult[];
}

/**
 * Examples as pictures, for side-by-side comparisons: bytes 0..255 of values clipped to [0, 1], row-major height x
 * width x channels. Reconstructions and samples are the mean of p(x|z) (the Bernoulli's probabilities, the
 * Gaussian's means), decoded from z = E_q[z|x] (or f(x)) and from z ~ N(0, I) drawn with `seed` (the same codes for
 * every run of one latent size).
 */
export interface TheoryImages {
  shape: [number, number, number];
  seed: number;
  inputs: number[][];
  reconstructions: number[][];
  samples: number[][];
}

export type TheoryResult = PosteriorResult | ReparamResult | MonteCarloResult | HolesResult | LinearPcaResult | LikelihoodsResult;

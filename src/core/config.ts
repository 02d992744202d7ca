// Experiment configuration: the TypeScript view of schema/vae-experiment.schema.json, plus the one validator that
// the CLI, the engine and (later) the editor share. Imports neither vscode nor tfjs.
import Ajv, { ErrorObject } from 'ajv';
import { parse as parseJsonc, ParseError } from 'jsonc-parser';
import schemaJson from '../../schema/vae-experiment.schema.json';
import type { SweepSpec } from './sweep';

export const experimentSchema: object = schemaJson;

export type DataSource = 'mnist' | 'mnist-60k' | 'fashion-mnist' | 'kmnist' | 'cifar10' | 'emnist-balanced' | 'emnist-letters' | 'shapes' | 'toy2d' | 'idx' | 'png-dir' | 'csv' | 'npy';
export type Binarize = 'none' | 'fixed' | 'dynamic';
export type ModelKind = 'ae' | 'linear-ae' | 'sparse-ae' | 'denoising-ae' | 'contractive-ae' | 'vae' | 'beta-vae' | 'beta-tcvae' | 'info-vae' | 'dip-vae' | 'factor-vae' | 'cvae' | 'iwae' | 'aae' | 'wae' | 'rae' | 'vamp-vae' | 'vq-vae' | 'flow-vae' | 'hvae' | 'gumbel-vae';

/** Kinds with a Gaussian encoder, a KL term and an ELBO. */
export const VARIATIONAL_KINDS: readonly ModelKind[] = ['vae', 'beta-vae', 'beta-tcvae', 'info-vae', 'dip-vae', 'factor-vae', 'cvae', 'iwae', 'vamp-vae', 'flow-vae', 'hvae', 'gumbel-vae'];
export type Likelihood = 'bernoulli' | 'gaussian' | 'gaussian-learned';
export type Activation = 'relu' | 'elu' | 'tanh' | 'sigmoid' | 'leakyRelu' | 'softplus' | 'linear';
export type BackendChoice = 'auto' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface DataOptions {
  limit?: number;
  count?: number;
  imageSize?: 28 | 32 | 64;
  channels?: 1 | 3;
  seed?: number;
  dataset?: 'moons' | 'rings' | 'pinwheel' | '8gaussians';
  noise?: number;
  header?: boolean;
  labelColumn?: number;
  scale?: number;
  shape?: number[];
}

export interface DataConfig {
  source: DataSource;
  path?: string;
  labelsPath?: string;
  options: DataOptions;
  validationSplit: number;
  testSplit: number;
  splitSeed: number;
  binarize: Binarize;
}

export interface NetworkConfig {
  type: 'mlp' | 'conv';
  hidden: number[];
  filters: number[];
  kernelSize: number;
  stride: number;
  activation: Activation;
}

export interface ModelConfig {
  kind: ModelKind;
  latentDim: number;
  encoder: NetworkConfig;
  decoder: NetworkConfig;
  likelihood: Likelihood;
  sigma: number;
  /** Activation of the code layer of deterministic autoencoders. */
  codeActivation: Activation;
  /** aae only. */
  discriminator?: { hidden: number[]; activation: Activation; learningRate: number };
}

export interface KlScheduleConfig {
  type: 'constant' | 'linear' | 'cyclical';
  warmupSteps: number;
  cycles: number;
  rampFraction: number;
}

export interface ObjectiveConfig {
  beta: number;
  klSchedule: KlScheduleConfig;
  freeBits: number;
  capacity?: { max: number; steps: number };
  samples: number;
  reduction: 'sum-over-dimensions-mean-over-batch';
  /** sparse-ae only. */
  sparsity?: { penalty: 'l1' | 'kl'; weight: number; target: number };
  /** denoising-ae only. */
  corruption?: { type: 'gaussian' | 'mask' | 'salt-and-pepper'; level: number };
  /** contractive-ae only. */
  contraction?: { weight: number };
  /** iwae only: importance samples k. */
  importanceSamples?: number;
  /** aae only. */
  prior?: { type: 'normal' | 'mixture'; components: number; radius: number; std: number };
  /**
   * info-vae and wae: the MMD^2 between the batch's codes and as many prior draws, Gaussian kernel with s^2 = latentDim.
   * info-vae: loss = recon + (1 - alpha) * KL + (alpha + weight - 1) * MMD^2 (Zhao et al. 2019, lambda = weight);
   * wae: loss = recon + weight * MMD^2 (alpha unused).
   */
  mmd?: { weight: number; alpha: number };
  /** dip-vae only: which covariance is driven to I, and the weights of its off-diagonal and diagonal penalties. */
  dip?: { type: 'i' | 'ii'; lambdaOffDiagonal: number; lambdaDiagonal: number };
  /** rae only: beta of the mean (1/2)||z||^2 and lambda of the decoder kernels' sum of squares. */
  rae?: { codeWeight: number; decoderWeight: number };
  /** vamp-vae only: the VampPrior p(z) = (1/K) sum_k q(z | u_k) over K learned pseudo-inputs u_k. */
  vamp?: { components: number };
  /**
   * vq-vae only: the encoder's output [B, latentDim] is read as latentDim / embeddingDim vectors, each replaced by its
   * nearest of codebookSize codebook vectors; loss = recon + ||sg(z_e) - e||^2 + commitment * ||z_e - sg(e)||^2.
   */
  vq?: { codebookSize: number; embeddingDim: number; commitment: number };
  /** flow-vae only: `length` planar flows (Rezende and Mohamed 2015) on the posterior sample, their parameters from the encoder. */
  flow?: { type: 'planar'; length: number };
  /** hvae only: two stochastic layers, z1 (latentDim) and z2 (topDim), with q(z2|z1) and p(z1|z2) through `hidden`. */
  hvae?: { topDim: number; hidden: number[] };
  /**
   * gumbel-vae only: latentDim / categories categorical variables of `categories` classes each, relaxed by the
   * Gumbel-softmax at a temperature annealed from temperatureStart to temperatureEnd (exponentially over the run).
   */
  gumbel?: { categories: number; temperatureStart: number; temperatureEnd: number; hard: boolean };
}

export interface OptimizerConfig {
  type: 'adam' | 'sgd' | 'rmsprop';
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  momentum: number;
  rho: number;
  weightDecay: number;
}

export interface LrScheduleConfig {
  type: 'constant' | 'step' | 'exponential' | 'cosine';
  gamma: number;
  stepEpochs: number;
  minLearningRate: number;
  warmupSteps: number;
}

export interface TrainingConfig {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  lrSchedule: LrScheduleConfig;
  gradClipNorm: number;
  seed: number;
  earlyStopping?: { patience: number; minDelta: number };
  checkpointEvery: number;
}

export interface LoggingConfig {
  metricsEvery: number;
  imagesEvery: number;
  gridSize: number;
}

/** The complete, effective configuration: every default filled in. This is what a run folder records. */
export interface ExperimentConfig {
  $schema?: string;
  name: string;
  description: string;
  data: DataConfig;
  model: ModelConfig;
  objective: ObjectiveConfig;
  training: TrainingConfig;
  logging: LoggingConfig;
  backend: BackendChoice;
  /** Only in experiment files that define a sweep; the children's configs have none. */
  sweep?: SweepSpec;
}

/** One problem with an experiment: a JSON pointer into the document and a plain sentence. */
export interface ConfigIssue {
  pointer: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[], readonly file?: string) {
    super(formatIssues(issues, file));
    this.name = 'ConfigError';
  }
}

export function formatIssue(issue: ConfigIssue, file?: string): string {
  const where = issue.pointer === '' ? '(document)' : issue.pointer;
  return `${file ? file + ': ' : ''}${where}: ${issue.message}`;
}

export function formatIssues(issues: ConfigIssue[], file?: string): string {
  return issues.map((i) => formatIssue(i, file)).join('\n');
}

const FILE_SOURCES: DataSource[] = ['idx', 'png-dir', 'csv', 'npy'];

/** Which data options each source understands (others are errors, so that typos do not pass silently). */
const OPTIONS_BY_SOURCE: Record<DataSource, (keyof DataOptions)[]> = {
  mnist: ['limit'],
  'mnist-60k': ['limit'],
  'fashion-mnist': ['limit'],
  kmnist: ['limit'],
  cifar10: ['limit'],
  'emnist-balanced': ['limit'],
  'emnist-letters': ['limit'],
  shapes: ['limit', 'count', 'imageSize', 'seed'],
  toy2d: ['limit', 'count', 'dataset', 'noise', 'seed'],
  idx: ['limit', 'scale'],
  'png-dir': ['limit', 'imageSize', 'channels'],
  csv: ['limit', 'header', 'labelColumn', 'scale', 'shape'],
  npy: ['limit', 'scale', 'shape'],
};

/** Source-specific defaults (documented in the schema's descriptions), filled into the effective config. */
const OPTION_DEFAULTS: Partial<Record<DataSource, DataOptions>> = {
  shapes: { count: 20000, imageSize: 32, seed: 0 },
  toy2d: { count: 10000, dataset: 'moons', noise: 0.05, seed: 0 },
  'png-dir': { imageSize: 28, channels: 1 },
};

let compiled: ReturnType<Ajv['compile']> | undefined;
function validator() {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
    compiled = ajv.compile(experimentSchema);
  }
  return compiled;
}

/** Turn one Ajv error into a pointer and a plain sentence. */
function describeAjvError(e: ErrorObject): ConfigIssue {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return {
        pointer: `${e.instancePath}/${String(p.additionalProperty)}`,
        message: `unknown field "${String(p.additionalProperty)}"${suggest(e)}.`,
      };
    case 'required':
      return { pointer: `${e.instancePath}/${String(p.missingProperty)}`, message: 'is required.' };
    case 'type':
      return { pointer: e.instancePath, message: `must be ${article(String(p.type))}.` };
    case 'enum':
      return {
        pointer: e.instancePath,
        message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}.`,
      };
    case 'minimum':
      return { pointer: e.instancePath, message: `must be at least ${String(p.limit)}.` };
    case 'maximum':
      return { pointer: e.instancePath, message: `must be at most ${String(p.limit)}.` };
    case 'exclusiveMinimum':
      return { pointer: e.instancePath, message: `must be greater than ${String(p.limit)}.` };
    case 'exclusiveMaximum':
      return { pointer: e.instancePath, message: `must be less than ${String(p.limit)}.` };
    case 'minLength':
      return { pointer: e.instancePath, message: p.limit === 1 ? 'must not be empty.' : `must have at least ${String(p.limit)} characters.` };
    case 'maxLength':
      return { pointer: e.instancePath, message: `must have at most ${String(p.limit)} characters.` };
    case 'minItems':
      return { pointer: e.instancePath, message: `must have at least ${String(p.limit)} items.` };
    case 'maxItems':
      return { pointer: e.instancePath, message: `must have at most ${String(p.limit)} items.` };
    case 'pattern':
      if (e.instancePath === '/name') {
        return { pointer: e.instancePath, message: "must start with a letter or digit and use only letters, digits, '.', '_' and '-'." };
      }
      return { pointer: e.instancePath, message: `must match the pattern ${String(p.pattern)}.` };
    default:
      return { pointer: e.instancePath, message: `${e.message ?? 'is invalid'}.` };
  }
}

function article(type: string): string {
  const word = type === 'integer' ? 'a whole number' : type === 'array' ? 'an array' : type === 'object' ? 'an object' : `a ${type}`;
  return word;
}

/** For an unknown key, name the closest allowed key when it is a likely typo. */
function suggest(e: ErrorObject): string {
  const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  if (!props) return '';
  const bad = String((e.params as { additionalProperty: string }).additionalProperty);
  let best = '';
  let bestD = Infinity;
  for (const k of Object.keys(props)) {
    const d = editDistance(bad.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return bestD <= Math.max(2, Math.floor(bad.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** Cross-field rules a JSON Schema cannot state clearly. Runs only on schema-valid documents. */
function semanticIssues(c: ExperimentConfig, raw: Record<string, any>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const d = c.data;
  if (FILE_SOURCES.includes(d.source) && !d.path) {
    issues.push({ pointer: '/data/path', message: `is required for source "${d.source}" (a file or folder, relative to the experiment file).` });
  }
  if (!FILE_SOURCES.includes(d.source) && d.path !== undefined) {
    issues.push({ pointer: '/data/path', message: `is not used by source "${d.source}"; only idx, png-dir, csv and npy read files.` });
  }
  if (d.labelsPath !== undefined && d.source !== 'idx' && d.source !== 'npy') {
    issues.push({ pointer: '/data/labelsPath', message: `is only used by sources "idx" and "npy".` });
  }
  const allowed = OPTIONS_BY_SOURCE[d.source];
  for (const key of Object.keys(d.options)) {
    if (!allowed.includes(key as keyof DataOptions)) {
      issues.push({ pointer: `/data/options/${key}`, message: `is not an option of source "${d.source}" (it takes: ${allowed.join(', ')}).` });
    }
  }
  if (d.source === 'shapes' && d.options.imageSize === 28) {
    issues.push({ pointer: '/data/options/imageSize', message: 'must be 32 or 64 for source "shapes".' });
  }
  const m = c.model;
  const isPoints = d.source === 'toy2d';
  if (isPoints && (m.encoder.type === 'conv' || m.decoder.type === 'conv')) {
    const which = m.encoder.type === 'conv' ? 'encoder' : 'decoder';
    issues.push({ pointer: `/model/${which}/type`, message: 'a conv network needs images, but source "toy2d" gives 2-D points; use "mlp".' });
  }
  if (isPoints && m.likelihood === 'bernoulli') {
    issues.push({ pointer: '/model/likelihood', message: 'bernoulli needs data in [0, 1], but toy2d points are unbounded; use "gaussian" or "gaussian-learned".' });
  }
  if (d.binarize !== 'none' && isPoints) {
    issues.push({ pointer: '/data/binarize', message: 'binarization applies to intensities in [0, 1], not to toy2d points.' });
  }
  const o = raw.objective ?? {};
  const rawModel = raw.model ?? {};
  if ((m.kind === 'vae' || m.kind === 'cvae' || m.kind === 'iwae') && o.beta !== undefined && o.beta !== 1) {
    issues.push({ pointer: '/objective/beta', message: `the ${m.kind} optimises its bound with beta = 1; use model kind "beta-vae" (or "beta-tcvae", which weights the total correlation alone) for another beta.` });
  }
  if (m.kind !== 'beta-vae' && o.capacity !== undefined) {
    issues.push({ pointer: '/objective/capacity', message: 'a capacity target needs model kind "beta-vae".' });
  }
  if (!VARIATIONAL_KINDS.includes(m.kind)) {
    // Neutral values (what an effective config records for these kinds) are fine; anything else has no effect.
    const neutral: Record<string, (v: any) => boolean> = {
      beta: (v) => v === 0,
      klSchedule: (v) => v?.type === 'constant',
      freeBits: (v) => v === 0,
      capacity: () => false,
      samples: (v) => v === 1,
    };
    for (const [key, isNeutral] of Object.entries(neutral)) {
      if (o[key] !== undefined && !isNeutral(o[key])) {
        issues.push({ pointer: `/objective/${key}`, message: `a deterministic autoencoder (kind "${m.kind}") has no KL term or sampling; remove this field.` });
      }
    }
  } else if (rawModel.codeActivation !== undefined && rawModel.codeActivation !== 'linear') {
    issues.push({ pointer: '/model/codeActivation', message: `is for deterministic autoencoders; a ${m.kind} has mean and log-variance heads. Remove this field.` });
  }
  if (m.kind === 'iwae' && o.samples !== undefined && o.samples !== 1) {
    issues.push({ pointer: '/objective/samples', message: 'an iwae draws objective.importanceSamples samples per example; remove this field.' });
  }
  const only: [string, string, ModelKind][] = [
    ['/objective/sparsity', 'sparsity', 'sparse-ae'],
    ['/objective/corruption', 'corruption', 'denoising-ae'],
    ['/objective/contraction', 'contraction', 'contractive-ae'],
    ['/objective/importanceSamples', 'importanceSamples', 'iwae'],
    ['/objective/prior', 'prior', 'aae'],
    ['/objective/rae', 'rae', 'rae'],
    ['/objective/dip', 'dip', 'dip-vae'],
    ['/objective/vamp', 'vamp', 'vamp-vae'],
    ['/objective/vq', 'vq', 'vq-vae'],
    ['/objective/flow', 'flow', 'flow-vae'],
    ['/objective/hvae', 'hvae', 'hvae'],
    ['/objective/gumbel', 'gumbel', 'gumbel-vae'],
  ];
  for (const [pointer, key, kind] of only) {
    if (o[key] !== undefined && m.kind !== kind) issues.push({ pointer, message: `is only used by model kind "${kind}".` });
  }
  if (o.mmd !== undefined && m.kind !== 'info-vae' && m.kind !== 'wae') issues.push({ pointer: '/objective/mmd', message: 'is only used by model kinds "info-vae" and "wae".' });
  if (rawModel.discriminator !== undefined && m.kind !== 'aae' && m.kind !== 'factor-vae') issues.push({ pointer: '/model/discriminator', message: 'is only used by model kinds "aae" and "factor-vae".' });
  if (m.kind === 'vq-vae' && m.latentDim % c.objective.vq!.embeddingDim !== 0) {
    issues.push({ pointer: '/model/latentDim', message: `a vq-vae splits its code into vectors of objective.vq.embeddingDim (${c.objective.vq!.embeddingDim}) numbers: use a multiple of it.` });
  }
  if (m.kind === 'gumbel-vae' && m.latentDim % c.objective.gumbel!.categories !== 0) {
    issues.push({ pointer: '/model/latentDim', message: `a gumbel-vae's code is one-hot vectors of objective.gumbel.categories (${c.objective.gumbel!.categories}) classes: use a multiple of it.` });
  }
  if (m.kind === 'linear-ae') {
    for (const net of ['encoder', 'decoder'] as const) {
      const a = rawModel[net]?.activation;
      if (a !== undefined && a !== 'linear') issues.push({ pointer: `/model/${net}/activation`, message: 'a linear-ae has no activations: use "linear" or omit it.' });
      if (m[net].type === 'conv') issues.push({ pointer: `/model/${net}/type`, message: 'a linear-ae is a linear map: use "mlp".' });
    }
    if (rawModel.codeActivation !== undefined && rawModel.codeActivation !== 'linear') issues.push({ pointer: '/model/codeActivation', message: 'a linear-ae has no activations: use "linear" or omit it.' });
    if (rawModel.likelihood !== undefined && rawModel.likelihood !== 'gaussian') issues.push({ pointer: '/model/likelihood', message: 'a linear-ae minimises squared error: use "gaussian" (fixed sigma) or omit it.' });
  }
  if (m.kind === 'contractive-ae' && m.encoder.type === 'conv') {
    issues.push({ pointer: '/model/encoder/type', message: 'the contractive penalty is computed for MLP encoders: use "mlp".' });
  }
  if (m.kind === 'sparse-ae' && c.objective.sparsity?.penalty === 'kl' && rawModel.codeActivation !== undefined && rawModel.codeActivation !== 'sigmoid') {
    issues.push({ pointer: '/model/codeActivation', message: 'the KL sparsity penalty needs activations in (0, 1): use "sigmoid", or the "l1" penalty.' });
  }
  if (c.logging.gridSize * c.logging.gridSize > 256) {
    issues.push({ pointer: '/logging/gridSize', message: 'must be at most 16.' });
  }
  return issues;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/**
 * Validate an experiment document and return the effective config (all defaults filled).
 * Throws ConfigError listing every problem, each with its JSON pointer.
 */
export function resolveExperiment(doc: unknown, file?: string): ExperimentConfig {
  const issues = validateExperiment(doc);
  if (issues.length > 0) throw new ConfigError(issues, file);
  return effectiveConfig(doc);
}

/** All problems of a document (empty when it is valid). Does not modify the input. */
export function validateExperiment(doc: unknown): ConfigIssue[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return [{ pointer: '', message: 'an experiment must be a JSON object.' }];
  }
  const work = seedKindSections(clone(doc) as Record<string, any>);
  const validate = validator();
  if (!validate(work)) {
    const seen = new Set<string>();
    const out: ConfigIssue[] = [];
    for (const e of validate.errors ?? []) {
      if (e.keyword === 'if') continue;
      const issue = describeAjvError(e);
      // One message per field: the first rule it breaks (an empty name is not also told about its characters).
      if (!seen.has(issue.pointer)) {
        seen.add(issue.pointer);
        out.push(issue);
      }
    }
    return out;
  }
  return semanticIssues(fillDerivedDefaults(work), doc as Record<string, any>);
}

function effectiveConfig(doc: unknown): ExperimentConfig {
  const work = seedKindSections(clone(doc) as Record<string, any>);
  validator()(work);
  return fillDerivedDefaults(work);
}

/**
 * Add the empty sections a model kind uses (objective.sparsity for sparse-ae, ...) so that Ajv fills their
 * defaults from the schema; a linear-ae defaults to the Gaussian likelihood (squared error).
 */
function seedKindSections(work: Record<string, any>): Record<string, any> {
  const model = work.model;
  const kind = typeof model === 'object' && model !== null && !Array.isArray(model) ? model.kind : undefined;
  const objective = (work.objective ??= {});
  if (typeof objective !== 'object' || objective === null || Array.isArray(objective)) return work;
  if (kind === 'sparse-ae') objective.sparsity ??= {};
  if (kind === 'denoising-ae') objective.corruption ??= {};
  if (kind === 'contractive-ae') objective.contraction ??= {};
  if (kind === 'info-vae' || kind === 'wae') objective.mmd ??= {};
  if (kind === 'rae') objective.rae ??= {};
  if (kind === 'dip-vae') objective.dip ??= {};
  if (kind === 'vamp-vae') objective.vamp ??= {};
  if (kind === 'vq-vae') objective.vq ??= {};
  if (kind === 'flow-vae') objective.flow ??= {};
  if (kind === 'hvae') objective.hvae ??= {};
  if (kind === 'gumbel-vae') objective.gumbel ??= {};
  if (kind === 'aae') {
    objective.prior ??= {};
    model.discriminator ??= {};
  }
  if (kind === 'factor-vae') model.discriminator ??= {};
  if (kind === 'linear-ae') model.likelihood ??= 'gaussian';
  return work;
}

/** Defaults that depend on other fields (and so cannot live in the schema). */
function fillDerivedDefaults(work: Record<string, any>): ExperimentConfig {
  const c = work as ExperimentConfig;
  const kind = c.model.kind;
  if (kind === 'linear-ae') {
    c.model.encoder.activation = 'linear';
    if (work.model.decoder) c.model.decoder.activation = 'linear';
  }
  if (!work.model.decoder) c.model.decoder = clone(c.model.encoder);
  if (c.model.codeActivation === undefined) {
    const sp = c.objective.sparsity;
    c.model.codeActivation = kind === 'contractive-ae' ? 'sigmoid' : kind === 'sparse-ae' ? (sp?.penalty === 'l1' ? 'relu' : 'sigmoid') : 'linear';
  }
  if (kind === 'iwae' && c.objective.importanceSamples === undefined) c.objective.importanceSamples = 5;
  // The paper's settings: lambda_d = 10 lambda_od for DIP-VAE-I, lambda_d = lambda_od for DIP-VAE-II.
  if (c.objective.dip && c.objective.dip.lambdaDiagonal === undefined) c.objective.dip.lambdaDiagonal = (c.objective.dip.type === 'i' ? 10 : 1) * c.objective.dip.lambdaOffDiagonal;
  if (c.objective.beta === undefined) c.objective.beta = kind === 'beta-vae' ? 4 : kind === 'beta-tcvae' ? 6 : kind === 'factor-vae' ? 6.4 : VARIATIONAL_KINDS.includes(kind) ? 1 : 0;
  const extra = OPTION_DEFAULTS[c.data.source];
  if (extra) c.data.options = { ...extra, ...c.data.options };
  return c;
}

/** Parse JSON text, turning a syntax error into a ConfigIssue with line and column. */
export function parseExperimentText(text: string, file?: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const m = /position (\d+)/.exec(msg);
    let pos = m ? Number(m[1]) : undefined;
    if (pos === undefined) {
      // Newer V8 messages quote the text instead of giving a position: ask a tolerant parser where it fails.
      const errors: ParseError[] = [];
      parseJsonc(text, errors, { allowTrailingComma: false, disallowComments: true });
      pos = errors[0]?.offset;
    }
    let where = '';
    if (pos !== undefined) {
      const before = text.slice(0, pos).split('\n');
      where = ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
    }
    const detail = msg
      .replace(/^(Unexpected token|Unexpected)/, 'unexpected')
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '')
      .replace(/^[A-Z]/, (c) => c.toLowerCase())
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    throw new ConfigError([{ pointer: '', message: `is not valid JSON${where}: ${detail}.` }], file);
  }
}

/**
 * Apply a `--set path=value` override to a raw document. `path` is dotted (training.batchSize) or a JSON pointer
 * (/training/batchSize); `value` is parsed as JSON when it can be (numbers, booleans, arrays), else taken as a string.
 */
export function applyOverride(doc: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ConfigError([{ pointer: '', message: `--set expects path=value, got "${assignment}".` }]);
  const path = assignment.slice(0, eq).trim();
  const text = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  const keys = path.startsWith('/') ? path.slice(1).split('/') : path.split('.');
  if (keys.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype')) {
    throw new ConfigError([{ pointer: '', message: `--set has an invalid path "${path}".` }]);
  }
  let node: Record<string, unknown> = doc;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (next === undefined) node[k] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new ConfigError([{ pointer: '/' + keys.join('/'), message: `--set cannot descend into "${k}", which is not an object.` }]);
    }
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

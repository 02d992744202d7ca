// The message contract between the engine (child process / CLI) and whoever drives it. One discriminated union per
// direction. Every event the engine emits is also one line of the run's metrics.jsonl.
import type { ExperimentConfig } from './config';

export const PROTOCOL_VERSION = 1;

/** 'queued': a sweep's child that no executor has started yet. */
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

export interface BackendInfo {
  /** tfjs backend name: 'webgpu', 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  name: string;
  /** Version of the tfjs package providing it. */
  version: string;
  /** Details such as "simd" or "single-threaded". */
  detail: string;
  /** What was asked for ('auto' or a backend's name), when known. */
  requested?: string;
  /** The backends tried before this one (for 'auto') or not tried, each with why it did not run. */
  notUsed?: { name: string; reason: string }[];
  /** The GPU adapter, for 'webgpu'. */
  adapter?: AdapterInfo;
}

/** A WebGPU adapter as Dawn describes it; `fallback` is a software adapter (no GPU). */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  fallback: boolean;
}

export interface DataShapes {
  /** Shape of one example, e.g. [28, 28, 1] or [2]. */
  exampleShape: number[];
  train: number;
  validation: number;
  test: number;
  hasLabels: boolean;
  numClasses: number;
}

/** Scalar terms of the objective, in nats per example (sum over dimensions, mean over the batch). */
export interface TermMetrics {
  loss: number;
  /** Evidence lower bound (higher is better); absent for models without one (ae). */
  elbo?: number;
  /** Negative log-likelihood of the reconstruction, -E_q[log p(x|z)]. */
  recon: number;
  /** KL(q(z|x) || p(z)), summed over latent dimensions. Absent for ae. */
  kl?: number;
  [extra: string]: number | number[] | undefined;
}

export interface EvalSplitMetrics extends TermMetrics {
  /** Mean KL per latent dimension over the split (nats). */
  klPerDim?: number[];
  /** Activity of each latent dimension: the variance over the split of E_q[z_d | x] (Burda et al. 2015). */
  activity?: number[];
  /** Number of active units: dimensions whose activity exceeds ACTIVE_UNIT_THRESHOLD. */
  activeUnits?: number;
}

/** A latent dimension is active when Var_x(E_q[z_d | x]) > 0.01 (Burda et al. 2015). */
export const ACTIVE_UNIT_THRESHOLD = 0.01;

/** Result of evaluating a run on its test set (also written to eval.json). */
/** Recorded at each epoch for VAEs with 1-D or 2-D codes: means over the first `examples` validation examples. */
export interface EpochExact {
  examples: number;
  logPx: number;
  elbo: number;
  gap: number;
}

/** `vae-lab eval --exact`: quadrature on a grid per example, means over `examples` test examples (nats). */
export interface ExactEvaluation {
  examples: number;
  /** Mean log p(x) by quadrature. */
  logPx: number;
  /** Mean ELBO: E_q[log p(x|z)] on the grid minus the closed-form KL(q || p(z)). */
  elbo: number;
  /** Mean log p(x) - ELBO. */
  gap: number;
  /** Mean KL(q(z|x) || p(z|x)) summed on the grid (equals the gap up to quadrature error). */
  klPosterior: number;
  /** Mean IWAE bound L_k for each k (k = 1 is a one-sample ELBO estimate). */
  iwae: Record<string, number>;
  /** Per example, in test-set order: log p(x), ELBO, gap. */
  perExample: { logPx: number[]; elbo: number[]; gap: number[] };
  /** How the grids were chosen, and their sizes. */
  grid: {
    rule: string;
    cellsMin: number[];
    cellsMax: number[];
    /** Largest share of posterior mass found in a grid's outermost ring of cells. */
    maxEdgeMass: number;
    /** Largest |gap - KL(q || p(z|x))| over the examples: the quadrature's own consistency check. */
    maxIdentityError: number;
  };
  seconds: number;
}

export interface EvalResult {
  runId: string;
  experiment: string;
  split: 'test';
  examples: number;
  /** Monte Carlo samples L used for the ELBO (0 for models without one). */
  samples: number;
  metrics: EvalSplitMetrics;
  /** Mean squared error per example between the reconstruction (decoded code) and the input. */
  reconstructionMse: number;
  /** Importance-sampled log p(x) with k samples (variational models), mean over `examples` test examples. */
  logLikelihood?: { k: number; examples: number; mean: number; stderr: number };
  /** Mutual Information Gap of the codes against the ground-truth factors (data with factors, e.g. shapes). */
  mig?: number;
  /**
   * The post-hoc sampler (Ghosh et al. 2020): a Gaussian mixture fitted to the codes of `fitExamples` training examples;
   * the mean log-likelihood of the test codes under it and under N(0, I) (nats per code); `samples`: decoded draws.
   */
  posthocSampler?: {
    components: number;
    covariance: 'full' | 'diag';
    fitExamples: number;
    iterations: number;
    trainLogLik: number;
    heldOutLogLik: number;
    priorHeldOutLogLik: number;
    samples?: string;
  };
  /**
   * Disentanglement scores against the ground-truth factors (data with factors): MIG (mig.ts), SAP and DCI
   * (disentanglement.ts) from the test set's codes; the beta-VAE and FactorVAE scores (scores.ts) from images rendered
   * with chosen factors, so only for the shapes source.
   */
  disentanglement?: {
    mig: number;
    /** beta-VAE score (Higgins et al. 2017): accuracy of a linear classifier of the fixed factor on fresh points. */
    betaVaeScore?: number;
    /** FactorVAE score (Kim and Mnih 2018): accuracy of the majority-vote classifier on fresh points. */
    factorVaeScore?: number;
    sap: number;
    /** informativeness: mean held-out R^2 of the linear predictors (higher is better). */
    dci: { disentanglement: number; completeness: number; informativeness: number };
    /** The beta-VAE score's classifier on its training points and on the fresh points (= betaVaeScore), and the time it took. */
    betaVae?: { trainAccuracy: number; evalAccuracy: number; seconds: number };
    /** The FactorVAE score's accuracies, the code dimensions kept after pruning and the factor each one votes for. */
    factorVae?: { trainAccuracy: number; evalAccuracy: number; activeDims: number[]; classifier: string[]; seconds: number };
    /** Version of the MIG, SAP and DCI estimators (the two scores carry their own in settings). */
    version: number;
    settings: {
      examples: number;
      factors: string[];
      constantFactors: string[];
      discreteMax: number;
      ridge: number;
      codes: string;
      betaVae?: { version: number; batchSize: number; trainPoints: number; evalPoints: number; iterations: number; classifier: string; sampling: string };
      factorVae?: { version: number; batchSize: number; trainPoints: number; evalPoints: number; varianceExamples: number; pruneThreshold: number; sampling: string };
    };
  };
  /**
   * Sample quality (labelled image data; src/engine/sampleQuality.ts): `samples` decoded samples against as many test
   * images, in the 128 penultimate features of a classifier trained on the data set and cached (featureClassifier.ts).
   * fd: the Fréchet distance between Gaussians fitted to the two feature sets (lower is better; in this classifier's
   * features, so not an FID and comparable only with the same classifier). precision and recall: Kynkäänniemi et al.
   * (2019) with k-NN radii (k = `k`). `classifier` names the classifier and its test accuracy.
   */
  sampleQuality?: {
    fd: number;
    precision: number;
    recall: number;
    classifier: string;
    version: number;
    samples: number;
    reference: string;
    sampler: string;
    features: string;
    k: number;
    /** The cache folder and whether the classifier was loaded from it or trained now (`reason`: why the cache was unusable). */
    classifierCache: { dir: string; status: 'loaded' | 'trained' | 'retrained'; reason?: string; testAccuracy: number; trainSeconds: number };
    seconds: number;
  };
  /** Metrics left out of this evaluation, each with the reason (e.g. sampleQuality on data without labels). */
  notComputed?: Record<string, string>;
  /**
   * I_q(x; z) under the encoder (variational models), nats, over the first `examples` test examples: at most
   * log(examples); near 0 when the posterior has collapsed. `estimator` says how it was computed.
   */
  mutualInformation?: { value: number; examples: number; upperBound: number; estimator: string; version: number };
  /** Exact log p(x) by quadrature (`vae-lab eval --exact`, latentDim 1 or 2). */
  exact?: ExactEvaluation;
  backend: string;
  time: string;
}

export type EngineEvent =
  | {
      type: 'started';
      time: string;
      runId: string;
      runDir: string;
      resumed: boolean;
      /** Global step the run starts from (non-zero when resumed). */
      step: number;
      config: ExperimentConfig;
      backend: BackendInfo;
      data: DataShapes;
      parameters: number;
      stepsPerEpoch: number;
      totalSteps: number;
    }
  | {
      type: 'step';
      time: string;
      epoch: number;
      step: number;
      /** Examples per second over the last logging window. */
      throughput: number;
      metrics: TermMetrics & { beta?: number; lr: number };
    }
  | {
      type: 'epoch';
      time: string;
      epoch: number;
      step: number;
      seconds: number;
      train: TermMetrics;
      validation: EvalSplitMetrics;
      /** VAEs with 1-D or 2-D codes: exact log p(x), ELBO and gap on fixed validation examples (nats). */
      exact?: EpochExact;
      beta?: number;
      lr: number;
    }
  | {
      type: 'images';
      time: string;
      epoch: number;
      step: number;
      /** Paths relative to the run folder. */
      reconstructions?: string;
      samples?: string;
      /** Views particular to the model kind (denoising triples, samples per class, codes versus prior). */
      extra?: { title: string; path: string }[];
    }
  | { type: 'checkpoint'; time: string; epoch: number; step: number; path: string }
  | { type: 'log'; time: string; level: 'info' | 'warn'; message: string }
  | { type: 'finished'; time: string; epoch: number; step: number; reason: string; final: EvalSplitMetrics; modelDir: string }
  | { type: 'cancelled'; time: string; epoch: number; step: number; reason: string }
  | { type: 'failed'; time: string; error: string; step?: number }
  | { type: 'evaluated'; time: string; runDir: string; result: EvalResult }
  | { type: 'explored'; time: string; runDir: string; step: number };

export type EngineEventType = EngineEvent['type'];

/** Messages from the host (extension) to the engine child process. */
export type HostMessage =
  | { type: 'train'; experimentFile: string; runsRoot: string; overrides: string[]; epochs?: number; backend?: string }
  | { type: 'resume'; runDir: string }
  | { type: 'evaluate'; runDir: string; samples?: number }
  | { type: 'explore'; runDir: string }
  | { type: 'cancel'; reason?: string };

export function isEngineEvent(v: unknown): v is EngineEvent {
  if (typeof v !== 'object' || v === null) return false;
  const t = (v as { type?: unknown }).type;
  return (
    t === 'started' ||
    t === 'step' ||
    t === 'epoch' ||
    t === 'images' ||
    t === 'checkpoint' ||
    t === 'log' ||
    t === 'finished' ||
    t === 'cancelled' ||
    t === 'failed' ||
    t === 'evaluated' ||
    t === 'explored'
  );
}

export function isHostMessage(v: unknown): v is HostMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  switch (m.type) {
    case 'train':
      return typeof m.experimentFile === 'string' && typeof m.runsRoot === 'string' && Array.isArray(m.overrides);
    case 'resume':
      return typeof m.runDir === 'string';
    case 'explore':
      return typeof m.runDir === 'string';
    case 'evaluate':
      return typeof m.runDir === 'string' && (m.samples === undefined || (Number.isInteger(m.samples) && (m.samples as number) > 0));
    case 'cancel':
      return m.reason === undefined || typeof m.reason === 'string';
    default:
      return false;
  }
}

// The files the engine writes for the latent explorer (<run>/explorer/) and their description.
export const EXPLORER_FILES = {
  dir: 'explorer',
  meta: 'latents.json',
  images: 'images.u8',
  decoder: 'decoder',
} as const;

export interface ExplorerMeta {
  formatVersion: 1;
  runId: string;
  experiment: string;
  kind: string;
  latentDim: number;
  /** Shape of one example: [h, w, c] for images, [d] for vectors. */
  exampleShape: number[];
  /** How decoder outputs become examples: sigmoid of Bernoulli logits, or Gaussian means as they are. */
  outputTransform: 'sigmoid' | 'identity';
  /** "final model" or "checkpoint at step N". */
  source: string;
  step: number;
  /** Number of test examples described. */
  n: number;
  /** E_q[z|x] of each example (the code, for an ae), n x latentDim. */
  means: number[][];
  labels?: number[];
  classNames?: string[];
  /**
   * The post-hoc sampler (engine/gmm.ts) fitted to the codes of up to 2,000 training examples: component weights,
   * means and lower-triangular Cholesky factors of the covariances (diagonal ones for more than 16 dimensions).
   */
  mixture?: { covariance: 'full' | 'diag'; fitExamples: number; components: { weight: number; mean: number[]; chol: number[][] }[] };
  /** 256 codes drawn from the model's own prior p(z) (a VampPrior's mixture, an hvae's top-down draw, a vq-vae's fitted categorical, ...). */
  priorCodes?: number[][];
  /** Conditional models (cvae): the decoder also reads a one-hot label of this many classes. */
  conditionClasses?: number;
  createdAt: string;
}

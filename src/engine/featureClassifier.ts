// The image classifier behind `vae-lab eval`'s sample quality (sampleQuality.ts): an MLP d-256-128-classes trained once
// per labelled image data set and kept in a cache folder; its 128-unit penultimate layer (after the ReLU) gives the
// features that samples and test images are compared in. It is no Inception network, so the Fréchet distance in its
// features is not an FID and is never called one: the name says which classifier it is and how accurate it is.
//
// Cache: $VAE_LAB_CLASSIFIER_DIR, else <data folder>/classifiers ($VAE_LAB_DATA_DIR, default ~/.vae-lab/datasets),
// one folder per classifier, named <source>-<first 16 hex digits of the key's SHA-256>. The key is the data set's
// identity (source, options, files, image shape, classes, the SHA-256 of the training images and labels) and
// CLASSIFIER_VERSION. A folder holds model.json and weights.bin (modelIO's format) and classifier.json (the key, the
// SHA-256 of weights.bin, the test accuracy, the training time), and is created whole (filled under a hidden name,
// then renamed; its files are written with writeFileAtomic). A folder
// that cannot be read, or does not match its key or its weights' hash, is trained again and replaced, with a message.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { DataConfig } from '../core/config';
import { writeJsonAtomic } from '../core/runFolder';
import { copyRows, Dataset, exampleSize, floatRows, numClasses } from './data';
import { dataRoot } from './data/catalog';
import { loadLayersModelFromDir, saveLayersModel } from './modelIO';
import { permutation } from './rng';

export const CLASSIFIER_VERSION = 1;
export const CLASSIFIER_DIR_ENV = 'VAE_LAB_CLASSIFIER_DIR';
export const CLASSIFIER_HIDDEN = [256, 128];
/**
 * Training: Adam at this rate, batches of 128, EPOCHS epochs but at least MIN_STEPS steps and at most MAX_STEPS (about 25 s
 * for the bundled MNIST's 8,000 images on wasm).
 */
const LEARNING_RATE = 1e-3;
const BATCH = 128;
const EPOCHS = 5;
const MIN_STEPS = 600;
const MAX_STEPS = 1500;
const META = 'classifier.json';

/** Names of data sources as a classifier's name shows them. */
const TITLES: Record<string, string> = {
  mnist: 'MNIST',
  'mnist-60k': 'MNIST',
  'fashion-mnist': 'Fashion-MNIST',
  kmnist: 'KMNIST',
  cifar10: 'CIFAR-10',
  'emnist-balanced': 'EMNIST Balanced',
  'emnist-letters': 'EMNIST Letters',
};

/** The root of the classifier cache. */
export function classifierRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env[CLASSIFIER_DIR_ENV] || path.join(dataRoot(env), 'classifiers');
}

export interface ClassifierKey {
  version: number;
  source: string;
  options: unknown;
  files: string[];
  splitSeed: number;
  shape: number[];
  classes: number;
  trainExamples: number;
  /** Training steps (batches of 128). */
  steps: number;
  /** SHA-256 of the training images (as stored) and their labels. */
  contentSha256: string;
}

export interface ClassifierMeta {
  key: ClassifierKey;
  /** "MNIST classifier (MLP 784-256-128-10, test accuracy 0.97)". */
  name: string;
  architecture: string;
  testAccuracy: number;
  testExamples: number;
  steps: number;
  trainSeconds: number;
  weightsSha256: string;
  createdAt: string;
}

export interface FeatureClassifier {
  meta: ClassifierMeta;
  dir: string;
  /** 'loaded' from the cache, 'trained' (no cache yet) or 'retrained' (the cache was unusable: `reason`). */
  status: 'loaded' | 'trained' | 'retrained';
  reason?: string;
  /** The 128 features of each of n images (values as floats, n * prod(shape)). */
  features(x: Float32Array, n: number): Promise<number[][]>;
  /** The predicted class of each of n images. */
  predict(x: Float32Array, n: number): Promise<number[]>;
  dispose(): void;
}

/** Whether a data set can have a classifier: images with labels of at least two classes. */
export function classifierUnavailable(d: Dataset): string | undefined {
  if (d.shape.length !== 3) return `the data are vectors of shape [${d.shape.join(', ')}], not images`;
  if (!d.labels) return 'the data have no labels to train a classifier on';
  if (numClasses(d) < 2) return 'the data have fewer than two classes';
  return undefined;
}

const sha256 = (chunks: Iterable<Uint8Array>) => {
  const h = crypto.createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
};
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The default number of training steps for n training images. */
export function classifierSteps(n: number): number {
  return Math.min(MAX_STEPS, Math.max(MIN_STEPS, EPOCHS * Math.ceil(n / BATCH)));
}

export function classifierKey(data: DataConfig, train: Dataset, steps = classifierSteps(train.n)): ClassifierKey {
  return {
    version: CLASSIFIER_VERSION,
    source: data.source,
    options: data.options,
    files: [data.path, data.labelsPath].filter((p): p is string => !!p),
    splitSeed: data.splitSeed,
    shape: train.shape,
    classes: numClasses(train),
    trainExamples: train.n,
    steps,
    contentSha256: sha256([bytesOf(train.x), bytesOf(train.labels!)]),
  };
}

export function classifierDir(key: ClassifierKey, root = classifierRoot()): string {
  const id = crypto.createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
  return path.join(root, `${key.source.replace(/[^a-z0-9-]/gi, '_')}-${id}`);
}

function buildModel(shape: number[], classes: number, seed: number): tf.Sequential {
  const m = tf.sequential();
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed + i });
  m.add(tf.layers.flatten({ inputShape: shape }));
  CLASSIFIER_HIDDEN.forEach((units, i) => m.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: init(i), name: i === CLASSIFIER_HIDDEN.length - 1 ? 'features' : `hidden${i}` })));
  m.add(tf.layers.dense({ units: classes, kernelInitializer: init(9), name: 'logits' }));
  return m;
}

function wrap(model: tf.LayersModel, meta: ClassifierMeta, dir: string, status: FeatureClassifier['status'], reason?: string): FeatureClassifier {
  const featureModel = tf.model({ inputs: model.inputs, outputs: model.getLayer('features').output as tf.SymbolicTensor });
  const shape = meta.key.shape;
  const dim = exampleSize(shape);
  const run = async <T>(x: Float32Array, n: number, m: tf.LayersModel, read: (t: tf.Tensor) => Promise<T[]>): Promise<T[]> => {
    const out: T[] = [];
    for (let s = 0; s < n; s += 500) {
      const e = Math.min(n, s + 500);
      const t = tf.tidy(() => m.predict(tf.tensor(x.subarray(s * dim, e * dim), [e - s, ...shape])) as tf.Tensor);
      out.push(...(await read(t)));
      t.dispose();
    }
    return out;
  };
  return {
    meta,
    dir,
    status,
    reason,
    features: (x, n) => run(x, n, featureModel, async (t) => (await t.array()) as number[][]),
    predict: (x, n) =>
      run(x, n, model, async (t) => {
        const a = t.argMax(1);
        const v = Array.from(await a.data());
        a.dispose();
        return v;
      }),
    dispose: () => model.dispose(),
  };
}

async function train(key: ClassifierKey, trainSet: Dataset, test: Dataset, seed: number): Promise<{ model: tf.LayersModel; meta: Omit<ClassifierMeta, 'weightsSha256'> }> {
  const t0 = Date.now();
  const classes = key.classes;
  const model = buildModel(trainSet.shape, classes, seed);
  const optimizer = tf.train.adam(LEARNING_RATE);
  const dim = exampleSize(trainSet.shape);
  const perEpoch = Math.ceil(trainSet.n / BATCH);
  const steps = key.steps;
  const xs = new Float32Array(BATCH * dim);
  let order = permutation(trainSet.n, seed);
  for (let step = 0; step < steps; step++) {
    const epoch = Math.floor(step / perEpoch);
    if (step % perEpoch === 0 && step > 0) order = permutation(trainSet.n, seed + epoch);
    const start = (step % perEpoch) * BATCH;
    const rows = order.subarray(start, Math.min(trainSet.n, start + BATCH));
    copyRows(trainSet, rows, xs);
    const labels = Int32Array.from(rows, (r) => trainSet.labels![r]);
    tf.tidy(() => {
      const x = tf.tensor(xs.subarray(0, rows.length * dim), [rows.length, ...trainSet.shape]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat();
      optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar);
    });
    if (step % 20 === 0) await new Promise((r) => setImmediate(r));
  }
  optimizer.dispose();
  const trainSeconds = (Date.now() - t0) / 1000;
  const probe = wrap(model, { key } as ClassifierMeta, '', 'trained');
  const pred = await probe.predict(floatRows(test, 0, test.n), test.n);
  const testAccuracy = pred.filter((p, i) => p === test.labels![i]).length / Math.max(1, test.n);
  const title = TITLES[key.source] ?? key.source;
  const architecture = `MLP ${[dim, ...CLASSIFIER_HIDDEN, classes].join('-')}`;
  return {
    model,
    meta: {
      key,
      name: `${title} classifier (${architecture}, test accuracy ${testAccuracy.toFixed(2)})`,
      architecture,
      testAccuracy,
      testExamples: test.n,
      steps,
      trainSeconds,
      createdAt: new Date().toISOString(),
    },
  };
}

function load(dir: string, key: ClassifierKey): Promise<{ model: tf.LayersModel; meta: ClassifierMeta }> {
  return (async () => {
    const file = path.join(dir, META);
    let meta: ClassifierMeta;
    try {
      meta = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
    if (JSON.stringify(meta.key) !== JSON.stringify(key)) throw new Error(`${file}: made for another data set or classifier version`);
    const weights = path.join(dir, 'weights.bin');
    if (sha256([fs.readFileSync(weights)]) !== meta.weightsSha256) throw new Error(`${weights}: its SHA-256 is not the one recorded in ${META}`);
    const model = await loadLayersModelFromDir(dir);
    const out = model.outputs[0].shape;
    if (out[out.length - 1] !== key.classes) {
      model.dispose();
      throw new Error(`${dir}: the model has ${out[out.length - 1]} outputs, the data ${key.classes} classes`);
    }
    return { model, meta };
  })();
}

/**
 * The classifier of a data set: loaded from the cache, or trained on `trainSet` (accuracy measured on `test`) and
 * cached. `log` gets one line when a cached classifier is unusable and is replaced, and one when one is trained.
 */
export async function featureClassifier(data: DataConfig, trainSet: Dataset, test: Dataset, opts: { seed?: number; root?: string; steps?: number; log?: (line: string) => void } = {}): Promise<FeatureClassifier> {
  const unavailable = classifierUnavailable(trainSet);
  if (unavailable) throw new Error(`no classifier: ${unavailable}`);
  const key = classifierKey(data, trainSet, opts.steps);
  const dir = classifierDir(key, opts.root ?? classifierRoot());
  const log = opts.log ?? (() => undefined);
  let reason: string | undefined;
  if (fs.existsSync(dir)) {
    try {
      const { model, meta } = await load(dir, key);
      return wrap(model, meta, dir, 'loaded');
    } catch (err) {
      reason = (err as Error).message;
      log(`The cached classifier in ${dir} is unusable (${reason}); training it again.`);
    }
  }
  const t = await train(key, trainSet, test, opts.seed ?? 1);
  // The folder is filled under a hidden name and renamed: a kill leaves no folder or a whole one.
  const staging = path.join(path.dirname(dir), `.${path.basename(dir)}.${process.pid}.new`);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  await saveLayersModel(t.model, staging);
  const meta: ClassifierMeta = { ...t.meta, weightsSha256: sha256([fs.readFileSync(path.join(staging, 'weights.bin'))]) };
  writeJsonAtomic(path.join(staging, META), meta);
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
  } catch (err) {
    // Another process cached the same classifier meanwhile: keep theirs, use ours.
    fs.rmSync(staging, { recursive: true, force: true });
    log(`Could not cache the classifier in ${dir} (${(err as Error).message}).`);
  }
  log(`Trained the ${meta.name} in ${meta.trainSeconds.toFixed(1)} s (${meta.steps} steps); cached in ${dir}.`);
  return wrap(t.model, meta, dir, reason === undefined ? 'trained' : 'retrained', reason);
}

// Data for the latent explorer webview, written to <run>/explorer/: the decoder as a TF.js layers model (decoded
// live in the panel), and for up to 1,000 test examples their codes E_q[z|x], labels and pixels. Works for a
// finished run and for the latest checkpoint of a running or stopped one.
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { ExplorerMeta } from '../core/explorer';
import { EXPLORER_FILES } from '../core/explorer';
import { writeFileAtomic, writeJsonAtomic } from '../core/runFolder';
import { exampleSize, floatRows, range, subset } from './data';
import { fitGmm } from './gmm';
import { POSTHOC_COMPONENTS } from './evalRun';
import { mixSeed, Stream } from './rng';
import { batchLabels, batchTensor } from './evaluate';
import { saveLayersModel } from './modelIO';
import { loadRunModel } from './trainer';

const MAX_EXAMPLES = 1000;
/** Training codes behind the explorer's post-hoc mixture, and prior draws stored for its sampling view. */
const MIXTURE_FIT = 2000;
const PRIOR_CODES = 256;

export async function prepareExplorer(runDir: string): Promise<ExplorerMeta> {
  const { record, config, model, data } = await loadRunModel(runDir);
  try {
    const dir = path.join(runDir, EXPLORER_FILES.dir);
    const test = data.test;
    const n = Math.min(MAX_EXAMPLES, test.n);
    const dim = exampleSize(test.shape);
    const codes = tf.tidy(() => model.encodeMean(batchTensor(test, 0, n), model.conditional ? batchLabels(test, 0, n, model.numClasses) : undefined));
    const means = (await codes.array()) as number[][];
    codes.dispose();
    // The post-hoc mixture on training codes (unconditional models), and draws from the model's own prior.
    let mixture: ExplorerMeta['mixture'];
    if (!model.conditional && data.train.n > POSTHOC_COMPONENTS) {
      const fitSet = subset(data.train, range(0, Math.min(MIXTURE_FIT, data.train.n)));
      const fitCodes = tf.tidy(() => model.encodeMean(batchTensor(fitSet, 0, fitSet.n)));
      const g = fitGmm((await fitCodes.array()) as number[][], POSTHOC_COMPONENTS, { seed: mixSeed(config.training.seed, Stream.sample, 61) });
      fitCodes.dispose();
      mixture = { covariance: g.covariance, fitExamples: fitSet.n, components: g.components };
    }
    const prior = tf.tidy(() => model.samplePrior(PRIOR_CODES, mixSeed(config.training.seed, Stream.sample, 62)));
    const priorCodes = (await prior.array()) as number[][];
    prior.dispose();
    const values = floatRows(test, 0, n);
    const pixels = new Uint8Array(n * dim);
    for (let i = 0; i < n * dim; i++) pixels[i] = Math.round(255 * Math.min(1, Math.max(0, values[i])));
    await saveLayersModel(model.decoder, path.join(dir, EXPLORER_FILES.decoder));
    writeFileAtomic(path.join(dir, EXPLORER_FILES.images), pixels);
    const meta: ExplorerMeta = {
      formatVersion: 1,
      runId: record.runId,
      experiment: record.experiment,
      kind: config.model.kind,
      latentDim: config.model.latentDim,
      exampleShape: test.shape,
      outputTransform: config.model.likelihood === 'bernoulli' ? 'sigmoid' : 'identity',
      source: record.status === 'completed' ? 'final model' : `checkpoint at step ${record.lastCheckpoint?.step ?? 0}`,
      step: record.progress.step,
      n,
      means,
      labels: test.labels ? Array.from(test.labels.subarray(0, n)) : undefined,
      classNames: test.classNames,
      conditionClasses: model.conditional ? model.numClasses : undefined,
      mixture,
      priorCodes,
      createdAt: new Date().toISOString(),
    };
    writeJsonAtomic(path.join(dir, EXPLORER_FILES.meta), meta);
    return meta;
  } finally {
    model.dispose();
  }
}

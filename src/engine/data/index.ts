// Turning the `data` section of an experiment into train / validation / test splits.
import * as path from 'path';
import type { DataConfig, ExperimentConfig } from '../../core/config';
import { checkDataMemory } from '../memory';
import { mixSeed, permutation, Stream } from '../rng';
import { BYTE_VALUES, DataError, Dataset, permuteRowsInPlace, rowView, SplitData, valueRange } from './dataset';
import { isCatalogSource } from './catalog';
import { loadCatalogDataset } from './datasets';
import { loadCsv, loadIdx, loadNpy, loadPngDir } from './files';
import { loadMnist } from './mnist';
import { generateShapes } from './shapes';
import { generateToy2d } from './toy2d';

export * from './dataset';

/** Resolve a data path from the experiment file's folder. */
export function resolveDataPath(p: string, baseDir: string): string {
  return path.isAbsolute(p) ? p : path.resolve(baseDir, p);
}

/** Load every example of a non-mnist source (before splitting). */
function loadAll(d: DataConfig, baseDir: string): { all: Dataset; origin: string } {
  const o = d.options;
  const file = d.path ? resolveDataPath(d.path, baseDir) : '';
  const labels = d.labelsPath ? resolveDataPath(d.labelsPath, baseDir) : undefined;
  switch (d.source) {
    case 'shapes':
      return { all: generateShapes(o.count!, o.imageSize!, o.seed!), origin: 'shapes' };
    case 'toy2d':
      return { all: generateToy2d(o.dataset!, o.count!, o.noise!, o.seed!), origin: `toy2d/${o.dataset}` };
    case 'idx':
      return { all: loadIdx(file, labels, o.scale), origin: file };
    case 'npy':
      return { all: loadNpy(file, labels, o.scale, o.shape), origin: file };
    case 'csv':
      return { all: loadCsv(file, o), origin: file };
    case 'png-dir':
      return { all: loadPngDir(file, o.imageSize!, o.channels!), origin: file };
    default:
      throw new Error(`unexpected data source ${d.source}`);
  }
}

function splitSizes(n: number, frac: number): number {
  return frac > 0 ? Math.max(1, Math.round(n * frac)) : 0;
}

/**
 * The train / validation / test splits of an experiment's data. The loaded examples are reordered in place and the
 * splits are views of them (one copy of the data in memory, not two); the result is the same as gathering each split
 * from the loaded order.
 */
export function loadData(config: ExperimentConfig, baseDir: string): SplitData {
  const d = config.data;
  let pool: Dataset;
  let test: Dataset;
  let origin: string;
  const limit = d.options.limit;
  if (d.source === 'mnist') {
    const m = loadMnist();
    origin = `mnist (${m.cacheFile})`;
    pool = limit ? rowView(m.train, 0, Math.min(limit, m.train.n)) : m.train;
    test = limit ? rowView(m.test, 0, Math.min(m.test.n, Math.ceil(limit / 4))) : m.test;
  } else if (isCatalogSource(d.source)) {
    // A downloaded data set (vae-lab data get): the official train file is the pool, t10k the test set.
    checkDataMemory(config);
    const c = loadCatalogDataset(d.source, limit);
    origin = `${d.source} (${c.dir})`;
    pool = c.train;
    test = c.test;
  } else {
    checkDataMemory(config, d.path ? resolveDataPath(d.path, baseDir) : undefined);
    const loaded = loadAll(d, baseDir);
    origin = loaded.origin;
    const all = loaded.all;
    if (all.n < 4) throw new DataError(origin, `has ${all.n} examples; at least 4 are needed to split into train, validation and test.`);
    permuteRowsInPlace(all, permutation(all.n, mixSeed(d.splitSeed, Stream.split)));
    const used = limit ? Math.min(limit, all.n) : all.n;
    const nTest = splitSizes(used, d.testSplit);
    test = rowView(all, 0, nTest);
    pool = rowView(all, nTest, used);
  }
  const nVal = splitSizes(pool.n, d.validationSplit);
  if (pool.n - nVal < 1) throw new DataError(origin, 'has too few examples left for training after the validation and test splits.');
  permuteRowsInPlace(pool, permutation(pool.n, mixSeed(d.splitSeed, Stream.split, 1)));
  const validation = rowView(pool, 0, nVal);
  const train = rowView(pool, nVal, pool.n);
  const splits: SplitData = { train, validation, test, origin };
  checkData(config, splits);
  if (d.binarize === 'fixed') for (const s of [train, validation, test]) binarizeFixed(s);
  return splits;
}

function checkData(config: ExperimentConfig, s: SplitData): void {
  const m = config.model;
  const image = s.train.shape.length === 3;
  if (!image && (m.encoder.type === 'conv' || m.decoder.type === 'conv')) {
    const which = m.encoder.type === 'conv' ? 'encoder' : 'decoder';
    throw new DataError(s.origin, `gives vectors of shape [${s.train.shape.join(', ')}], but /model/${which}/type "conv" needs images (set /data/options/shape to [height, width, channels] or use "mlp").`);
  }
  const ranges = [s.train, s.validation, s.test].map(valueRange);
  if (ranges.some((r) => !r.finite)) throw new DataError(s.origin, 'contains NaN or infinite values.');
  if (m.likelihood === 'bernoulli' || config.data.binarize !== 'none') {
    const lo = Math.min(...ranges.map((r) => r.lo));
    const hi = Math.max(...ranges.map((r) => r.hi));
    if (lo < 0 || hi > 1) {
      const field = m.likelihood === 'bernoulli' ? '/model/likelihood "bernoulli"' : '/data/binarize';
      throw new DataError(s.origin, `values range from ${lo} to ${hi}, but ${field} needs data in [0, 1] (set /data/options/scale, or use a Gaussian likelihood).`);
    }
  }
}

function binarizeFixed(d: Dataset): void {
  const x = d.x;
  if (x instanceof Uint8Array) for (let i = 0; i < x.length; i++) x[i] = BYTE_VALUES[x[i]] >= 0.5 ? 255 : 0;
  else for (let i = 0; i < x.length; i++) x[i] = x[i] >= 0.5 ? 1 : 0;
}

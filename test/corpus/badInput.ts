// The bad-input corpus: malformed experiment files and corrupt data files, each with the one clear message a user
// must get (naming the field or the file). Run through the schema (test/unit/config.test.ts), the CLI
// (test/unit/corpus.test.ts) and the extension (test/integration/suite/corpus.test.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { PNG } from 'pngjs';

// ------------------------------------------------------------------------------------------------ file writers

export function idxBytes(type: number, dims: number[], values: number[]): Buffer {
  const size = { 0x08: 1, 0x0d: 4 }[type as 0x08 | 0x0d];
  const buf = Buffer.alloc(4 + 4 * dims.length + values.length * size);
  buf[2] = type;
  buf[3] = dims.length;
  dims.forEach((d, i) => buf.writeUInt32BE(d, 4 + 4 * i));
  const off = 4 + 4 * dims.length;
  values.forEach((v, i) => (type === 0x08 ? buf.writeUInt8(v, off + i) : buf.writeFloatBE(v, off + 4 * i)));
  return buf;
}

export function npyBytes(descr: string, shape: number[], values: number[]): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad) + '\n';
  const size = descr === '<f4' || descr === '<i4' ? 4 : descr === '<f8' ? 8 : 1;
  const buf = Buffer.alloc(10 + header.length + values.length * size);
  buf[0] = 0x93;
  buf.write('NUMPY', 1, 'latin1');
  buf[6] = 1;
  buf.writeUInt16LE(header.length, 8);
  buf.write(header, 10, 'latin1');
  const off = 10 + header.length;
  values.forEach((v, i) => {
    if (descr === '<f4') buf.writeFloatLE(v, off + 4 * i);
    else if (descr === '<i4') buf.writeInt32LE(v, off + 4 * i);
    else if (descr === '<f8') buf.writeDoubleLE(v, off + 8 * i);
    else buf.writeUInt8(v, off + i);
  });
  return buf;
}

export function pngBytes(w: number, h: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) png.data.set([...pixel(x, y), 255], (y * w + x) * 4);
  return PNG.sync.write(png);
}

// ------------------------------------------------------------------------------------------ malformed configs

const base = () => ({ name: 'x' });

/** [description, document, expected pointer, fragment of the message] */
export const BAD_CONFIGS: [string, unknown, string, RegExp][] = [
  ['missing name', {}, '/name', /required/],
  ['empty name', { name: '' }, '/name', /must not be empty/],
  ['name with a slash', { name: 'a/b' }, '/name', /letters, digits/],
  ['name climbing out of the runs folder', { name: '../../etc' }, '/name', /letters, digits/],
  ['unknown top-level key', { ...base(), trainig: {} }, '/trainig', /unknown field "trainig" \(did you mean "training"\?\)/],
  ['unknown nested key', { ...base(), training: { batchSze: 3 } }, '/training/batchSze', /did you mean "batchSize"/],
  ['batch size as a string', { ...base(), training: { batchSize: '128' } }, '/training/batchSize', /must be a whole number/],
  ['fractional batch size', { ...base(), training: { batchSize: 12.5 } }, '/training/batchSize', /whole number/],
  ['zero batch size', { ...base(), training: { batchSize: 0 } }, '/training/batchSize', /at least 1/],
  ['negative epochs', { ...base(), training: { epochs: -1 } }, '/training/epochs', /at least 1/],
  ['learning rate zero', { ...base(), training: { optimizer: { learningRate: 0 } } }, '/training/optimizer/learningRate', /greater than 0/],
  ['unknown optimizer', { ...base(), training: { optimizer: { type: 'adagrad' } } }, '/training/optimizer/type', /one of "adam", "sgd", "rmsprop"/],
  ['beta1 of 1', { ...base(), training: { optimizer: { beta1: 1 } } }, '/training/optimizer/beta1', /less than 1/],
  ['unknown model kind', { ...base(), model: { kind: 'gan' } }, '/model/kind', /one of "ae", "linear-ae", "sparse-ae", "denoising-ae", "contractive-ae", "vae", "beta-vae", "beta-tcvae", "info-vae", "dip-vae", "factor-vae", "cvae", "iwae", "aae", "wae", "rae"/],
  ['latent dim zero', { ...base(), model: { latentDim: 0 } }, '/model/latentDim', /at least 1/],
  ['hidden sizes not an array', { ...base(), model: { encoder: { hidden: 400 } } }, '/model/encoder/hidden', /must be an array/],
  ['hidden size negative', { ...base(), model: { encoder: { hidden: [400, -2] } } }, '/model/encoder/hidden/1', /at least 1/],
  ['unknown activation', { ...base(), model: { encoder: { activation: 'gelu' } } }, '/model/encoder/activation', /one of/],
  ['unknown likelihood', { ...base(), model: { likelihood: 'poisson' } }, '/model/likelihood', /one of "bernoulli"/],
  ['sigma zero', { ...base(), model: { likelihood: 'gaussian', sigma: 0 } }, '/model/sigma', /greater than 0/],
  ['unknown data source', { ...base(), data: { source: 'cifar' } }, '/data/source', /one of "mnist"/],
  ['validation split of one half', { ...base(), data: { validationSplit: 0.5 } }, '/data/validationSplit', /less than 0.5/],
  ['no validation split', { ...base(), data: { validationSplit: 0 } }, '/data/validationSplit', /greater than 0/],
  ['unknown binarization', { ...base(), data: { binarize: 'random' } }, '/data/binarize', /one of "none", "fixed", "dynamic"/],
  ['file source without path', { ...base(), data: { source: 'idx' } }, '/data/path', /required for source "idx"/],
  ['path on a generated source', { ...base(), data: { source: 'mnist', path: 'x.idx' } }, '/data/path', /not used by source "mnist"/],
  ['option of another source', { ...base(), data: { source: 'mnist', options: { dataset: 'moons' } } }, '/data/options/dataset', /not an option of source "mnist"/],
  ['shapes at 28 pixels', { ...base(), data: { source: 'shapes', options: { imageSize: 28 } } }, '/data/options/imageSize', /32 or 64/],
  ['conv on 2-D points', { ...base(), data: { source: 'toy2d' }, model: { likelihood: 'gaussian', encoder: { type: 'conv' } } }, '/model/encoder/type', /needs images/],
  ['bernoulli on 2-D points', { ...base(), data: { source: 'toy2d' } }, '/model/likelihood', /bernoulli needs data in \[0, 1\]/],
  ['beta on a plain vae', { ...base(), objective: { beta: 4 } }, '/objective/beta', /use model kind "beta-vae"/],
  ['capacity on a plain vae', { ...base(), objective: { capacity: { max: 25 } } }, '/objective/capacity', /needs model kind "beta-vae"/],
  ['capacity without max', { ...base(), model: { kind: 'beta-vae' }, objective: { capacity: {} } }, '/objective/capacity/max', /required/],
  ['KL options on an ae', { ...base(), model: { kind: 'ae' }, objective: { freeBits: 0.5 } }, '/objective/freeBits', /no KL term/],
  ['sparsity on a vae', { ...base(), objective: { sparsity: { weight: 1 } } }, '/objective/sparsity', /only used by model kind "sparse-ae"/],
  ['corruption on an ae', { ...base(), model: { kind: 'ae' }, objective: { corruption: {} } }, '/objective/corruption', /only used by model kind "denoising-ae"/],
  ['activations on a linear-ae', { ...base(), model: { kind: 'linear-ae', encoder: { activation: 'relu' } } }, '/model/encoder/activation', /no activations/],
  ['bernoulli on a linear-ae', { ...base(), model: { kind: 'linear-ae', likelihood: 'bernoulli' } }, '/model/likelihood', /squared error/],
  ['a conv contractive-ae', { ...base(), model: { kind: 'contractive-ae', encoder: { type: 'conv' } } }, '/model/encoder/type', /MLP encoders/],
  ['a discriminator on a vae', { ...base(), model: { discriminator: {} } }, '/model/discriminator', /only used by model kinds "aae" and "factor-vae"/],
  ['MC samples on an iwae', { ...base(), model: { kind: 'iwae' }, objective: { samples: 3 } }, '/objective/samples', /importanceSamples/],
  ['an unknown corruption', { ...base(), model: { kind: 'denoising-ae' }, objective: { corruption: { type: 'blur' } } }, '/objective/corruption/type', /one of "gaussian", "mask", "salt-and-pepper"/],
  ['negative free bits', { ...base(), objective: { freeBits: -1 } }, '/objective/freeBits', /at least 0/],
  ['zero MC samples', { ...base(), objective: { samples: 0 } }, '/objective/samples', /at least 1/],
  ['unknown KL schedule', { ...base(), objective: { klSchedule: { type: 'sigmoid' } } }, '/objective/klSchedule/type', /one of/],
  ['unknown reduction', { ...base(), objective: { reduction: 'mean' } }, '/objective/reduction', /one of "sum-over-dimensions-mean-over-batch"/],
  ['unknown backend', { ...base(), backend: 'cuda' }, '/backend', /one of "auto", "webgpu", "tensorflow", "wasm", "cpu"/],
  ['metrics interval zero', { ...base(), logging: { metricsEvery: 0 } }, '/logging/metricsEvery', /at least 1/],
  ['early stopping patience zero', { ...base(), training: { earlyStopping: { patience: 0 } } }, '/training/earlyStopping/patience', /at least 1/],
  ['data as an array', { ...base(), data: [] }, '/data', /must be an object/],
  ['the whole document an array', [], '(document)', /must be a JSON object/],
];

/** Experiment files that are not JSON at all: [description, text, fragment of the message]. */
export const BAD_TEXTS: [string, string, RegExp][] = [
  ['a trailing comma', '{ "name": "s", }', /is not valid JSON at line 1, column 16/],
  ['an empty file', '', /is not valid JSON/],
  ['an unclosed object', '{\n  "name": "u",\n  "training": {\n', /is not valid JSON at line 4/],
  ['binary garbage', '\u0000\u0001PK\u0003\u0004garbage', /is not valid JSON at line 1, column 1: unexpected (token )?'\\u0000'\.$/],
  ['single quotes', "{ 'name': 'q' }", /is not valid JSON at line 1, column 3/],
];

// -------------------------------------------------------------------------------------------- corrupt data files

export interface BadDataCase {
  name: string;
  /** Files of the case, relative to its folder (a Buffer, or null for an empty folder). */
  files: Record<string, Buffer | string | null>;
  /** The experiment's data section (paths relative to the case folder). */
  data: Record<string, unknown>;
  model?: Record<string, unknown>;
  /** The file the message must name (relative to the case folder) and what it must say. */
  names: string;
  expect: RegExp;
}

const goodIdx = () => idxBytes(0x08, [20, 4, 4], new Array(320).fill(7));
const goodNpy = () => npyBytes('<f4', [20, 3], new Array(60).fill(0.5));

export const BAD_DATA: BadDataCase[] = [
  { name: 'truncated IDX', files: { 'd.idx': goodIdx().subarray(0, 200) }, data: { source: 'idx', path: 'd.idx' }, names: 'd.idx', expect: /truncated/ },
  { name: 'IDX with a wrong magic number', files: { 'd.idx': Buffer.concat([Buffer.from([1, 2]), goodIdx().subarray(2)]) }, data: { source: 'idx', path: 'd.idx' }, names: 'd.idx', expect: /wrong magic number/ },
  { name: 'IDX of an unknown data type', files: { 'd.idx': Buffer.from(goodIdx().map((b, i) => (i === 2 ? 0x42 : b))) }, data: { source: 'idx', path: 'd.idx' }, names: 'd.idx', expect: /unknown IDX data type/ },
  { name: 'corrupt gzipped IDX', files: { 'd.idx.gz': zlib.gzipSync(goodIdx()).subarray(0, 30) }, data: { source: 'idx', path: 'd.idx.gz' }, names: 'd.idx.gz', expect: /gzipped but cannot be decompressed/ },
  { name: 'IDX labels not matching the images', files: { 'd.idx': goodIdx(), 'l.idx': idxBytes(0x08, [7], [0, 1, 2, 3, 4, 5, 6]) }, data: { source: 'idx', path: 'd.idx', labelsPath: 'l.idx' }, names: 'l.idx', expect: /has 7 labels but the data has 20 examples/ },
  { name: 'missing IDX file', files: {}, data: { source: 'idx', path: 'nowhere.idx' }, names: 'nowhere.idx', expect: /file not found/ },
  { name: 'garbage PNG', files: { 'imgs/a.png': pngBytes(8, 8, () => [9, 9, 9]), 'imgs/b.png': Buffer.from('this is not a png at all') }, data: { source: 'png-dir', path: 'imgs', options: { imageSize: 28 } }, names: 'imgs/b.png', expect: /not a valid PNG/ },
  { name: 'empty PNG folder', files: { imgs: null }, data: { source: 'png-dir', path: 'imgs', options: { imageSize: 28 } }, names: 'imgs', expect: /contains no .png images/ },
  { name: 'ragged CSV', files: { 'd.csv': '0.1,0.2,0.3\n0.4,0.5\n' }, data: { source: 'csv', path: 'd.csv' }, names: 'd.csv', expect: /line 2 has 2 values, expected 3/ },
  { name: 'CSV with text in a number column', files: { 'd.csv': '0.1,0.2,0.3\n0.4,x,0.6\n' }, data: { source: 'csv', path: 'd.csv' }, names: 'd.csv', expect: /line 2, column 2: "x" is not a number/ },
  { name: 'empty CSV', files: { 'd.csv': '\n\n' }, data: { source: 'csv', path: 'd.csv' }, names: 'd.csv', expect: /is empty/ },
  { name: 'NPY of an unsupported dtype', files: { 'd.npy': Buffer.from(goodNpy().toString('latin1').replace("'<f4'", "'>c8'"), 'latin1') }, data: { source: 'npy', path: 'd.npy' }, names: 'd.npy', expect: /has dtype >c8/ },
  { name: 'NPY of the wrong shape', files: { 'd.npy': goodNpy() }, data: { source: 'npy', path: 'd.npy', options: { shape: [2, 2, 1] } }, names: 'd.npy', expect: /3 values per example, but \/data\/options\/shape \[2, 2, 1\] needs 4/ },
  { name: 'NPY with one dimension', files: { 'd.npy': npyBytes('<f4', [5], [1, 2, 3, 4, 5]) }, data: { source: 'npy', path: 'd.npy' }, names: 'd.npy', expect: /at least 2 dimensions/ },
  { name: 'NPY labels of a float dtype', files: { 'd.npy': goodNpy(), 'l.npy': npyBytes('<f4', [20], new Array(20).fill(1)) }, data: { source: 'npy', path: 'd.npy', labelsPath: 'l.npy' }, names: 'l.npy', expect: /integer dtype/ },
  { name: 'truncated NPY', files: { 'd.npy': goodNpy().subarray(0, 150) }, data: { source: 'npy', path: 'd.npy' }, names: 'd.npy', expect: /truncated/ },
];

// ------------------------------------------------------------------------------------------------ materialise

export interface CorpusCase {
  name: string;
  stage: 'config' | 'data';
  /** The experiment file to train. */
  file: string;
  /** What the single error line must say; `names` is the path it must start with (the experiment or a data file). */
  names: string;
  pointer?: string;
  expect: RegExp;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** Write every case under `root` (one folder per data case) and describe what each must produce. */
export function writeCorpus(root: string): CorpusCase[] {
  const cases: CorpusCase[] = [];
  const configs = path.join(root, 'configs');
  fs.mkdirSync(configs, { recursive: true });
  for (const [what, doc, pointer, expect] of BAD_CONFIGS) {
    const file = path.join(configs, `${slug(what)}.vae.json`);
    fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
    cases.push({ name: what, stage: 'config', file, names: file, pointer, expect });
  }
  for (const [what, text, expect] of BAD_TEXTS) {
    const file = path.join(configs, `${slug(what)}.vae.json`);
    fs.writeFileSync(file, text);
    cases.push({ name: what, stage: 'config', file, names: file, pointer: '(document)', expect });
  }
  for (const c of BAD_DATA) {
    const dir = path.join(root, 'data', slug(c.name));
    fs.mkdirSync(dir, { recursive: true });
    for (const [rel, content] of Object.entries(c.files)) {
      const p = path.join(dir, rel);
      if (content === null) {
        fs.mkdirSync(p, { recursive: true });
        continue;
      }
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
    }
    const file = path.join(dir, 'experiment.vae.json');
    const doc = { name: slug(c.name), data: { validationSplit: 0.2, testSplit: 0.2, ...c.data }, model: { likelihood: 'gaussian', latentDim: 2, encoder: { hidden: [8] }, ...c.model }, training: { epochs: 1, batchSize: 4 } };
    fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
    cases.push({ name: c.name, stage: 'data', file, names: path.join(dir, c.names), expect: c.expect });
  }
  return cases;
}

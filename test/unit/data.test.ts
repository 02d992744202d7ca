import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { resolveExperiment } from '../../src/core/config';
import { EXPLORER_FILES } from '../../src/core/explorer';
import { copyRows, DataError, floatRows, loadData, permuteRowsInPlace, range, rowView, subset, valueRange } from '../../src/engine/data';
import { permutation, Rng } from '../../src/engine/rng';
import { prepareExplorer } from '../../src/engine/explorerData';
import { startRun } from '../../src/engine/trainer';
import { checkDataMemory, estimateDataBytes } from '../../src/engine/memory';
import { loadCsv, loadIdx, loadNpy, loadPngDir } from '../../src/engine/data/files';
import { loadMnist } from '../../src/engine/data/mnist';
import { generateShapes } from '../../src/engine/data/shapes';
import { generateToy2d } from '../../src/engine/data/toy2d';
import { idxBytes, npyBytes, pngBytes } from '../corpus/badInput';
import { collectingHooks, tmpDir, useWasm, writeJson } from './helpers';

// ------------------------------------------------------------------------------------------------ file writers

const errorNaming = (file: string, what: RegExp) => (err: unknown) => err instanceof DataError && err.message.startsWith(file + ':') && what.test(err.message);

// ------------------------------------------------------------------------------------------------------- IDX

test('IDX: reads plain and gzipped images with labels', () => {
  const dir = tmpDir('idx');
  const pixels = Array.from({ length: 3 * 4 * 4 }, (_, i) => (i * 17) % 256);
  fs.writeFileSync(path.join(dir, 'img.idx'), idxBytes(0x08, [3, 4, 4], pixels));
  fs.writeFileSync(path.join(dir, 'img.idx.gz'), zlib.gzipSync(idxBytes(0x08, [3, 4, 4], pixels)));
  fs.writeFileSync(path.join(dir, 'lab.idx'), idxBytes(0x08, [3], [2, 0, 1]));
  for (const f of ['img.idx', 'img.idx.gz']) {
    const d = loadIdx(path.join(dir, f), path.join(dir, 'lab.idx'), undefined);
    assert.equal(d.n, 3);
    assert.deepEqual(d.shape, [4, 4, 1]);
    assert.ok(d.x instanceof Uint8Array, '8-bit images stay bytes in memory');
    assert.ok(Math.abs(floatRows(d, 0, d.n)[5] - pixels[5] / 255) < 1e-7);
    assert.deepEqual(Array.from(d.labels!), [2, 0, 1]);
  }
  const f32 = path.join(dir, 'f.idx');
  fs.writeFileSync(f32, idxBytes(0x0d, [2, 3], [0.5, 1.5, -2, 0, 1, 2]));
  assert.deepEqual(Array.from(loadIdx(f32, undefined, undefined).x), [0.5, 1.5, -2, 0, 1, 2]);
});

test('IDX: rejects wrong magic, truncation, corrupt gzip and label count mismatch, naming the file', () => {
  const dir = tmpDir('idx-bad');
  const good = idxBytes(0x08, [3, 4, 4], new Array(48).fill(7));
  const magic = path.join(dir, 'magic.idx');
  fs.writeFileSync(magic, Buffer.concat([Buffer.from([0x1, 0x2]), good.subarray(2)]));
  assert.throws(() => loadIdx(magic, undefined, undefined), errorNaming(magic, /wrong magic number/));
  const trunc = path.join(dir, 'trunc.idx');
  fs.writeFileSync(trunc, good.subarray(0, good.length - 5));
  assert.throws(() => loadIdx(trunc, undefined, undefined), errorNaming(trunc, /truncated/));
  const gz = path.join(dir, 'trunc.idx.gz');
  const zipped = zlib.gzipSync(good);
  fs.writeFileSync(gz, zipped.subarray(0, zipped.length - 12));
  assert.throws(() => loadIdx(gz, undefined, undefined), errorNaming(gz, /gzipped but cannot be decompressed/));
  const img = path.join(dir, 'img.idx');
  fs.writeFileSync(img, good);
  const lab = path.join(dir, 'lab.idx');
  fs.writeFileSync(lab, idxBytes(0x08, [5], [0, 1, 2, 3, 4]));
  assert.throws(() => loadIdx(img, lab, undefined), errorNaming(lab, /has 5 labels but the data has 3 examples/));
  const missing = path.join(dir, 'nope.idx');
  assert.throws(() => loadIdx(missing, undefined, undefined), errorNaming(missing, /file not found/));
  const type = path.join(dir, 'type.idx');
  const t = Buffer.from(good);
  t[2] = 0x42;
  fs.writeFileSync(type, t);
  assert.throws(() => loadIdx(type, undefined, undefined), errorNaming(type, /unknown IDX data type/));
});

// ------------------------------------------------------------------------------------------------------- NPY

test('NPY: reads float32 and uint8 arrays with an integer labels file', () => {
  const dir = tmpDir('npy');
  const f = path.join(dir, 'x.npy');
  fs.writeFileSync(f, npyBytes('<f4', [4, 3], [0, 0.1, 0.2, 1, 1.1, 1.2, 2, 2.1, 2.2, 3, 3.1, 3.2]));
  const l = path.join(dir, 'y.npy');
  fs.writeFileSync(l, npyBytes('<i4', [4], [3, 1, 0, 2]));
  const d = loadNpy(f, l, undefined, undefined);
  assert.equal(d.n, 4);
  assert.deepEqual(d.shape, [3]);
  assert.ok(Math.abs(d.x[4] - 1.1) < 1e-6);
  assert.deepEqual(Array.from(d.labels!), [3, 1, 0, 2]);
  const u8 = path.join(dir, 'img.npy');
  fs.writeFileSync(u8, npyBytes('|u1', [2, 2, 2], [0, 255, 51, 102, 0, 0, 255, 255]));
  const img = loadNpy(u8, undefined, undefined, undefined);
  assert.deepEqual(img.shape, [2, 2, 1]);
  assert.ok(img.x instanceof Uint8Array, 'uint8 data stays bytes in memory');
  assert.ok(Math.abs(floatRows(img, 0, img.n)[2] - 0.2) < 1e-6, 'uint8 data is scaled by 255');
  assert.ok(loadNpy(u8, undefined, 100, undefined).x instanceof Float32Array, 'a custom scale gives floats');
  assert.ok(Math.abs(loadNpy(u8, undefined, 100, undefined).x[1] - 2.55) < 1e-6);
  const reshaped = loadNpy(f, undefined, undefined, [3, 1, 1]);
  assert.deepEqual(reshaped.shape, [3, 1, 1]);
});

test('NPY: rejects wrong magic, wrong dtype, wrong shape, truncation and label mismatches, naming the file', () => {
  const dir = tmpDir('npy-bad');
  const good = npyBytes('<f4', [4, 3], new Array(12).fill(0.5));
  const magic = path.join(dir, 'magic.npy');
  fs.writeFileSync(magic, Buffer.concat([Buffer.from('XX'), good.subarray(2)]));
  assert.throws(() => loadNpy(magic, undefined, undefined, undefined), errorNaming(magic, /wrong magic number/));
  const trunc = path.join(dir, 'trunc.npy');
  fs.writeFileSync(trunc, good.subarray(0, good.length - 8));
  assert.throws(() => loadNpy(trunc, undefined, undefined, undefined), errorNaming(trunc, /truncated/));
  const dtype = path.join(dir, 'dtype.npy');
  fs.writeFileSync(dtype, Buffer.from(good.toString('latin1').replace("'<f4'", "'>c8'"), 'latin1'));
  assert.throws(() => loadNpy(dtype, undefined, undefined, undefined), errorNaming(dtype, /has dtype >c8/));
  const shape = path.join(dir, 'ok.npy');
  fs.writeFileSync(shape, good);
  assert.throws(() => loadNpy(shape, undefined, undefined, [2, 2, 1]), errorNaming(shape, /3 values per example, but \/data\/options\/shape \[2, 2, 1\] needs 4/));
  const oneD = path.join(dir, 'flat.npy');
  fs.writeFileSync(oneD, npyBytes('<f4', [5], [1, 2, 3, 4, 5]));
  assert.throws(() => loadNpy(oneD, undefined, undefined, undefined), errorNaming(oneD, /at least 2 dimensions/));
  const floatLabels = path.join(dir, 'flab.npy');
  fs.writeFileSync(floatLabels, npyBytes('<f4', [4], [0, 1, 2, 3]));
  assert.throws(() => loadNpy(shape, floatLabels, undefined, undefined), errorNaming(floatLabels, /integer dtype/));
  const fewLabels = path.join(dir, 'few.npy');
  fs.writeFileSync(fewLabels, npyBytes('<i4', [3], [0, 1, 2]));
  assert.throws(() => loadNpy(shape, fewLabels, undefined, undefined), errorNaming(fewLabels, /has 3 labels but the data has 4 examples/));
});

// ------------------------------------------------------------------------------------------------------- CSV

test('CSV: reads a header, a label column and a shape', () => {
  const dir = tmpDir('csv');
  const f = path.join(dir, 'd.csv');
  fs.writeFileSync(f, 'a,b,c,d,label\n0,0.5,1,0.25,1\n1,1,0,0,0\n\n0.5,0.5,0.5,0.5,2\n');
  const d = loadCsv(f, { labelColumn: -1, shape: [2, 2] });
  assert.equal(d.n, 3);
  assert.deepEqual(d.shape, [2, 2, 1]);
  assert.deepEqual(Array.from(d.labels!), [1, 0, 2]);
  assert.deepEqual(Array.from(d.x.subarray(0, 4)), [0, 0.5, 1, 0.25]);
  const plain = path.join(dir, 'p.csv');
  fs.writeFileSync(plain, '1,2\n3,4\n');
  assert.deepEqual(Array.from(loadCsv(plain, {}).x), [1, 2, 3, 4]);
});

test('CSV: rejects ragged rows, non-numbers and bad labels with the file and line', () => {
  const dir = tmpDir('csv-bad');
  const ragged = path.join(dir, 'ragged.csv');
  fs.writeFileSync(ragged, '1,2,3\n4,5\n');
  assert.throws(() => loadCsv(ragged, {}), errorNaming(ragged, /line 2 has 2 values, expected 3/));
  const text = path.join(dir, 'text.csv');
  fs.writeFileSync(text, '1,2,3\n4,x,6\n');
  assert.throws(() => loadCsv(text, {}), errorNaming(text, /line 2, column 2: "x" is not a number/));
  const lab = path.join(dir, 'lab.csv');
  fs.writeFileSync(lab, '1,2,0.5\n');
  assert.throws(() => loadCsv(lab, { labelColumn: 2 }), errorNaming(lab, /label "0.5" must be a whole number/));
  const empty = path.join(dir, 'empty.csv');
  fs.writeFileSync(empty, '\n\n');
  assert.throws(() => loadCsv(empty, {}), errorNaming(empty, /is empty/));
});

// --------------------------------------------------------------------------------------------------- PNG dir

test('PNG folder: labels from subfolders, grayscale and RGB, resized', () => {
  const dir = tmpDir('png');
  fs.mkdirSync(path.join(dir, 'cats'));
  fs.mkdirSync(path.join(dir, 'dogs'));
  fs.writeFileSync(path.join(dir, 'cats', 'a.png'), pngBytes(8, 8, () => [255, 255, 255]));
  fs.writeFileSync(path.join(dir, 'cats', 'b.png'), pngBytes(8, 8, (x) => (x < 4 ? [0, 0, 0] : [255, 255, 255])));
  fs.writeFileSync(path.join(dir, 'dogs', 'c.png'), pngBytes(16, 16, () => [255, 0, 0]));
  const grayBytes = loadPngDir(dir, 4, 1);
  assert.ok(grayBytes.x instanceof Uint8Array, 'PNG pixels stay bytes in memory');
  const gray = { ...grayBytes, x: floatRows(grayBytes, 0, grayBytes.n) };
  assert.equal(gray.n, 3);
  assert.deepEqual(gray.shape, [4, 4, 1]);
  assert.deepEqual(gray.classNames, ['cats', 'dogs']);
  assert.deepEqual(Array.from(gray.labels!), [0, 0, 1]);
  assert.ok(Math.abs(gray.x[0] - 1) < 1e-6, 'white is 1');
  assert.ok(gray.x[16] < 1e-6 && Math.abs(gray.x[16 + 3] - 1) < 1e-6, 'left half black, right half white after resizing');
  assert.ok(Math.abs(gray.x[32] - 0.299) < 3e-3, 'red in grayscale is 0.299 (stored as a byte: 76 / 255)');
  const rgb = loadPngDir(dir, 4, 3);
  assert.deepEqual(rgb.shape, [4, 4, 3]);
  assert.deepEqual(Array.from(floatRows(rgb, 2, 3).subarray(0, 3)), [1, 0, 0]);
});

test('PNG folder: rejects garbage PNGs, empty and missing folders, naming them', () => {
  const dir = tmpDir('png-bad');
  const garbage = path.join(dir, 'bad.png');
  fs.writeFileSync(garbage, Buffer.from('this is not a png at all'));
  assert.throws(() => loadPngDir(dir, 4, 1), errorNaming(garbage, /not a valid PNG/));
  const truncated = tmpDir('png-trunc');
  const full = pngBytes(8, 8, () => [10, 20, 30]);
  const tf = path.join(truncated, 't.png');
  fs.writeFileSync(tf, full.subarray(0, 40));
  assert.throws(() => loadPngDir(truncated, 4, 1), errorNaming(tf, /not a valid PNG/));
  const empty = tmpDir('png-empty');
  assert.throws(() => loadPngDir(empty, 4, 1), errorNaming(empty, /contains no .png images/));
  const missing = path.join(empty, 'nowhere');
  assert.throws(() => loadPngDir(missing, 4, 1), errorNaming(missing, /folder not found/));
});

// -------------------------------------------------------------------------------------------------- built-in

test('mnist: 10,000 real digits, fixed 8,000 / 2,000 split with labels, loaded fast from the binary cache', () => {
  const t0 = Date.now();
  const m = loadMnist();
  const ms = Date.now() - t0;
  assert.equal(m.train.n, 8000);
  assert.equal(m.test.n, 2000);
  assert.deepEqual(m.train.shape, [28, 28, 1]);
  assert.match(m.cacheFile, /mnist-10k\.bin$/);
  const counts = new Array(10).fill(0);
  for (const l of m.train.labels!) counts[l]++;
  for (const c of counts) assert.ok(c > 600 && c < 1000, `every digit is represented: ${counts}`);
  // Real digits: mostly black background, some bright strokes, intensities in [0, 1].
  let mean = 0;
  let max = 0;
  assert.ok(m.train.x instanceof Uint8Array, 'the digits stay bytes in memory');
  for (const v of floatRows(m.train, 0, m.train.n)) {
    mean += v;
    max = Math.max(max, v);
  }
  mean /= m.train.x.length;
  assert.ok(mean > 0.08 && mean < 0.2 && max === 1, `mean intensity ${mean}`);
  // Fixed split: loading again gives the same first digit.
  assert.deepEqual(Array.from(loadMnist().test.x.subarray(0, 784)), Array.from(m.test.x.subarray(0, 784)));
  assert.ok(ms < 3000, `loading took ${ms} ms`);
});

test('shapes: deterministic by seed, with ground-truth factors', () => {
  const a = generateShapes(50, 32, 4);
  const b = generateShapes(50, 32, 4);
  const c = generateShapes(50, 32, 5);
  assert.deepEqual(Array.from(a.x), Array.from(b.x));
  assert.notDeepEqual(Array.from(a.x), Array.from(c.x));
  assert.deepEqual(a.factorNames, ['shape', 'scale', 'rotation', 'posX', 'posY']);
  assert.equal(a.factors!.length, 50 * 5);
  for (let i = 0; i < 50; i++) {
    const area = floatRows(a, i, i + 1).reduce((s, v) => s + v, 0);
    assert.ok(area > 10 && area < 500, `image ${i} shows a shape (area ${area})`);
    assert.equal(a.labels![i], a.factors![i * 5]);
  }
  assert.equal(generateShapes(3, 64, 1).shape[0], 64);
});

test('toy2d: all four point sets, labelled', () => {
  for (const name of ['moons', 'rings', 'pinwheel', '8gaussians'] as const) {
    const d = generateToy2d(name, 400, 0.05, 1);
    assert.equal(d.n, 400);
    assert.deepEqual(d.shape, [2]);
    assert.ok(d.x.every(Number.isFinite));
    assert.ok(new Set(d.labels).size >= 2, name);
  }
  const g = generateToy2d('8gaussians', 800, 0, 2);
  for (let i = 0; i < 800; i++) {
    const r = Math.hypot(g.x[2 * i], g.x[2 * i + 1]);
    assert.ok(r > 1.4 && r < 2.6, 'the 8 Gaussians sit on a circle of radius 2');
  }
});

test('loadData splits by the configured fractions, deterministically, and rejects data outside [0, 1] for Bernoulli', () => {
  const cfg = resolveExperiment({ name: 's', data: { source: 'toy2d', validationSplit: 0.1, testSplit: 0.2, options: { count: 1000 } }, model: { likelihood: 'gaussian' } });
  const s = loadData(cfg, '.');
  assert.equal(s.test.n, 200);
  assert.equal(s.validation.n, 80);
  assert.equal(s.train.n, 720);
  assert.deepEqual(Array.from(loadData(cfg, '.').train.x.subarray(0, 10)), Array.from(s.train.x.subarray(0, 10)));
  const m = loadData(resolveExperiment({ name: 'm', data: { options: { limit: 400 } } }), '.');
  assert.equal(m.train.n + m.validation.n, 400);
  assert.equal(m.test.n, 100);
  const dir = tmpDir('range');
  const f = path.join(dir, 'big.csv');
  fs.writeFileSync(f, Array.from({ length: 20 }, (_, i) => `${i},${i * 2}`).join('\n'));
  const bad = resolveExperiment({ name: 'r', data: { source: 'csv', path: 'big.csv' } });
  assert.throws(() => loadData(bad, dir), errorNaming(f, /\/model\/likelihood "bernoulli" needs data in \[0, 1\]/));
  const conv = resolveExperiment({ name: 'c', data: { source: 'csv', path: 'big.csv' }, model: { likelihood: 'gaussian', encoder: { type: 'conv' } } });
  assert.throws(() => loadData(conv, dir), errorNaming(f, /\/model\/encoder\/type "conv" needs images/));
});

test('8-bit storage: batches read as byte / 255 exactly, subsets keep bytes, fixed binarization gives 0 / 255', () => {
  const dir = tmpDir('u8');
  const pixels = Array.from({ length: 5 * 2 * 2 }, (_, i) => (i * 53) % 256);
  const file = path.join(dir, 'img.idx');
  fs.writeFileSync(file, idxBytes(0x08, [5, 2, 2], pixels));
  const d = loadIdx(file, undefined, undefined);
  const rows = Int32Array.from([3, 0, 4]);
  const out = new Float32Array(3 * 4);
  copyRows(d, rows, out);
  const expected = Float32Array.from([...pixels.slice(12, 16), ...pixels.slice(0, 4), ...pixels.slice(16, 20)].map((v) => v / 255));
  assert.deepEqual(Array.from(out), Array.from(expected), 'the same float32 values a float copy would hold');
  const sub = subset(d, rows);
  assert.ok(sub.x instanceof Uint8Array);
  assert.deepEqual(Array.from(floatRows(sub, 0, 3)), Array.from(out));
  assert.deepEqual(valueRange(d), { lo: 0, hi: 1, finite: true }, 'bytes / 255 are in [0, 1] by construction');
  assert.deepEqual(valueRange({ ...d, x: floatRows(d, 0, d.n) }), { lo: 0, hi: Math.fround(Math.max(...pixels) / 255), finite: true });
  // Fixed binarization through loadData on the same bytes: every value ends at 0 or 1.
  const cfg = resolveExperiment({ name: 'b', data: { source: 'idx', path: file, binarize: 'fixed', validationSplit: 0.2, testSplit: 0.2 }, model: { likelihood: 'bernoulli' } });
  const s = loadData(cfg, dir);
  for (const split of [s.train, s.validation, s.test]) for (const v of floatRows(split, 0, split.n)) assert.ok(v === 0 || v === 1);
});

test('the data-size guard counts 8-bit data as bytes: a uint8 IDX that fits is loaded, the same as float32 is refused', () => {
  const dir = tmpDir('guard');
  // 60,000 x 28 x 28 announced by the headers (the guard reads only the header, gzipped or not).
  const header = (type: number) => {
    const b = Buffer.alloc(16);
    b[2] = type;
    b[3] = 3;
    b.writeUInt32BE(60000, 4);
    b.writeUInt32BE(28, 8);
    b.writeUInt32BE(28, 12);
    return b;
  };
  const u8 = path.join(dir, 'u8.idx.gz');
  fs.writeFileSync(u8, zlib.gzipSync(Buffer.concat([header(0x08), Buffer.alloc(60000 * 784, 7)])));
  const f32 = path.join(dir, 'f32.idx');
  fs.writeFileSync(f32, Buffer.concat([header(0x0d), Buffer.alloc(1000)]));
  const cfg = (p: string) => resolveExperiment({ name: 'g', data: { source: 'idx', path: p }, model: { likelihood: 'gaussian' } });
  assert.equal(estimateDataBytes(cfg(u8), u8)!.bytes, 60000 * 784);
  assert.equal(estimateDataBytes(cfg(f32), f32)!.bytes, 60000 * 784 * 4);
  // A machine of 200 MB allows 120 MB of data: 47 MB of bytes fit, 188 MB of float32 do not.
  const small = 200 * 1024 ** 2;
  assert.doesNotThrow(() => checkDataMemory(cfg(u8), u8, small));
  assert.throws(() => checkDataMemory(cfg(f32), f32, small), (e: Error) => e instanceof DataError && /f32\.idx .*in memory it needs about 179 MiB/.test(e.message));
});

test('splits are views of one reordered copy: permuting in place equals gathering, for bytes, floats, labels and factors', () => {
  const shapes = generateShapes(37, 8, 3);
  const bytes = { ...shapes, x: Uint8Array.from(shapes.x, (v) => Math.round(v * 255)) };
  for (const d of [shapes, bytes]) {
    for (const seed of [1, 2, 3]) {
      const order = permutation(d.n, seed);
      const gathered = subset(d, order);
      const copy = subset(d, range(0, d.n));
      permuteRowsInPlace(copy, order);
      assert.deepEqual(Array.from(copy.x), Array.from(gathered.x));
      assert.deepEqual(Array.from(copy.labels!), Array.from(gathered.labels!));
      assert.deepEqual(Array.from(copy.factors!), Array.from(gathered.factors!));
      const v = rowView(copy, 5, 9);
      assert.equal(v.n, 4);
      assert.deepEqual(Array.from(v.labels!), Array.from(gathered.labels!.subarray(5, 9)));
      assert.equal(v.x.buffer, copy.x.buffer, 'a view, not a copy');
    }
  }
});

test('an RGB PNG folder trains a conv VAE: bytes in memory, colour in the image grids and in the explorer data', async () => {
  await useWasm();
  const dir = tmpDir('rgb');
  // Two classes of 28 x 28 images: a red and a blue half, split at a random column, with the red half left or right.
  const rng = new Rng(7);
  for (const cls of ['red-left', 'blue-left']) {
    fs.mkdirSync(path.join(dir, 'imgs', cls), { recursive: true });
    for (let i = 0; i < 48; i++) {
      const cut = 6 + rng.int(17);
      const red: [number, number, number] = [230, 30, 20];
      const blue: [number, number, number] = [20, 40, 220];
      const png = pngBytes(28, 28, (x) => ((x < cut) === (cls === 'red-left') ? red : blue));
      fs.writeFileSync(path.join(dir, 'imgs', cls, `${i}.png`), png);
    }
  }
  const file = writeJson(path.join(dir, 'rgb.vae.json'), {
    name: 'rgb',
    backend: 'wasm',
    data: { source: 'png-dir', path: 'imgs', options: { imageSize: 28, channels: 3 } },
    model: { kind: 'vae', latentDim: 4, encoder: { type: 'conv', filters: [8, 16], kernelSize: 3, stride: 2, hidden: [32] }, likelihood: 'bernoulli' },
    training: { epochs: 2, batchSize: 16, seed: 3 },
    logging: { metricsEvery: 2, imagesEvery: 1 },
  });
  const split = loadData(resolveExperiment(JSON.parse(fs.readFileSync(file, 'utf8'))), dir);
  assert.ok(split.train.x instanceof Uint8Array);
  assert.deepEqual(split.train.shape, [28, 28, 3]);
  const hooks = collectingHooks();
  const out = await startRun({ experimentFile: file, runsRoot: path.join(dir, 'runs') }, hooks);
  assert.equal(out.status, 'completed');
  const epochs = hooks.events.filter((e) => e.type === 'epoch') as { validation?: { loss: number } }[];
  assert.ok(epochs[1].validation!.loss < epochs[0].validation!.loss, 'the validation loss falls');
  // The reconstructions grid is in colour: its input rows hold pure red and blue pixels.
  const grid = PNG.sync.read(fs.readFileSync(path.join(out.runDir, 'images', 'reconstructions-epoch-002.png')));
  let reds = 0;
  let blues = 0;
  for (let i = 0; i < grid.width * grid.height; i++) {
    const [r, g, b] = grid.data.subarray(i * 4, i * 4 + 3);
    if (r > 200 && g < 60 && b < 60) reds++;
    if (b > 200 && r < 60 && g < 80) blues++;
  }
  assert.ok(reds > 100 && blues > 100, `red ${reds} and blue ${blues} pixels in the grid`);
  const meta = await prepareExplorer(out.runDir);
  assert.deepEqual(meta.exampleShape, [28, 28, 3]);
  const pixels = fs.readFileSync(path.join(out.runDir, EXPLORER_FILES.dir, EXPLORER_FILES.images));
  assert.equal(pixels.length, meta.n * 28 * 28 * 3);
});

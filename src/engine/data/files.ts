// Loaders for the user's own data files: IDX (MNIST ubyte, plain or gzipped), a folder of PNG images, CSV and NPY.
// Every error names the file and says what is wrong.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { PNG } from 'pngjs';
import { DataError, Dataset, exampleSize } from './dataset';

function readBytes(file: string): Buffer {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? 'file not found.' : code === 'EISDIR' ? 'is a folder, expected a file.' : `cannot be read (${code ?? (err as Error).message}).`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return zlib.gunzipSync(buf);
    } catch (err) {
      throw new DataError(file, `is gzipped but cannot be decompressed (${(err as Error).message}); the file is probably truncated.`);
    }
  }
  return buf;
}

// ------------------------------------------------------------------------------------------------ numeric arrays

/** The element types of IDX and NPY files. */
type NumberKind = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'int64' | 'float32' | 'float64';
export type NumberArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

const KIND_SIZE: Record<NumberKind, number> = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, int64: 8, float32: 4, float64: 8 };

/**
 * `count` values of `kind` at `offset` of buf. Bytes are a view of buf (no copy); wider types are read once through a
 * DataView in the file's byte order into a typed array (int64 becomes float64).
 */
function readNumbers(buf: Buffer, offset: number, count: number, kind: NumberKind, littleEndian: boolean): NumberArray {
  const at = buf.byteOffset + offset;
  if (kind === 'uint8') return new Uint8Array(buf.buffer, at, count);
  if (kind === 'int8') return new Int8Array(buf.buffer, at, count);
  const view = new DataView(buf.buffer, at, count * KIND_SIZE[kind]);
  const read = <T extends NumberArray>(out: T, get: (o: number) => number, size: number): T => {
    for (let i = 0; i < count; i++) out[i] = get(i * size);
    return out;
  };
  switch (kind) {
    case 'uint16': return read(new Uint16Array(count), (o) => view.getUint16(o, littleEndian), 2);
    case 'int16': return read(new Int16Array(count), (o) => view.getInt16(o, littleEndian), 2);
    case 'uint32': return read(new Uint32Array(count), (o) => view.getUint32(o, littleEndian), 4);
    case 'int32': return read(new Int32Array(count), (o) => view.getInt32(o, littleEndian), 4);
    case 'int64': return read(new Float64Array(count), (o) => Number(view.getBigInt64(o, littleEndian)), 8);
    case 'float32': return read(new Float32Array(count), (o) => view.getFloat32(o, littleEndian), 4);
    case 'float64': return read(new Float64Array(count), (o) => view.getFloat64(o, littleEndian), 8);
  }
}

/**
 * Example values from a file's numbers: 8-bit unsigned data with the default scale keeps its bytes (converted to
 * byte / 255 per batch, see dataset.ts); anything else becomes float32 value / scale.
 */
function exampleValues(values: NumberArray, scale: number | undefined): Float32Array | Uint8Array {
  if (values instanceof Uint8Array && (scale === undefined || scale === 255)) return values;
  const s = scale ?? (values instanceof Uint8Array ? 255 : 1);
  const x = new Float32Array(values.length);
  for (let i = 0; i < x.length; i++) x[i] = values[i] / s;
  return x;
}

// ---------------------------------------------------------------------------------------------------------- IDX

const IDX_TYPES: Record<number, NumberKind> = { 0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

export interface IdxArray {
  dims: number[];
  type: NumberKind;
  values: NumberArray;
}

export function readIdx(file: string): IdxArray {
  const buf = readBytes(file);
  if (buf.length < 4) throw new DataError(file, `is truncated: ${buf.length} bytes, an IDX header needs at least 4.`);
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new DataError(file, `wrong magic number 0x${buf.readUInt32BE(0).toString(16).padStart(8, '0')}: an IDX file starts with two zero bytes, a type byte and a dimension count.`);
  }
  const t = IDX_TYPES[buf[2]];
  if (!t) throw new DataError(file, `unknown IDX data type 0x${buf[2].toString(16)} (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E).`);
  const ndim = buf[3];
  if (ndim < 1 || ndim > 4) throw new DataError(file, `has ${ndim} dimensions; VAE Lab reads IDX files with 1 to 4.`);
  const header = 4 + 4 * ndim;
  if (buf.length < header) throw new DataError(file, `is truncated inside its header (${buf.length} bytes, the header needs ${header}).`);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const need = header + count * KIND_SIZE[t];
  if (buf.length < need) {
    throw new DataError(file, `is truncated: its header promises ${dims.join(' x ')} ${t} values (${need} bytes) but the file has ${buf.length} bytes.`);
  }
  if (buf.length > need) throw new DataError(file, `has ${buf.length - need} unexpected bytes after its ${dims.join(' x ')} values.`);
  return { dims, type: t, values: readNumbers(buf, header, count, t, false) };
}

export function loadIdx(file: string, labelsFile: string | undefined, scale: number | undefined): Dataset {
  const img = readIdx(file);
  if (img.dims.length < 2) throw new DataError(file, `has shape [${img.dims.join(', ')}]; images need at least 2 dimensions (count, features).`);
  const n = img.dims[0];
  const shape = img.dims.length === 2 ? [img.dims[1]] : img.dims.length === 3 ? [img.dims[1], img.dims[2], 1] : img.dims.slice(1);
  const d: Dataset = { x: exampleValues(img.values, scale), n, shape };
  if (labelsFile) d.labels = loadLabels(labelsFile, readIdx(labelsFile), n);
  return d;
}

function loadLabels(file: string, arr: { dims: number[]; values: ArrayLike<number> }, expected: number): Int32Array {
  if (arr.dims.length !== 1) throw new DataError(file, `labels must be a 1-D array, found shape [${arr.dims.join(', ')}].`);
  if (arr.dims[0] !== expected) throw new DataError(file, `has ${arr.dims[0]} labels but the data has ${expected} examples.`);
  const labels = new Int32Array(expected);
  for (let i = 0; i < expected; i++) {
    const v = arr.values[i];
    if (!Number.isInteger(v) || v < 0 || v > 100000) throw new DataError(file, `label ${i} is ${v}; labels must be whole numbers from 0.`);
    labels[i] = v;
  }
  return labels;
}

// ---------------------------------------------------------------------------------------------------------- NPY

const NPY_TYPES: Record<string, { kind: NumberKind; integer: boolean }> = {
  '<f4': { kind: 'float32', integer: false },
  '<f8': { kind: 'float64', integer: false },
  '|u1': { kind: 'uint8', integer: true },
  '|i1': { kind: 'int8', integer: true },
  '|b1': { kind: 'uint8', integer: true },
  '<u2': { kind: 'uint16', integer: true },
  '<i2': { kind: 'int16', integer: true },
  '<i4': { kind: 'int32', integer: true },
  '<u4': { kind: 'uint32', integer: true },
  '<i8': { kind: 'int64', integer: true },
};

export interface NpyArray {
  dims: number[];
  dtype: string;
  values: NumberArray;
}

export function readNpy(file: string): NpyArray {
  const buf = readBytes(file);
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') {
    throw new DataError(file, 'wrong magic number: an NPY file starts with "\\x93NUMPY".');
  }
  const major = buf[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new DataError(file, 'is truncated inside its header.');
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else {
    throw new DataError(file, `has NPY format version ${major}, VAE Lab reads versions 1 to 3.`);
  }
  if (buf.length < start + headerLen) throw new DataError(file, 'is truncated inside its header.');
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen);
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new DataError(file, 'has a malformed NPY header (descr, fortran_order or shape missing).');
  const t = NPY_TYPES[descr];
  if (!t) throw new DataError(file, `has dtype ${descr}; VAE Lab reads little-endian float32/float64, (u)int8/16/32, int64 and bool.`);
  if (fortran === 'True') throw new DataError(file, 'is stored in Fortran order; save it with numpy.ascontiguousarray first.');
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (dims.some((v) => !Number.isInteger(v) || v < 0)) throw new DataError(file, `has an invalid shape (${shapeText}).`);
  const count = dims.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  const size = KIND_SIZE[t.kind];
  const need = dataStart + count * size;
  if (buf.length < need) throw new DataError(file, `is truncated: shape (${dims.join(', ')}) needs ${count * size} data bytes, the file has ${buf.length - dataStart}.`);
  return { dims, dtype: descr, values: readNumbers(buf, dataStart, count, t.kind, true) };
}

function exampleShapeFor(file: string, featureCount: number, shape: number[] | undefined, field: string): number[] {
  if (!shape) return [featureCount];
  const size = exampleSize(shape);
  if (size !== featureCount) {
    throw new DataError(file, `has ${featureCount} values per example, but ${field} [${shape.join(', ')}] needs ${size}.`);
  }
  return shape.length === 2 ? [shape[0], shape[1], 1] : shape.slice();
}

export function loadNpy(file: string, labelsFile: string | undefined, scale: number | undefined, shape: number[] | undefined): Dataset {
  const arr = readNpy(file);
  if (arr.dims.length < 2) throw new DataError(file, `has shape (${arr.dims.join(', ')}); expected (examples, features...) with at least 2 dimensions.`);
  const n = arr.dims[0];
  const per = arr.dims.slice(1).reduce((a, b) => a * b, 1);
  const natural = arr.dims.length === 2 ? undefined : arr.dims.length === 3 ? [arr.dims[1], arr.dims[2], 1] : arr.dims.slice(1);
  const exShape = exampleShapeFor(file, per, shape ?? natural, '/data/options/shape');
  // Booleans are 0 / 1 already: their bytes are not divided by 255.
  const d: Dataset = { x: exampleValues(arr.values, scale ?? (arr.dtype === '|b1' ? 1 : undefined)), n, shape: exShape };
  if (labelsFile) {
    const lab = readNpy(labelsFile);
    if (!NPY_TYPES[lab.dtype].integer) throw new DataError(labelsFile, `labels must have an integer dtype, found ${lab.dtype}.`);
    d.labels = loadLabels(labelsFile, lab, n);
  }
  return d;
}

// ---------------------------------------------------------------------------------------------------------- CSV

export function loadCsv(
  file: string,
  opts: { header?: boolean; labelColumn?: number; scale?: number; shape?: number[] },
): Dataset {
  const text = readBytes(file).toString('utf8');
  const lines = text.split(/\r?\n/);
  const rows: { line: number; cells: string[] }[] = [];
  lines.forEach((l, i) => {
    if (l.trim() !== '') rows.push({ line: i + 1, cells: l.split(',').map((c) => c.trim()) });
  });
  if (rows.length === 0) throw new DataError(file, 'is empty.');
  const looksNumeric = (c: string) => c !== '' && Number.isFinite(Number(c));
  const header = opts.header ?? !rows[0].cells.every(looksNumeric);
  const body = header ? rows.slice(1) : rows;
  if (body.length === 0) throw new DataError(file, 'has a header but no data rows.');
  const width = body[0].cells.length;
  let labelCol = opts.labelColumn;
  if (labelCol === -1) labelCol = width - 1;
  if (labelCol !== undefined && labelCol >= width) throw new DataError(file, `has ${width} columns, so labelColumn ${labelCol} does not exist.`);
  const features = labelCol === undefined ? width : width - 1;
  if (features < 1) throw new DataError(file, 'has no feature columns.');
  const shape = exampleShapeFor(file, features, opts.shape, '/data/options/shape');
  const n = body.length;
  const x = new Float32Array(n * features);
  const labels = labelCol === undefined ? undefined : new Int32Array(n);
  const s = opts.scale ?? 1;
  body.forEach((r, i) => {
    if (r.cells.length !== width) throw new DataError(file, `line ${r.line} has ${r.cells.length} values, expected ${width} like the first data row.`);
    let k = 0;
    r.cells.forEach((c, j) => {
      const v = Number(c);
      if (c === '' || !Number.isFinite(v)) throw new DataError(file, `line ${r.line}, column ${j + 1}: "${c}" is not a number.`);
      if (j === labelCol && labels) {
        if (!Number.isInteger(v) || v < 0) throw new DataError(file, `line ${r.line}, column ${j + 1}: label "${c}" must be a whole number from 0.`);
        labels[i] = v;
      } else {
        x[i * features + k++] = v / s;
      }
    });
  });
  return { x, n, shape, labels };
}

// ------------------------------------------------------------------------------------------------------ PNG dir

function listPngs(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.png'))
    .map((e) => e.name)
    .sort();
}

/** Decode a PNG into [size x size x channels] floats in [0, 1], resizing with area averaging / bilinear sampling. */
export function decodePng(file: string, size: number, channels: 1 | 3): Float32Array {
  let png: PNG;
  try {
    png = PNG.sync.read(fs.readFileSync(file));
  } catch (err) {
    throw new DataError(file, `is not a valid PNG image (${(err as Error).message}).`);
  }
  const { width: w, height: h, data } = png;
  const out = new Float32Array(size * size * channels);
  // Sample each target pixel as the mean of the source pixels it covers (box filter), which handles both
  // down- and up-scaling well enough for training data.
  for (let r = 0; r < size; r++) {
    const y0 = (r * h) / size;
    const y1 = ((r + 1) * h) / size;
    for (let c = 0; c < size; c++) {
      const x0 = (c * w) / size;
      const x1 = ((c + 1) * w) / size;
      const acc = [0, 0, 0];
      let wsum = 0;
      for (let y = Math.floor(y0); y < Math.min(h, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(w, Math.ceil(x1)); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          const wgt = wx * wy;
          const o = (y * w + x) * 4;
          const alpha = data[o + 3] / 255;
          acc[0] += wgt * (data[o] / 255) * alpha;
          acc[1] += wgt * (data[o + 1] / 255) * alpha;
          acc[2] += wgt * (data[o + 2] / 255) * alpha;
          wsum += wgt;
        }
      }
      const base = (r * size + c) * channels;
      if (channels === 1) out[base] = (0.299 * acc[0] + 0.587 * acc[1] + 0.114 * acc[2]) / wsum;
      else for (let k = 0; k < 3; k++) out[base + k] = acc[k] / wsum;
    }
  }
  return out;
}

export function loadPngDir(dir: string, size: number, channels: 1 | 3): Dataset {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(dir, code === 'ENOENT' ? 'folder not found.' : code === 'ENOTDIR' ? 'is a file, expected a folder of PNG images.' : `cannot be read (${code}).`);
  }
  const classDirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const files: { file: string; label: number }[] = [];
  if (classDirs.length > 0) {
    classDirs.forEach((name, label) => {
      for (const f of listPngs(path.join(dir, name))) files.push({ file: path.join(dir, name, f), label });
    });
  } else {
    for (const f of listPngs(dir)) files.push({ file: path.join(dir, f), label: -1 });
  }
  if (files.length === 0) throw new DataError(dir, 'contains no .png images (directly or in one subfolder per class).');
  // PNG pixels are 8-bit: the resampled values are kept as bytes too (rounded; at most 1/510 off).
  const dim = size * size * channels;
  const x = new Uint8Array(files.length * dim);
  files.forEach((f, i) => {
    const v = decodePng(f.file, size, channels);
    for (let k = 0; k < dim; k++) x[i * dim + k] = Math.round(255 * v[k]);
  });
  const d: Dataset = { x, n: files.length, shape: [size, size, channels] };
  if (classDirs.length > 0) {
    d.labels = Int32Array.from(files.map((f) => f.label));
    d.classNames = classDirs;
  }
  return d;
}

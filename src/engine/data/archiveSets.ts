// Reading the extracted files of the archive-based catalog entries (extract.ts) into Datasets of bytes (HWC, channels
// last): CIFAR-10's records (a label byte, then 1024 red, 1024 green and 1024 blue bytes, each plane row-major) are
// interleaved into [32, 32, 3]; EMNIST's images, which NIST stores transposed, are transposed back to upright
// characters, and the letters split's labels 1..26 become 0..25. The files were extracted from an archive whose MD5
// was verified, so here only what a damaged or replaced file would break is checked: sizes, IDX headers, labels.
import * as fs from 'fs';
import * as os from 'os';
import { ArchiveMember, CatalogEntry, dataRoot, datasetDir, notDownloaded } from './catalog';
import { DataError, Dataset } from './dataset';
import { cachedMembers } from './extract';

/** A file's bytes as a plain Uint8Array view (indexing it is a typed-array read). */
function readBytes(p: string): Uint8Array {
  const b = fs.readFileSync(p);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

const PLANE = 32 * 32;

/** One CIFAR image's R, G and B planes (at `src`) as RGB triples at `out`, byte by byte. */
export function interleaveBytes(buf: Uint8Array, src: number, x: Uint8Array, out: number): void {
  for (let p = 0; p < PLANE; p++) {
    x[out + 3 * p] = buf[src + p];
    x[out + 3 * p + 1] = buf[src + PLANE + p];
    x[out + 3 * p + 2] = buf[src + 2 * PLANE + p];
  }
}

/**
 * The same, four pixels (12 bytes) as three little-endian 32-bit words at word `out`: about 1.5x faster than bytes at
 * stride 3, which matters for the 184 MB of the full set (used only on little-endian machines).
 */
export function interleaveWords(buf: Uint8Array, src: number, w: Uint32Array, out: number): void {
  const g = src + PLANE;
  const b = src + 2 * PLANE;
  for (let p = 0; p < PLANE; p += 4, out += 3) {
    w[out] = buf[src + p] | (buf[g + p] << 8) | (buf[b + p] << 16) | (buf[src + p + 1] << 24);
    w[out + 1] = buf[g + p + 1] | (buf[b + p + 1] << 8) | (buf[src + p + 2] << 16) | (buf[g + p + 2] << 24);
    w[out + 2] = buf[b + p + 2] | (buf[src + p + 3] << 8) | (buf[g + p + 3] << 16) | (buf[b + p + 3] << 24);
  }
}

/** Fill x / labels from CIFAR batches, the examples [0, n) of the split in file order. */
function readCifar(entry: CatalogEntry, files: { member: ArchiveMember; path: string }[], n: number): Dataset {
  const x = new Uint8Array(n * PLANE * 3);
  const words = os.endianness() === 'LE' ? new Uint32Array(x.buffer) : undefined;
  const labels = new Int32Array(n);
  let i = 0;
  for (const { member, path } of files) {
    if (i >= n) break;
    const buf = readBytes(path);
    const take = Math.min(member.count, n - i);
    for (let r = 0; r < take; r++, i++) {
      const rec = r * (1 + 3 * PLANE);
      const label = buf[rec];
      if (label >= entry.classNames.length) throw new DataError(path, `record ${r} has label ${label}; CIFAR-10 labels are 0..9: delete the file and run vae-lab data get ${entry.name}.`);
      labels[i] = label;
      if (words) interleaveWords(buf, rec + 1, words, i * 768);
      else interleaveBytes(buf, rec + 1, x, i * 3072);
    }
  }
  return { x, n, shape: [32, 32, 3], labels, classNames: [...entry.classNames] };
}

/** The count of an IDX file of `ndim` uint8 dimensions, after checking its header against what the catalog says. */
function idxCount(path: string, bytes: Uint8Array, ndim: number, inner: number[]): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (bytes.length < 4 + 4 * ndim || view.getUint32(0) !== 0x800 + ndim) throw new DataError(path, `is not a uint8 IDX file with ${ndim} dimension${ndim > 1 ? 's' : ''}.`);
  for (let d = 1; d < ndim; d++) {
    if (view.getUint32(4 + 4 * d) !== inner[d - 1]) throw new DataError(path, `has examples of shape [${Array.from({ length: ndim - 1 }, (_, k) => view.getUint32(8 + 4 * k)).join(', ')}], expected [${inner.join(', ')}].`);
  }
  return view.getUint32(4);
}

/** EMNIST: the first n examples of one split, each 28x28 image transposed to upright. */
function readEmnist(entry: CatalogEntry, images: { member: ArchiveMember; path: string }, labelsFile: { member: ArchiveMember; path: string }, n: number): Dataset {
  const side = 28;
  const img = readBytes(images.path);
  const lab = readBytes(labelsFile.path);
  const count = idxCount(images.path, img, 3, [side, side]);
  if (count !== images.member.count) throw new DataError(images.path, `has ${count} examples, expected ${images.member.count}.`);
  const labelCount = idxCount(labelsFile.path, lab, 1, []);
  if (labelCount !== count) throw new DataError(labelsFile.path, `has ${labelCount} labels but the images file has ${count} examples.`);
  // The letters split numbers its classes from 1 ('a'); the others from 0.
  const first = entry.firstLabel ?? 0;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = lab[8 + i] - first;
    if (label < 0 || label >= entry.classNames.length) throw new DataError(labelsFile.path, `label ${i} is ${lab[8 + i]}, outside ${first}..${first + entry.classNames.length - 1}: delete the file and run vae-lab data get ${entry.name}.`);
    labels[i] = label;
  }
  const px = side * side;
  const x = new Uint8Array(n * px);
  for (let i = 0; i < n; i++) {
    const src = 16 + i * px;
    const dst = i * px;
    for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) x[dst + r * side + c] = img[src + c * side + r];
  }
  return { x, n, shape: [side, side, 1], labels, classNames: [...entry.classNames] };
}

function split(entry: CatalogEntry, files: { member: ArchiveMember; path: string }[], which: 'train' | 'test', limit: number | undefined): Dataset {
  const total = which === 'train' ? entry.train : entry.test;
  const n = limit ? Math.min(limit, total) : total;
  const mine = files.filter((f) => f.member.split === which);
  if (entry.format === 'cifar10-bin') return readCifar(entry, mine, n);
  const images = mine.find((f) => f.member.kind === 'images')!;
  const labels = mine.find((f) => f.member.kind === 'labels')!;
  return readEmnist(entry, images, labels, n);
}

/**
 * The pool (the official training files) and test set of an archive-based catalog entry, from its extracted files.
 * With `limit`, the first `limit` training and the first ceil(limit / 4) test examples, as for the other entries.
 */
export function loadArchiveDataset(entry: CatalogEntry, limit: number | undefined, root = dataRoot()): { train: Dataset; test: Dataset; dir: string } {
  const cached = cachedMembers(entry, root);
  for (const c of cached) {
    if (c.size !== undefined && !c.ok) throw new DataError(c.path, `is ${c.size} bytes, expected ${c.member.bytes}: delete it and run vae-lab data get ${entry.name}.`);
  }
  if (cached.some((c) => !c.ok)) {
    throw notDownloaded(entry, root);
  }
  const train = split(entry, cached, 'train', limit);
  const test = split(entry, cached, 'test', limit ? Math.ceil(limit / 4) : undefined);
  return { train, test, dir: datasetDir(entry.name, root) };
}

// Reading a catalog data set (catalog.ts) from the cache folder for training: the official train file becomes the
// train + validation pool, t10k the test set. Every file's size (when published) and MD5 are checked each time it
// is read: the bytes are in memory anyway, and hashing the 31 MB of Fashion-MNIST takes about 0.1 s.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { CatalogEntry, CatalogFile, FileRole, catalogEntry, dataRoot, datasetDir, notDownloaded } from './catalog';
import { DataError, Dataset } from './dataset';
import { loadArchiveDataset } from './archiveSets';
import { cachedMembers } from './extract';

/**
 * Which files of an entry are cached: for idx-gz entries the downloaded files (present with the published size, when
 * it is known); for archive entries the extracted files (present with the exact size the catalog gives), not the
 * archive, which may be deleted once extracted.
 */
export function cachedFiles(entry: CatalogEntry, root = dataRoot()): { name: string; path: string; ok: boolean }[] {
  if (entry.format !== 'idx-gz') return cachedMembers(entry, root).map((c) => ({ name: c.member.name, path: c.path, ok: c.ok }));
  return idxFiles(entry, root).map((c) => ({ name: c.file.name, path: c.path, ok: c.ok }));
}

/** The four files of an idx-gz entry in its folder, and whether each has the published size (when known). */
function idxFiles(entry: CatalogEntry, root: string): { file: CatalogFile; path: string; ok: boolean }[] {
  const dir = datasetDir(entry.name, root);
  return entry.files.map((file) => {
    const p = path.join(dir, file.name);
    const st = fs.statSync(p, { throwIfNoEntry: false });
    return { file, path: p, ok: !!st?.isFile() && (file.bytes === undefined || st.size === file.bytes) };
  });
}

function readVerified(entry: CatalogEntry, file: CatalogFile, p: string): Buffer {
  const buf = fs.readFileSync(p);
  const md5 = crypto.createHash('md5').update(buf).digest('hex');
  if (md5 !== file.md5) {
    throw new DataError(p, `MD5 is ${md5}, the published digest is ${file.md5}: delete it and run vae-lab data get ${entry.name}.`);
  }
  try {
    return zlib.gunzipSync(buf);
  } catch (err) {
    throw new DataError(p, `cannot be decompressed (${(err as Error).message}).`);
  }
}

/** The uint8 payload of an IDX file of `dims.length` dimensions, checked against the expected count. */
function idxPayload(p: string, buf: Buffer, ndim: number, count: number, inner: number): Buffer {
  const header = 4 + 4 * ndim;
  if (buf.length < header || buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08 || buf[3] !== ndim) {
    throw new DataError(p, `is not a uint8 IDX file with ${ndim} dimension${ndim > 1 ? 's' : ''}.`);
  }
  const n = buf.readUInt32BE(4);
  if (n !== count || buf.length !== header + n * inner) throw new DataError(p, `has ${n} examples in ${buf.length} bytes, expected ${count}.`);
  return buf.subarray(header);
}

function split(entry: CatalogEntry, files: Record<FileRole, string>, which: 'train' | 'test', limit: number | undefined): Dataset {
  const [h, w, c] = entry.shape;
  const inner = h * w * c;
  const total = which === 'train' ? entry.train : entry.test;
  const imgRole: FileRole = which === 'train' ? 'train-images' : 'test-images';
  const labRole: FileRole = which === 'train' ? 'train-labels' : 'test-labels';
  const byRole = (role: FileRole) => entry.files.find((f) => f.role === role)!;
  const images = idxPayload(files[imgRole], readVerified(entry, byRole(imgRole), files[imgRole]), 3, total, inner);
  const labelBytes = idxPayload(files[labRole], readVerified(entry, byRole(labRole), files[labRole]), 1, total, 1);
  const n = limit ? Math.min(limit, total) : total;
  // The bytes themselves (a view of the decompressed file; a copy when only some are used): converted per batch.
  const x = n === total ? new Uint8Array(images.buffer, images.byteOffset, n * inner) : new Uint8Array(images.subarray(0, n * inner));
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = labelBytes[i];
  return { x, n, shape: [h, w, c], labels, classNames: [...entry.classNames] };
}

/**
 * The pool (official train file) and test set (t10k) of a catalog data set. With `limit`, the first `limit` training
 * examples and the first ceil(limit / 4) test examples, as the bundled `mnist` source does.
 */
export function loadCatalogDataset(source: string | CatalogEntry, limit: number | undefined, root = dataRoot()): { train: Dataset; test: Dataset; dir: string } {
  const entry = typeof source === 'string' ? catalogEntry(source) : source;
  const name = typeof source === 'string' ? source : source.name;
  if (!entry || !entry.supported) throw new DataError(name, 'is not a data set VAE Lab can download yet.');
  // CIFAR-10 and EMNIST come as one archive, extracted by data get into plain files (archiveSets.ts reads them).
  if (entry.format !== 'idx-gz') return loadArchiveDataset(entry, limit, root);
  const cached = idxFiles(entry, root);
  const dir = datasetDir(entry.name, root);
  for (const c of cached) {
    const size = fs.statSync(c.path, { throwIfNoEntry: false })?.size;
    if (size !== undefined && !c.ok && c.file.bytes !== undefined) {
      throw new DataError(c.path, `is ${size} bytes, the published size is ${c.file.bytes}: delete it and run vae-lab data get ${name}.`);
    }
  }
  if (cached.some((c) => !c.ok)) {
    throw notDownloaded(entry, root);
  }
  const files = Object.fromEntries(cached.map((c) => [c.file.role, c.path])) as Record<FileRole, string>;
  const train = split(entry, files, 'train', limit);
  const test = split(entry, files, 'test', limit ? Math.ceil(limit / 4) : undefined);
  return { train, test, dir };
}

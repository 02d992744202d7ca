// CIFAR-10 and EMNIST (issue 14): the real archives cannot be downloaded here (no network), so these tests build
// archives in the exact real formats (a ustar tar.gz with cifar-10-batches-bin/*.bin and batches.meta.txt; a zip with
// gzip/emnist-<split>-*-ubyte.gz members, deflated and stored), serve them from a local HTTP server and run the real
// code path (`get`: download, MD5, extraction; loadCatalogDataset; the CLI's training) with catalog entries whose
// digests and counts match the synthetic files. The real catalog is not touched.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as zlib from 'node:zlib';
import { readRunRecord } from '../../src/core/runFolder';
import { ArchiveMember, CatalogEntry, CIFAR_RECORD, catalogEntry, cifarMembers, emnistMembers } from '../../src/engine/data/catalog';
import { interleaveBytes, interleaveWords } from '../../src/engine/data/archiveSets';
import { cachedFiles, loadCatalogDataset } from '../../src/engine/data/datasets';
import { DataError } from '../../src/engine/data/dataset';
import { REPO, tmpDir as makeTmpDir, writeJson } from './helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');

const made: string[] = [];
const tmpDir = (prefix: string) => {
  const dir = makeTmpDir(prefix);
  made.push(dir);
  return dir;
};

// ---- Building the archives -------------------------------------------------------------------------------------

/** One ustar header block (POSIX "ustar\0" "00"), as GNU tar --format=ustar writes it. */
function tarHeader(name: string, size: number, type: '0' | '5'): Buffer {
  const h = Buffer.alloc(512);
  const put = (text: string, at: number) => h.write(text, at, 'latin1');
  const num = (n: number, at: number, width: number) => put(n.toString(8).padStart(width - 1, '0') + '\0', at);
  put(name, 0);
  num(type === '5' ? 0o755 : 0o644, 100, 8);
  num(2156, 108, 8);
  num(1103, 116, 8);
  num(size, 124, 12);
  num(1244160000, 136, 12); // June 2009
  put('        ', 148);
  put(type, 156);
  put('ustar\u000000', 257);
  put('kriz', 265);
  put('kriz', 297);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** A tar (uncompressed) of the given files under one folder, with the two zero blocks at the end. */
function tar(folder: string, files: [string, Buffer][]): Buffer {
  const parts = [tarHeader(`${folder}/`, 0, '5')];
  for (const [name, data] of files) {
    parts.push(tarHeader(`${folder}/${name}`, data.length, '0'), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** CIFAR's pixel value for channel c (0 R, 1 G, 2 B) at pixel p (row-major) of example k (over all batches). */
const cifarPixel = (k: number, c: number, p: number) => (k * 31 + c * 85 + p) & 255;
const cifarLabel = (k: number) => (k * 7) % 10;

/** A CIFAR batch of `count` records starting at global example `first`: label byte, R plane, G plane, B plane. */
function cifarBatch(first: number, count: number): Buffer {
  const b = Buffer.alloc(count * CIFAR_RECORD);
  for (let r = 0; r < count; r++) {
    const k = first + r;
    const o = r * CIFAR_RECORD;
    b[o] = cifarLabel(k);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) b[o + 1 + c * 1024 + p] = cifarPixel(k, c, p);
  }
  return b;
}

/** The tar of a CIFAR binary archive whose batches hold `train` records each, then `test` test records. */
function cifarTar(train: number[], test: number, cutLast = 0): Buffer {
  const files: [string, Buffer][] = [['batches.meta.txt', Buffer.from('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n')]];
  let k = 0;
  train.forEach((n, i) => {
    files.push([`data_batch_${i + 1}.bin`, cifarBatch(k, n)]);
    k += n;
  });
  files.push(['test_batch.bin', cifarBatch(k, test)], ['readme.html', Buffer.from('<meta HTTP-EQUIV="REFRESH" content="0; URL=http://www.cs.toronto.edu/~kriz/cifar.html">\n')]);
  const t = tar('cifar-10-batches-bin', files);
  return cutLast ? t.subarray(0, t.length - cutLast) : t;
}

/** EMNIST's upright pixel (r, c) of image i: asymmetric in r and c, so a missing or extra transpose shows. */
const emnistPixel = (i: number, r: number, c: number) => (r * 9 + c * 2 + i) & 255;

/** An IDX images file as NIST stores it: each image transposed (the byte at row j, column k is upright (k, j)). */
function emnistImages(n: number): Buffer {
  const b = Buffer.alloc(16 + n * 784);
  b.writeUInt32BE(0x803, 0);
  b.writeUInt32BE(n, 4);
  b.writeUInt32BE(28, 8);
  b.writeUInt32BE(28, 12);
  for (let i = 0; i < n; i++) for (let j = 0; j < 28; j++) for (let k = 0; k < 28; k++) b[16 + i * 784 + j * 28 + k] = emnistPixel(i, k, j);
  return b;
}

function idxLabels(values: number[]): Buffer {
  const b = Buffer.alloc(8 + values.length);
  b.writeUInt32BE(0x801, 0);
  b.writeUInt32BE(values.length, 4);
  values.forEach((v, i) => (b[8 + i] = v));
  return b;
}

const balancedLabel = (i: number) => (i * 5) % 47;
const lettersLabel = (i: number) => (i % 26) + 1; // as in the files: 1..26

/** A zip (local headers, data, central directory, end record) of the given members, deflated or stored. */
function zip(members: { name: string; data: Buffer; store?: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const body = m.store ? m.data : zlib.deflateRawSync(m.data);
    const method = m.store ? 0 : 8;
    const crc = zlib.crc32(m.data); // Node's own CRC-32, independent of the reader's
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(0x031e, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(m.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    central.push(cd, name);
    offset += 30 + name.length + body.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

const gz = (b: Buffer) => zlib.gzipSync(b, { level: 1 });

// ---- Entries like the real ones, with the synthetic files' digests and counts -----------------------------------

const REAL_CIFAR = catalogEntry('cifar10')!;
const REAL_BALANCED = catalogEntry('emnist-balanced')!;
const REAL_LETTERS = catalogEntry('emnist-letters')!;

function withArchive(real: CatalogEntry, archive: Buffer, members: ArchiveMember[]): CatalogEntry {
  const count = (split: string) => members.filter((m) => m.split === split && m.kind !== 'labels').reduce((a, m) => a + m.count, 0);
  return { ...real, files: [{ ...real.files[0], md5: md5(archive), bytes: archive.length }], members, train: count('train'), test: count('test') };
}

const CIFAR_TRAIN = [3, 2, 2, 2, 1];
const cifarTgz = gz(cifarTar(CIFAR_TRAIN, 2));
const CIFAR = withArchive(REAL_CIFAR, cifarTgz, cifarMembers(CIFAR_TRAIN, 2));
// The same archive with its last batch's bytes cut short (its tar ends inside test_batch.bin), and an archive whose
// data_batch_2.bin holds one record fewer than the entry says: both with matching MD5s, so only extraction can tell.
const cutTgz = gz(cifarTar(CIFAR_TRAIN, 2, 1024 + 1024 + 3000)); // the end blocks, readme.html, 3,000 bytes of test_batch.bin
const CUT = withArchive(REAL_CIFAR, cutTgz, cifarMembers(CIFAR_TRAIN, 2));
const shortTgz = gz(cifarTar([3, 1, 2, 2, 1], 2));
const SHORT = withArchive(REAL_CIFAR, shortTgz, cifarMembers(CIFAR_TRAIN, 2));

const EM = { balanced: { train: 50, test: 12 }, letters: { train: 52, test: 13 } };
const emnistZip = zip([
  { name: 'gzip/', data: Buffer.alloc(0), store: true },
  ...(['train', 'test'] as const).flatMap((w) => [
    { name: `gzip/emnist-balanced-${w}-images-idx3-ubyte.gz`, data: gz(emnistImages(EM.balanced[w])) },
    { name: `gzip/emnist-balanced-${w}-labels-idx1-ubyte.gz`, data: gz(idxLabels(Array.from({ length: EM.balanced[w] }, (_, i) => balancedLabel(i)))) },
    { name: `gzip/emnist-letters-${w}-images-idx3-ubyte.gz`, data: gz(emnistImages(EM.letters[w])), store: true },
    { name: `gzip/emnist-letters-${w}-labels-idx1-ubyte.gz`, data: gz(idxLabels(Array.from({ length: EM.letters[w] }, (_, i) => lettersLabel(i)))), store: true },
  ]),
  { name: 'gzip/emnist-balanced-mapping.txt', data: Buffer.from('0 48\n1 49\n') },
]);
// The same zip with one byte of a stored member flipped (and an entry with that zip's MD5): only the CRC-32 can tell.
const badZip = Buffer.from(emnistZip);
badZip[badZip.indexOf(Buffer.from('gzip/emnist-letters-train-images-idx3-ubyte.gz')) + 100] ^= 0x01;
const BAD_LETTERS = withArchive(REAL_LETTERS, badZip, emnistMembers('letters', EM.letters.train, EM.letters.test));
const BALANCED = withArchive(REAL_BALANCED, emnistZip, emnistMembers('balanced', EM.balanced.train, EM.balanced.test));
const LETTERS = withArchive(REAL_LETTERS, emnistZip, emnistMembers('letters', EM.letters.train, EM.letters.test));

// ---- The server and running `get` --------------------------------------------------------------------------------

/** What the server serves under /<dir>/<file name>. */
const served = new Map<string, Buffer>([
  ['/cifar/cifar-10-binary.tar.gz', cifarTgz],
  ['/cut/cifar-10-binary.tar.gz', cutTgz],
  ['/short/cifar-10-binary.tar.gz', shortTgz],
  ['/emnist/gzip.zip', emnistZip],
  ['/badzip/gzip.zip', badZip],
]);
const requests: string[] = [];
let server: http.Server;
let base = '';

before(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname);
    const corrupt = url.pathname.startsWith('/corrupt/');
    let body = served.get(corrupt ? url.pathname.replace('/corrupt/', '/cifar/') : url.pathname);
    if (!body) return void res.writeHead(404).end();
    if (corrupt) {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0x01;
    }
    res.writeHead(200, { 'Content-Length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server?.close();
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * `get` (the CLI's data get) on a test entry, in a child process (so that its output does not mix with the test
 * runner's): its exit code and what it printed.
 */
function runGet(entry: CatalogEntry, root: string, mirror: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `require(${JSON.stringify(path.join(__dirname, '..', '..', 'src', 'engine', 'dataCommand.js'))}).get(JSON.parse(process.env.ENTRY), process.env.ROOT, process.env.BASE).then((c) => (process.exitCode = c), (e) => { console.error(e); process.exitCode = 99; });`;
  return run(['-e', script], { ENTRY: JSON.stringify(entry), ROOT: root, BASE: mirror });
}

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run([CLI, ...args], env);
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, VAE_LAB_DATA_MIRROR: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// ---- CIFAR-10 ----------------------------------------------------------------------------------------------------

test('the synthetic CIFAR archive is a tar.gz that GNU tar lists with the real member names', (t) => {
  const tarBin = spawnSync('tar', ['--version'], { encoding: 'utf8' });
  if (tarBin.status !== 0) return t.skip('no tar here to cross-check the archive with');
  const dir = tmpDir('cifar-tar');
  const file = path.join(dir, 'cifar-10-binary.tar.gz');
  fs.writeFileSync(file, cifarTgz);
  const r = spawnSync('tar', ['-tzf', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['cifar-10-batches-bin/', 'cifar-10-batches-bin/batches.meta.txt', ...[1, 2, 3, 4, 5].map((i) => `cifar-10-batches-bin/data_batch_${i}.bin`), 'cifar-10-batches-bin/test_batch.bin', 'cifar-10-batches-bin/readme.html']);
});

test('cifar10: data get downloads the archive, verifies its MD5 and extracts the six batches; a second get finds them', async () => {
  const root = tmpDir('cifar');
  // A temporary file left by an extraction that was killed: removed by the next one.
  fs.mkdirSync(path.join(root, 'cifar10'));
  fs.writeFileSync(path.join(root, 'cifar10', '.data_batch_1.bin.12345.tmp'), 'partial');
  const first = requests.length;
  const r = await runGet(CIFAR, root, `${base}/cifar/`);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(requests.slice(first), ['/cifar/cifar-10-binary.tar.gz']);
  assert.match(r.stderr, /cifar10\/cifar-10-binary\.tar\.gz: .* MD5 verified/);
  assert.match(r.stderr, /cifar10: extracted 6 files from cifar-10-binary\.tar\.gz/);
  assert.match(r.stdout, /^cifar10: 10 train \/ 2 test examples in /);
  const dir = path.join(root, 'cifar10');
  // The batches exactly as in the tar, nothing else (no temporary files, old or new; the meta and readme are not needed).
  assert.deepEqual(fs.readdirSync(dir).sort(), ['cifar-10-binary.tar.gz', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'data_batch_2.bin')), cifarBatch(3, 2));
  assert.deepEqual(fs.readFileSync(path.join(dir, 'test_batch.bin')), cifarBatch(10, 2));
  assert.ok(cachedFiles(CIFAR, root).every((f) => f.ok));
  // Again: the extracted files count as cached; nothing is fetched, the archive is not even read.
  fs.rmSync(path.join(dir, 'cifar-10-binary.tar.gz'));
  const again = await runGet(CIFAR, root, `${base}/cifar/`);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(requests.length, first + 1);
  assert.match(again.stderr, /^cifar10: cached, 6 extracted files with the expected sizes in /);
});

test('cifar10: the loader turns the R, G and B planes into HWC [32, 32, 3] bytes, labels and class names', async () => {
  const root = tmpDir('cifar-load');
  assert.equal((await runGet(CIFAR, root, `${base}/cifar/`)).code, 0);
  const { train, test: testSet } = loadCatalogDataset(CIFAR, undefined, root);
  assert.ok(train.x instanceof Uint8Array, 'bytes, not floats');
  assert.deepEqual(train.shape, [32, 32, 3]);
  assert.equal(train.n, 10);
  assert.equal(testSet.n, 2);
  assert.deepEqual(train.classNames, ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
  assert.deepEqual(Array.from(train.labels!), Array.from({ length: 10 }, (_, k) => cifarLabel(k)));
  assert.deepEqual(Array.from(testSet.labels!), [cifarLabel(10), cifarLabel(11)]);
  // Pixel (row 5, column 7) of example 4 (the second record of data_batch_2) and of the second test example.
  const p = 5 * 32 + 7;
  for (const [set, i, k] of [[train, 4, 4], [testSet, 1, 11]] as const) {
    const at = i * 3072 + p * 3;
    assert.deepEqual(Array.from(set.x.subarray(at, at + 3)), [cifarPixel(k, 0, p), cifarPixel(k, 1, p), cifarPixel(k, 2, p)], `example ${k}: R, G, B`);
  }
  // Every byte, against the definition.
  for (let i = 0; i < 10; i++) for (let q = 0; q < 1024; q++) for (let c = 0; c < 3; c++) assert.equal(train.x[i * 3072 + q * 3 + c], cifarPixel(i, c, q));
  // The byte-wise interleave (used on big-endian machines) gives the same bytes as the word-wise one.
  const batch = cifarBatch(0, 2);
  const bytes = new Uint8Array(3072);
  const words = new Uint8Array(3072);
  interleaveBytes(batch, CIFAR_RECORD + 1, bytes, 0);
  interleaveWords(batch, CIFAR_RECORD + 1, new Uint32Array(words.buffer), 0);
  assert.deepEqual(bytes, words);
  assert.deepEqual(bytes, train.x.subarray(3072, 6144));
  // limit: the first examples of the training files, ceil(limit / 4) test examples.
  const few = loadCatalogDataset(CIFAR, 4, root);
  assert.equal(few.train.n, 4);
  assert.equal(few.test.n, 1);
  assert.deepEqual(few.train.x, train.x.subarray(0, 4 * 3072));
});

test('cifar10: a corrupted archive byte is refused by its MD5, the file named and deleted, nothing extracted', async () => {
  const root = tmpDir('cifar-corrupt');
  const r = await runGet(CIFAR, root, `${base}/corrupt/`);
  assert.equal(r.code, 1);
  const flipped = Buffer.from(cifarTgz);
  flipped[flipped.length >> 1] ^= 0x01;
  assert.equal(r.stderr.trim().split('\n').pop(), `vae-lab: cifar-10-binary.tar.gz: MD5 is ${md5(flipped)}, the published digest is ${CIFAR.files[0].md5}; the file was deleted, run the command again`);
  assert.deepEqual(fs.readdirSync(path.join(root, 'cifar10')), []);
});

test('cifar10: an archive cut inside a member, or with a member shorter than the catalog says, is refused; nothing is left', async () => {
  for (const [mode, entry, expected] of [
    ['cut', CUT, /: is truncated: member cifar-10-batches-bin\/test_batch\.bin has \d+ of its 6146 bytes\. Delete it and run vae-lab data get cifar10 again\.$/],
    ['short', SHORT, /: member cifar-10-batches-bin\/data_batch_2\.bin is 3073 bytes, expected 6146 \(2 examples\): the archive is not the published one\. Delete it and run vae-lab data get cifar10 again\.$/],
  ] as const) {
    const root = tmpDir(`cifar-${mode}`);
    const r = await runGet(entry, root, `${base}/${mode}/`);
    assert.equal(r.code, 1, mode);
    const last = r.stderr.trim().split('\n').pop()!;
    assert.ok(last.startsWith(`vae-lab: ${path.join(root, 'cifar10', 'cifar-10-binary.tar.gz')}: `), last);
    assert.match(last, expected);
    // The verified archive stays; no batch was renamed into place, no temporary file is left.
    assert.deepEqual(fs.readdirSync(path.join(root, 'cifar10')), ['cifar-10-binary.tar.gz'], mode);
  }
});

test('cifar10: a missing or damaged extracted file stops loading in one line naming it and saying what to do', async () => {
  const root = tmpDir('cifar-damaged');
  assert.throws(
    () => loadCatalogDataset(CIFAR, undefined, root),
    (err: unknown) => err instanceof DataError && err.message === `cifar10 is not downloaded: run vae-lab data get cifar10 (or put cifar-10-binary.tar.gz (from https://www.cs.toronto.edu/~kriz/) in ${path.join(root, 'cifar10')} and run vae-lab data get cifar10: it verifies and extracts it without downloading).`,
  );
  assert.equal((await runGet(CIFAR, root, `${base}/cifar/`)).code, 0);
  const batch = path.join(root, 'cifar10', 'data_batch_3.bin');
  fs.truncateSync(batch, 5000);
  assert.throws(() => loadCatalogDataset(CIFAR, undefined, root), (err: unknown) => err instanceof DataError && err.message === `${batch}: is 5000 bytes, expected 6146: delete it and run vae-lab data get cifar10.`);
  assert.ok(!cachedFiles(CIFAR, root).every((f) => f.ok));
  // A bad label byte (the file replaced by something else of the same size).
  const good = fs.readFileSync(path.join(root, 'cifar10', 'data_batch_1.bin'));
  fs.writeFileSync(batch, Buffer.concat([Buffer.from([12]), good.subarray(1, 6146)]));
  assert.throws(() => loadCatalogDataset(CIFAR, undefined, root), (err: unknown) => err instanceof DataError && err.message.startsWith(`${batch}: record 0 has label 12; CIFAR-10 labels are 0..9`));
});

// ---- EMNIST ------------------------------------------------------------------------------------------------------

test('the synthetic EMNIST zip passes Info-ZIP unzip -t (CRCs, deflated and stored members)', (t) => {
  if (spawnSync('unzip', ['-v'], { encoding: 'utf8' }).status !== 0) return t.skip('no unzip here to cross-check the archive with');
  const file = path.join(tmpDir('emnist-zip'), 'gzip.zip');
  fs.writeFileSync(file, emnistZip);
  const r = spawnSync('unzip', ['-t', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /testing: gzip\/emnist-letters-train-images-idx3-ubyte\.gz +OK/);
  assert.match(r.stdout, /No errors detected/);
});

test('emnist: both splits come from one download of gzip.zip, kept in <root>/emnist; members are gunzipped into each folder', async () => {
  const root = tmpDir('emnist');
  const first = requests.length;
  const a = await runGet(BALANCED, root, `${base}/emnist/`);
  assert.equal(a.code, 0, a.stderr);
  const b = await runGet(LETTERS, root, `${base}/emnist/`);
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual(requests.slice(first), ['/emnist/gzip.zip'], 'downloaded once');
  assert.match(b.stderr, /emnist-letters\/gzip\.zip: cached, MD5 verified/);
  assert.deepEqual(fs.readdirSync(path.join(root, 'emnist')), ['gzip.zip']);
  for (const [split, n] of [['balanced', EM.balanced], ['letters', EM.letters]] as const) {
    const dir = path.join(root, `emnist-${split}`);
    assert.deepEqual(fs.readdirSync(dir).sort(), [`emnist-${split}-test-images-idx3-ubyte`, `emnist-${split}-test-labels-idx1-ubyte`, `emnist-${split}-train-images-idx3-ubyte`, `emnist-${split}-train-labels-idx1-ubyte`]);
    assert.deepEqual(fs.readFileSync(path.join(dir, `emnist-${split}-test-images-idx3-ubyte`)), emnistImages(n.test), 'the IDX file as NIST made it, gunzipped');
  }
});

test('emnist: images are transposed upright, letters 1..26 become 0..25, the balanced split has 47 classes', async () => {
  const root = tmpDir('emnist-load');
  assert.equal((await runGet(BALANCED, root, `${base}/emnist/`)).code, 0);
  assert.equal((await runGet(LETTERS, root, `${base}/emnist/`)).code, 0);
  const bal = loadCatalogDataset(BALANCED, undefined, root);
  const let_ = loadCatalogDataset(LETTERS, undefined, root);
  assert.deepEqual([bal.train.n, bal.test.n, let_.train.n, let_.test.n], [50, 12, 52, 13]);
  assert.deepEqual(bal.train.shape, [28, 28, 1]);
  assert.ok(bal.train.x instanceof Uint8Array);
  for (const set of [bal.train, let_.test]) {
    for (let i = 0; i < set.n; i++) for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) assert.equal(set.x[i * 784 + r * 28 + c], emnistPixel(i, r, c), `image ${i} (${r}, ${c})`);
  }
  assert.deepEqual(Array.from(let_.train.labels!), Array.from({ length: 52 }, (_, i) => lettersLabel(i) - 1));
  assert.equal(let_.train.classNames![let_.train.labels![0]], 'a');
  assert.equal(let_.train.classNames!.length, 26);
  assert.deepEqual(Array.from(bal.train.labels!), Array.from({ length: 50 }, (_, i) => balancedLabel(i)));
  assert.equal(bal.train.classNames!.length, 47);
  assert.deepEqual(bal.train.classNames!.slice(34, 47), ['Y', 'Z', 'a', 'b', 'd', 'e', 'f', 'g', 'h', 'n', 'q', 'r', 't']);
});

test('emnist: a zip member whose bytes do not match its CRC-32 is refused in one line naming the archive and member', async () => {
  const root = tmpDir('emnist-crc');
  const r = await runGet(BAD_LETTERS, root, `${base}/badzip/`);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').pop(), `vae-lab: ${path.join(root, 'emnist', 'gzip.zip')}: member gzip/emnist-letters-train-images-idx3-ubyte.gz is corrupt (its size or CRC-32 does not match the directory). Delete it and run vae-lab data get emnist-letters again.`);
  assert.deepEqual(fs.readdirSync(path.join(root, 'emnist-letters')), []);
});

// ---- The real catalog and training from the cache ----------------------------------------------------------------

test('data list names the three new sets; a source that is not downloaded says how to get it', async () => {
  const root = tmpDir('list');
  const r = await cli(['data', 'list', '--json'], { VAE_LAB_DATA_DIR: root });
  assert.equal(r.code, 0, r.stderr);
  const rows = (JSON.parse(r.stdout) as { datasets: { name: string; cached: boolean; train: number; test: number; shape: number[] }[] }).datasets;
  assert.deepEqual(rows.slice(3).map((d) => [d.name, d.cached, d.train, d.test, d.shape]), [
    ['cifar10', false, 50000, 10000, [32, 32, 3]],
    ['emnist-balanced', false, 112800, 18800, [28, 28, 1]],
    ['emnist-letters', false, 124800, 20800, [28, 28, 1]],
  ]);
  const file = writeJson(path.join(root, 'x', 'c.vae.json'), { name: 'c', data: { source: 'emnist-letters', options: { limit: 100 } }, model: { kind: 'vae', latentDim: 2 } });
  const t = await cli(['train', file, '--backend', 'wasm', '--out', path.join(root, 'runs')], { VAE_LAB_DATA_DIR: root });
  assert.equal(t.code, 2, t.stderr);
  assert.equal(t.stderr.trim(), `vae-lab: emnist-letters is not downloaded: run vae-lab data get emnist-letters (or put gzip.zip (from https://biometrics.nist.gov/cs_links/EMNIST/) in ${path.join(root, 'emnist')} and run vae-lab data get emnist-letters: it verifies and extracts it without downloading).`);
});

/** A full-size CIFAR archive (50,000 + 10,000 records, compressible patterns): what the real entry's members need. */
function fullCifarTgz(): Buffer {
  const files: [string, Buffer][] = [];
  for (let i = 0; i < 5; i++) files.push([`data_batch_${i + 1}.bin`, cifarBatch(i * 10000, 10000)]);
  files.push(['test_batch.bin', cifarBatch(50000, 10000)]);
  return gz(tar('cifar-10-batches-bin', files));
}

test('the cifar10 example trains one epoch via the CLI from an extracted cache (50,000 + 10,000 records) and writes RGB image grids', async (t) => {
  const root = tmpDir('cifar-train');
  const t0 = Date.now();
  const full = fullCifarTgz();
  served.set('/full/cifar-10-binary.tar.gz', full);
  // The real entry (same members and counts) with the synthetic archive's digest.
  const entry: CatalogEntry = { ...REAL_CIFAR, files: [{ ...REAL_CIFAR.files[0], md5: md5(full), bytes: full.length }] };
  const r = await runGet(entry, root, `${base}/full/`);
  assert.equal(r.code, 0, r.stderr);
  t.diagnostic(`full-size synthetic archive (${(full.length / 1e6).toFixed(1)} MB gzipped) built, downloaded and extracted in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.ok(cachedFiles(REAL_CIFAR, root).every((f) => f.ok), 'the real catalog entry sees the cache');
  const t1 = Date.now();
  const all = loadCatalogDataset('cifar10', undefined, root);
  t.diagnostic(`loading all 60,000 cached CIFAR examples took ${((Date.now() - t1) / 1000).toFixed(2)} s`);
  assert.equal(all.train.n, 50000);
  assert.equal(all.train.x[49999 * 3072 + 3 * 100 + 2], cifarPixel(49999, 2, 100));
  const doc = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'cifar10-conv-vae.vae.json'), 'utf8'));
  delete doc.$schema;
  doc.data.options = { limit: 256 };
  doc.model.latentDim = 8;
  doc.model.encoder = { ...doc.model.encoder, filters: [8, 16], hidden: [32] };
  doc.training = { ...doc.training, epochs: 1, batchSize: 64 };
  doc.logging = { ...(doc.logging ?? {}), metricsEvery: 1 };
  const file = writeJson(path.join(root, 'exp', 'cifar10-conv-vae.vae.json'), doc);
  const run = await cli(['train', file, '--backend', 'wasm', '--out', path.join(root, 'runs')], { VAE_LAB_DATA_DIR: root });
  assert.equal(run.code, 0, run.stderr);
  const runDir = run.stdout.trim().split('\n').pop()!;
  const rec = readRunRecord(runDir);
  assert.equal(rec.status, 'completed');
  assert.deepEqual(rec.data?.exampleShape, [32, 32, 3]);
  assert.equal((rec.data?.train ?? 0) + (rec.data?.validation ?? 0), 256);
  assert.equal(rec.data?.test, 64);
  assert.equal(rec.data?.numClasses, 10);
  assert.match(run.stderr, /Data: \d+ train \/ \d+ validation \/ 64 test examples of shape \[32, 32, 3\]/);
  const images = fs.readdirSync(path.join(runDir, 'images')).filter((f) => f.endsWith('.png'));
  assert.ok(images.some((f) => f.startsWith('reconstructions-')) && images.some((f) => f.startsWith('samples-')), images.join(', '));
  for (const f of images.filter((n) => /^(reconstructions|samples)-/.test(n))) {
    const png = fs.readFileSync(path.join(runDir, 'images', f));
    // IHDR colour type (byte 25): 2 = RGB, 6 = RGBA; 0 would be a greyscale grid.
    assert.ok(png[25] === 2 || png[25] === 6, `${f}: PNG colour type ${png[25]}`);
  }
});

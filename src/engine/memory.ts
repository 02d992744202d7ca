// Refusing runs that cannot fit in memory, before anything large is allocated, with an estimate of what they need.
//
// Data lives in JavaScript typed arrays (bytes for 8-bit sources, float32 otherwise): bounded by the machine's memory. The model,
// its gradients, the optimizer's state and a batch's activations live in the backend's memory; for the wasm backend
// that is one 32-bit WebAssembly memory of at most 4 GiB. The estimates are rough (within a factor of about 2) but
// a run refused by them would not have fit.
import * as fs from 'fs';
import * as os from 'os';
import * as zlib from 'zlib';
import { VARIATIONAL_KINDS } from '../core/config';
import type { ExperimentConfig } from '../core/config';
import { catalogEntry } from './data/catalog';
import { DataError } from './data/dataset';

const GiB = 1024 ** 3;
/** Share of the machine's memory a run's data may take. */
export const DATA_MEMORY_SHARE = 0.6;
/** What the wasm backend can address (a 32-bit WebAssembly memory), minus room for the runtime. */
export const WASM_MEMORY_BYTES = 4 * GiB - 256 * 1024 ** 2;

/** The machine's memory; VAE_LAB_TOTAL_MEMORY (bytes) pretends another size, for tests of the refusal. */
export function machineMemory(): number {
  const env = Number(process.env.VAE_LAB_TOTAL_MEMORY);
  return Number.isFinite(env) && env > 0 ? env : os.totalmem();
}

const fmt = (bytes: number) => (bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.max(1, Math.round(bytes / 1024 ** 2))} MiB`);

/**
 * The first bytes of a data file, decompressed when it is gzipped (only as far as those bytes go), for its header.
 * Undefined when the file cannot be read: the loader then says what is wrong.
 */
function fileHead(file: string, bytes = 1 << 16): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(bytes);
    const head = buf.subarray(0, fs.readSync(fd, buf, 0, bytes, 0));
    if (head[0] === 0x1f && head[1] === 0x8b) return zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return head;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Values and bytes per value in memory of an IDX or NPY file, from its header (8-bit data stays 1 byte a value). */
function arrayFromHeader(source: 'idx' | 'npy', head: Buffer): { values: number; bytesPerValue: number } | undefined {
  if (source === 'idx') {
    if (head.length < 4 || head[0] !== 0 || head[1] !== 0 || head.length < 4 + 4 * head[3]) return undefined;
    let values = 1;
    for (let i = 0; i < head[3]; i++) values *= head.readUInt32BE(4 + 4 * i);
    return { values, bytesPerValue: head[2] === 0x08 ? 1 : 4 };
  }
  const text = head.toString('latin1', 0, Math.min(head.length, 4096));
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(text)?.[1];
  if (shape === undefined || !descr) return undefined;
  const values = shape.split(',').map((v) => v.trim()).filter(Boolean).reduce((a, v) => a * Number(v), 1);
  return Number.isFinite(values) ? { values, bytesPerValue: descr === '|u1' ? 1 : 4 } : undefined;
}

/**
 * Bytes a generated source or a data file will take in memory, when it can be told before loading: 8-bit sources
 * (IDX / NPY uint8, PNG, the catalog sets) 1 byte a value, the others float32.
 */
export function estimateDataBytes(config: ExperimentConfig, dataPath?: string): { bytes: number; what: string } | undefined {
  const d = config.data;
  const o = d.options;
  if (d.source === 'shapes') return { bytes: o.count! * o.imageSize! * o.imageSize! * 4, what: `/data/options/count: ${o.count!.toLocaleString('en-US')} images of ${o.imageSize} x ${o.imageSize}` };
  if (d.source === 'toy2d') return { bytes: o.count! * 2 * 4, what: `/data/options/count: ${o.count!.toLocaleString('en-US')} points` };
  const entry = catalogEntry(d.source);
  if (entry) {
    const n = o.limit ? Math.min(o.limit, entry.train) + Math.min(Math.ceil(o.limit / 4), entry.test) : entry.train + entry.test;
    return { bytes: n * entry.shape.reduce((a, b) => a * b, 1), what: `${d.source} (${n.toLocaleString('en-US')} examples of ${entry.shape.join(' x ')} bytes)` };
  }
  const stat = dataPath ? fs.statSync(dataPath, { throwIfNoEntry: false }) : undefined;
  if (d.source === 'png-dir' && dataPath && stat?.isDirectory()) {
    const pngs = (dir: string): number => fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? pngs(`${dir}/${e.name}`) : e.name.toLowerCase().endsWith('.png') ? 1 : 0), 0);
    const count = pngs(dataPath);
    return { bytes: count * o.imageSize! * o.imageSize! * o.channels!, what: `${dataPath} (${count.toLocaleString('en-US')} images of ${o.imageSize} x ${o.imageSize} x ${o.channels})` };
  }
  if (!dataPath || !stat?.isFile()) return undefined; // missing files and folders: the loader says what is wrong
  const size = stat.size;
  const what = `${dataPath} (${fmt(size)} on disk)`;
  if (d.source === 'idx' || d.source === 'npy') {
    const head = fileHead(dataPath);
    const arr = head && arrayFromHeader(d.source, head);
    // A custom scale turns even bytes into float32.
    if (arr) return { bytes: arr.values * (o.scale !== undefined && o.scale !== 255 ? 4 : arr.bytesPerValue), what };
  }
  // A CSV value takes at least 2 bytes of text ("0,"); an unreadable header: assume float32 of the bytes.
  return { bytes: size * (d.source === 'csv' ? 2 : 4), what };
}

/** Refuse a data set larger than DATA_MEMORY_SHARE of this machine's memory (before loading it). */
export function checkDataMemory(config: ExperimentConfig, dataPath?: string, totalMemory = machineMemory()): void {
  const e = estimateDataBytes(config, dataPath);
  if (!e) return;
  const allowed = totalMemory * DATA_MEMORY_SHARE;
  if (e.bytes > allowed) {
    throw new DataError(e.what, `is too large for this machine: in memory it needs about ${fmt(e.bytes)}, and VAE Lab allows a run's data ${Math.round(DATA_MEMORY_SHARE * 100)} % of the ${fmt(totalMemory)} of memory (${fmt(allowed)}). Use /data/options/limit, fewer or smaller examples, or a larger machine.`);
  }
}

/** Parameters of the model the config describes (dense and conv layers, both networks, the heads). */
export function estimateParameters(config: ExperimentConfig, exampleShape: number[], numClasses: number): number {
  const m = config.model;
  const dim = exampleShape.reduce((a, b) => a * b, 1);
  const conditional = m.kind === 'cvae' ? numClasses : 0;
  const mlp = (sizes: number[]) => sizes.slice(1).reduce((n, out, i) => n + sizes[i] * out + out, 0);
  const convParams = (filters: number[], k: number, channels: number) => filters.reduce((n, f, i) => n + k * k * (i === 0 ? channels : filters[i - 1]) * f + f, 0);
  let n = 0;
  for (const [net, isEncoder] of [[m.encoder, true], [m.decoder, false]] as const) {
    let width = dim;
    if (net.type === 'conv') {
      const channels = exampleShape[2] ?? 1;
      n += convParams(net.filters, net.kernelSize, channels);
      const spatial = exampleShape.slice(0, 2).map((s) => Math.ceil(s / Math.pow(net.stride, net.filters.length)));
      width = spatial[0] * spatial[1] * net.filters[net.filters.length - 1];
    }
    const hidden = isEncoder ? net.hidden : net.hidden.slice().reverse();
    const sizes = isEncoder ? [width + conditional, ...hidden] : [m.latentDim + conditional, ...hidden, width];
    n += mlp(sizes);
    if (isEncoder) {
      const outputs = encoderOutputs(config);
      n += (hidden[hidden.length - 1] ?? width) * outputs + outputs;
    }
  }
  return n + kindParameters(config, dim);
}

/** Numbers the encoder's heads output: the code, a Gaussian's mean and log-variance, a flow's parameters. */
function encoderOutputs(c: ExperimentConfig): number {
  const { kind, latentDim: d } = c.model;
  if (kind === 'gumbel-vae') return d;
  if (kind === 'flow-vae') return 2 * d + c.objective.flow!.length * (2 * d + 1);
  return VARIATIONAL_KINDS.includes(kind) ? 2 * d : d;
}

/** Parameters a kind has beside its encoder and decoder: pseudo-inputs, a codebook, the upper layer's networks. */
function kindParameters(c: ExperimentConfig, dataDim: number): number {
  const { kind, latentDim: d } = c.model;
  const o = c.objective;
  if (kind === 'vamp-vae') return o.vamp!.components * dataDim;
  if (kind === 'vq-vae') return o.vq!.codebookSize * o.vq!.embeddingDim;
  if (kind === 'hvae') {
    const mlp = (from: number, to: number) => [from, ...o.hvae!.hidden].reduce((n, v, i, a) => (i === 0 ? 0 : n + a[i - 1] * v + v), 0) + 2 * (((o.hvae!.hidden.at(-1) ?? from) * to) + to);
    return mlp(d, o.hvae!.topDim) + mlp(o.hvae!.topDim, d);
  }
  return 0;
}

/**
 * Refuse a model whose parameters, gradients, optimizer state and one batch's activations would not fit in the
 * backend's memory. Called once the data's shape is known, before the model is built.
 */
export function checkModelMemory(config: ExperimentConfig, exampleShape: number[], numClasses: number, backend: string): void {
  const params = estimateParameters(config, exampleShape, numClasses);
  const dim = exampleShape.reduce((a, b) => a * b, 1);
  const m = config.model;
  const widths = [...m.encoder.hidden, ...m.decoder.hidden, dim, m.latentDim * 2];
  const samples = Math.max(config.objective.samples ?? 1, config.objective.importanceSamples ?? 1);
  const batch = config.training.batchSize * samples;
  // Weights, gradients, two Adam moments, the update's new values: 5 copies; activations kept for backprop: 4x.
  const modelBytes = params * 4 * 5;
  const activationBytes = batch * widths.reduce((a, b) => a + b, 0) * 4 * 4;
  const need = modelBytes + activationBytes;
  const limit = backend === 'wasm' ? WASM_MEMORY_BYTES : machineMemory() * 0.8;
  if (need > limit) {
    const where = activationBytes > modelBytes ? '/training/batchSize' : '/model';
    throw new DataError(where, `the model needs about ${fmt(need)} (${params.toLocaleString('en-US')} parameters: ${fmt(modelBytes)} with gradients and optimizer state; one batch of ${batch.toLocaleString('en-US')}: ${fmt(activationBytes)} of activations), more than the ${backend} backend can hold (${fmt(limit)}). Use smaller layers, a smaller latent space or a smaller batch.`);
  }
}

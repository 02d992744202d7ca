// Refusing runs that cannot fit in memory, before anything large is allocated, with an estimate of what they need.
//
// Data lives in JavaScript typed arrays (float32, 4 bytes per value): bounded by the machine's memory. The model,
// its gradients, the optimizer's state and a batch's activations live in the backend's memory; for the wasm backend
// that is one 32-bit WebAssembly memory of at most 4 GiB. The estimates are rough (within a factor of about 2) but
// a run refused by them would not have fit.
import * as fs from 'fs';
import * as os from 'os';
import type { ExperimentConfig } from '../core/config';
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

/** Bytes of float32 data a generated source or a data file will become, when it can be told before loading. */
export function estimateDataBytes(config: ExperimentConfig, dataPath?: string): { bytes: number; what: string } | undefined {
  const d = config.data;
  const o = d.options;
  if (d.source === 'shapes') return { bytes: o.count! * o.imageSize! * o.imageSize! * 4, what: `/data/options/count: ${o.count!.toLocaleString('en-US')} images of ${o.imageSize} x ${o.imageSize}` };
  if (d.source === 'toy2d') return { bytes: o.count! * 2 * 4, what: `/data/options/count: ${o.count!.toLocaleString('en-US')} points` };
  const stat = dataPath ? fs.statSync(dataPath, { throwIfNoEntry: false }) : undefined;
  if (!dataPath || !stat?.isFile()) return undefined; // missing files and folders: the loader says what is wrong
  const size = stat.size;
  // uint8 IDX/NPY become 4 bytes per value; a CSV value takes at least 2 bytes of text ("0,"); gzip may hide more.
  const factor = d.source === 'csv' ? 2 : dataPath.endsWith('.gz') ? 4 * 8 : d.source === 'idx' ? 4 : 1;
  return { bytes: size * factor, what: `${dataPath} (${fmt(size)} on disk)` };
}

/** Refuse a data set larger than DATA_MEMORY_SHARE of this machine's memory (before loading it). */
export function checkDataMemory(config: ExperimentConfig, dataPath?: string, totalMemory = machineMemory()): void {
  const e = estimateDataBytes(config, dataPath);
  if (!e) return;
  const allowed = totalMemory * DATA_MEMORY_SHARE;
  if (e.bytes > allowed) {
    throw new DataError(e.what, `is too large for this machine: as float32 data it needs about ${fmt(e.bytes)}, and VAE Lab allows a run's data ${Math.round(DATA_MEMORY_SHARE * 100)} % of the ${fmt(totalMemory)} of memory (${fmt(allowed)}). Use /data/options/limit, fewer or smaller examples, or a larger machine.`);
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
    const heads = isEncoder ? (m.kind === 'vae' || m.kind === 'beta-vae' || m.kind === 'cvae' || m.kind === 'iwae' ? 2 : 1) : 1;
    const hidden = isEncoder ? net.hidden : net.hidden.slice().reverse();
    const sizes = isEncoder ? [width + conditional, ...hidden] : [m.latentDim + conditional, ...hidden, width];
    n += mlp(sizes);
    if (isEncoder) n += heads * ((hidden[hidden.length - 1] ?? width) * m.latentDim + m.latentDim);
  }
  return n;
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

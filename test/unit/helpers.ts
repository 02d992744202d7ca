// Shared test helpers. Tests run on the real wasm backend with real data.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/engine/backends/index';
import type { BackendChoice } from '../../src/core/config';
import type { EngineEvent } from '../../src/core/protocol';
import { readMetrics } from '../../src/core/runFolder';
import { startRun, type EngineHooks } from '../../src/engine/trainer';
import { catalogEntry, dataRoot, isCatalogSource } from '../../src/engine/data/catalog';
import { cachedFiles } from '../../src/engine/data/datasets';

/** The repository root (tests are compiled to out/test/unit/). */
export const REPO = path.resolve(__dirname, '..', '..', '..');

export async function useWasm(): Promise<void> {
  const info = await initBackend('wasm');
  if (info.name !== 'wasm') throw new Error(`expected the wasm backend, got ${info.name}`);
}

/** `s` as a regular expression that matches it literally (for paths inside expected messages). */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `vae-lab-${prefix}-`));
}

export function writeJson(file: string, value: unknown): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

/** Hooks that collect events and, with cancelAtStep, ask to stop once a step event at or past that step arrived. */
export function collectingHooks(cancelAtStep?: number): EngineHooks & { events: EngineEvent[] } {
  const events: EngineEvent[] = [];
  let lastStep = 0;
  return {
    events,
    emit: (e) => {
      events.push(e);
      if (e.type === 'step') lastStep = e.step;
    },
    cancelReason: () => (cancelAtStep !== undefined && lastStep >= cancelAtStep ? 'test cancel' : undefined),
  };
}

type StepEvent = Extract<EngineEvent, { type: 'step' }>;
type EpochEvent = Extract<EngineEvent, { type: 'epoch' }>;

/** Train an experiment file on a backend (runs next to the file), optionally cancelling at a step. */
export async function trainOn(file: string, backend: BackendChoice, overrides: string[] = [], cancelAtStep?: number) {
  const hooks = collectingHooks(cancelAtStep);
  const out = await startRun({ experimentFile: file, runsRoot: path.join(path.dirname(file), 'runs'), backend, overrides }, hooks);
  return { out, steps: hooks.events.filter((e): e is StepEvent => e.type === 'step'), epochs: hooks.events.filter((e): e is EpochEvent => e.type === 'epoch') };
}

/** The metrics a run folder's metrics.jsonl holds, without wall-clock fields (for comparing runs). */
export function runMetrics(runDir: string): unknown[] {
  return readMetrics(runDir)
    .filter((e) => e.type === 'step' || e.type === 'epoch')
    .map((e) => (e.type === 'step' ? { step: e.step, metrics: e.metrics } : e.type === 'epoch' ? { epoch: e.epoch, train: e.train, validation: e.validation } : e));
}

/** A small experiment whose run is cancelled and resumed (dynamic binarisation, 2 samples, a KL warm-up: every source of randomness). */
export function resumableExperiment(dir: string): string {
  return writeJson(path.join(dir, 'resumable.vae.json'), {
    name: 'resumable',
    data: { source: 'mnist', options: { limit: 600 }, binarize: 'dynamic' },
    model: { latentDim: 8, encoder: { hidden: [64] } },
    objective: { samples: 2, klSchedule: { type: 'linear', warmupSteps: 10 } },
    training: { epochs: 2, batchSize: 64, seed: 5 },
    logging: { metricsEvery: 2 },
  });
}

/**
 * For tests that train every example: the data options to use for an example whose source is a catalog data set
 * (`limit`), or why it is skipped (one line) when that data set is not in the data folder ($VAE_LAB_DATA_DIR).
 */
export function catalogExample(source: string, limit: number): { options: { limit: number } } | { skip: string } | undefined {
  const entry = isCatalogSource(source) ? catalogEntry(source) : undefined;
  if (!entry) return undefined;
  if (cachedFiles(entry).every((f) => f.ok)) return { options: { limit } };
  return { skip: `${source} is not in the data folder ${dataRoot()} (vae-lab data get ${source})` };
}

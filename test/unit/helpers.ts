// Shared test helpers. Tests run on the real wasm backend with real data.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/engine/backends/index';
import type { EngineEvent } from '../../src/core/protocol';
import type { EngineHooks } from '../../src/engine/trainer';

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

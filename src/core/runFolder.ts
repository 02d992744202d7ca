// The run-folder format. A run lives in <runs root>/<experiment name>/<run id>/:
//   run.json          RunRecord (effective config, status, backend, timings, final metrics), rewritten atomically
//   metrics.jsonl     one EngineEvent per line, append-only (a truncated last line is skipped by readers)
//   images/*.png      reconstruction grids and prior samples
//   checkpoints/      latest checkpoint (weights, optimizer state, position, random state)
//   model/            final encoder/ and decoder/ as TF.js layers models, plus model.json metadata
//   eval.json         results of `vae-lab eval`
// Imports neither vscode nor tfjs.
import * as fs from 'fs';
import * as path from 'path';
import type { ExperimentConfig } from './config';
import type { BackendInfo, DataShapes, EngineEvent, EvalSplitMetrics, RunStatus } from './protocol';

export const RUN_FORMAT_VERSION = 1;
export const DEFAULT_RUNS_DIR = '.vae-runs';

export interface RunRecord {
  formatVersion: number;
  runId: string;
  experiment: string;
  /** Absolute path of the experiment file the run was started from. */
  experimentFile: string;
  status: RunStatus;
  statusReason?: string;
  config: ExperimentConfig;
  backend?: BackendInfo;
  data?: DataShapes;
  parameters?: number;
  createdAt: string;
  updatedAt: string;
  endedAt?: string;
  /** Process id of the engine while the run is 'running' (to recognise interrupted runs). */
  pid?: number;
  timings: { totalSeconds: number; epochSeconds: number[]; examplesPerSecond?: number };
  progress: { epoch: number; step: number; totalSteps: number };
  lastCheckpoint?: { epoch: number; step: number; path: string };
  finalMetrics?: EvalSplitMetrics;
  error?: string;
  /** Set when the run is a child of a sweep (see sweep.ts). */
  sweep?: RunSweepInfo;
}

export interface RunSweepInfo {
  id: string;
  index: number;
  /** The sweep folder (absolute). */
  dir: string;
  params: Record<string, unknown>;
  seed: number;
}

export const runFiles = {
  record: (dir: string) => path.join(dir, 'run.json'),
  metrics: (dir: string) => path.join(dir, 'metrics.jsonl'),
  images: (dir: string) => path.join(dir, 'images'),
  checkpoints: (dir: string) => path.join(dir, 'checkpoints'),
  model: (dir: string) => path.join(dir, 'model'),
  evaluation: (dir: string) => path.join(dir, 'eval.json'),
};

let tmpCounter = 0;

/** Write a file atomically: write a temporary file next to it, flush it, then rename it over the target. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* the original error matters more */
    }
    throw err;
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Create `dir` with its first files in one step: `fill` writes them into a hidden sibling folder, which is then renamed
 * to `dir`. A kill at any moment leaves no folder or a complete one, never a folder without its record file; a hidden
 * leftover of a killed process is removed by the next creation in the same parent. Returns the first folder created
 * above `dir` (as fs.mkdirSync's recursive form does), so that a caller can undo the whole creation.
 */
export function createFolderAtomic(dir: string, fill: (staging: string) => void): string {
  const parent = path.dirname(dir);
  const created = fs.mkdirSync(parent, { recursive: true });
  removeStaleStaging(parent);
  const staging = path.join(parent, `.${path.basename(dir)}.${process.pid}.new`);
  fs.mkdirSync(staging);
  try {
    fill(staging);
    fs.renameSync(staging, dir);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return created ?? dir;
}

const STAGING = /^\..+\.(\d+)\.new$/;

function removeStaleStaging(parent: string): void {
  for (const name of fs.readdirSync(parent)) {
    const m = STAGING.exec(name);
    if (m && !processAlive(Number(m[1]))) fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

/** A run id that sorts by creation time: 20261121-093012-4f2a. */
export function newRunId(now = new Date(), rand = Math.random): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  const suffix = Math.floor(rand() * 0x10000).toString(16).padStart(4, '0');
  return `${stamp}-${suffix}`;
}

/** Read the record file of a folder (run.json, sweep.json): a missing or broken file is a one-line error naming it. */
export function readFolderRecord<T>(file: string, folderKind: string): T {
  const name = path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file}: not a VAE Lab ${folderKind} folder (${name} is missing).`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${file}: ${name} is not valid JSON.`);
  }
}

export function readRunRecord(dir: string): RunRecord {
  return readFolderRecord<RunRecord>(runFiles.record(dir), 'run');
}

/**
 * Read metrics.jsonl. Lines that do not parse are skipped: the only one a crash can leave is a truncated last line.
 */
export function readMetrics(dir: string): EngineEvent[] {
  let text: string;
  try {
    text = fs.readFileSync(runFiles.metrics(dir), 'utf8');
  } catch {
    return [];
  }
  return parseMetricsText(text);
}

export function parseMetricsText(text: string): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as EngineEvent);
    } catch {
      /* truncated line */
    }
  }
  return out;
}

/**
 * A run whose record says 'running' but whose engine process is gone was interrupted (crash, kill, window reload).
 */
export function effectiveStatus(record: RunRecord, isAlive: (pid: number) => boolean = processAlive): RunStatus {
  if (record.status === 'running' && (record.pid === undefined || !isAlive(record.pid))) return 'interrupted';
  return record.status;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The folders in `dir` that hold a record file (run.json, sweep.json), sorted by name: ids sort by creation time. */
export function listRecordFolders(dir: string, recordOf: (folder: string) => string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.startsWith('.') && fs.existsSync(recordOf(path.join(dir, n)))) // hidden: a folder being created
    .sort()
    .map((n) => path.join(dir, n));
}

/** All run folders of an experiment, oldest first. */
export function listRuns(runsRoot: string, experiment: string): string[] {
  return listRecordFolders(path.join(runsRoot, experiment), runFiles.record);
}

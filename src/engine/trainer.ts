// The trainer: seeded shuffling, mini-batches, validation every epoch, images, checkpoints, resume, cancel.
// Everything it does is reported as EngineEvents, appended to the run's metrics.jsonl and passed to `emit`.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { BackendChoice, ExperimentConfig } from '../core/config';
import { ConfigError, formatIssue, resolveExperiment } from '../core/config';
import type { BackendInfo, EngineEvent, EpochExact, EvalSplitMetrics, RunStatus, TermMetrics } from '../core/protocol';
import { createFolderAtomic, newRunId, parseMetricsText, readRunRecord, RunRecord, runFiles, writeFileAtomic, writeJsonAtomic } from '../core/runFolder';
import { initBackend } from './backends/index';
import { BYTE_VALUES, copyRows, Dataset, ExampleValues, exampleSize, floatRows, loadData, numClasses, SplitData, subset, range } from './data';
import { batchLabels, batchTensor, evaluateSplit, exactForExample, MetricSums, SumsSnapshot } from './evaluate';
import { loadExperimentFile } from './experiment';
import { imageGrid, scatterPlot } from './images';
import { readCheckpointFile, saveLayersModel, writeCheckpointFile } from './modelIO';
import { AutoencoderModel, createModel, OptimizerGroup } from './models';
import { EXTRA_IMAGE_EXAMPLES, readAfterTidy } from './models/base';
import { isPlainVae } from './models/vae';
import type { ExactExample } from './objectives/exact';
import { checkModelMemory } from './memory';
import { profiledStep, profileFromEnvironment } from './profiler';
import { mixSeed, permutation, Rng, Stream } from './rng';
import { klScheduleWeight, learningRateAt } from './schedules';

export interface EngineHooks {
  emit(e: EngineEvent): void;
  /** A reason once the run should stop (cancel message, SIGTERM), else undefined. Checked after every step. */
  cancelReason(): string | undefined;
}

export interface TrainRequest {
  experimentFile: string;
  runsRoot: string;
  overrides?: string[];
  epochs?: number;
  backend?: BackendChoice;
}

export interface RunOutcome {
  status: RunStatus;
  runDir: string;
  record: RunRecord;
}

const CHECKPOINT_FILE = 'latest.ckpt';

interface CheckpointHeader {
  formatVersion: 1;
  epoch: number;
  stepInEpoch: number;
  step: number;
  /** Per optimizer (in the model's order): its kind, update count and how many variables it has slots for. */
  optimizers: { name: string; type: string; t: number; variables: number; slotsPerVariable: number }[];
  /** All randomness is derived from this seed and the position (epoch, step): nothing else to restore. */
  random: { seed: number; scheme: string };
  bestValidationLoss: number | null;
  badEpochs: number;
  epochSeconds: number[];
  trainSeconds: number[];
  elapsedSeconds: number;
  lastValidation?: EvalSplitMetrics;
  variables: number;
  /** Partial sums of the current logging window and epoch, so that a mid-epoch resume reports the same means. */
  sums: { window: SumsSnapshot; epoch: SumsSnapshot };
}

const now = () => new Date().toISOString();

/** A write into the run folder failed (disk full, folder moved, removed or made read-only): the run cannot go on. */
export class RunFolderError extends Error {
  constructor(file: string, cause: unknown, verb = 'write') {
    const e = cause as NodeJS.ErrnoException;
    const reason = `${e?.code ? `${e.code}, ` : ''}${(e?.message ?? String(cause)).replace(/^[A-Z]+: /, '').split(',')[0]}`;
    super(`cannot ${verb} ${file}: ${reason}.${verb === 'write' ? ' The run stopped;' : ''} Check that the runs folder exists and is writable, and that the disk is not full.`);
    this.name = 'RunFolderError';
  }
}

/** Every write into a run folder goes through these two, so that a failure always names the file the same way. */
const writeRunFile = (file: string, data: string | Uint8Array) => folderWrite(file, () => writeFileAtomic(file, data));
const writeRunJson = (file: string, value: unknown) => folderWrite(file, () => writeJsonAtomic(file, value));

/** Run a write into the run folder; a failure becomes a RunFolderError naming the file. */
function folderWrite<T>(file: string, write: () => T, verb = 'write'): T {
  try {
    return write();
  } catch (err) {
    throw err instanceof RunFolderError ? err : new RunFolderError(file, err, verb);
  }
}

/** Start a new run of an experiment file. Configuration and data errors are thrown before a run folder exists. */
export async function startRun(req: TrainRequest, hooks: EngineHooks): Promise<RunOutcome> {
  const config = loadExperimentFile(req.experimentFile, { set: req.overrides, epochs: req.epochs, backend: req.backend });
  delete config.sweep; // a file with a sweep block trains once as written: the run is an ordinary one
  // The data and the run folder first: a bad data file or an unwritable runs folder is reported before a native
  // backend starts (libtensorflow prints its own start-up lines); a backend that cannot start leaves no run folder.
  const data = loadData(config, path.dirname(path.resolve(req.experimentFile)));
  const runId = newRunId();
  const runDir = path.join(path.resolve(req.runsRoot), config.name, runId);
  const t = now();
  const record: RunRecord = {
    formatVersion: 1,
    runId,
    experiment: config.name,
    experimentFile: path.resolve(req.experimentFile),
    status: 'running',
    config,
    createdAt: t,
    updatedAt: t,
    pid: process.pid,
    timings: { totalSeconds: 0, epochSeconds: [] },
    progress: { epoch: 0, step: 0, totalSteps: 0 },
  };
  // The folder appears with its run.json, so that it is a run (interrupted, resumable) whenever the process is killed.
  const created = folderWrite(runDir, () => createFolderAtomic(runDir, (staging) => writeJsonAtomic(runFiles.record(staging), record)), 'create');
  let backend: BackendInfo;
  try {
    backend = await initBackend(config.backend);
  } catch (err) {
    fs.rmSync(created, { recursive: true, force: true });
    throw err;
  }
  record.backend = backend;
  writeRunJson(runFiles.record(runDir), record);
  return new TrainingSession(config, data, backend, runDir, record, hooks).run(false);
}

/** Continue a run from its last checkpoint, in the same folder. */
export async function resumeRun(runDir: string, hooks: EngineHooks, opts: { backend?: BackendChoice } = {}): Promise<RunOutcome> {
  const record = readRunRecord(runDir);
  if (record.status === 'completed') throw new Error(`${runDir}: the run has already completed; nothing to resume.`);
  const config = resolveExperiment(record.config, runFiles.record(runDir));
  // Another backend (the GPU was lost, or tfjs-node was installed meanwhile): the run's config records it.
  if (opts.backend) {
    config.backend = opts.backend;
    record.config.backend = opts.backend;
  }
  let backend: BackendInfo;
  let data: SplitData;
  try {
    backend = await initBackend(config.backend);
    data = loadData(config, path.dirname(record.experimentFile));
  } catch (err) {
    // A sweep's queued child (or a run whose data moved) fails here: its run.json says why, for whoever follows it.
    const message = err instanceof ConfigError ? err.issues.map((i) => formatIssue(i, err.file)).join('; ') : (err as Error).message;
    try {
      writeRunJson(runFiles.record(runDir), { ...record, status: 'failed', statusReason: message, error: message, updatedAt: now(), endedAt: now(), pid: undefined });
    } catch {
      /* the error below says what went wrong first */
    }
    throw err;
  }
  if (record.backend && record.backend.name !== backend.name) {
    hooks.emit({ type: 'log', time: now(), level: 'warn', message: `resuming on backend ${backend.name}, the run started on ${record.backend.name}: metrics may differ slightly from an uninterrupted run.` });
  }
  Object.assign(record, { status: 'running' as RunStatus, statusReason: undefined, error: undefined, endedAt: undefined, pid: process.pid, backend });
  writeRunJson(runFiles.record(runDir), record);
  return new TrainingSession(config, data, backend, runDir, record, hooks).run(true);
}

class TrainingSession {
  private readonly model: AutoencoderModel;
  private readonly vars: tf.Variable[];
  private readonly optimizers: OptimizerGroup[];
  private readonly stepsPerEpoch: number;
  private readonly totalSteps: number;
  private readonly validation: Dataset;
  private epoch = 0;
  private stepInEpoch = 0;
  private step = 0;
  private bestValidationLoss: number | null = null;
  private badEpochs = 0;
  private epochSeconds: number[] = [];
  private trainSeconds: number[] = [];
  private elapsedBefore = 0;
  private lastValidation: EvalSplitMetrics | undefined;
  private readonly started = Date.now();
  private readonly window = new MetricSums();
  private readonly epochSums = new MetricSums();
  private restoredSums: CheckpointHeader['sums'] | undefined;

  constructor(
    private readonly config: ExperimentConfig,
    private readonly data: SplitData,
    private readonly backend: BackendInfo,
    private readonly runDir: string,
    private readonly record: RunRecord,
    private readonly hooks: EngineHooks,
  ) {
    checkModelMemory(config, data.train.shape, numClasses(data.train), backend.name);
    this.model = createModel(config, data.train.shape, numClasses(data.train), data.train.n);
    this.vars = this.model.trainableVariables();
    this.optimizers = this.model.createOptimizers();
    this.stepsPerEpoch = Math.ceil(data.train.n / config.training.batchSize);
    this.totalSteps = this.stepsPerEpoch * config.training.epochs;
    this.validation = config.data.binarize === 'dynamic' ? binarizeOnce(data.validation, mixSeed(config.training.seed, Stream.binarize, -1)) : data.validation;
  }

  /** Append the event to metrics.jsonl, then pass it on; the event is passed on even when the append fails. */
  private emit(e: EngineEvent): void {
    const file = runFiles.metrics(this.runDir);
    let failure: RunFolderError | undefined;
    try {
      fs.appendFileSync(file, JSON.stringify(e) + '\n');
    } catch (err) {
      failure = new RunFolderError(file, err);
    }
    this.hooks.emit(e);
    if (failure) throw failure;
  }

  private saveRecord(patch: Partial<RunRecord>): void {
    Object.assign(this.record, patch, { updatedAt: now() });
    this.record.timings = {
      totalSeconds: this.elapsedBefore + (Date.now() - this.started) / 1000,
      epochSeconds: this.epochSeconds.slice(),
      examplesPerSecond: this.examplesPerSecond(),
    };
    this.record.progress = { epoch: this.epoch, step: this.step, totalSteps: this.totalSteps };
    writeRunJson(runFiles.record(this.runDir), this.record);
  }

  /** Median training throughput over epochs, the first (warm-up) epoch excluded when there are others. */
  private examplesPerSecond(): number | undefined {
    const secs = this.trainSeconds.length > 1 ? this.trainSeconds.slice(1) : this.trainSeconds;
    if (secs.length === 0) return undefined;
    const sorted = secs.slice().sort((a, b) => a - b);
    const mid = sorted[Math.floor(sorted.length / 2)];
    return this.data.train.n / mid;
  }

  async run(resume: boolean): Promise<RunOutcome> {
    const writeProfile = profileFromEnvironment();
    try {
      if (resume) this.restore();
      else writeRunFile(runFiles.metrics(this.runDir), '');
      const data = {
        exampleShape: this.data.train.shape,
        train: this.data.train.n,
        validation: this.data.validation.n,
        test: this.data.test.n,
        hasLabels: !!this.data.train.labels,
        numClasses: numClasses(this.data.train),
      };
      this.saveRecord({ data, parameters: this.model.parameterCount() });
      this.emit({
        type: 'started',
        time: now(),
        runId: this.record.runId,
        runDir: this.runDir,
        resumed: resume,
        step: this.step,
        config: this.config,
        backend: this.backend,
        data,
        parameters: this.model.parameterCount(),
        stepsPerEpoch: this.stepsPerEpoch,
        totalSteps: this.totalSteps,
      });
      return await this.loop();
    } catch (err) {
      const message = (err as Error).message;
      if (process.env.VAE_LAB_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
      // Record the outcome before announcing it: whoever sees the event can rely on run.json. When the run folder
      // itself cannot be written, the event still reaches the CLI or the extension.
      try {
        this.saveRecord({ status: 'failed', error: message, statusReason: message, endedAt: now(), pid: undefined });
      } catch {
        /* the folder is not writable: the 'failed' event below says why */
      }
      try {
        this.emit({ type: 'failed', time: now(), error: message, step: this.step });
      } catch {
        /* passed on to the hooks already */
      }
      throw err;
    } finally {
      this.model.dispose();
      for (const o of this.optimizers) o.optimizer.dispose();
      writeProfile?.();
    }
  }

  private klWeight(step: number): number {
    return this.config.objective.beta * klScheduleWeight(this.config.objective.klSchedule, step, this.totalSteps);
  }

  private lr(): number {
    const t = this.config.training;
    return learningRateAt(t.optimizer.learningRate, t.lrSchedule, this.epoch, this.step, this.totalSteps);
  }

  private async loop(): Promise<RunOutcome> {
    const cfg = this.config;
    const { batchSize, seed, epochs } = cfg.training;
    const train = this.data.train;
    const dim = exampleSize(train.shape);
    const { window, epochSums } = this;
    if (this.restoredSums) {
      window.restore(this.restoredSums.window);
      epochSums.restore(this.restoredSums.epoch);
      this.restoredSums = undefined;
    }
    let windowStart = Date.now();
    let windowExamples = 0;
    let stopReason: string | undefined;
    try {
      while (this.epoch < epochs) {
        const order = permutation(train.n, mixSeed(seed, Stream.shuffle, this.epoch));
        const epochStart = Date.now();
        while (this.stepInEpoch < this.stepsPerEpoch) {
          // Let signals and IPC messages (cancel) in: they arrive as macrotasks, which a loop of awaited
          // microtasks would starve.
          await yieldToEventLoop();
          const cancel = this.hooks.cancelReason();
          if (cancel) return await this.finishCancelled(cancel);
          const start = this.stepInEpoch * batchSize;
          const end = Math.min(train.n, start + batchSize);
          const b = end - start;
          const xs = new Float32Array(b * dim);
          const rows = order.subarray(start, end);
          copyRows(train, rows, xs);
          const labels = this.model.conditional ? new Int32Array(b) : undefined;
          if (labels) for (let i = 0; i < b; i++) labels[i] = train.labels![rows[i]];
          if (cfg.data.binarize === 'dynamic') binarizeInPlace(xs, mixSeed(seed, Stream.binarize, this.step));
          this.trainStep(xs, labels, b, window, epochSums);
          windowExamples += b;
          this.step++;
          this.stepInEpoch++;
          if (this.step % cfg.logging.metricsEvery === 0) {
            const { scalars } = await window.read();
            window.reset();
            this.checkFinite(scalars);
            const secs = (Date.now() - windowStart) / 1000;
            this.emit({
              type: 'step',
              time: now(),
              epoch: this.epoch,
              step: this.step,
              throughput: secs > 0 ? windowExamples / secs : 0,
              metrics: { ...(scalars as TermMetrics), beta: this.model.hasKl ? this.klWeight(this.step - 1) : undefined, lr: this.lr() },
            });
            windowStart = Date.now();
            windowExamples = 0;
          }
        }
        const trainSecs = (Date.now() - epochStart) / 1000;
        const { scalars: trainMetrics } = await epochSums.read();
        epochSums.reset();
        this.checkFinite(trainMetrics);
        const validation = await this.validate();
        this.checkFinite(validation as Record<string, number>);
        const exact = await this.trackExact();
        this.lastValidation = validation;
        const seconds = (Date.now() - epochStart) / 1000;
        this.epochSeconds.push(seconds);
        this.trainSeconds.push(trainSecs);
        const epochIndex = this.epoch;
        this.emit({
          type: 'epoch',
          time: now(),
          epoch: epochIndex,
          step: this.step,
          seconds,
          train: trainMetrics as TermMetrics,
          validation,
          exact,
          beta: this.model.hasKl ? this.klWeight(this.step - 1) : undefined,
          lr: this.lr(),
        });
        this.epoch++;
        this.stepInEpoch = 0;
        const last = this.epoch === epochs;
        stopReason = this.earlyStop(validation.loss);
        if (last || stopReason || this.epoch % cfg.logging.imagesEvery === 0) await this.writeImages(epochIndex);
        if (last || stopReason || this.epoch % cfg.training.checkpointEvery === 0) await this.checkpoint();
        this.saveRecord({ finalMetrics: validation });
        if (stopReason) break;
      }
      return await this.finishCompleted(stopReason ?? `trained ${epochs} epoch(s)`);
    } finally {
      window.reset();
      epochSums.reset();
    }
  }

  private trainStep(xs: Float32Array, labels: Int32Array | undefined, b: number, window: MetricSums, epochSums: MetricSums): void {
    profiledStep(() => this.trainStepUnprofiled(xs, labels, b, window, epochSums));
  }

  private trainStepUnprofiled(xs: Float32Array, labels: Int32Array | undefined, b: number, window: MetricSums, epochSums: MetricSums): void {
    const cfg = this.config;
    const lr = this.lr();
    const input = this.model.trainingInput(xs, mixSeed(cfg.training.seed, Stream.corrupt, this.step));
    tf.tidy(() => {
      const shape = [b, ...this.data.train.shape];
      const target = tf.tensor(xs, shape);
      const x = input === xs ? target : tf.tensor(input, shape);
      const ctx = {
        step: this.step,
        seed: mixSeed(cfg.training.seed, Stream.epsilon, this.step),
        klWeight: this.klWeight(this.step),
        totalSteps: this.totalSteps,
        labels: labels ? (tf.oneHot(tf.tensor1d(labels, 'int32'), this.model.numClasses).toFloat() as tf.Tensor2D) : undefined,
      };
      let metrics: Record<string, tf.Scalar> = {};
      if (this.model.trainStep) {
        metrics = this.model.trainStep(x, target, ctx, this.optimizers, lr, cfg.training.gradClipNorm);
      } else {
        const { grads } = tf.variableGrads(() => {
          const t = this.model.terms(x, target, ctx);
          metrics = { loss: t.loss, ...t.metrics };
          for (const m of Object.values(metrics)) tf.keep(m);
          return t.loss;
        }, this.vars);
        this.optimizers[0].optimizer.apply(this.vars.map((v) => grads[v.name]), lr, cfg.training.gradClipNorm)?.dispose();
      }
      window.add(metrics, b);
      epochSums.add(metrics, b);
      for (const m of Object.values(metrics)) m.dispose();
    });
  }

  /** Fail clearly instead of training on with NaN weights; the last good checkpoint stays on disk. */
  private checkFinite(values: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(values)) {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw new Error(`diverged at step ${this.step}: ${k} is ${v}. The last good checkpoint is kept; lower the learning rate or set training.gradClipNorm.`);
      }
    }
  }

  /**
   * For a VAE with 1-D or 2-D codes: log p(x) by quadrature, the ELBO and their gap, averaged over the first
   * EXACT_TRACK_EXAMPLES validation examples (the same ones every epoch), for the gap-per-epoch curve. Deterministic
   * (no sampling), so a resumed run records the same values.
   */
  private async trackExact(): Promise<EpochExact | undefined> {
    if (!isPlainVae(this.model) || this.model.latentDim > 2 || this.validation.n === 0) return undefined;
    const n = Math.min(EXACT_TRACK_EXAMPLES, this.validation.n);
    const rows: ExactExample[] = [];
    for (let i = 0; i < n; i++) rows.push(await exactForExample(this.model, this.validation, i, EXACT_TRACK_SETTINGS));
    const avg = (f: (r: ExactExample) => number) => rows.reduce((a, r) => a + f(r), 0) / n;
    return { examples: n, logPx: avg((r) => r.logPx), elbo: avg((r) => r.elbo), gap: avg((r) => r.gap) };
  }

  private validate(): Promise<EvalSplitMetrics> {
    return evaluateSplit(this.model, this.validation, {
      klWeight: this.klWeight(Math.max(0, this.step - 1)),
      step: this.step,
      totalSteps: this.totalSteps,
      seed: this.config.training.seed,
    });
  }

  private earlyStop(valLoss: number): string | undefined {
    const es = this.config.training.earlyStopping;
    if (!es) return undefined;
    if (this.bestValidationLoss === null || valLoss < this.bestValidationLoss - es.minDelta) {
      this.bestValidationLoss = valLoss;
      this.badEpochs = 0;
      return undefined;
    }
    this.badEpochs++;
    return this.badEpochs >= es.patience ? `early stopping: validation loss has not improved for ${es.patience} epoch(s)` : undefined;
  }

  // ---------------------------------------------------------------------------------------------------- images

  /**
   * The first n validation examples, their reconstructions and `samples` decodes of prior draws, as arrays.
   */
  private async imageData(n: number, samples: number, seed: number, sampleLabels: (labels?: tf.Tensor2D) => tf.Tensor2D | undefined): Promise<{ inputs: Float32Array; recon: Float32Array; prior: Float32Array }> {
    const m = this.model;
    const val = this.validation;
    const [inputs, recon, prior] = await readAfterTidy(() => {
      const x = batchTensor(val, 0, n);
      const labels = m.conditional ? batchLabels(val, 0, n, m.numClasses) : undefined;
      return [x, m.reconstruct(x, labels), m.sample(samples, seed, sampleLabels(labels))];
    });
    return { inputs, recon, prior };
  }

  private async writeImages(epoch: number): Promise<void> {
    const cfg = this.config;
    const dir = runFiles.images(this.runDir);
    const shape = this.data.train.shape;
    const tag = String(epoch + 1).padStart(3, '0');
    const g = cfg.logging.gridSize;
    const val = this.validation;
    let reconstructions: string | undefined;
    let samples: string | undefined;
    const sampleSeed = mixSeed(cfg.training.seed, Stream.sample, 0);
    if (shape.length === 3 || isSquare(exampleSize(shape))) {
      const imgShape = shape.length === 3 ? shape : [Math.sqrt(shape[0]), Math.sqrt(shape[0]), 1];
      const n = Math.min(val.n, Math.floor((g * g) / 2));
      const rows = Math.ceil(n / g);
      const m = this.model;
      // Conditional models: one class per row of samples.
      const rowClasses = () => tf.oneHot(tf.tensor1d(Array.from({ length: g * g }, (_, k) => Math.floor(k / g) % m.numClasses), 'int32'), m.numClasses).toFloat() as tf.Tensor2D;
      const { inputs, recon, prior } = await this.imageData(n, g * g, sampleSeed, () => (m.conditional ? rowClasses() : undefined));
      // Rows alternate: inputs, then their reconstructions underneath.
      const dim = exampleSize(imgShape);
      const grid = new Float32Array(rows * 2 * g * dim);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < g; c++) {
          const k = r * g + c;
          if (k >= n) continue;
          grid.set(inputs.subarray(k * dim, (k + 1) * dim), (2 * r * g + c) * dim);
          grid.set(recon.subarray(k * dim, (k + 1) * dim), ((2 * r + 1) * g + c) * dim);
        }
      }
      reconstructions = `images/reconstructions-epoch-${tag}.png`;
      writeRunFile(path.join(dir, path.basename(reconstructions)), imageGrid(grid, rows * 2 * g, imgShape, g));
      samples = `images/samples-epoch-${tag}.png`;
      writeRunFile(path.join(dir, path.basename(samples)), imageGrid(prior, g * g, imgShape, g));
    } else if (exampleSize(shape) === 2) {
      const n = Math.min(val.n, 2000);
      const { inputs, recon, prior } = await this.imageData(n, n, sampleSeed, (labels) => labels);
      reconstructions = `images/reconstructions-epoch-${tag}.png`;
      writeRunFile(path.join(dir, path.basename(reconstructions)), scatterPlot([{ points: inputs, color: [170, 170, 170] }, { points: recon, color: [31, 119, 180] }]));
      samples = `images/samples-epoch-${tag}.png`;
      writeRunFile(path.join(dir, path.basename(samples)), scatterPlot([{ points: inputs, color: [170, 170, 170] }, { points: prior, color: [255, 127, 14] }]));
    }
    const extra = ((await this.model.extraImages?.({ x: floatRows(val, 0, Math.min(val.n, EXTRA_IMAGE_EXAMPLES)), n: Math.min(val.n, EXTRA_IMAGE_EXAMPLES), labels: val.labels }, sampleSeed)) ?? []).map((img) => {
      const rel = `images/${img.name}-epoch-${tag}.png`;
      writeRunFile(path.join(this.runDir, rel), img.png);
      return { title: img.title, path: rel };
    });
    if (reconstructions || samples || extra.length > 0) this.emit({ type: 'images', time: now(), epoch, step: this.step, reconstructions, samples, extra: extra.length > 0 ? extra : undefined });
  }

  // ----------------------------------------------------------------------------------------------- checkpoints

  private checkpointFile(): string {
    return path.join(runFiles.checkpoints(this.runDir), CHECKPOINT_FILE);
  }

  private async checkpoint(): Promise<void> {
    const arrays: { spec: { name: string; shape: number[] }; data: Float32Array }[] = [];
    for (let i = 0; i < this.vars.length; i++) {
      const v = this.vars[i];
      arrays.push({ spec: { name: `var${i}:${v.name}`, shape: v.shape }, data: (await v.data()) as Float32Array });
    }
    const optimizers: CheckpointHeader['optimizers'] = [];
    for (const group of this.optimizers) {
      const snap = await group.optimizer.snapshot();
      optimizers.push({ name: group.name, type: snap.type, t: snap.t, variables: snap.slots.length, slotsPerVariable: snap.slots[0]?.length ?? 0 });
      snap.slots.forEach((slots, i) => slots.forEach((s, j) => arrays.push({ spec: { name: `${group.name}.slot${i}.${j}`, shape: [s.length] }, data: s })));
    }
    const header: CheckpointHeader = {
      formatVersion: 1,
      epoch: this.epoch,
      stepInEpoch: this.stepInEpoch,
      step: this.step,
      optimizers,
      random: { seed: this.config.training.seed, scheme: 'mixSeed(seed, stream, epoch or step)' },
      bestValidationLoss: this.bestValidationLoss,
      badEpochs: this.badEpochs,
      epochSeconds: this.epochSeconds,
      trainSeconds: this.trainSeconds,
      elapsedSeconds: this.elapsedBefore + (Date.now() - this.started) / 1000,
      lastValidation: this.lastValidation,
      variables: this.vars.length,
      sums: { window: await this.window.snapshot(), epoch: await this.epochSums.snapshot() },
    };
    const file = this.checkpointFile();
    folderWrite(file, () => writeCheckpointFile(file, header, arrays));
    const rel = path.relative(this.runDir, file);
    // Record it before announcing it: whoever sees the event can rely on run.json naming the checkpoint.
    this.saveRecord({ lastCheckpoint: { epoch: this.epoch, step: this.step, path: rel } });
    this.emit({ type: 'checkpoint', time: now(), epoch: this.epoch, step: this.step, path: rel });
  }

  /** Restore weights, optimizer and position from the checkpoint, and drop metrics logged after it. */
  private restore(): void {
    const file = this.checkpointFile();
    if (!fs.existsSync(file)) {
      // Interrupted before its first checkpoint: start over in the same folder.
      writeRunFile(runFiles.metrics(this.runDir), '');
      return;
    }
    const { header, arrays } = readCheckpointFile<CheckpointHeader>(file);
    if (header.variables !== this.vars.length) {
      throw new Error(`${file}: the checkpoint has ${header.variables} variables, the model ${this.vars.length}; was the experiment changed?`);
    }
    loadVariables(this.vars, arrays, file);
    if (header.optimizers.length !== this.optimizers.length) throw new Error(`${file}: the checkpoint has ${header.optimizers.length} optimizer(s), the model ${this.optimizers.length}.`);
    let k = this.vars.length;
    header.optimizers.forEach((o, g) => {
      const slots: Float32Array[][] = [];
      for (let i = 0; i < o.variables; i++) {
        slots.push(arrays.slice(k, k + o.slotsPerVariable));
        k += o.slotsPerVariable;
      }
      this.optimizers[g].optimizer.restore({ type: o.type as 'adam', t: o.t, slots });
    });
    this.epoch = header.epoch;
    this.stepInEpoch = header.stepInEpoch;
    this.step = header.step;
    this.bestValidationLoss = header.bestValidationLoss;
    this.badEpochs = header.badEpochs;
    this.epochSeconds = header.epochSeconds;
    this.trainSeconds = header.trainSeconds;
    this.elapsedBefore = header.elapsedSeconds;
    this.lastValidation = header.lastValidation;
    this.restoredSums = header.sums;
    // Keep the events up to the checkpoint; what came after it will be produced again.
    const kept = parseMetricsText(fs.existsSync(runFiles.metrics(this.runDir)) ? fs.readFileSync(runFiles.metrics(this.runDir), 'utf8') : '').filter(
      (e) => e.type !== 'finished' && e.type !== 'cancelled' && e.type !== 'failed' && !('step' in e && typeof e.step === 'number' && e.step > header.step),
    );
    writeRunFile(runFiles.metrics(this.runDir), kept.map((e) => JSON.stringify(e) + '\n').join(''));
  }

  // --------------------------------------------------------------------------------------------------- endings

  private async finishCancelled(reason: string): Promise<RunOutcome> {
    await this.checkpoint();
    this.saveRecord({ status: 'cancelled', statusReason: reason, endedAt: now(), pid: undefined });
    this.emit({ type: 'cancelled', time: now(), epoch: this.epoch, step: this.step, reason });
    return { status: 'cancelled', runDir: this.runDir, record: this.record };
  }

  private async finishCompleted(reason: string): Promise<RunOutcome> {
    const modelDir = runFiles.model(this.runDir);
    for (const [name, model] of [['encoder', this.model.encoder], ['decoder', this.model.decoder]] as const) {
      const dir = path.join(modelDir, name);
      await saveLayersModel(model, dir).catch((err) => {
        throw new RunFolderError(dir, err);
      });
    }
    writeRunJson(path.join(modelDir, 'vae-lab.json'), {
      kind: this.config.model.kind,
      latentDim: this.config.model.latentDim,
      exampleShape: this.data.train.shape,
      likelihood: this.config.model.likelihood,
      /** How to turn decoder outputs into examples: sigmoid for Bernoulli logits, identity for Gaussian means. */
      outputTransform: this.config.model.likelihood === 'bernoulli' ? 'sigmoid' : 'identity',
      sigma: this.model.logSigma ? Math.exp((await this.model.logSigma.data())[0]) : this.config.model.sigma,
      encoderOutputs: this.model.hasKl ? ['z_mean', 'z_log_var'] : ['z'],
      ...(await this.model.exportInfo?.()),
    });
    const final = this.lastValidation ?? { loss: NaN, recon: NaN };
    this.saveRecord({ status: 'completed', statusReason: reason, endedAt: now(), pid: undefined, finalMetrics: final });
    this.emit({ type: 'finished', time: now(), epoch: this.epoch, step: this.step, reason, final, modelDir: path.relative(this.runDir, modelDir) });
    return { status: 'completed', runDir: this.runDir, record: this.record };
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Validation examples whose exact log p(x) and ELBO gap are recorded each epoch (VAEs with 1-D or 2-D codes). */
export const EXACT_TRACK_EXAMPLES = 4;
/**
 * A lighter grid than vae-lab eval --exact's: cells up to one standard deviation wide (the midpoint rule's relative
 * error for a Gaussian is then about exp(-2 pi^2), 3e-9) and at most 96 per dimension, so that it costs about a
 * second an epoch on 2 cores.
 */
const EXACT_TRACK_SETTINGS = { coarseCells: 16, minCells: 24, maxCells: 96, cellsPerStd: 1 };

function isSquare(n: number): boolean {
  const r = Math.round(Math.sqrt(n));
  return r * r === n && n >= 16;
}

function binarizeInPlace(xs: ExampleValues, seed: number): void {
  const rng = new Rng(seed);
  if (xs instanceof Uint8Array) for (let i = 0; i < xs.length; i++) xs[i] = rng.next() < BYTE_VALUES[xs[i]] ? 255 : 0;
  else for (let i = 0; i < xs.length; i++) xs[i] = rng.next() < xs[i] ? 1 : 0;
}

/** A fixed Bernoulli draw of a split (for validation and test under dynamic binarization). */
export function binarizeOnce(d: Dataset, seed: number): Dataset {
  const copy = subset(d, range(0, d.n));
  binarizeInPlace(copy.x, seed);
  return copy;
}

/** Assign checkpoint arrays to variables in order. */
export function loadVariables(vars: tf.Variable[], arrays: Float32Array[], file: string): void {
  vars.forEach((v, i) => {
    if (arrays[i].length !== v.size) throw new Error(`${file}: variable ${i} has ${arrays[i].length} values, the model expects ${v.size}.`);
    tf.tidy(() => v.assign(tf.tensor(arrays[i], v.shape)));
  });
}

/** Build the model of a run and load the weights of its latest checkpoint. */
export async function loadRunModel(
  runDir: string,
  adjust?: (c: ExperimentConfig) => void,
): Promise<{ record: RunRecord; config: ExperimentConfig; model: AutoencoderModel; data: SplitData }> {
  const record = readRunRecord(runDir);
  const config = resolveExperiment(record.config, runFiles.record(runDir));
  adjust?.(config);
  await initBackend(config.backend);
  const data = loadData(config, path.dirname(record.experimentFile));
  const model = createModel(config, data.train.shape, numClasses(data.train), data.train.n);
  const file = path.join(runFiles.checkpoints(runDir), CHECKPOINT_FILE);
  const { arrays } = readCheckpointFile<CheckpointHeader>(file);
  const vars = model.trainableVariables();
  loadVariables(vars, arrays.slice(0, vars.length), file);
  return { record, config, model, data };
}

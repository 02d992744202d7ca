// vae-lab: train, resume, validate and evaluate experiments headless. The same engine and events as the extension.
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, formatIssue, BackendChoice } from '../core/config';
import type { EngineEvent } from '../core/protocol';
import { DEFAULT_RUNS_DIR, writeFileAtomic } from '../core/runFolder';
import { BackendError } from './backends/common';
import { BACKEND_USAGE, backendCommand } from './backendCommand';
import { ParsedArgs, UsageError, onePositional, parseArgs, positiveInt } from './cliArgs';
import { DataError } from './data';
import { DATA_USAGE, dataCommand } from './dataCommand';
import { buildMnistCache } from './data/mnist';
import { evalTable, evaluateRun } from './evalRun';
import { loadExperimentFile } from './experiment';
import { SWEEP_USAGE, SlurmError, sweepCommand } from './sweep/command';
import { sweepWorker } from './sweep/worker';
import { THEORY_USAGE, theoryCommand } from './theory/command';
import { EngineHooks, resumeRun, startRun } from './trainer';

const USAGE = `vae-lab: train and evaluate variational autoencoders with TensorFlow.js

Usage:
  vae-lab train <file.vae.json> [--set path=value]... [--epochs N] [--backend auto|webgpu|tensorflow|wasm|cpu] [--out DIR] [--json]
  vae-lab resume <run folder> [--backend B] [--json]
  vae-lab validate <file.vae.json>...
  vae-lab eval <run folder> [--samples L] [--k K] [--ll-examples N] [--gmm K] [--sample-quality N] [--seed S] [--exact [--exact-examples N]]
${THEORY_USAGE}
${SWEEP_USAGE}
${BACKEND_USAGE}
${DATA_USAGE}

Runs are written to <out>/<experiment name>/<run id>/ (default out: ./${DEFAULT_RUNS_DIR}).
--set takes a dotted path or a JSON pointer, e.g. --set training.batchSize=64 --set /model/latentDim=2.
sweep: every setting of the file's "sweep" block (and each seed) becomes an ordinary run under <out>/<name>/sweeps/<id>/runs/;
sweep.json there lists them with their status, final metrics, rate and distortion. --executor slurm submits one job array
(the sweep folder must be on a file system the nodes share); Ctrl-C cancels the runs with checkpoints; resume goes on.
--json prints every engine event as one JSON line instead of the progress bar.
eval: test ELBO with L samples, importance-sampled log p(x) with K samples (default 1000, 0 skips it) on the first
N test examples (default 500), reconstruction error, active units, KL per dimension, MIG, SAP, DCI (and on shapes the
beta-VAE and FactorVAE scores) when the data has factors; on labelled images the sample quality of N samples (default
1000, 0 skips it): FD and precision/recall in the features of a classifier trained once per data set and cached in
$VAE_LAB_CLASSIFIER_DIR (default <data folder>/classifiers).
--exact (VAEs with latentDim 1 or 2): log p(x) by quadrature on a grid fitted to each example, the ELBO, their gap,
KL(q(z|x) || p(z|x)) on the grid, and IWAE bounds for k = 1, 5, 50, 5000, on N test examples (default 100).
theory: the theory lab's numbers for one lesson on the run, written to <run>/theory/<lesson>.json (posterior-<i>.json).
backend: which backends run here (auto picks the first available of webgpu on a real GPU, tensorflow, wasm);
install puts Dawn's WebGPU runtime or tfjs-node into the backends folder ($VAE_LAB_BACKENDS_DIR, default ~/.vae-lab/backends), by download or, on Linux x86-64
without TensorFlow's host, built from the tensorflow-cpu wheel (--from-wheel; auto tries both).
data: the full-size data sets experiments name as "source" (mnist-60k, fashion-mnist, kmnist, cifar10, emnist-balanced,
emnist-letters); get downloads one into the data folder ($VAE_LAB_DATA_DIR, default ~/.vae-lab/datasets/<name>/),
checks the published MD5s and extracts the archive of cifar10 and the EMNIST sets; --mirror URL
(or $VAE_LAB_DATA_MIRROR) fetches the same file names from another base URL.
Exit codes: 0 success, 1 training failed, 2 invalid input, 130 cancelled (Ctrl-C).`;

export const EXIT = { ok: 0, failed: 1, invalid: 2, cancelled: 130 } as const;

/** Terminal output driven by engine events: a progress bar with ETA and live loss, or JSON lines. */
export class TerminalReporter {
  private totalSteps = 0;
  private startStep = 0;
  private startTime = Date.now();
  private lastLoss: number | undefined;
  private lastThroughput = 0;
  private epochs = 0;
  private barShown = false;
  /** Whether a 'failed' event was already printed (so that the error is not printed a second time). */
  failureShown = false;

  constructor(private readonly json: boolean, private readonly out: NodeJS.WriteStream = process.stderr) {}

  private get tty(): boolean {
    return !!this.out.isTTY;
  }

  private line(text: string): void {
    if (this.barShown && this.tty) this.out.write('\r\x1b[K');
    this.barShown = false;
    this.out.write(text + '\n');
  }

  handle(e: EngineEvent): void {
    if (this.json) {
      process.stdout.write(JSON.stringify(e) + '\n');
      return;
    }
    switch (e.type) {
      case 'started': {
        this.totalSteps = e.totalSteps;
        this.startStep = e.step;
        this.epochs = e.config.training.epochs;
        this.startTime = Date.now();
        const d = e.data;
        this.line(`${e.resumed ? 'Resuming' : 'Training'} ${e.config.name} (${e.config.model.kind}, ${e.parameters.toLocaleString('en-US')} parameters) on backend ${e.backend.name} ${e.backend.version} [${e.backend.detail}]`);
        this.line(`Data: ${d.train} train / ${d.validation} validation / ${d.test} test examples of shape [${d.exampleShape.join(', ')}]; ${e.stepsPerEpoch} steps per epoch`);
        this.line(`Run folder: ${e.runDir}`);
        break;
      }
      case 'step':
        this.lastLoss = e.metrics.loss;
        this.lastThroughput = e.throughput;
        this.bar(e.step, e.epoch);
        break;
      case 'epoch': {
        const v = e.validation;
        const parts = [`epoch ${String(e.epoch + 1).padStart(String(this.epochs).length)}/${this.epochs}`, `train loss ${e.train.loss.toFixed(2)}`, `val loss ${v.loss.toFixed(2)}`];
        if (v.elbo !== undefined) parts.push(`val ELBO ${v.elbo.toFixed(2)} (recon ${v.recon.toFixed(2)}, KL ${(v.kl ?? 0).toFixed(2)})`);
        else parts.push(`val recon ${v.recon.toFixed(2)}`);
        parts.push(`${e.seconds.toFixed(1)}s`);
        this.line(parts.join('  '));
        break;
      }
      case 'log':
        this.line(`${e.level}: ${e.message}`);
        break;
      case 'finished':
        this.line(`Finished: ${e.reason}.`);
        break;
      case 'cancelled':
        this.line(`Cancelled at step ${e.step}: ${e.reason}. Resume with: vae-lab resume <run folder>`);
        break;
      case 'failed':
        this.line(`Failed: ${e.error}`);
        this.failureShown = true;
        break;
      default:
        break;
    }
  }

  private bar(step: number, epoch: number): void {
    if (!this.tty) return;
    const frac = this.totalSteps > 0 ? step / this.totalSteps : 0;
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (Date.now() - this.startTime) / 1000;
    const done = step - this.startStep;
    const eta = done > 0 ? ((this.totalSteps - step) * elapsed) / done : NaN;
    const text = `epoch ${epoch + 1}/${this.epochs} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ETA ${formatSeconds(eta)}  loss ${this.lastLoss?.toFixed(2) ?? '-'}  ${Math.round(this.lastThroughput)} ex/s`;
    this.out.write('\r\x1b[K' + text);
    this.barShown = true;
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return `${m}:${String(sec).padStart(2, '0')}`;
}

function cancellableHooks(reporter: TerminalReporter): EngineHooks & { dispose(): void } {
  let reason: string | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (reason) {
      process.stderr.write('\nStopping now without a checkpoint.\n');
      process.exit(EXIT.cancelled);
    }
    reason = sig === 'SIGINT' ? 'interrupted (Ctrl-C)' : `received ${sig}`;
    process.stderr.write(`\n${sig}: finishing the current step and writing a checkpoint (press Ctrl-C again to stop at once)...\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    emit: (e) => reporter.handle(e),
    cancelReason: () => reason,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`vae-lab: ${(err as Error).message}\n`);
    return EXIT.invalid;
  }
  try {
    switch (args.command) {
      case '':
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE + '\n');
        return args.command === '' ? EXIT.invalid : EXIT.ok;
      case 'internal-build-mnist-cache': {
        // Used by the build to ship the compact MNIST cache inside dist/ (and so inside the .vsix).
        const out = onePositional(args, 'internal-build-mnist-cache <file>');
        writeFileAtomic(out, buildMnistCache());
        return EXIT.ok;
      }
      case '--version':
        process.stdout.write(`${readVersion()}\n`);
        return EXIT.ok;
      case 'train': {
        const file = onePositional(args, 'train <file.vae.json>');
        const backend = backendFlag(args);
        if (!args.json && hasSweepBlock(file)) process.stderr.write(`Note: ${file} has a sweep block; train runs the experiment once as written (vae-lab sweep ${file} runs the sweep).\n`);
        const reporter = new TerminalReporter(args.json);
        const hooks = cancellableHooks(reporter);
        try {
          const outcome = await startRun(
            {
              experimentFile: file,
              runsRoot: args.flags.get('--out') ?? DEFAULT_RUNS_DIR,
              overrides: args.set,
              epochs: positiveInt('--epochs', args.flags.get('--epochs')),
              backend,
            },
            hooks,
          );
          if (!args.json) process.stdout.write(`${outcome.runDir}\n`);
          return outcome.status === 'completed' ? EXIT.ok : EXIT.cancelled;
        } catch (err) {
          if (reporter.failureShown) return EXIT.failed; // already printed as the run's failure
          throw err;
        } finally {
          hooks.dispose();
        }
      }
      case 'resume': {
        const dir = onePositional(args, 'resume <run folder>');
        const resumeBackend = backendFlag(args);
        const reporter = new TerminalReporter(args.json);
        const hooks = cancellableHooks(reporter);
        try {
          const outcome = await resumeRun(dir, hooks, { backend: resumeBackend });
          if (!args.json) process.stdout.write(`${outcome.runDir}\n`);
          return outcome.status === 'completed' ? EXIT.ok : EXIT.cancelled;
        } catch (err) {
          if (reporter.failureShown) return EXIT.failed;
          throw err;
        } finally {
          hooks.dispose();
        }
      }
      case 'validate': {
        if (args.positional.length === 0) throw new UsageError('usage: vae-lab validate <file.vae.json>...');
        let bad = 0;
        for (const file of args.positional) {
          try {
            const c = loadExperimentFile(file, { set: args.set });
            process.stdout.write(`${file}: valid (${c.model.kind}, ${c.data.source}, ${c.training.epochs} epochs)\n`);
          } catch (err) {
            if (!(err instanceof ConfigError)) throw err;
            bad++;
            for (const issue of err.issues) process.stderr.write(formatIssue(issue, file) + '\n');
          }
        }
        return bad > 0 ? EXIT.invalid : EXIT.ok;
      }
      case 'sweep-worker':
        // The local sweep executor's slot process (src/engine/sweep/worker.ts); not for direct use.
        return await sweepWorker();
      case 'sweep':
        return await sweepCommand(args, { script: __filename });
      case 'backend':
        return await backendCommand(args, { script: __filename });
      case 'data':
        return await dataCommand(args);
      case 'theory':
        return await theoryCommand(args);
      case 'eval': {
        const dir = onePositional(args, 'eval <run folder>');
        const samples = positiveInt('--samples', args.flags.get('--samples'));
        const kFlag = args.flags.get('--k');
        const k = kFlag === '0' ? 0 : positiveInt('--k', kFlag);
        const seedFlag = args.flags.get('--seed');
        const seed = seedFlag === undefined ? undefined : Number(seedFlag);
        if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed must be a whole number, got "${seedFlag}".`);
        const exactExamples = positiveInt('--exact-examples', args.flags.get('--exact-examples'));
        if (exactExamples !== undefined && !args.switches.has('--exact')) throw new UsageError('--exact-examples goes with --exact.');
        const gmmFlag = args.flags.get('--gmm');
        const gmm = gmmFlag === '0' ? 0 : positiveInt('--gmm', gmmFlag);
        const qualityFlag = args.flags.get('--sample-quality');
        const sampleQuality = qualityFlag === '0' ? 0 : positiveInt('--sample-quality', qualityFlag);
        const result = await evaluateRun(dir, { samples, k, llExamples: positiveInt('--ll-examples', args.flags.get('--ll-examples')), seed, exact: args.switches.has('--exact'), exactExamples, gmm, sampleQuality });
        process.stdout.write(evalTable(result, dir) + '\n');
        process.stdout.write(`Written: ${path.join(dir, 'eval.json')}\n`);
        return EXIT.ok;
      }
      default:
        throw new UsageError(`unknown command "${args.command}" (expected train, resume, validate, eval, theory, sweep, backend or data; see vae-lab --help).`);
    }
  } catch (err) {
    return reportError(err);
  }
}

function hasSweepBlock(file: string): boolean {
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { sweep?: unknown };
    return typeof doc === 'object' && doc !== null && doc.sweep !== undefined;
  } catch {
    return false; // the trainer reports an unreadable or invalid file
  }
}

function backendFlag(args: ParsedArgs): BackendChoice | undefined {
  const backend = args.flags.get('--backend');
  if (backend !== undefined && !['auto', 'webgpu', 'tensorflow', 'wasm', 'cpu'].includes(backend)) {
    throw new UsageError(`--backend must be auto, webgpu, tensorflow, wasm or cpu, got "${backend}".`);
  }
  return backend as BackendChoice | undefined;
}

function isUserError(err: unknown): boolean {
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof DataError || err instanceof BackendError || err instanceof SlurmError) return true;
  const msg = (err as Error)?.message ?? '';
  return /not a VAE Lab run folder|run\.json is not valid JSON|already completed|checkpoint not found|not a VAE Lab checkpoint|not a VAE Lab sweep folder|sweep\.json is not valid JSON/.test(msg);
}

function reportError(err: unknown): number {
  const user = isUserError(err);
  if (err instanceof ConfigError) {
    for (const issue of err.issues) process.stderr.write(`vae-lab: ${formatIssue(issue, err.file)}\n`);
  } else {
    process.stderr.write(`vae-lab: ${(err as Error)?.message ?? String(err)}\n`);
    if (!user && process.env.VAE_LAB_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
  }
  return user ? EXIT.invalid : EXIT.failed;
}

function readVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`vae-lab: ${(err as Error).message}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}

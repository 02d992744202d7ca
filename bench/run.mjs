#!/usr/bin/env node
// VAE Lab benchmark harness: `npm run bench` (builds first) or `node bench/run.mjs [options]` on an existing dist/.
// Prints a table and writes bench/results/<timestamp>.json plus bench/results/latest.json. What each number means:
// bench/README.md.
//
//   a  training throughput of the reference VAE (examples/mnist-vae.vae.json) and of the conv beta-VAE
//      (examples/shapes-beta-vae.vae.json) through the CLI, per backend (tensorflow, wasm, each also on one thread;
//      webgpu when available: one short run on a software adapter, never compared; on a real GPU interleaved, with a
//      batch-size sweep of the MLP and its targets)
//   b  the same models, data shapes and batch sizes in PyTorch (bench/peer/torch_vae.py), tuned; ratios ours / PyTorch
//   c  training through the engine child process (fork dist/engine.js + IPC, as the extension does) versus the CLI
//   d  latent sampler latency in the webview, read from test-artifacts/e2e/latency.json (written by the e2e test)
//   e  bundle sizes and the time to require dist/extension.js with a stubbed 'vscode' module
//   f  peak memory (max RSS) of a training run
//   g  profile of a training step: time per kernel (VAE_LAB_PROFILE), grouped into matmul, Adam, element-wise
//   h  a sweep (examples/mnist-beta-sweep.vae.json, 8 runs, 2 slots): wall time against the sum of its runs' times / slots
//   i  full-size data sets in memory: time to load the cached Fashion-MNIST (60k + 10k), peak RSS of a training run on
//      it, and of a small conv VAE on a CIFAR-10-sized uint8 IDX file (50,000 x 32x32x3)
//   j  reference table on the full Fashion-MNIST: the reference VAE 10 epochs through the CLI (test loss of each
//      epoch's checkpoint by vae-lab eval) next to pytorch/examples' VAE (bench/peer/torch_vae.py --idx) on the same files
import { fork, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXPERIMENT = 'examples/mnist-vae.vae.json';
/** The convolutional example: 32x32x1 shapes, conv [32, 32, 64] / dense 256 / latent 6 beta-VAE, batch 64. */
const CONV_EXPERIMENT = 'examples/shapes-beta-vae.vae.json';
/** Goals for the "tensorflow" backend against the tuned PyTorch peer (ratio ours / PyTorch, higher is faster). */
const TENSORFLOW_GOALS = { mlp: 0.7, conv: 1.0 };
/**
 * Targets for the "webgpu" backend on a real GPU adapter (not evaluated on a software one): the reference VAE at
 * batch 128 in examples/s, and the conv example as a multiple of the wasm backend's conv throughput.
 */
const WEBGPU_GOALS = { mlpExamplesPerSecond: 50000, convVsWasm: 10 };
/** Batch sizes of the webgpu MLP sweep on a real GPU adapter (--set training.batchSize=N; 128 is the example's own). */
const WEBGPU_BATCH_SWEEP = [128, 512, 2048];
/** On a software adapter (lavapipe & co., 0.1-0.4 s per MLP step): one short run per model, MNIST pool reduced. */
const WEBGPU_SOFTWARE = { epochs: 2, mnistLimit: 2000 };
const WEBGPU_SOFTWARE_NOTE = 'software adapter: correctness only, not a GPU; not compared with PyTorch';
/** Variables that change how many threads a training run uses: cleared, so that every row says what it sets. */
const THREAD_ENV = ['VAE_LAB_THREADS', 'VAE_LAB_WASM_THREADS', 'TF_NUM_INTRAOP_THREADS', 'TF_NUM_INTEROP_THREADS', 'OMP_NUM_THREADS'];
const CLI = 'dist/cli.js';
const ENGINE = 'dist/engine.js';
const MNIST_CACHE = 'dist/data/mnist-10k.bin';
const LATENCY_FILE = 'test-artifacts/e2e/latency.json';
/** The product's goal for the latent sampler: p95 from slider input to the painted image under 16 ms. */
const LATENCY_GOAL_P95_MS = 16;
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
const PEER_SCRIPT = path.join(ROOT, 'bench', 'peer', 'torch_vae.py');
const PARTS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
/** Parts run without --only: all but (j), which trains 10 epochs on 60,000 images on each side (about 10 minutes). */
const DEFAULT_PARTS = PARTS.filter((p) => p !== 'j');
const SWEEP_EXPERIMENT = 'examples/mnist-beta-sweep.vae.json';
/** The sweep row's target: wall time at most this multiple of (sum of the runs' times) / slots. */
const SWEEP_GOAL = 1.1;
/** Part (i)'s targets: load time of the cached Fashion-MNIST, peak RSS of training on it, and on a CIFAR-10-sized set. */
const DATA_GOALS = { loadSeconds: 1, fashionRssMB: 400, cifarRssMB: 700 };
/** Part (i)'s CIFAR-10-sized proxy: 50,000 uint8 images of 32x32x3 in one IDX file (no CIFAR files on these machines). */
const CIFAR_PROXY = { n: 50000, h: 32, w: 32, c: 3 };
/**
 * Part (j): the reference VAE holds out as few training images for validation as the engine allows. With
 * data.validationSplit 0 the engine fails in its per-epoch validation of an empty split, so 1/60,000: one image is
 * held out, 59,999 are trained on (469 steps per epoch, as PyTorch's 60,000).
 */
const REF_VALIDATION_SPLIT = 1 / 60000;
/** The four files of an MNIST-format catalog set, as `vae-lab data get` leaves them (and the PyTorch peer reads them). */
const REF_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
/** Command lines of jobs that would disturb the timings (other engineers' test suites and training runs). */
const HEAVY = [/dist\/cli\.js/, /dist\/engine\.js/, /node --test/, /code-server/, /chromium/, /test\/integration\/run\.mjs/, /test\/e2e\/run\.mjs/, /\.vscode-test\//, /torch_vae\.py/];

const USAGE = `Usage: node bench/run.mjs [options]   (npm run bench builds first)
  --only a,b,...      parts to run (default a-i; j only when named): a training throughput per backend (MLP and conv examples),
                      b PyTorch peers and ratios, c engine child process vs CLI, d webview latency, e bundle sizes and
                      require time, f peak memory, g kernel profile of a training step,
                      h an 8-run sweep with 2 slots against the sum of its runs' times,
                      i full data sets in memory: load time, peak RSS of training (Fashion-MNIST, CIFAR-sized),
                      j full Fashion-MNIST reference table, VAE Lab vs PyTorch (slow; not in the default set: --only j)
  --epochs N          epochs per MLP training run, the first is the warm-up and is excluded (default 6, at least 4)
  --repeat N          independent runs of each training measurement, interleaved (default 3)
  --no-conv           skip the conv example (${CONV_EXPERIMENT}) in a and b
  --conv-epochs N     epochs per conv training run, the first excluded (default 4, at least 3)
  --conv-count N      shapes generated for the conv runs (data.options.count, default 2000: 1,440 training images;
                      the example's own 12000 makes a wasm epoch take minutes)
  --with-cpu          also measure the pure-JavaScript 'cpu' backend, on a reduced data set (--cpu-limit)
  --cpu-limit N       MNIST pool size for the cpu backend (data.options.limit, default 1000: 900 training digits)
  --install-peer      apt-get install python3-torch and OpenBLAS when PyTorch is missing
  --python PATH       python with torch for the peer (default: $VAE_LAB_BENCH_PYTHON, /usr/bin/python3, python3)
  --wait-idle[=MIN]   first wait (up to MIN minutes, default 25) until no test suite or training run is running
  --no-write          print only; do not write bench/results/
  --cifar-steps N     (i) training steps of the CIFAR-sized conv run before it is cancelled (default 40 of 141)
  --ref-epochs N      (j) epochs of the reference table (default 10)
  --ref-dataset NAME  (j) fashion-mnist (default: rebuilt from Debian's package), or mnist-60k / kmnist from your
                      data folder ($VAE_LAB_DATA_DIR, default ~/.vae-lab/datasets; vae-lab data get NAME first)
  --keep-runs         keep the temporary run folders and print where they are
  --help`;

// ---------------------------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const o = { only: new Set(DEFAULT_PARTS), cifarSteps: 40, refEpochs: 10, refDataset: 'fashion-mnist', epochs: 6, repeat: 3, conv: true, convEpochs: 4, convCount: 2000, withCpu: false, cpuLimit: 1000, installPeer: false, python: undefined, waitIdle: 0, write: true, keepRuns: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    const int = (min) => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < min) fail(`${flag} needs an integer >= ${min}`);
      return v;
    };
    switch (flag) {
      case '--only': {
        const parts = value().split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
        const bad = parts.filter((p) => !PARTS.includes(p));
        if (bad.length || !parts.length) fail(`--only takes letters among ${PARTS.join(',')}`);
        o.only = new Set(parts);
        break;
      }
      case '--epochs': o.epochs = int(4); break;
      case '--repeat': o.repeat = int(1); break;
      case '--no-conv': o.conv = false; break;
      case '--conv-epochs': o.convEpochs = int(3); break;
      case '--conv-count': o.convCount = int(20); break;
      case '--with-cpu': o.withCpu = true; break;
      case '--cpu-limit': o.cpuLimit = int(20); break;
      case '--install-peer': o.installPeer = true; break;
      case '--python': o.python = value(); break;
      case '--wait-idle': o.waitIdle = inline === undefined ? 25 : Number(inline); break;
      case '--no-write': o.write = false; break;
      case '--keep-runs': o.keepRuns = true; break;
      case '--cifar-steps': o.cifarSteps = int(10); break;
      case '--ref-epochs': o.refEpochs = int(2); break;
      case '--ref-dataset': {
        const v = value();
        if (!['fashion-mnist', 'mnist-60k', 'kmnist'].includes(v)) fail('--ref-dataset takes fashion-mnist, mnist-60k or kmnist');
        o.refDataset = v;
        break;
      }
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default: fail(`unknown option ${a}\n${USAGE}`);
    }
  }
  return o;
}

function fail(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** (max - min) / median, in percent: the run-to-run spread. */
const spread = (xs) => (xs.length > 1 ? ((Math.max(...xs) - Math.min(...xs)) / median(xs)) * 100 : undefined);
const round = (x, d = 0) => (x === undefined || x === null || !Number.isFinite(x) ? x : Math.round(x * 10 ** d) / 10 ** d);
const fmtInt = (x) => Math.round(x).toLocaleString('en-US');
const fmtPct = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`;
const fmtBytes = (b) => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
const rel = (p) => path.relative(ROOT, p) || '.';
const readJson = (f) => JSON.parse(readFileSync(f, 'utf8'));
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/** Children currently running, so that Ctrl-C does not leave them behind. */
const live = new Set();
process.on('SIGINT', () => {
  for (const c of live) c.kill('SIGKILL');
  process.exit(130);
});

/** Peak resident set (VmHWM) of a live process, in KiB, from /proc; undefined when not readable. */
function vmHwmKiB(pid) {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout) > 0 ? Number(r.stdout) : 100;
})();

/** user + system CPU seconds of a live process, from /proc/<pid>/stat. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** /usr/bin/time -f '%M %U %S' output: max RSS (KiB) and CPU seconds of the command. */
function readTimeFile(file) {
  const [kib, user, sys] = readFileSync(file, 'utf8').trim().split('\n').pop().trim().split(/\s+/).map(Number);
  return { hwmKiB: kib, cpu: user + sys };
}

function hasTimeCommand() {
  if (!existsSync('/usr/bin/time')) return false;
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { encoding: 'utf8' });
  return r.status === 0 && /^\d+\s*$/m.test(r.stderr);
}

// ---------------------------------------------------------------------------------------------------------------
// Machine and load

function machineInfo() {
  const cpus = os.cpus();
  const pkgVersion = (name) => {
    try {
      return readJson(path.join(ROOT, 'node_modules', name, 'package.json')).version;
    } catch {
      return undefined;
    }
  };
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tfjs: pkgVersion('@tensorflow/tfjs'),
    tfjsBackendWasm: pkgVersion('@tensorflow/tfjs-backend-wasm'),
    // tfjs-node is not an npm dependency: it lives in the backends folder; main() fills these from `backend list`.
    tfjsNode: null,
    backendsDir: null,
  };
}

/** Foreign heavy jobs: command lines matching HEAVY, excluding this process and its children. */
function heavyProcesses() {
  const r = spawnSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  const own = new Set([process.pid, ...[...live].map((c) => c.pid)]);
  const out = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [pid, ppid, args] = [Number(m[1]), Number(m[2]), m[3]];
    if (own.has(pid) || own.has(ppid)) continue;
    if (HEAVY.some((re) => re.test(args))) out.push(args.length > 120 ? args.slice(0, 117) + '...' : args);
  }
  return out;
}

/** Aggregate CPU ticks from /proc/stat: total and steal (time the hypervisor gave to others). */
function cpuTicks() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: f.reduce((a, b) => a + b, 0), steal: f[7] || 0 };
  } catch {
    return undefined;
  }
}

/** Fraction of all cores busy over `ms` milliseconds, from /proc/stat. */
async function cpuBusy(ms = 2000) {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] || 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = read();
    await sleep(ms);
    const b = read();
    return b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0;
  } catch {
    return undefined;
  }
}

async function waitIdle(minutes) {
  const start = Date.now();
  for (;;) {
    const heavy = heavyProcesses();
    const busy = await cpuBusy();
    const waited = (Date.now() - start) / 1000;
    if (heavy.length === 0 && (busy === undefined || busy < 0.3)) return { idle: true, waitedSeconds: Math.round(waited), cpuBusy: round(busy, 2) };
    if (waited > minutes * 60) return { idle: false, waitedSeconds: Math.round(waited), cpuBusy: round(busy, 2), busyWith: heavy };
    log(`machine busy (${heavy.length ? heavy.join(' | ') : `cpu ${Math.round(busy * 100)} %`}); waiting (${Math.round(waited)} s so far)`);
    await sleep(18000);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Training runs: the CLI (a, c, f) and the engine child process (c)

/**
 * Which backends run here, as the engine sees them: `node dist/cli.js backend list --json` (one JSON line on stdout:
 * {backendsDir, backends: [{name, available, version, detail, reason, auto}], installed}). tfjs-node is no npm
 * dependency; the engine loads it from its backends folder, so only the engine can say whether it is there.
 */
function backendList() {
  const r = spawnSync(process.execPath, [CLI, 'backend', 'list', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 180000, env: cleanEnv() });
  const line = (r.stdout || '').trim().split('\n').reverse().find((l) => l.startsWith('{'));
  let list;
  try {
    list = line ? JSON.parse(line) : undefined;
  } catch {
    list = undefined;
  }
  if (!list?.backends) {
    const why = r.error ? r.error.message : `exit ${r.status}: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-2).join(' / ')}`;
    return { error: `${CLI} backend list --json failed (${why})`, backends: [] };
  }
  return list;
}

/** The "tensorflow" entry of backendList(): available, or the reason it is not. */
function tensorflowStatus(list) {
  if (list.error) return { available: false, reason: list.error };
  const tf = list.backends.find((b) => b.name === 'tensorflow');
  if (!tf) return { available: false, reason: `${CLI} backend list knows no "tensorflow" backend` };
  if (tf.available) return { available: true, version: tf.version, detail: tf.detail, auto: tf.auto };
  // The engine's reason says what is missing where, and how to install it.
  return { available: false, version: tf.version, reason: tf.reason ?? `not available (backends folder ${list.backendsDir})` };
}

/**
 * The "webgpu" entry of backendList(): available (with its adapter: vendor, architecture, device, description,
 * fallback) or the reason it is not. `software` is adapter.fallback: a CPU rasteriser posing as a GPU.
 */
function webgpuStatus(list) {
  if (list.error) return { available: false, reason: list.error };
  const g = list.backends.find((b) => b.name === 'webgpu');
  if (!g) return { available: false, reason: `${CLI} backend list knows no "webgpu" backend` };
  if (!g.available) return { available: false, version: g.version, reason: g.reason ?? `not available (backends folder ${list.backendsDir})` };
  const a = g.adapter ?? {};
  const software = a.fallback === true;
  const what = [a.vendor, a.architecture].filter(Boolean).join('/') || 'unknown adapter';
  // Short (row names): vendor/architecture; long (details, JSON): with the description.
  const short = `${what}${software ? ', software adapter' : ''}`;
  const label = `${what}${a.description ? `, ${a.description}` : a.device ? `, ${a.device}` : ''}${software ? ' (software adapter)' : ''}`;
  return { available: true, version: g.version, detail: g.detail, adapter: g.adapter ?? null, software, short, label };
}

/** process.env without the thread settings (THREAD_ENV), plus `extra`: each run gets exactly the threads it asks for. */
function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of THREAD_ENV) delete env[k];
  return Object.assign(env, extra);
}

/** Training examples the engine uses when a generated data set has `count` examples (default 20 % test, 10 % validation). */
function trainCount(count, testSplit = 0.2, validationSplit = 0.1) {
  const split = (n, f) => (f > 0 ? Math.max(1, Math.round(n * f)) : 0);
  const pool = count - split(count, testSplit);
  return pool - split(pool, validationSplit);
}

/** Summary of a finished run folder: what run.json says, plus the epoch events. */
function summariseRun(runDir, epochEvents, wallSeconds, maxRssKiB, cpu, rssHow) {
  const rec = readJson(path.join(runDir, 'run.json'));
  if (rec.status !== 'completed') throw new Error(`run ${runDir} ended ${rec.status}: ${rec.error ?? rec.statusReason ?? ''}`);
  const n = rec.data.train;
  const epochSecs = epochEvents.map((e) => e.seconds);
  return {
    examplesPerSecond: round(rec.timings.examplesPerSecond, 1),
    trainExamples: n,
    epochs: epochSecs.length,
    // Whole epoch (training + validation pass) from the 'epoch' events, for reference.
    epochSeconds: epochSecs.map((s) => round(s, 3)),
    epochExamplesPerSecond: round(n / median(epochSecs.slice(1)), 1),
    wallSeconds: round(wallSeconds, 2),
    cpuSeconds: round(cpu, 2),
    maxRssMiB: maxRssKiB ? round(maxRssKiB / 1024, 1) : undefined,
    maxRssHow: maxRssKiB ? rssHow : undefined,
    backend: rec.backend,
  };
}

/** `node dist/cli.js train <experiment> --epochs N --backend B --out <tmp> --json`, under /usr/bin/time when present. */
async function cliRun(backend, epochs, sets, tmpRoot, useTime, env = {}, experiment = EXPERIMENT) {
  const out = mkdtempSync(path.join(tmpRoot, `cli-${backend}-`));
  const timeFile = path.join(out, 'time.txt');
  const args = [CLI, 'train', experiment, '--epochs', String(epochs), '--backend', backend, '--out', out, '--json', ...sets.flatMap((s) => ['--set', s])];
  const [cmd, cmdArgs] = useTime ? ['/usr/bin/time', ['-f', '%M %U %S', '-o', timeFile, process.execPath, ...args]] : [process.execPath, args];
  const t0 = performance.now();
  const child = spawn(cmd, cmdArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(env) });
  live.add(child);
  let stderr = '';
  let runDir;
  let hwm;
  let cpu;
  const epochsSeen = [];
  onEngineEvents(child.stdout, (e) => {
    if (e.type === 'started') runDir = e.runDir;
    if (e.type === 'epoch') epochsSeen.push(e);
    if (e.type === 'finished' && !useTime) [hwm, cpu] = [vmHwmKiB(child.pid) ?? hwm, cpuSeconds(child.pid) ?? cpu];
  });
  child.stderr.on('data', (d) => (stderr += d));
  // Without /usr/bin/time, poll VmHWM (monotonic) until the process goes away.
  const poll = useTime ? undefined : setInterval(() => ([hwm, cpu] = [vmHwmKiB(child.pid) ?? hwm, cpuSeconds(child.pid) ?? cpu]), 250);
  const code = await new Promise((r) => child.on('close', r));
  const wall = (performance.now() - t0) / 1000;
  live.delete(child);
  if (poll) clearInterval(poll);
  if (code !== 0) throw new Error(`${rel(CLI)} train --backend ${backend} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
  if (useTime) ({ hwmKiB: hwm, cpu } = readTimeFile(timeFile));
  if (!runDir) throw new Error('the CLI printed no "started" event');
  return summariseRun(path.resolve(ROOT, runDir), epochsSeen, wall, hwm, cpu, useTime ? '/usr/bin/time %M' : '/proc VmHWM (polled)');
}

/** Fork dist/engine.js with an IPC channel the way the extension's RunManager does, send 'train', wait for the end. */
async function childRun(backend, epochs, tmpRoot, useTime) {
  const runsRoot = mkdtempSync(path.join(tmpRoot, `child-${backend}-`));
  const timeFile = path.join(runsRoot, 'time.txt');
  const t0 = performance.now();
  // Under /usr/bin/time (as the CLI runs are) for its max RSS and CPU time; it passes the IPC channel through.
  const child = fork(path.join(ROOT, ENGINE), [], {
    cwd: ROOT,
    ...(useTime ? { execPath: '/usr/bin/time', execArgv: ['-f', '%M %U %S', '-o', timeFile, process.execPath] } : { execPath: process.execPath }),
    env: cleanEnv({ ELECTRON_RUN_AS_NODE: '1' }),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  live.add(child);
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (d) => (stderr += d));
  const epochsSeen = [];
  let runDir;
  let hwm;
  let cpu;
  let events = 0;
  let end;
  child.on('message', (e) => {
    events++;
    if (e.type === 'started') runDir = e.runDir;
    if (e.type === 'epoch') epochsSeen.push(e);
    if (e.type === 'finished' || e.type === 'failed' || e.type === 'cancelled') {
      end = e;
      if (!useTime) [hwm, cpu] = [vmHwmKiB(child.pid), cpuSeconds(child.pid)];
    }
  });
  child.send({ type: 'train', experimentFile: path.join(ROOT, EXPERIMENT), runsRoot, overrides: [], epochs, backend });
  const code = await new Promise((r) => child.on('exit', r));
  const wall = (performance.now() - t0) / 1000;
  live.delete(child);
  if (!end || end.type !== 'finished') throw new Error(`engine child ended with ${end ? `'${end.type}' ${end.error ?? end.reason ?? ''}` : `exit code ${code}`} ${stderr.trim().slice(-300)}`);
  if (useTime) ({ hwmKiB: hwm, cpu } = readTimeFile(timeFile));
  return { ...summariseRun(runDir, epochsSeen, wall, hwm, cpu, useTime ? '/usr/bin/time %M' : '/proc VmHWM at the finished event'), ipcEvents: events };
}

// ---------------------------------------------------------------------------------------------------------------
// PyTorch peer (b)

const PEER_MISSING = 'PyTorch is not installed (apt-get install python3-torch)';

function pythonWithTorch(preferred) {
  const candidates = preferred ? [preferred] : [process.env.VAE_LAB_BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch, sys; print(torch.__version__)'], { encoding: 'utf8', timeout: 120000 });
    if (r.status === 0) return { python: py, torch: r.stdout.trim() };
  }
  return undefined;
}

/** Debian's OpenBLAS builds, each a folder holding its own libblas.so.3 (selected per run with LD_LIBRARY_PATH). */
function openblasDirs() {
  const found = [];
  for (const base of ['/usr/lib', ...(() => {
    try {
      return readdirSync('/usr/lib').filter((d) => d.endsWith('-linux-gnu')).map((d) => path.join('/usr/lib', d));
    } catch {
      return [];
    }
  })()]) {
    for (const variant of ['openmp', 'pthread']) {
      const dir = path.join(base, `openblas-${variant}`);
      if (existsSync(path.join(dir, 'libblas.so.3'))) found.push({ variant, dir });
    }
  }
  return found;
}

function installPeer() {
  log('installing python3-torch and OpenBLAS with apt-get (--install-peer)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const pkgs = ['python3-torch', 'libopenblas0-openmp', 'libopenblas0-pthread'];
  let r = spawnSync('apt-get', ['install', '-y', '-q', ...pkgs], { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'inherit', 'inherit'], env });
    r = spawnSync('apt-get', ['install', '-y', '-q', ...pkgs], { stdio: ['ignore', 'inherit', 'inherit'], env });
  }
  return r.status === 0;
}

/** The settings tried for the peer: thread counts, OpenMP wait policy and which BLAS (see bench/README.md). */
function peerConfigs(cores) {
  const configs = [{ label: 'as installed (default threads, system libblas)', threads: 0, env: {} }];
  for (const { variant, dir } of openblasDirs()) {
    const blas = { LD_LIBRARY_PATH: dir };
    configs.push({ label: `OpenBLAS ${variant}, 1 thread`, threads: 1, env: { ...blas } });
    if (cores < 2) continue;
    configs.push({ label: `OpenBLAS ${variant}, ${cores} threads`, threads: cores, env: { ...blas } });
    configs.push({ label: `OpenBLAS ${variant}, ${cores} threads, OMP_WAIT_POLICY=PASSIVE`, threads: cores, env: { ...blas, OMP_WAIT_POLICY: 'PASSIVE' } });
    if (variant === 'pthread') {
      configs.push({ label: `OpenBLAS pthread, ${cores} torch threads, OPENBLAS_NUM_THREADS=1`, threads: cores, env: { ...blas, OPENBLAS_NUM_THREADS: '1' } });
      configs.push({ label: `OpenBLAS pthread, ${cores} torch threads, OPENBLAS_NUM_THREADS=1, OMP_WAIT_POLICY=PASSIVE`, threads: cores, env: { ...blas, OPENBLAS_NUM_THREADS: '1', OMP_WAIT_POLICY: 'PASSIVE' } });
    }
  }
  return configs;
}

/** One peer process; `model` 'mlp' (the MNIST cache) or 'conv' (`train` synthetic 32x32x1 images). */
async function peerRun(py, config, epochs, model = 'mlp', train = undefined, timeoutMs = 240000) {
  const env = { ...process.env };
  for (const k of ['OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'OMP_WAIT_POLICY', 'MKL_NUM_THREADS', 'GOTO_NUM_THREADS']) delete env[k];
  if (config.env.LD_LIBRARY_PATH) env.LD_LIBRARY_PATH = [config.env.LD_LIBRARY_PATH, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  Object.assign(env, Object.fromEntries(Object.entries(config.env).filter(([k]) => k !== 'LD_LIBRARY_PATH')));
  const data = model === 'conv' ? ['--model', 'conv'] : ['--model', 'mlp', '--cache', path.join(ROOT, MNIST_CACHE)];
  const args = [PEER_SCRIPT, ...data, ...(train ? ['--train', String(train)] : []), '--epochs', String(epochs), '--threads', String(config.threads)];
  const child = spawn(py, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  // A pathological setting (busy-waiting threads on a loaded machine) can take minutes: give up on it.
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise((r) => child.on('close', r));
  clearTimeout(timer);
  live.delete(child);
  if (code !== 0) return { error: code === null ? `timed out (${Math.round(timeoutMs / 1000)} s)` : `exit ${code}: ${err.trim().split('\n').pop()}` };
  const r = JSON.parse(out.trim().split('\n').pop());
  return { ...r, examplesPerSecond: round(r.examplesPerSecond, 1) };
}

/**
 * Tune the peer for one model ('mlp' or 'conv'): each setting of peerConfigs for `tuneEpochs` epochs; the fastest is
 * then measured in the interleaved rounds for `epochs` epochs, and, when it uses more than one thread, the best
 * one-thread setting too (peer.single), for the one-thread-each ratios.
 */
async function setupPeer(found, model, cores, { tuneEpochs, epochs, train, tuneTimeoutMs = 240000 }) {
  const configs = peerConfigs(cores);
  log(`PyTorch ${found.torch} (${found.python}), ${model} model: trying ${configs.length} settings, ${tuneEpochs} epochs each`);
  const tuning = [];
  // A setting whose threads collapse (busy-waiting on a loaded machine) can be 50x slower than the best: give up on
  // one that takes over 5 times as long as the fastest so far would (plus 5 s to start Python, at least 15 s).
  const examples = train ?? 7200;
  let bestSoFar = 0;
  for (const c of configs) {
    const limitMs = bestSoFar ? Math.min(tuneTimeoutMs, Math.max(15000, 5000 + (5 * tuneEpochs * examples * 1000) / bestSoFar)) : tuneTimeoutMs;
    const r = await peerRun(found.python, c, tuneEpochs, model, train, limitMs);
    if (r.examplesPerSecond > bestSoFar) bestSoFar = r.examplesPerSecond;
    tuning.push({ setting: c.label, examplesPerSecond: r.examplesPerSecond, error: r.error, threads: r.threads, blas: r.blas });
    log(`  peer ${model} ${c.label}: ${r.error ?? `${fmtInt(r.examplesPerSecond)} ex/s`}`);
  }
  const ok = tuning.map((t, i) => ({ ...t, config: configs[i] })).filter((t) => t.examplesPerSecond);
  if (!ok.length) return { skipped: 'every PyTorch setting failed', tuning };
  const pick = (list) => list.reduce((a, b) => (b.examplesPerSecond > a.examplesPerSecond ? b : a));
  const best = pick(ok);
  const peer = { model, python: found.python, torch: found.torch, setting: best.setting, config: best.config, tuningEpochs: tuneEpochs, epochs, train, tuning, runs: [] };
  const single = ok.filter((t) => t.threads === 1);
  if (best.threads !== 1 && single.length) peer.single = { setting: pick(single).setting, config: pick(single).config, runs: [] };
  return peer;
}

/** The JSON of a peer (result.peer, result.peerConv) and its table rows; ok when it has measured runs. */
function summarisePeer(peer, rows, label, label1) {
  if (!peer || peer.skipped || !peer.runs.length) {
    const json = { skipped: peer?.skipped ?? 'every PyTorch run failed', tuning: peer?.tuning };
    rows.push([label, 'skipped', json.skipped]);
    return { ok: false, json };
  }
  const eps = peer.runs.map((r) => r.examplesPerSecond);
  const s = spread(eps);
  const r0 = peer.runs[0];
  const json = {
    framework: 'pytorch',
    model: r0.model,
    parameters: r0.parameters,
    torch: peer.torch,
    python: peer.python,
    setting: peer.setting,
    threads: r0.threads,
    blas: r0.blas,
    env: r0.env,
    examplesPerSecond: round(median(eps), 1),
    spreadPercent: round(s, 1),
    trainExamples: r0.trainExamples,
    batchSize: r0.batchSize,
    measuredEpochsPerRun: peer.epochs - 1,
    tuningEpochs: peer.tuningEpochs,
    runs: peer.runs.map((r) => ({ examplesPerSecond: r.examplesPerSecond, epochSeconds: r.epochSeconds, trainLoss: r.trainLoss })),
    tuning: peer.tuning.map(({ setting, examplesPerSecond, error, threads, blas }) => ({ setting, examplesPerSecond, threads, blas, error })),
  };
  rows.push([
    label,
    `${fmtInt(json.examplesPerSecond)} ex/s`,
    `torch ${peer.torch}, best of ${peer.tuning.length} settings: ${peer.setting}; median of ${peer.epochs - 1} epochs over ${fmtInt(r0.trainExamples)} examples, batch ${r0.batchSize}; ${peer.runs.length} run(s): ${eps.map(fmtInt).join(' / ')}${s !== undefined ? `, spread ${s.toFixed(1)} %` : ''}`,
  ]);
  if (peer.single?.runs.length) {
    const e1 = peer.single.runs.map((r) => r.examplesPerSecond);
    json.singleThread = { setting: peer.single.setting, examplesPerSecond: round(median(e1), 1), spreadPercent: round(spread(e1), 1), runs: e1 };
    rows.push([label1, `${fmtInt(json.singleThread.examplesPerSecond)} ex/s`, json.singleThread.setting]);
  }
  return { ok: true, json };
}

// ---------------------------------------------------------------------------------------------------------------
// (d) webview latency, (e) bundle

function latency() {
  const file = path.join(ROOT, LATENCY_FILE);
  if (!existsSync(file)) return { measured: false, note: 'not measured (run npm run test:e2e)' };
  const l = readJson(file);
  return {
    measured: true,
    p50Ms: l.p50,
    p95Ms: l.p95,
    moves: l.moves,
    what: l.measured,
    drawP50Ms: l.drawP50,
    drawP95Ms: l.drawP95,
    backend: l.backend,
    browser: l.browser,
    goalP95Ms: LATENCY_GOAL_P95_MS,
    meetsGoal: l.p95 < LATENCY_GOAL_P95_MS,
    source: `${LATENCY_FILE} (written by node test/e2e/run.mjs dashboard, ${statSync(file).mtime.toISOString()})`,
  };
}

function bundleSizes() {
  const files = [];
  const add = (p) => {
    const abs = path.join(ROOT, p);
    if (existsSync(abs)) files.push({ file: p, bytes: statSync(abs).size });
  };
  for (const f of ['dist/extension.js', 'dist/engine.js', 'dist/cli.js']) add(f);
  for (const dir of ['dist/webview', 'dist/wasm']) {
    if (!existsSync(path.join(ROOT, dir))) continue;
    for (const f of readdirSync(path.join(ROOT, dir)).sort()) if (/\.(js|wasm)$/.test(f)) add(`${dir}/${f}`);
  }
  add(MNIST_CACHE);
  for (const f of readdirSync(ROOT).sort()) if (f.endsWith('.vsix')) add(f);
  return files;
}

/** Load dist/extension.js (with its whole require graph) in a fresh Node process, 'vscode' stubbed; activate() is not called. */
const REQUIRE_PROBE = `
const Module = require('module');
const protoStub = new Proxy({}, { get: () => stub });
const stub = new Proxy(function vscodeStub() {}, {
  get: (t, p) => (p === '__esModule' || p === 'then' ? undefined : p === Symbol.toPrimitive ? () => '' : p === 'prototype' ? protoStub : stub),
  apply: () => stub,
  construct: () => stub,
  getPrototypeOf: () => protoStub,
});
const load = Module._load;
Module._load = function (request, parent, isMain) {
  return request === 'vscode' ? stub : load.apply(this, arguments);
};
const before = process.memoryUsage().rss;
const t0 = process.hrtime.bigint();
const ext = require(process.argv[1]);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const after = process.memoryUsage().rss;
process.stdout.write(JSON.stringify({ ms, rssDeltaMiB: (after - before) / 1048576, modules: Object.keys(require.cache).length, activate: typeof ext.activate }));
`;

function requireTime(n = 9) {
  const file = path.join(ROOT, 'dist', 'extension.js');
  if (!existsSync(file)) return { error: 'dist/extension.js not found' };
  const samples = [];
  for (let i = 0; i < n; i++) {
    const r = spawnSync(process.execPath, ['-e', REQUIRE_PROBE, file], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
    if (r.status !== 0) return { error: (r.stderr || `exit ${r.status}`).trim().split('\n').slice(0, 3).join(' / ') };
    samples.push(JSON.parse(r.stdout));
  }
  const ms = samples.map((s) => s.ms);
  return {
    medianMs: round(median(ms), 1),
    minMs: round(Math.min(...ms), 1),
    maxMs: round(Math.max(...ms), 1),
    processes: n,
    rssDeltaMiB: round(median(samples.map((s) => s.rssDeltaMiB)), 1),
    modulesInCache: samples[0].modules,
    exportsActivate: samples[0].activate === 'function',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// (i) and (j): full-size data sets

/**
 * The engine's data code and the tests' Fashion-MNIST helper (test/shared/fashionMnist.ts), bundled from src/ with
 * esbuild (the options of dist/cli.js) into one CommonJS file the probes require: dist/cli.js exports no loadData.
 */
async function buildDataProbe(tmpRoot) {
  const esbuild = await import('esbuild');
  const outfile = path.join(tmpRoot, 'data-probe.cjs');
  await esbuild.build({
    stdin: {
      contents: [
        "export { fashionMnistFiles } from './test/shared/fashionMnist';",
        "export { loadData } from './src/engine/data';",
        "export { loadExperimentFile } from './src/engine/experiment';",
      ].join('\n'),
      resolveDir: ROOT,
      sourcefile: 'bench-data-probe.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: ['module', 'main'],
    external: ['vscode', 'mnist'],
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * A temporary data cache ($VAE_LAB_DATA_DIR) holding fashion-mnist/ as `vae-lab data get` leaves it: the origin's four
 * .gz files with their published MD5s, rebuilt from Debian's dataset-fashion-mnist by test/shared/fashionMnist.ts
 * (which installs the package with scripts/setup-datasets.sh when it is missing).
 */
function fillFashionCache(probe, dataRoot) {
  const script = `
const p = require(process.argv[1]);
const fs = require('fs'), path = require('path');
const files = p.fashionMnistFiles(process.argv[3]);
if (typeof files === 'string') { process.stderr.write(files); process.exit(3); }
const dir = path.join(process.argv[2], 'fashion-mnist');
fs.mkdirSync(dir, { recursive: true });
for (const [name, buf] of files) fs.writeFileSync(path.join(dir, name), buf);
process.stdout.write(JSON.stringify({ dir, files: [...files].map(([name, b]) => ({ name, bytes: b.length })) }));`;
  const r = spawnSync(process.execPath, ['-e', script, probe, dataRoot, ROOT], { cwd: ROOT, encoding: 'utf8', timeout: 900000 });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-1)[0] };
  return JSON.parse(r.stdout);
}

/** loadData of an experiment (with --set assignments) in a fresh Node process: milliseconds, sizes, memory. */
const LOAD_PROBE = `
const p = require(process.argv[1]);
const path = require('path');
const file = path.resolve(process.argv[2]);
const config = p.loadExperimentFile(file, { set: JSON.parse(process.argv[3]) });
const rssBefore = process.memoryUsage().rss;
const t0 = process.hrtime.bigint();
const s = p.loadData(config, path.dirname(file));
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const splits = [s.train, s.validation, s.test];
process.stdout.write(JSON.stringify({
  ms, train: s.train.n, validation: s.validation.n, test: s.test.n, shape: s.train.shape,
  storage: s.train.x.constructor.name, bytesPerValue: s.train.x.BYTES_PER_ELEMENT,
  dataMiB: splits.reduce((a, d) => a + d.x.byteLength, 0) / 1048576,
  rssBeforeMiB: rssBefore / 1048576, rssAfterMiB: process.memoryUsage().rss / 1048576, maxRssMiB: process.resourceUsage().maxRSS / 1024,
}));`;

function loadTimes(probe, experiment, sets, dataRoot, n = 3) {
  const runs = [];
  for (let i = 0; i < n; i++) {
    const r = spawnSync(process.execPath, ['-e', LOAD_PROBE, probe, experiment, JSON.stringify(sets)], { cwd: ROOT, encoding: 'utf8', timeout: 300000, env: cleanEnv({ VAE_LAB_DATA_DIR: dataRoot }) });
    if (r.status !== 0) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-1)[0] };
    runs.push(JSON.parse(r.stdout));
  }
  const r0 = runs[0];
  return {
    medianMs: round(median(runs.map((r) => r.ms)), 1),
    runsMs: runs.map((r) => round(r.ms, 1)),
    processes: n,
    train: r0.train,
    validation: r0.validation,
    test: r0.test,
    shape: r0.shape,
    storage: r0.storage,
    bytesPerValue: r0.bytesPerValue,
    dataMiB: round(r0.dataMiB, 1),
    rssBeforeMiB: round(median(runs.map((r) => r.rssBeforeMiB)), 1),
    rssAfterMiB: round(median(runs.map((r) => r.rssAfterMiB)), 1),
    maxRssMiB: round(median(runs.map((r) => r.maxRssMiB)), 1),
  };
}

/** Preloaded into a training process (node --require): its peak RSS (getrusage ru_maxrss, KiB, as /usr/bin/time %M) at exit. */
const MAXRSS_PRELOAD = `process.on('exit', () => { try { require('fs').writeFileSync(process.env.VAE_LAB_BENCH_MAXRSS_FILE, String(process.resourceUsage().maxRSS)); } catch {} });\n`;

/** Call fn with each engine event of a `--json` child's stdout (one JSON object per line; other lines skipped). */
function onEngineEvents(stream, fn) {
  let buf = '';
  stream.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let e;
      try {
        e = JSON.parse(line);
      } catch {
        continue;
      }
      fn(e);
    }
  });
}

/**
 * `node --require <preload> dist/cli.js train <experiment> --epochs 1 --backend B --out <tmp> --json [--set ...]`:
 * its peak RSS, wall time and how far it got. With `stopAfterSteps`, SIGTERM once a `step` event reaches that step:
 * the CLI cancels (a checkpoint, exit 130), so only that fraction of the epoch is trained.
 */
async function rssRun(tmpRoot, experiment, backend, sets, env, stopAfterSteps) {
  const out = mkdtempSync(path.join(tmpRoot, `rss-${backend}-`));
  const preload = path.join(tmpRoot, 'maxrss-preload.cjs');
  if (!existsSync(preload)) writeFileSync(preload, MAXRSS_PRELOAD);
  const rssFile = path.join(out, 'maxrss.txt');
  const args = ['--require', preload, CLI, 'train', experiment, '--epochs', '1', '--backend', backend, '--out', out, '--json', ...sets.flatMap((s) => ['--set', s])];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv({ ...env, VAE_LAB_BENCH_MAXRSS_FILE: rssFile }) });
  live.add(child);
  let stderr = '';
  let started;
  let end;
  let lastStep = 0;
  let signalled = false;
  onEngineEvents(child.stdout, (e) => {
    if (e.type === 'started') started = e;
    if (e.type === 'step') lastStep = e.step;
    if (e.type === 'finished' || e.type === 'cancelled' || e.type === 'failed') end = e;
    if (stopAfterSteps && !signalled && e.type === 'step' && e.step >= stopAfterSteps) {
      signalled = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((r) => child.on('close', r));
  const wall = (performance.now() - t0) / 1000;
  live.delete(child);
  const ok = end?.type === 'finished' || (signalled && end?.type === 'cancelled');
  if (!ok) throw new Error(`${rel(CLI)} train ${rel(experiment)} --backend ${backend} ended ${end ? `'${end.type}' ${end.error ?? ''}` : `with exit code ${code}`}: ${stderr.trim().split('\n').slice(-2).join(' / ')}`);
  const kib = Number(readFileSync(rssFile, 'utf8'));
  return {
    backend,
    maxRssMiB: round(kib / 1024, 1),
    maxRssMB: round((kib * 1024) / 1e6, 1),
    how: 'process.resourceUsage().maxRSS at exit (getrusage ru_maxrss, as /usr/bin/time %M), node --require preload',
    wallSeconds: round(wall, 1),
    ended: end.type,
    steps: signalled ? lastStep : end.step,
    stepsPerEpoch: started?.stepsPerEpoch,
    data: started?.data,
    parameters: started?.parameters,
  };
}

/** A CIFAR-10-sized uint8 IDX file (n x 32 x 32 x 3: smooth colour ramps plus noise, values over 0..255) and labels. */
function writeCifarProxy(dir) {
  const { n, h, w, c } = CIFAR_PROXY;
  const inner = h * w * c;
  const img = Buffer.allocUnsafe(20 + n * inner);
  img.writeUInt32BE(0x00000804, 0);
  [n, h, w, c].forEach((d, k) => img.writeUInt32BE(d, 4 + 4 * k));
  let s = 0x9e3779b9;
  const rnd = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  for (let i = 0; i < n; i++) {
    const base = 20 + i * inner;
    const hue = [rnd() & 255, rnd() & 255, rnd() & 255];
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) img[base + (y * w + x) * c + k] = (hue[k] + 4 * x + 2 * y + (rnd() & 31)) & 255;
  }
  const labels = Buffer.allocUnsafe(8 + n);
  labels.writeUInt32BE(0x00000801, 0);
  labels.writeUInt32BE(n, 4);
  for (let i = 0; i < n; i++) labels[8 + i] = rnd() % 10;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'images-idx4-ubyte'), img);
  writeFileSync(path.join(dir, 'labels-idx1-ubyte'), labels);
  // A small conv VAE (about 0.2 M parameters), so that a fraction of an epoch takes a minute on wasm.
  const experiment = {
    name: 'cifar-sized-conv-vae',
    description: 'bench part (i): a small conv VAE on a CIFAR-10-sized uint8 IDX file (50,000 x 32x32x3)',
    data: { source: 'idx', path: 'images-idx4-ubyte', labelsPath: 'labels-idx1-ubyte', binarize: 'none' },
    model: { kind: 'vae', latentDim: 16, encoder: { type: 'conv', filters: [16, 32], kernelSize: 4, stride: 2, hidden: [64], activation: 'relu' }, likelihood: 'bernoulli' },
    training: { epochs: 1, batchSize: 256, optimizer: { type: 'adam', learningRate: 0.001 }, seed: 1 },
    logging: { metricsEvery: 10 },
  };
  const file = path.join(dir, 'cifar-sized.vae.json');
  writeFileSync(file, JSON.stringify(experiment, null, 2));
  return { file, bytes: img.length + labels.length, experiment };
}

/**
 * (j) VAE Lab's side: the reference VAE on the full Fashion-MNIST through the CLI. After each epoch's checkpoint
 * event its run.json and checkpoint are copied to a folder of their own; `vae-lab eval` then evaluates each copy on
 * the test set (t10k): the per-epoch test loss, which the training loop itself does not compute (it validates).
 */
async function referenceVaeLab(tmpRoot, backend, epochs, dataRoot, dataSet) {
  const out = mkdtempSync(path.join(tmpRoot, 'ref-vaelab-'));
  const env = cleanEnv({ VAE_LAB_DATA_DIR: dataRoot });
  const sets = [`data.source=${dataSet}`, `data.validationSplit=${REF_VALIDATION_SPLIT}`];
  const args = [CLI, 'train', EXPERIMENT, '--epochs', String(epochs), '--backend', backend, '--out', out, '--json', ...sets.flatMap((s) => ['--set', s])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
  live.add(child);
  let stderr = '';
  let started;
  let end;
  const epochEvents = [];
  const snapshots = [];
  const t0 = performance.now();
  onEngineEvents(child.stdout, (e) => {
    if (e.type === 'started') started = e;
    if (e.type === 'epoch') {
      epochEvents.push(e);
      log(`  VAE Lab epoch ${e.epoch + 1}/${epochs}: ${e.seconds.toFixed(1)} s, train loss ${e.train.loss.toFixed(2)}`);
    }
    if (e.type === 'finished' || e.type === 'failed' || e.type === 'cancelled') end = e;
    if (e.type === 'checkpoint' && started) {
      // Copied at once: the next checkpoint comes an epoch later. run.json names the checkpoint's epoch.
      const snap = path.join(out, `epoch-${String(e.epoch).padStart(2, '0')}`);
      mkdirSync(path.join(snap, 'checkpoints'), { recursive: true });
      const runDir = path.resolve(ROOT, started.runDir);
      copyFileSync(path.join(runDir, 'run.json'), path.join(snap, 'run.json'));
      copyFileSync(path.join(runDir, e.path), path.join(snap, 'checkpoints', path.basename(e.path)));
      snapshots.push({ epoch: e.epoch, dir: snap, recorded: readJson(path.join(snap, 'run.json')).lastCheckpoint?.epoch });
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((r) => child.on('close', r));
  const wall = (performance.now() - t0) / 1000;
  live.delete(child);
  if (end?.type !== 'finished') throw new Error(`${rel(CLI)} train (reference, ${dataSet}) ended ${end ? `'${end.type}' ${end.error ?? ''}` : `with exit code ${code}`}: ${stderr.trim().split('\n').slice(-2).join(' / ')}`);
  const rec = readJson(path.join(path.resolve(ROOT, started.runDir), 'run.json'));
  const tests = [];
  for (const s of snapshots) {
    if (s.recorded !== s.epoch) throw new Error(`the copy of epoch ${s.epoch}'s checkpoint is not that epoch's (run.json says ${s.recorded})`);
    const t = performance.now();
    const r = spawnSync(process.execPath, [CLI, 'eval', s.dir, '--k', '0', '--samples', '1'], { cwd: ROOT, encoding: 'utf8', env, timeout: 600000 });
    if (r.status !== 0) throw new Error(`vae-lab eval of epoch ${s.epoch}: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0]}`);
    const ev = readJson(path.join(s.dir, 'eval.json'));
    tests.push({ epoch: s.epoch, loss: ev.metrics.loss, recon: ev.metrics.recon, kl: ev.metrics.kl, examples: ev.examples, samples: ev.samples, evalSeconds: (performance.now() - t) / 1000 });
    log(`  VAE Lab epoch ${s.epoch}: test loss ${ev.metrics.loss.toFixed(2)} (vae-lab eval, ${ev.examples} images)`);
  }
  return {
    backend: rec.backend?.name ?? backend,
    backendDetail: rec.backend?.detail,
    command: `node ${[CLI, 'train', EXPERIMENT, '--epochs', String(epochs), '--backend', backend, ...sets.flatMap((s) => ['--set', s])].join(' ')}`,
    trainExamples: rec.data.train,
    validationExamples: rec.data.validation,
    testExamples: rec.data.test,
    wallSeconds: round(wall, 1),
    epochSeconds: epochEvents.map((e) => round(e.seconds, 2)),
    trainLoss: epochEvents.map((e) => round(e.train.loss, 3)),
    testLoss: tests.map((t) => round(t.loss, 3)),
    testRecon: tests.map((t) => round(t.recon, 3)),
    testKl: tests.map((t) => round(t.kl, 3)),
    evalSeconds: tests.map((t) => round(t.evalSeconds, 1)),
  };
}

/** (j) PyTorch's side: bench/peer/torch_vae.py --idx on the same four files, as pytorch/examples' vae/main.py trains. */
async function referencePytorch(found, dataDir, epochs, cores) {
  // The setting part (b) usually finds fastest here: OpenBLAS (pthread) with one torch thread per core.
  const blas = openblasDirs().find((d) => d.variant === 'pthread');
  const config = blas
    ? { label: `OpenBLAS pthread, ${cores} threads, OMP_WAIT_POLICY=PASSIVE`, threads: cores, env: { LD_LIBRARY_PATH: blas.dir, OMP_WAIT_POLICY: 'PASSIVE' } }
    : { label: 'as installed (default threads, system libblas)', threads: 0, env: {} };
  const env = { ...process.env };
  for (const k of ['OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'OMP_WAIT_POLICY', 'MKL_NUM_THREADS', 'GOTO_NUM_THREADS']) delete env[k];
  if (config.env.LD_LIBRARY_PATH) env.LD_LIBRARY_PATH = [config.env.LD_LIBRARY_PATH, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  if (config.env.OMP_WAIT_POLICY) env.OMP_WAIT_POLICY = config.env.OMP_WAIT_POLICY;
  const args = [PEER_SCRIPT, '--model', 'mlp', '--idx', dataDir, '--epochs', String(epochs), '--reduction', 'sum', '--seed', '1', '--threads', String(config.threads)];
  const child = spawn(found.python, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => {
    err += d;
    for (const line of String(d).split('\n')) if (line.startsWith('====>')) log(`  PyTorch ${line.slice(6)}`);
  });
  const code = await new Promise((r) => child.on('close', r));
  live.delete(child);
  if (code !== 0) throw new Error(`${path.basename(PEER_SCRIPT)} --idx exited ${code}: ${err.trim().split('\n').pop()}`);
  const r = JSON.parse(out.trim().split('\n').pop());
  return { ...r, setting: config.label, python: found.python, command: `${found.python} ${rel(PEER_SCRIPT)} ${args.slice(1).map((a) => (a === dataDir ? `<data folder>/${path.basename(dataDir)}` : a)).join(' ')}` };
}

/** The markdown table of part (j). */
function referenceMarkdown(v, t) {
  const head = [
    'Epoch',
    `VAE Lab test loss (${fmtInt(v.testExamples)} t10k images: −ELBO, 1 sample, \`vae-lab eval\` of the epoch's checkpoint)`,
    `PyTorch test loss (same images: summed BCE + KLD / ${fmtInt(t.testExamples)}, 1 sample, as pytorch/examples)`,
    'VAE Lab train loss (mean over the epoch)',
    'PyTorch train loss (mean over the epoch)',
    `VAE Lab s/epoch (${v.backend})`,
    'PyTorch s/epoch',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => ' ---: ').join('|')}|`];
  const n = Math.max(v.testLoss.length, t.testLoss.length);
  const f = (x, d) => (x === undefined || x === null ? '' : x.toFixed(d));
  for (let i = 0; i < n; i++) lines.push(`| ${i + 1} | ${f(v.testLoss[i], 2)} | ${f(t.testLoss[i], 2)} | ${f(v.trainLoss[i], 2)} | ${f(t.trainLoss[i], 2)} | ${f(v.epochSeconds[i], 1)} | ${f(t.epochSeconds[i], 1)} |`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Main

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const has = (p) => opt.only.has(p);
  const started = new Date();
  for (const f of [CLI, ENGINE, MNIST_CACHE]) {
    if ((has('a') || has('b') || has('c') || has('f') || has('i') || has('j')) && !existsSync(path.join(ROOT, f))) fail(`${f} is missing: run "npm run build" first (npm run bench does).`);
  }
  const machine = machineInfo();
  const conditions = { waitedForIdle: opt.waitIdle > 0 };
  if (opt.waitIdle > 0) {
    const w = await waitIdle(opt.waitIdle);
    Object.assign(conditions, w);
    if (!w.idle) log(`the machine did not become idle within ${opt.waitIdle} min; measuring anyway`);
  }
  conditions.busyAtStart = heavyProcesses();
  conditions.cpuBusyAtStart = round(await cpuBusy(1000), 2);
  conditions.loadAverageAtStart = os.loadavg().map((x) => round(x, 2));
  const ticks0 = cpuTicks();
  const interference = new Set();
  const checkInterference = () => heavyProcesses().forEach((p) => interference.add(p));

  const result = {
    schema: 1,
    time: started.toISOString(),
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    parts: PARTS.filter(has),
    machine,
    conditions,
    settings: { experiment: EXPERIMENT, epochs: opt.epochs, warmupEpochs: 1, repeat: opt.repeat },
  };
  const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'vae-lab-bench-'));
  const useTime = hasTimeCommand();
  const rows = [];

  try {
    // --- which backends: as the engine sees them (`backend list --json`); tfjs-node is in the backends folder
    const needTraining = has('a') || has('c') || has('f');
    const list = needTraining || has('g') || has('i') || has('j') ? backendList() : undefined;
    const tfStatus = list ? tensorflowStatus(list) : { available: false, reason: 'not checked (no training part)' };
    if (list) {
      machine.tfjsNode = tfStatus.available ? tfStatus.version : null;
      machine.backendsDir = list.backendsDir ?? null;
      result.backendList = list.error ? { error: list.error } : list.backends.map(({ name, available, version, detail, reason, auto, adapter }) => ({ name, available, version, detail, reason, auto, adapter }));
      if (!tfStatus.available) log(`the "tensorflow" backend is not available: ${tfStatus.reason}`);
    }
    // The backend `auto` picks (the first available of tensorflow, wasm): the one of (b)'s headline ratio, (c), (f), (g).
    const auto = list?.backends.find((b) => b.auto && b.available)?.name;
    const primary = auto === 'tensorflow' || auto === 'wasm' ? auto : tfStatus.available ? 'tensorflow' : 'wasm';
    const oneThread = { VAE_LAB_THREADS: '1' };
    const convData = (() => {
      const d = readJson(path.join(ROOT, CONV_EXPERIMENT)).data ?? {};
      return { sets: [`data.options.count=${opt.convCount}`], train: trainCount(opt.convCount, d.testSplit ?? 0.2, d.validationSplit ?? 0.1) };
    })();
    result.settings.conv = opt.conv && (has('a') || has('b')) ? { experiment: CONV_EXPERIMENT, epochs: opt.convEpochs, warmupEpochs: 1, dataCount: opt.convCount, trainExamples: convData.train, batchSize: 64 } : undefined;
    const backends = {};
    const convBackends = {};
    if (has('a')) {
      const tfRow = () => (tfStatus.available ? { backend: 'tensorflow', runs: [] } : { skipped: `not available: ${tfStatus.reason}` });
      backends.tensorflow = tfRow();
      // Each backend also on one thread (VAE_LAB_THREADS=1: wasm's pthread pool off, TF_NUM_INTRAOP_THREADS=1 for
      // tensorflow), for a like-for-like comparison with one-thread PyTorch, when the machine has more than one core.
      if (tfStatus.available && machine.cores > 1) backends['tensorflow, 1 thread'] = { backend: 'tensorflow', runs: [], env: oneThread };
      backends.wasm = { backend: 'wasm', runs: [] };
      if (machine.cores > 1) backends['wasm, 1 thread'] = { backend: 'wasm', runs: [], env: oneThread };
      backends.cpu = opt.withCpu ? { backend: 'cpu', runs: [], dataLimit: opt.cpuLimit } : { skipped: 'not measured: about 20-100x slower; pass --with-cpu (measured on a reduced data set, --cpu-limit)' };
      if (opt.conv) {
        convBackends.tensorflow = tfRow();
        if (tfStatus.available && machine.cores > 1) convBackends['tensorflow, 1 thread'] = { backend: 'tensorflow', runs: [], env: oneThread };
        convBackends.wasm = { backend: 'wasm', runs: [] };
      }
    }
    // webgpu rows (part a), kept apart from `backends`: on a software adapter (adapter.fallback) one short run per
    // model, reported and never compared; on a real GPU adapter measured like the other rows (interleaved, --repeat),
    // plus a batch-size sweep of the MLP. `auto` may pick webgpu on a real GPU, but (b)'s headline ratio, (c), (f)
    // and (g) stay on `primary` (tensorflow or wasm).
    const gpuStatus = list ? webgpuStatus(list) : { available: false, reason: 'not checked (no training part)' };
    const mlpBatch = readJson(path.join(ROOT, EXPERIMENT)).training?.batchSize ?? 128;
    let gpu;
    if (has('a')) {
      if (!gpuStatus.available) gpu = { status: gpuStatus, skipped: `not available: ${gpuStatus.reason}` };
      else if (gpuStatus.software) {
        const e = WEBGPU_SOFTWARE.epochs;
        gpu = {
          status: gpuStatus,
          mlp: { backend: 'webgpu', runs: [], epochs: e, sets: [`data.options.limit=${WEBGPU_SOFTWARE.mnistLimit}`], dataLimit: WEBGPU_SOFTWARE.mnistLimit, batchSize: mlpBatch },
          conv: opt.conv ? { backend: 'webgpu', runs: [], epochs: e, sets: convData.sets, batchSize: 64 } : undefined,
        };
      } else {
        gpu = {
          status: gpuStatus,
          mlp: { backend: 'webgpu', runs: [], epochs: opt.epochs, sets: [], batchSize: mlpBatch },
          conv: opt.conv ? { backend: 'webgpu', runs: [], epochs: opt.convEpochs, sets: convData.sets, batchSize: 64 } : undefined,
          // The example's own batch size is the main row; the others are measured in the same rounds.
          sweep: WEBGPU_BATCH_SWEEP.filter((n) => n !== mlpBatch).map((n) => ({ backend: 'webgpu', runs: [], epochs: opt.epochs, sets: [`training.batchSize=${n}`], batchSize: n })),
        };
      }
      if (!gpuStatus.available) log(`the "webgpu" backend is not available: ${gpuStatus.reason}`);
      else log(`webgpu adapter: ${gpuStatus.label}${gpuStatus.software ? ` -> ${WEBGPU_SOFTWARE_NOTE}` : ''}`);
    }

    // --- peer setup and tuning (short runs) before the interleaved rounds
    let peer;
    let convPeer;
    if (has('b')) {
      let found = pythonWithTorch(opt.python);
      if (!found && opt.installPeer && installPeer()) found = pythonWithTorch(opt.python);
      const missing = opt.installPeer ? `${PEER_MISSING}; apt-get install failed` : PEER_MISSING;
      // PyTorch's MLP epochs take well under a second: more of them, so that the median is as robust as ours.
      peer = found ? await setupPeer(found, 'mlp', machine.cores, { tuneEpochs: 6, epochs: Math.max(opt.epochs, 12) }) : { skipped: missing };
      checkInterference();
      if (opt.conv) {
        // Conv tuning: 3 epochs per setting on the same number of images as our conv runs; a setting that collapses
        // (busy-waiting threads) is given up after 90 s.
        convPeer = found ? await setupPeer(found, 'conv', machine.cores, { tuneEpochs: 3, epochs: Math.max(opt.convEpochs, 8), train: convData.train, tuneTimeoutMs: 90000 }) : { skipped: missing };
        checkInterference();
      }
    }

    // --- interleaved rounds. Each round: CLI (primary backend), engine child, PyTorch peer, the other MLP rows; then
    // the conv rows and the conv peer. Each group runs in ABBA order (reversed every other round) so that a slow
    // drift of the machine's speed cancels out in the comparisons (b) and (c); the CLI and child runs of (c) stay
    // next to each other.
    const engine = has('c') ? { cli: [], child: [] } : undefined;
    const cliRuns = [];
    const rounds = has('a') || has('b') || has('c') ? opt.repeat : needTraining ? 1 : 0;
    for (let round_ = 1; round_ <= rounds; round_++) {
      const tag = `round ${round_}/${rounds}`;
      const cliStep = (label, b, epochs, experiment, sets) => async () => {
        log(`${tag}: CLI training, ${label}, ${epochs} epochs`);
        let r;
        try {
          r = await cliRun(b.backend, epochs, sets, tmpRoot, useTime, b.env ?? {}, experiment);
        } catch (err) {
          // A failing webgpu run (driver, out of memory) is recorded in its row; any other backend's ends the bench.
          if (b.backend !== 'webgpu') throw err;
          (b.errors ??= []).push(String(err.message ?? err));
          log(`  failed: ${err.message ?? err}`);
          return;
        }
        b.runs.push(r);
        log(`  ${fmtInt(r.examplesPerSecond)} ex/s, ${r.wallSeconds} s, ${r.maxRssMiB} MiB`);
      };
      const peerStep = (p, label) => async () => {
        for (const [which, q] of [['', p], [', single thread for reference', p.single]]) {
          if (!q) continue;
          log(`${tag}: PyTorch peer, ${label}${which}: ${q.setting}, ${p.epochs} epochs`);
          const r = await peerRun(p.python, q.config, p.epochs, p.model, p.train);
          if (r.error) log(`  failed: ${r.error}`);
          else {
            q.runs.push(r);
            log(`  ${fmtInt(r.examplesPerSecond)} ex/s`);
          }
        }
      };
      const steps = [];
      if (needTraining) {
        steps.push(async () => {
          log(`${tag}: CLI training, ${primary}, ${opt.epochs} epochs`);
          const r = await cliRun(primary, opt.epochs, [], tmpRoot, useTime);
          cliRuns.push(r);
          if (backends[primary]) backends[primary].runs.push(r);
          if (engine) engine.cli.push(r);
          log(`  ${fmtInt(r.examplesPerSecond)} ex/s, ${r.wallSeconds} s, ${r.maxRssMiB} MiB`);
        });
      }
      if (engine) {
        steps.push(async () => {
          log(`${tag}: engine child process (fork ${ENGINE} + IPC), ${primary}`);
          const r = await childRun(primary, opt.epochs, tmpRoot, useTime);
          engine.child.push(r);
          log(`  ${fmtInt(r.examplesPerSecond)} ex/s, ${r.wallSeconds} s`);
        });
      }
      if (peer && !peer.skipped) steps.push(peerStep(peer, 'MLP'));
      for (const [name, b] of Object.entries(backends)) {
        if (b.skipped || name === primary || name === 'cpu') continue;
        steps.push(cliStep(name, b, opt.epochs, EXPERIMENT, []));
      }
      const gpuHardware = gpu && !gpu.skipped && !gpu.status.software;
      if (gpuHardware) {
        steps.push(cliStep(`webgpu (${gpu.status.short}), batch ${gpu.mlp.batchSize}`, gpu.mlp, gpu.mlp.epochs, EXPERIMENT, gpu.mlp.sets));
        for (const b of gpu.sweep) steps.push(cliStep(`webgpu (${gpu.status.short}), batch ${b.batchSize}`, b, b.epochs, EXPERIMENT, b.sets));
      }
      const convSteps = [];
      for (const [name, b] of Object.entries(convBackends)) {
        if (b.skipped) continue;
        convSteps.push(cliStep(`conv ${name}`, b, opt.convEpochs, CONV_EXPERIMENT, convData.sets));
        if (name === 'tensorflow' && convPeer && !convPeer.skipped) convSteps.push(peerStep(convPeer, 'conv'));
      }
      if (gpuHardware && gpu.conv) convSteps.push(cliStep(`conv webgpu (${gpu.status.short})`, gpu.conv, gpu.conv.epochs, CONV_EXPERIMENT, gpu.conv.sets));
      if (convPeer && !convPeer.skipped && !convSteps.length) convSteps.push(peerStep(convPeer, 'conv'));
      for (const group of [steps, convSteps]) {
        if (round_ % 2 === 0) group.reverse();
        for (const step of group) {
          await step();
          checkInterference();
        }
      }
      if (gpu && !gpu.skipped && gpu.status.software && round_ === 1) {
        // Software adapter: once, short (the first epoch excluded), outside the interleaved comparison.
        for (const [b, experiment, what] of [[gpu.mlp, EXPERIMENT, `data.options.limit=${WEBGPU_SOFTWARE.mnistLimit}`], [gpu.conv, CONV_EXPERIMENT, 'conv']]) {
          if (!b) continue;
          log(`CLI training, webgpu on a software adapter (${gpu.status.label}), ${what}, ${b.epochs} epochs (once)`);
          try {
            const r = await cliRun('webgpu', b.epochs, b.sets, tmpRoot, useTime, {}, experiment);
            b.runs.push(r);
            log(`  ${fmtInt(r.examplesPerSecond)} ex/s, ${r.wallSeconds} s, ${r.maxRssMiB} MiB`);
          } catch (err) {
            (b.errors ??= []).push(String(err.message ?? err));
            log(`  failed: ${err.message ?? err}`);
          }
          checkInterference();
        }
      }
      if (has('a') && opt.withCpu && round_ === 1) {
        log(`CLI training, cpu, data.options.limit=${opt.cpuLimit} (once)`);
        backends.cpu.runs.push(await cliRun('cpu', opt.epochs, [`data.options.limit=${opt.cpuLimit}`], tmpRoot, useTime));
        checkInterference();
      }
    }

    // --- (a)
    /** The JSON of one measured row (median over its runs) and the text of its runs, for the table. */
    const measurement = (b, epochs) => {
      const eps = b.runs.map((r) => r.examplesPerSecond);
      const s = spread(eps);
      const be = b.runs[0].backend;
      const json = {
        examplesPerSecond: round(median(eps), 1),
        spreadPercent: round(s, 1),
        trainExamples: b.runs[0].trainExamples,
        measuredEpochsPerRun: epochs - 1,
        backendDetail: `${be.name} ${be.version}: ${be.detail}`,
        dataLimit: b.dataLimit,
        env: b.env,
        runs: b.runs.map(({ backend, ...r }) => r),
      };
      const runsText = `${b.runs.length} run(s): ${eps.map(fmtInt).join(' / ')}${s !== undefined ? `, spread ${s.toFixed(1)} %` : ''}`;
      return { json, runsText, detail: be.detail };
    };
    const summariseBackends = (list, label, epochs, what) => {
      const out = {};
      for (const [name, b] of Object.entries(list)) {
        if (b.skipped) {
          out[name] = { skipped: b.skipped };
          rows.push([`(a) ${label}, ${name}`, 'skipped', b.skipped]);
          continue;
        }
        const m = measurement(b, epochs);
        out[name] = m.json;
        rows.push([
          `(a) ${label}, ${name}`,
          `${fmtInt(out[name].examplesPerSecond)} ex/s`,
          `median of ${epochs - 1} epochs (warm-up excluded) over ${fmtInt(b.runs[0].trainExamples)} ${what}; ${m.runsText}; ${m.detail}`,
        ]);
      }
      return out;
    };
    /** A webgpu row (MLP, conv or a sweep point): labelled with the adapter; on a software adapter, the caveat first. */
    const summariseWebgpu = (b, label, what) => {
      const st = gpu.status;
      const name = `(a) ${label}, webgpu (${st.short})${b.sweepPoint ? `, batch ${b.batchSize}` : ''}`;
      const adapterText = `adapter ${st.label}`;
      if (!b.runs.length) {
        rows.push([name, 'failed', `${(b.errors ?? ['no run']).slice(-1)[0]}; ${adapterText}`]);
        return { failed: b.errors ?? ['no run'], batchSize: b.batchSize };
      }
      const m = measurement(b, b.epochs);
      const json = { ...m.json, batchSize: b.batchSize, errors: b.errors };
      const timed = `${b.epochs - 1} epoch(s) timed (warm-up excluded) over ${fmtInt(b.runs[0].trainExamples)} ${what}, batch ${b.batchSize}`;
      rows.push([
        name,
        `${fmtInt(json.examplesPerSecond)} ex/s`,
        st.software ? `${WEBGPU_SOFTWARE_NOTE}; one run, ${timed}; ${adapterText}` : `median of ${timed}; ${m.runsText}; ${adapterText}`,
      ]);
      return json;
    };
    if (has('a')) {
      result.training = summariseBackends(backends, 'training throughput', opt.epochs, 'digits');
      const convWhat = `${path.basename(CONV_EXPERIMENT)} images (data.options.count=${opt.convCount})`;
      if (gpu?.skipped) {
        rows.push(['(a) training throughput, webgpu', 'skipped', gpu.skipped]);
        result.webgpu = { available: false, skipped: gpu.skipped };
      } else if (gpu) {
        const st = gpu.status;
        result.webgpu = { available: true, adapter: st.adapter, adapterLabel: st.label, software: st.software, version: st.version, detail: st.detail };
        if (st.software) Object.assign(result.webgpu, { note: WEBGPU_SOFTWARE_NOTE, runsPerModel: 1, epochsPerRun: WEBGPU_SOFTWARE.epochs, mnistLimit: WEBGPU_SOFTWARE.mnistLimit });
        const mlpWhat = st.software ? `digits (data.options.limit=${WEBGPU_SOFTWARE.mnistLimit})` : 'digits';
        result.webgpu.mlp = summariseWebgpu(gpu.mlp, 'training throughput', mlpWhat);
        if (!st.software) {
          // Real GPU adapter: the batch sweep of the MLP, its rows next to the MLP row.
          const points = [gpu.mlp, ...gpu.sweep].sort((x, y) => x.batchSize - y.batchSize);
          const sweep = points.map((b) => (b === gpu.mlp ? result.webgpu.mlp : summariseWebgpu(Object.assign(b, { sweepPoint: true }), 'training throughput', 'digits')));
          const ok = sweep.filter((x) => x.examplesPerSecond);
          const best = ok.length ? ok.reduce((x, y) => (y.examplesPerSecond > x.examplesPerSecond ? y : x)) : undefined;
          result.webgpu.batchSweep = {
            batchSizes: points.map((b) => b.batchSize),
            points: sweep.map((x) => ({ batchSize: x.batchSize, examplesPerSecond: x.examplesPerSecond ?? null, spreadPercent: x.spreadPercent, failed: x.failed })),
            best: best ? { batchSize: best.batchSize, examplesPerSecond: best.examplesPerSecond } : null,
          };
          rows.push([
            `(a) webgpu (${st.short}) best MLP batch size`,
            best ? `${fmtInt(best.examplesPerSecond)} ex/s` : 'n/a',
            `${best ? `batch ${best.batchSize}` : 'no sweep point ran'} of ${sweep.map((x) => `${x.batchSize}: ${x.examplesPerSecond ? fmtInt(x.examplesPerSecond) : 'failed'}`).join(' / ')} ex/s (--set training.batchSize=N); adapter ${st.label}`,
          ]);
        }
      }
      if (opt.conv) {
        result.trainingConv = summariseBackends(convBackends, 'conv training throughput', opt.convEpochs, `${convWhat}, batch 64`);
        if (gpu?.skipped) rows.push(['(a) conv training throughput, webgpu', 'skipped', gpu.skipped]);
        else if (gpu?.conv) result.webgpu.conv = summariseWebgpu(gpu.conv, 'conv training throughput', convWhat);
      }
      if (gpu && !gpu.skipped && !gpu.status.software) {
        // Real GPU adapter: the targets (the batch sweep's rows follow the MLP row, above).
        const st = gpu.status;
        const mlpEps = result.webgpu.mlp.examplesPerSecond;
        const convEps = result.webgpu.conv?.examplesPerSecond;
        const wasmConv = result.trainingConv?.wasm?.examplesPerSecond;
        const convRatio = convEps && wasmConv ? round(convEps / wasmConv, 2) : null;
        const goals = {
          mlp: { goal: WEBGPU_GOALS.mlpExamplesPerSecond, what: `reference VAE examples/s at batch ${gpu.mlp.batchSize}`, examplesPerSecond: mlpEps ?? null, met: mlpEps ? mlpEps >= WEBGPU_GOALS.mlpExamplesPerSecond : null },
          conv: { goal: WEBGPU_GOALS.convVsWasm, what: 'conv example examples/s, webgpu / wasm', ratio: convRatio, webgpu: convEps ?? null, wasm: wasmConv ?? null, met: convRatio === null ? null : convRatio >= WEBGPU_GOALS.convVsWasm },
        };
        if (!opt.conv) goals.conv.why = 'not measured (--no-conv)';
        else if (convRatio === null) goals.conv.why = convEps ? 'no wasm conv run' : 'the webgpu conv run failed';
        result.webgpu.goals = goals;
        const verdict = (met) => (met === null ? 'not measured' : met ? 'met' : 'NOT met');
        rows.push([`(a) webgpu (${st.short}) goal: reference VAE, batch ${gpu.mlp.batchSize}`, mlpEps ? `${fmtInt(mlpEps)} ex/s` : 'n/a', `goal >= ${fmtInt(WEBGPU_GOALS.mlpExamplesPerSecond)} ex/s: ${verdict(goals.mlp.met)}; adapter ${st.label}`]);
        rows.push([`(a) webgpu (${st.short}) goal: conv / wasm`, convRatio === null ? 'n/a' : `${convRatio.toFixed(2)}x`, `${convRatio === null ? goals.conv.why : `webgpu ${fmtInt(convEps)} / wasm ${fmtInt(wasmConv)} ex/s`}; goal >= ${WEBGPU_GOALS.convVsWasm}x: ${verdict(goals.conv.met)}; adapter ${st.label}`]);
      } else if (gpu && !gpu.skipped) {
        result.webgpu.goals = { evaluated: false, why: 'software adapter: the targets are for a real GPU' };
      }
    }

    // --- (b)
    if (has('b')) {
      const ratio = (ours, theirs) => (ours?.examplesPerSecond && theirs?.examplesPerSecond ? round(ours.examplesPerSecond / theirs.examplesPerSecond, 3) : null);
      const ratioRow = (label, r, oursName, ours, theirsName, theirs, goal) => {
        if (r === null) return;
        const g = goal === undefined ? '' : `; goal >= ${goal.toFixed(1)}: ${r >= goal ? 'met' : 'NOT met'}`;
        rows.push([label, r.toFixed(3), `VAE Lab (${oursName}) ${fmtInt(ours.examplesPerSecond)} ex/s / PyTorch (${theirsName}) ${fmtInt(theirs.examplesPerSecond)} ex/s${g}`]);
      };
      const goals = {};
      const goalEntry = (model, r, why) => (goals[model] = { goal: TENSORFLOW_GOALS[model], ratio: r, met: r === null ? null : r >= TENSORFLOW_GOALS[model], ...(r === null ? { why } : {}) });
      const notMeasured = (label, why) => rows.push([label, 'n/a', why]);
      const tfWhy = !has('a') ? 'run part a as well (--only a,b)' : tfStatus.available ? 'no tensorflow run' : `the "tensorflow" backend is not available: ${tfStatus.reason}`;

      // MLP
      const p = summarisePeer(peer, rows, '(b) PyTorch peer, same model/data/batch', '(b) PyTorch, one thread (reference)');
      result.peer = p.json;
      if (!p.ok) result.trainRatioVsPytorch = null;
      else {
        const oursBackend = result.training?.[primary] ?? (cliRuns.length ? { examplesPerSecond: median(cliRuns.map((r) => r.examplesPerSecond)) } : undefined);
        const torch1 = result.peer.singleThread ?? (result.peer.threads === 1 ? result.peer : undefined);
        const torch1Name = result.peer.singleThread?.setting ?? result.peer.setting;
        if (oursBackend?.examplesPerSecond) {
          result.trainRatioVsPytorch = ratio(oursBackend, result.peer);
          result.trainRatioBackend = primary;
          ratioRow('(b) ratio ours / PyTorch', result.trainRatioVsPytorch, primary, oursBackend, 'tuned', result.peer, primary === 'tensorflow' ? TENSORFLOW_GOALS.mlp : undefined);
          // One thread against one thread: our wasm backend on one thread / PyTorch's best one-thread setting.
          result.trainRatioVsPytorchSingleThread = torch1 ? ratio(result.training?.['wasm, 1 thread'], torch1) ?? undefined : undefined;
        } else {
          result.trainRatioVsPytorch = null;
          notMeasured('(b) ratio ours / PyTorch', 'run part a as well (--only a,b)');
        }
        // Per backend, so that tensorflow and wasm are both compared with the same PyTorch runs.
        const t = result.training ?? {};
        result.tensorflowMlpRatioVsPytorch = ratio(t.tensorflow, result.peer);
        result.tensorflowMlpRatioVsPytorchSingleThread = torch1 ? ratio(t['tensorflow, 1 thread'], torch1) : null;
        result.wasmMlpRatioVsPytorch = ratio(t.wasm, result.peer);
        goalEntry('mlp', result.tensorflowMlpRatioVsPytorch, tfWhy);
        if (primary !== 'tensorflow') {
          if (result.tensorflowMlpRatioVsPytorch === null) notMeasured('(b) ratio tensorflow / PyTorch', tfWhy);
          else ratioRow('(b) ratio tensorflow / PyTorch', result.tensorflowMlpRatioVsPytorch, 'tensorflow', t.tensorflow, 'tuned', result.peer, TENSORFLOW_GOALS.mlp);
        }
        if (primary !== 'wasm') ratioRow('(b) ratio wasm / PyTorch', result.wasmMlpRatioVsPytorch, 'wasm', t.wasm, 'tuned', result.peer);
        ratioRow('(b) ratio tensorflow / PyTorch, one thread each', result.tensorflowMlpRatioVsPytorchSingleThread, 'tensorflow, 1 thread', t['tensorflow, 1 thread'], torch1Name, torch1);
        ratioRow('(b) ratio wasm / PyTorch, one thread each', result.trainRatioVsPytorchSingleThread ?? null, 'wasm, 1 thread', t['wasm, 1 thread'], torch1Name, torch1);
      }

      // Conv
      if (opt.conv) {
        const c = summarisePeer(convPeer, rows, '(b) conv PyTorch peer, same network/batch', '(b) conv PyTorch, one thread (reference)');
        result.peerConv = c.json;
        if (c.ok) {
          const t = result.trainingConv ?? {};
          const torch1 = result.peerConv.singleThread ?? (result.peerConv.threads === 1 ? result.peerConv : undefined);
          const torch1Name = result.peerConv.singleThread?.setting ?? result.peerConv.setting;
          result.tensorflowConvRatioVsPytorch = ratio(t.tensorflow, result.peerConv);
          result.tensorflowConvRatioVsPytorchSingleThread = torch1 ? ratio(t['tensorflow, 1 thread'], torch1) : null;
          result.wasmConvRatioVsPytorch = ratio(t.wasm, result.peerConv);
          goalEntry('conv', result.tensorflowConvRatioVsPytorch, tfWhy);
          if (result.tensorflowConvRatioVsPytorch === null) notMeasured('(b) conv ratio tensorflow / PyTorch', tfWhy);
          else ratioRow('(b) conv ratio tensorflow / PyTorch', result.tensorflowConvRatioVsPytorch, 'tensorflow', t.tensorflow, 'tuned', result.peerConv, TENSORFLOW_GOALS.conv);
          ratioRow('(b) conv ratio tensorflow / PyTorch, one thread each', result.tensorflowConvRatioVsPytorchSingleThread, 'tensorflow, 1 thread', t['tensorflow, 1 thread'], torch1Name, torch1);
          if (result.wasmConvRatioVsPytorch === null) notMeasured('(b) conv ratio wasm / PyTorch', has('a') ? 'no wasm conv run' : 'run part a as well (--only a,b)');
          else ratioRow('(b) conv ratio wasm / PyTorch', result.wasmConvRatioVsPytorch, 'wasm', t.wasm, 'tuned', result.peerConv);
        }
      }
      if (Object.keys(goals).length) result.tensorflowGoals = goals;

      // webgpu: never compared on a software adapter; on a real GPU, batch 128 (MLP) and conv / the same PyTorch
      // peers as the other rows. The peer trains on the CPU (it has no CUDA path): whether this PyTorch could use CUDA
      // is recorded, so that nobody reads the ratio as GPU against GPU.
      const w = result.webgpu;
      if (w?.available && w.software) {
        w.pytorch = { compared: false, why: WEBGPU_SOFTWARE_NOTE };
        rows.push([`(b) ratio webgpu (${gpu.status.short}) / PyTorch`, 'n/a', `${WEBGPU_SOFTWARE_NOTE}; adapter ${w.adapterLabel}`]);
      } else if (w?.available) {
        const py = result.peer?.python ?? result.peerConv?.python;
        let cuda = null;
        if (py) {
          const r = spawnSync(py, ['-c', 'import torch; print(torch.cuda.is_available())'], { encoding: 'utf8', timeout: 120000 });
          cuda = r.status === 0 ? r.stdout.trim() === 'True' : null;
        }
        const device = `PyTorch on the CPU (bench/peer/torch_vae.py has no CUDA path; torch.cuda.is_available() ${cuda === null ? 'not checked' : `= ${cuda ? 'True' : 'False'}`})`;
        w.pytorch = {
          compared: true,
          device: 'cpu',
          cudaAvailable: cuda,
          mlpRatio: result.peer?.examplesPerSecond ? ratio(w.mlp, result.peer) : null,
          convRatio: result.peerConv?.examplesPerSecond ? ratio(w.conv, result.peerConv) : null,
          peerSetting: result.peer?.setting,
          peerConvSetting: result.peerConv?.setting,
        };
        const wRow = (label, r, ours, theirs) =>
          rows.push(r === null ? [label, 'n/a', `${ours?.examplesPerSecond ? 'no PyTorch run' : 'no webgpu run'}; adapter ${w.adapterLabel}`] : [label, r.toFixed(3), `VAE Lab (webgpu, ${w.adapterLabel}) ${fmtInt(ours.examplesPerSecond)} ex/s / ${device}, tuned: ${fmtInt(theirs.examplesPerSecond)} ex/s`]);
        wRow(`(b) ratio webgpu (${gpu.status.short}) / PyTorch, MLP batch ${w.mlp.batchSize}`, w.pytorch.mlpRatio, w.mlp, result.peer);
        if (opt.conv) wRow(`(b) conv ratio webgpu (${gpu.status.short}) / PyTorch`, w.pytorch.convRatio, w.conv, result.peerConv);
      }
    }

    // --- (c)
    if (engine) {
      // Rounds are interleaved (CLI, child, ...): compare each child run with the CLI run of its round, then take the
      // median of those paired overheads. Positive = the child process costs more.
      const pairs = engine.child.map((ch, i) => {
        const cli = engine.cli[i];
        return {
          throughput: (cli.examplesPerSecond / ch.examplesPerSecond - 1) * 100,
          wall: (ch.wallSeconds / cli.wallSeconds - 1) * 100,
          cpu: cli.cpuSeconds && ch.cpuSeconds ? (ch.cpuSeconds / cli.cpuSeconds - 1) * 100 : undefined,
        };
      });
      const pick = (k) => pairs.map((q) => q[k]).filter((x) => x !== undefined);
      const med = (k) => (pick(k).length ? median(pick(k)) : undefined);
      const range = (k) => (pick(k).length > 1 ? ` (pairs ${pick(k).map((x) => fmtPct(x).replace(' ', '')).join(', ')})` : '');
      const cliSpread = spread(engine.cli.map((r) => r.examplesPerSecond));
      const childSpread = spread(engine.child.map((r) => r.examplesPerSecond));
      const noise = Math.max(cliSpread ?? 0, childSpread ?? 0);
      const cm = (k, list) => median(list.map((r) => r[k]));
      result.engineChild = {
        backend: primary,
        rounds: pairs.length,
        cliExamplesPerSecond: round(cm('examplesPerSecond', engine.cli), 1),
        childExamplesPerSecond: round(cm('examplesPerSecond', engine.child), 1),
        throughputOverheadPercent: round(med('throughput'), 1),
        cliWallSeconds: round(cm('wallSeconds', engine.cli), 2),
        childWallSeconds: round(cm('wallSeconds', engine.child), 2),
        wallOverheadPercent: round(med('wall'), 1),
        cliCpuSeconds: round(cm('cpuSeconds', engine.cli), 2),
        childCpuSeconds: round(cm('cpuSeconds', engine.child), 2),
        cpuOverheadPercent: round(med('cpu'), 1),
        pairs: pairs.map((q) => ({ throughput: round(q.throughput, 1), wall: round(q.wall, 1), cpu: round(q.cpu, 1) })),
        cliSpreadPercent: round(cliSpread, 1),
        childSpreadPercent: round(childSpread, 1),
        childRuns: engine.child.map(({ backend, ...r }) => r),
      };
      const e = result.engineChild;
      const verdict = (x) => (pairs.length < 2 ? 'one round: no spread measured' : Math.abs(x) < noise ? `within the run-to-run spread of ${noise.toFixed(1)} %` : `run-to-run spread ${noise.toFixed(1)} %`);
      rows.push(['(c) engine child overhead, throughput', fmtPct(e.throughputOverheadPercent), `child ${fmtInt(e.childExamplesPerSecond)} vs CLI ${fmtInt(e.cliExamplesPerSecond)} ex/s (run.json examplesPerSecond), median of ${pairs.length} interleaved pairs${range('throughput')}; ${verdict(e.throughputOverheadPercent)}`]);
      rows.push(['(c) engine child overhead, wall time', fmtPct(e.wallOverheadPercent), `child ${e.childWallSeconds.toFixed(2)} s vs CLI ${e.cliWallSeconds.toFixed(2)} s, process start to exit, ${opt.epochs} epochs${range('wall')}`]);
      if (e.cpuOverheadPercent !== undefined) rows.push(['(c) engine child overhead, CPU time', fmtPct(e.cpuOverheadPercent), `child ${e.childCpuSeconds.toFixed(2)} s vs CLI ${e.cliCpuSeconds.toFixed(2)} s user+system${range('cpu')}`]);
    }

    // --- (d)
    if (has('d')) {
      result.latency = latency();
      rows.push(
        result.latency.measured
          ? ['(d) latent sampler latency p50 / p95', `${result.latency.p50Ms} / ${result.latency.p95Ms} ms`, `goal p95 < ${result.latency.goalP95Ms} ms: ${result.latency.meetsGoal ? 'met' : 'NOT met'}; ${result.latency.moves} slider moves, ${result.latency.what}; ${result.latency.backend}, ${result.latency.browser}; from ${result.latency.source}`]
          : ['(d) latent sampler latency', 'n/a', result.latency.note],
      );
    }

    // --- (e)
    if (has('e')) {
      const files = bundleSizes();
      const req = requireTime();
      result.bundle = { files, requireExtension: req };
      rows.push(
        req.error
          ? ['(e) require dist/extension.js', 'failed', req.error]
          : ['(e) require dist/extension.js', `${req.medianMs} ms`, `module graph load with a stubbed 'vscode' (activate() not called); median of ${req.processes} fresh Node processes (${req.minMs}-${req.maxMs} ms), +${req.rssDeltaMiB} MiB RSS`],
      );
      for (const f of files) rows.push([`(e) size ${f.file}`, fmtBytes(f.bytes), '']);
      if (!files.some((f) => f.file.endsWith('.vsix'))) rows.push(['(e) size .vsix', 'n/a', 'no .vsix in the project folder (npm run package)']);
    }

    // --- (f)
    if (has('f')) {
      const rss = cliRuns.map((r) => r.maxRssMiB).filter((x) => x !== undefined);
      result.memory = {
        backend: primary,
        cliMaxRssMiB: rss.length ? Math.max(...rss) : null,
        cliRuns: rss,
        how: cliRuns[0]?.maxRssHow,
        childMaxRssMiB: engine ? Math.max(...engine.child.map((r) => r.maxRssMiB ?? 0)) || null : undefined,
      };
      rows.push(['(f) peak memory, CLI training run', rss.length ? `${Math.max(...rss).toFixed(0)} MiB` : 'n/a', `max RSS of the node process (${cliRuns[0]?.maxRssHow}), ${primary}, ${opt.epochs} epochs; runs: ${rss.join(' / ')} MiB`]);
      if (result.memory.childMaxRssMiB) rows.push(['(f) peak memory, engine child process', `${result.memory.childMaxRssMiB.toFixed(0)} MiB`, `max RSS (${engine.child[0].maxRssHow}), max of ${engine.child.length} run(s)`]);
      if (backends.cpu?.runs?.length) rows.push(['(f) peak memory, cpu backend run', `${backends.cpu.runs[0].maxRssMiB.toFixed(0)} MiB`, `data.options.limit=${opt.cpuLimit}`]);
    }

    // --- (g)
    if (has('g')) {
      const file = path.join(tmpRoot, 'profile.json');
      log(`(g) profiling the training steps of a ${primary} run, 3 epochs`);
      await cliRun(primary, 3, [], tmpRoot, false, { VAE_LAB_PROFILE: file });
      result.profile = summariseProfile(JSON.parse(readFileSync(file, 'utf8')));
      const p = result.profile;
      const share = (g) => `${g} ${p.groups[g].msPerStep} ms (${p.groups[g].percent} %)`;
      rows.push(['(g) profile: time per training step', `${p.msPerStep} ms`, `${p.backend}, mean over ${p.steps} steps of 3 epochs; in kernels ${p.kernelMsPerStep} ms: ${Object.keys(p.groups).map(share).join(', ')}`]);
      for (const k of p.top.slice(0, 10)) rows.push([`(g)   ${k.kernel}`, `${k.msPerStep} ms`, `${k.percent} % of the step, ${k.callsPerStep} call(s) per step`]);
    }

    // --- (h)
    if (has('h')) {
      const slots = 2;
      const out = path.join(tmpRoot, 'sweep');
      // The example as written (3 epochs on the 9,000 bundled training digits), with 8 values of beta and one seed.
      const sets = ['--set', '/sweep/parameters/objective.beta={"min":0.25,"max":32,"steps":8,"scale":"log"}', '--set', 'sweep.seeds=[1]'];
      log(`(h) an 8-run sweep of ${SWEEP_EXPERIMENT} (beta 0.25..32, its 3 epochs on 9,000 digits) with ${slots} slots`);
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [CLI, 'sweep', SWEEP_EXPERIMENT, '--parallel', String(slots), '--out', out, ...sets], { cwd: ROOT, encoding: 'utf8', env: cleanEnv() });
      const wall = (Date.now() - t0) / 1000;
      if (r.status !== 0) {
        rows.push(['(h) sweep, 8 runs on 2 slots', 'failed', (r.stderr || r.stdout).trim().split('\n').slice(-1)[0]]);
      } else {
        const dir = r.stdout.trim().split('\n').pop();
        const sweep = JSON.parse(readFileSync(path.join(dir, 'sweep.json'), 'utf8'));
        // A run's time: what its worker spent on it (loading the data, training, validation, images, saving the model).
        const spans = sweep.runs.map((c) => c.wallSeconds);
        const sum = spans.reduce((a, b) => a + b, 0);
        const ratio = wall / (sum / slots);
        result.sweep = { runs: spans.length, slots, wallSeconds: round(wall, 1), runSeconds: spans.map((x) => round(x, 1)), sumRunSeconds: round(sum, 1), ratio: round(ratio, 3), goal: SWEEP_GOAL, meetsGoal: ratio <= SWEEP_GOAL, perRunStartSeconds: round(((wall - sum / slots) * slots) / spans.length, 2), backend: sweep.runs.length ? JSON.parse(readFileSync(path.join(dir, sweep.runs[0].dir, 'run.json'), 'utf8')).backend?.name : undefined };
        const w = result.sweep;
        rows.push(['(h) sweep wall / (sum of run times / slots)', w.ratio.toFixed(3), `goal <= ${SWEEP_GOAL}: ${w.meetsGoal ? 'met' : 'NOT met'}; ${w.runs} runs (${w.backend}) on ${slots} slots, wall ${w.wallSeconds} s, runs ${w.sumRunSeconds} s in all (${w.runSeconds.join(', ')}); the rest, ${w.perRunStartSeconds} s per run, is starting the ${slots} worker processes and their backend, and handing runs over`]);
      }
    }

    // --- (i) and (j): full-size data sets, from a temporary cache ($VAE_LAB_DATA_DIR) filled with Fashion-MNIST
    let fashion;
    if (has('i') || has('j')) {
      const dataRoot = path.join(tmpRoot, 'datasets');
      log('(i/j) bundling the data probe and filling a temporary data cache with Fashion-MNIST (from Debian\'s dataset-fashion-mnist)');
      const probe = await buildDataProbe(tmpRoot);
      const cache = fillFashionCache(probe, dataRoot);
      fashion = { probe, dataRoot, cache };
      if (cache.error) log(`Fashion-MNIST is not available: ${cache.error}`);
    }

    // --- (i)
    if (has('i')) {
      const mb = (mib) => (mib * 1048576) / 1e6;
      const goalMiB = (mbGoal) => (mbGoal * 1e6) / 1048576;
      const d = (result.dataSets = {
        goals: DATA_GOALS,
        cache: fashion.cache.error ? { error: fashion.cache.error } : { how: "test/shared/fashionMnist.ts: the origin's .gz files rebuilt from Debian's dataset-fashion-mnist (published MD5s)", files: fashion.cache.files },
      });
      const fashionSets = ['data.source=fashion-mnist'];
      const rssRow = (label, r, goalMB, what) =>
        rows.push([label, `${r.maxRssMiB.toFixed(0)} MiB`, `target < ${goalMB} MB (${goalMiB(goalMB).toFixed(0)} MiB): ${r.maxRssMB < goalMB ? 'met' : 'NOT met'}; ${fmtInt(r.maxRssMB)} MB; ${what}; ${r.wallSeconds} s; ${r.how}`]);
      const backendsHere = [...(tfStatus.available ? ['tensorflow'] : []), 'wasm'];
      if (fashion.cache.error) {
        rows.push(['(i) load fashion-mnist from the cache', 'skipped', fashion.cache.error]);
      } else {
        log('(i) loading fashion-mnist from the cache, 3 fresh processes');
        const l = (d.fashionLoad = loadTimes(fashion.probe, EXPERIMENT, fashionSets, fashion.dataRoot));
        if (l.error) rows.push(['(i) load fashion-mnist from the cache', 'failed', l.error]);
        else {
          l.meetsGoal = l.medianMs < DATA_GOALS.loadSeconds * 1000;
          rows.push([
            '(i) load fashion-mnist (60k + 10k) from the cache',
            `${fmtInt(l.medianMs)} ms`,
            `target < ${DATA_GOALS.loadSeconds} s: ${l.meetsGoal ? 'met' : 'NOT met'}; loadData of ${EXPERIMENT} --set data.source=fashion-mnist (MD5 check, gunzip, IDX, splits) in a fresh node process, median of ${l.processes} (${l.runsMs.map(fmtInt).join(', ')} ms); ${fmtInt(l.train)} train / ${fmtInt(l.validation)} validation / ${fmtInt(l.test)} test, stored as ${l.storage} (${l.dataMiB} MiB of examples); RSS ${l.rssBeforeMiB} -> ${l.rssAfterMiB} MiB, peak ${l.maxRssMiB} MiB`,
          ]);
        }
        d.fashionTraining = {};
        for (const b of backendsHere) {
          log(`(i) peak RSS: CLI training on fashion-mnist, ${b}, 1 epoch`);
          const r = (d.fashionTraining[b] = await rssRun(tmpRoot, EXPERIMENT, b, fashionSets, { VAE_LAB_DATA_DIR: fashion.dataRoot }));
          r.meetsGoal = r.maxRssMB < DATA_GOALS.fashionRssMB;
          log(`  ${r.maxRssMiB} MiB, ${r.wallSeconds} s`);
          rssRow(`(i) peak RSS, training on fashion-mnist, ${b}`, r, DATA_GOALS.fashionRssMB, `${rel(CLI)} train ${EXPERIMENT} --set data.source=fashion-mnist --epochs 1 (${fmtInt(r.data.train)} training images: the epoch, its validation pass, images, checkpoint and saved model)`);
          checkInterference();
        }
      }
      if (!tfStatus.available) rows.push(['(i) peak RSS, tensorflow', 'skipped', `not available: ${tfStatus.reason}`]);
      // The CIFAR-10-sized proxy: no CIFAR files here; an IDX file of the same size and type.
      log(`(i) writing a CIFAR-10-sized uint8 IDX file (${fmtInt(CIFAR_PROXY.n)} x ${CIFAR_PROXY.h}x${CIFAR_PROXY.w}x${CIFAR_PROXY.c})`);
      const proxy = writeCifarProxy(path.join(tmpRoot, 'cifar-sized'));
      d.cifarProxy = { file: `IDX uint8 ${CIFAR_PROXY.n} x ${CIFAR_PROXY.h} x ${CIFAR_PROXY.w} x ${CIFAR_PROXY.c} + labels (${fmtBytes(proxy.bytes)}), data.source "idx"`, experiment: proxy.experiment, stopAfterSteps: opt.cifarSteps };
      const cl = (d.cifarProxy.load = loadTimes(fashion?.probe ?? (await buildDataProbe(tmpRoot)), proxy.file, [], fashion?.dataRoot ?? tmpRoot));
      if (!cl.error) rows.push(['(i) load the CIFAR-10-sized IDX file', `${fmtInt(cl.medianMs)} ms`, `no target; median of ${cl.processes} (${cl.runsMs.map(fmtInt).join(', ')} ms); ${fmtInt(cl.train)} / ${fmtInt(cl.validation)} / ${fmtInt(cl.test)}, stored as ${cl.storage} (${cl.dataMiB} MiB of examples); RSS ${cl.rssBeforeMiB} -> ${cl.rssAfterMiB} MiB, peak ${cl.maxRssMiB} MiB`]);
      d.cifarProxy.training = {};
      for (const b of backendsHere) {
        log(`(i) peak RSS: conv VAE on the CIFAR-10-sized file, ${b}, cancelled after ${opt.cifarSteps} steps`);
        const r = (d.cifarProxy.training[b] = await rssRun(tmpRoot, proxy.file, b, [], {}, opt.cifarSteps));
        r.meetsGoal = r.maxRssMB < DATA_GOALS.cifarRssMB;
        log(`  ${r.maxRssMiB} MiB, ${r.wallSeconds} s`);
        rssRow(`(i) peak RSS, CIFAR-10-sized IDX proxy, conv VAE, ${b}`, r, DATA_GOALS.cifarRssMB, `${fmtInt(r.data.train)} training images of 32x32x3 (the file's 50,000 minus 20 % test and 10 % validation), conv [16, 32] / dense 64 / latent 16 (${fmtInt(r.parameters)} parameters), batch 256, ${r.steps} of ${r.stepsPerEpoch} steps of the epoch, then cancelled (SIGTERM: checkpoint, exit)`);
        checkInterference();
      }
    }

    // --- (j)
    if (has('j')) {
      const found = pythonWithTorch(opt.python);
      // Fashion-MNIST from the temporary cache; the others from the user's data folder, where `vae-lab data get` put them.
      const name = opt.refDataset;
      const root = name === 'fashion-mnist' ? fashion.dataRoot : process.env.VAE_LAB_DATA_DIR || path.join(os.homedir(), '.vae-lab', 'datasets');
      const missing = name === 'fashion-mnist' ? fashion.cache.error : REF_FILES.some((f) => !existsSync(path.join(root, name, f))) ? `${path.join(root, name)} does not hold ${REF_FILES.join(', ')} (run vae-lab data get ${name})` : undefined;
      if (missing) rows.push([`(j) reference table, ${name}`, 'skipped', missing]);
      else if (!found) rows.push([`(j) reference table, ${name}`, 'skipped', PEER_MISSING]);
      else {
        const dataDir = path.join(root, name);
        log(`(j) reference VAE on the full ${name}, ${opt.refEpochs} epochs, VAE Lab (${primary}) then PyTorch ${found.torch}`);
        const v = await referenceVaeLab(tmpRoot, primary, opt.refEpochs, root, name);
        checkInterference();
        const t = await referencePytorch(found, dataDir, opt.refEpochs, machine.cores);
        checkInterference();
        const markdown = referenceMarkdown(v, t);
        result.referenceTable = {
          dataSet: name === 'fashion-mnist' ? 'fashion-mnist (the origin\'s four files, rebuilt from Debian\'s dataset-fashion-mnist)' : `${name} (${dataDir})`,
          epochs: opt.refEpochs,
          vaeLab: v,
          pytorch: { torch: t.torch, python: t.python, setting: t.setting, threads: t.threads, blas: t.blas, command: t.command, trainExamples: t.trainExamples, testExamples: t.testExamples, reduction: t.reduction, seed: t.seed, epochSeconds: t.epochSeconds, trainLoss: t.trainLoss, testLoss: t.testLoss, testSeconds: t.testSeconds },
          markdown,
        };
        const last = (xs) => xs[xs.length - 1];
        rows.push(['(j) test loss after the last epoch, VAE Lab', last(v.testLoss).toFixed(2), `${v.backend}, ${fmtInt(v.trainExamples)} training images (${v.validationExamples} held out for validation), ${opt.refEpochs} epochs; -ELBO on the ${fmtInt(v.testExamples)} t10k images, 1 sample (vae-lab eval of the checkpoint)`]);
        rows.push(['(j) test loss after the last epoch, PyTorch', last(t.testLoss).toFixed(2), `torch ${t.torch}, ${t.setting}, ${fmtInt(t.trainExamples)} training images; summed BCE + KLD over the ${fmtInt(t.testExamples)} t10k images / ${fmtInt(t.testExamples)}, 1 sample (pytorch/examples vae/main.py's test())`]);
        console.log(`\n(j) The reference VAE on the full ${name}, ${opt.refEpochs} epochs (${result.time.slice(0, 10)})\n\n${markdown}\n`);
      }
    }

    checkInterference();
    conditions.interference = [...interference];
    const ticks1 = cpuTicks();
    if (ticks0 && ticks1 && ticks1.total > ticks0.total) conditions.cpuStealPercent = round(((ticks1.steal - ticks0.steal) / (ticks1.total - ticks0.total)) * 100, 2);
    result.durationSeconds = round((Date.now() - started.getTime()) / 1000, 1);
  } finally {
    if (opt.keepRuns) log(`run folders kept in ${tmpRoot}`);
    else rmSync(tmpRoot, { recursive: true, force: true });
  }

  printTable(result, rows);
  if (opt.write) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const stamp = started.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
    const text = compactJson(result) + '\n';
    const file = path.join(RESULTS_DIR, `${stamp}.json`);
    writeFileSync(file, text);
    writeFileSync(path.join(RESULTS_DIR, 'latest.json.tmp'), text);
    renameSync(path.join(RESULTS_DIR, 'latest.json.tmp'), path.join(RESULTS_DIR, 'latest.json'));
    console.log(`\nWrote ${rel(file)} and bench/results/latest.json`);
  }
}

/** Per-step figures from a VAE_LAB_PROFILE file: kernels grouped, the heaviest listed. */
function summariseProfile(p) {
  const perStep = (ms) => round(ms / p.steps, 2);
  const pct = (ms) => round((ms / p.stepMs) * 100, 1);
  const groupOf = (k) => (/MatMul/.test(k) ? 'matmul' : k === 'VaeLabAdamUpdate' ? 'Adam' : /^(Transpose|Reshape|Identity|Cast|Slice|Concat|PadV2|Tile|Pack|Fill|ZerosLike|OnesLike)$/.test(k) ? 'data movement' : 'element-wise and reductions');
  const groups = {};
  for (const k of p.kernels) (groups[groupOf(k.kernel)] ??= { ms: 0 }).ms += k.ms;
  const other = p.stepMs - p.totalKernelMs;
  groups['outside kernels (JavaScript, tape)'] = { ms: other };
  for (const g of Object.values(groups)) Object.assign(g, { msPerStep: perStep(g.ms), percent: pct(g.ms) });
  return {
    backend: p.backend,
    steps: p.steps,
    msPerStep: perStep(p.stepMs),
    kernelMsPerStep: perStep(p.totalKernelMs),
    groups: Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, { msPerStep: g.msPerStep, percent: g.percent }])),
    top: p.kernels.slice(0, 15).map((k) => ({ kernel: k.kernel, callsPerStep: round(k.calls / p.steps, 2), msPerStep: perStep(k.ms), percent: pct(k.ms) })),
  };
}

/** JSON with one key per line, but arrays of numbers and strings and small objects on one line: short diffs, small files. */
export function compactJson(value, indent = '') {
  const flat = JSON.stringify(value);
  if (value === null || typeof value !== 'object' || flat.length <= 100) return flat;
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) return flat;
  const inner = indent + '  ';
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + compactJson(v, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`).join(',\n')}\n${indent}}`;
}

function printTable(result, rows) {
  const m = result.machine;
  const c = result.conditions;
  console.log(`VAE Lab benchmark, ${result.time}`);
  console.log(`Machine: ${m.cores} cores, ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}; node ${m.node}, tfjs ${m.tfjs} (wasm ${m.tfjsBackendWasm}${m.tfjsNode ? `, tfjs-node ${m.tfjsNode} from ${m.backendsDir}` : ''})${result.peer?.torch ? `, torch ${result.peer.torch}` : ''}${result.webgpu?.adapterLabel ? `; webgpu adapter: ${result.webgpu.adapterLabel}` : ''}`);
  const cond = [];
  if (c.waitedForIdle) cond.push(c.idle ? `idle after waiting ${c.waitedSeconds} s` : `NOT idle after waiting ${c.waitedSeconds} s`);
  if (c.busyAtStart?.length) cond.push(`busy at start: ${c.busyAtStart.join(' | ')}`);
  cond.push(c.interference?.length ? `other heavy jobs seen during the run: ${c.interference.join(' | ')}` : 'no other heavy job seen during the run');
  if (c.cpuStealPercent !== undefined) cond.push(`CPU steal ${c.cpuStealPercent} %`);
  console.log(`Conditions: ${cond.join('; ')}; load average at start ${c.loadAverageAtStart.join(' ')}`);
  const cv = result.settings.conv;
  const convLine = cv ? `; conv: ${cv.experiment}, data.options.count=${cv.dataCount} (${fmtInt(cv.trainExamples)} training images), ${cv.epochs} epochs per run (first excluded)` : '';
  console.log(`Training: ${result.settings.experiment}, ${result.settings.epochs} epochs per run (first excluded)${convLine}; ${result.settings.repeat} interleaved run(s) per measurement\n`);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`${'Measure'.padEnd(w0)}  ${'Value'.padStart(w1)}  Detail`);
  console.log(`${'-'.repeat(w0)}  ${'-'.repeat(w1)}  ------`);
  for (const [a, b, d] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${d}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main().catch((err) => {
  for (const c of live) c.kill('SIGKILL');
  console.error(`bench: ${err.stack ?? err}`);
  process.exit(1);
});

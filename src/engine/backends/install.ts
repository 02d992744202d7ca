// Install recipes for the backends that do not ship with VAE Lab, into the backends folder (common.ts):
//   <dir>/tensorflow/node_modules/@tensorflow/tfjs-node        (tensorflow-gpu: @tensorflow/tfjs-node-gpu)
//   <dir>/tensorflow/vae-lab-backend.json                      what was installed, how and when
// of exactly the tfjs version the engine bundles. Two routes:
//   download  npm installs the package, then its own install script downloads libtensorflow and the prebuilt addon
//             (what `npm install @tensorflow/tfjs-node` does, for everyone with the network).
//   wheel     for machines that reach a Python package index but not TensorFlow's download host: libtensorflow is
//             taken from the tensorflow-cpu wheel (pip download; its libtensorflow_cc.so.2 exports the C API), its C
//             headers likewise, and the addon is built from source against Node's headers (node-pre-gyp). Linux x86-64;
//             needs Python 3 with pip and a C++ compiler.
// 'auto' tries download, then the wheel. Everything happens in a staging folder that is verified (a child process
// starts the backend and compares it with the cpu backend) before it replaces the installed copy: a failed install
// changes nothing.
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { INSTALLABLE, InstallableBackend, PINNED_VERSIONS, backendsDir } from './common';

/** The tensorflow-cpu wheel whose libtensorflow the wheel route uses (its C API matches tfjs-node 4.22's binding). */
export const TF_WHEEL = { name: 'tensorflow-cpu', version: '2.21.0' };
/** The libtensorflow version tfjs-node 4.22's build expects by name (scripts/deps-constants.js). */
const TFJS_NODE_LIB_VERSION = '2.9.1';

export type InstallRoute = 'auto' | 'download' | 'wheel';

export interface InstallOptions {
  /** The backends folder (default: backendsDir()). */
  dir?: string;
  route?: InstallRoute;
  /** A tensorflow-cpu wheel already on disk, for the wheel route (skips pip download). */
  wheel?: string;
  /** The tfjs version to match (the engine's). */
  tfjsVersion: string;
  /** Start the backend from a backends folder in a separate process and say what runs; throws if it does not. */
  verify: (stagingBackendsDir: string) => Promise<string>;
  /** Called with each step: `step` of `total`. */
  onStep?: (step: number, total: number, message: string) => void;
  /** Everything npm, pip and the compiler print. */
  onOutput?: (text: string) => void;
  signal?: AbortSignal;
}

export interface InstallResult {
  backend: InstallableBackend;
  dir: string;
  packageDir: string;
  route: 'download' | 'wheel';
  version: string;
  /** The verified backend, as `vae-lab backend check` describes it. */
  detail: string;
  /** Why the download route was not used, when the wheel route ran instead. */
  downloadFailure?: string;
  seconds: number;
}

/** An install that did not complete: one paragraph saying what failed and what to do. Nothing was changed. */
export class InstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstallError';
  }
}

class StepError extends Error {}

interface Ran {
  code: number | null;
  /** The last lines printed, for error messages. */
  tail: string;
}

/** What a failed command said: its first error line (Node's `Error: ...`, npm's or gyp's ERR!), else its last lines. */
function lastLines(text: string, n = 3): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^(npm (warn|notice)|gyp info|node-pre-gyp info)/.test(l));
  const error = lines.find((l) => /^([A-Za-z]*Error|npm error|gyp ERR!|ERROR):? /.test(l) || /error:/.test(l));
  return error ?? lines.slice(-n).join(' | ');
}

/** Run a command, streaming its output; resolves with its exit code and the tail of its output. */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; onOutput?: (t: string) => void; signal?: AbortSignal }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new InstallError('cancelled.'));
    let child: ChildProcess;
    let buffer = '';
    try {
      child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32', detached: process.platform !== 'win32' });
    } catch (err) {
      return reject(err);
    }
    const onData = (d: Buffer) => {
      const t = d.toString();
      buffer = (buffer + t).slice(-20_000);
      opts.onOutput?.(t);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const abort = () => {
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGTERM');
        else child.kill();
      } catch {
        /* gone */
      }
    };
    opts.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (err) => {
      opts.signal?.removeEventListener('abort', abort);
      reject(err);
    });
    child.on('close', (code) => {
      opts.signal?.removeEventListener('abort', abort);
      if (opts.signal?.aborted) reject(new InstallError('cancelled.'));
      else resolve({ code, tail: lastLines(buffer) });
    });
  });
}

/** The node executable for build scripts: this one when it is Node (not Electron), else `node` on PATH. */
function nodeBinDir(): string | undefined {
  const base = path.basename(process.execPath).toLowerCase();
  return base === 'node' || base === 'node.exe' ? path.dirname(process.execPath) : undefined;
}

function envWithPath(extraBins: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
  const nodeDir = nodeBinDir();
  env[key] = [...extraBins, ...(nodeDir ? [nodeDir] : []), env[key] ?? ''].join(path.delimiter);
  // Node's own headers, where this Node ships them (Debian's nodejs does): node-gyp then needs no download.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
  return env;
}

async function runStep(what: string, cmd: string, args: string[], opts: Parameters<typeof run>[2]): Promise<void> {
  let ran: Ran;
  try {
    ran = await run(cmd, args, opts);
  } catch (err) {
    if (err instanceof InstallError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new StepError(e.code === 'ENOENT' ? `${cmd} was not found on PATH` : `${what} could not start (${e.message})`);
  }
  if (ran.code !== 0) throw new StepError(`${what} failed (exit ${ran.code}${ran.tail ? `: ${ran.tail}` : ''})`);
}

const EXTRACT_PY = `
import os, re, shutil, sys, zipfile
wheel, deps = sys.argv[1], sys.argv[2]
keep = re.compile(r'tensorflow/include/(tensorflow/c/|tensorflow/core/platform/ctstring|tsl/platform/ctstring|xla/tsl/c/)')
libs = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'}
found = set()
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        n = info.filename
        if n in libs:
            dst = os.path.join(deps, 'lib', os.path.basename(n)); found.add(n)
        elif keep.match(n) and not n.endswith('/'):
            dst = os.path.join(deps, 'include', n[len('tensorflow/include/'):])
        else:
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with z.open(info) as s, open(dst, 'wb') as d:
            shutil.copyfileobj(s, d, 1 << 20)
missing = libs - found
if missing:
    sys.exit('not in the wheel: ' + ', '.join(sorted(missing)))
`;

function findPython(env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  const candidates = process.env.VAE_LAB_PYTHON ? [process.env.VAE_LAB_PYTHON] : process.platform === 'win32' ? ['python', 'py'] : ['python3', 'python'];
  return (async () => {
    for (const c of candidates) {
      try {
        const r = await run(c, ['-m', 'pip', '--version'], { cwd, env });
        if (r.code === 0) return c;
      } catch {
        /* next */
      }
    }
    throw new StepError(`no Python 3 with pip was found (tried ${candidates.join(', ')}; VAE_LAB_PYTHON names another)`);
  })();
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/** Install `name` into the backends folder. Throws InstallError (one paragraph) when it cannot complete. */
export async function installBackend(name: InstallableBackend, opts: InstallOptions): Promise<InstallResult> {
  const t0 = Date.now();
  const dir = path.resolve(opts.dir ?? backendsDir());
  const pkg = INSTALLABLE[name];
  const version = PINNED_VERSIONS[name] ?? opts.tfjsVersion;
  // Dawn's binding (webgpu) ships its native module for every platform inside the npm package: npm alone installs it.
  const npmOnly = name === 'webgpu';
  const route: InstallRoute = opts.wheel ? 'wheel' : opts.route ?? 'auto';
  if (npmOnly && route === 'wheel') throw new InstallError(`${name} installs from npm alone; --from-wheel and --wheel are for tensorflow. Nothing was changed.`);
  if (name === 'tensorflow-gpu' && route === 'wheel') {
    throw new InstallError('tensorflow-gpu installs only by download (libtensorflow with CUDA from TensorFlow\'s host); the wheel route builds the CPU backend. Use "vae-lab backend install tensorflow --from-wheel" for that. Nothing was changed.');
  }
  const wheelPossible = name === 'tensorflow' && process.platform === 'linux' && process.arch === 'x64';
  if (route === 'wheel' && !wheelPossible) {
    throw new InstallError(`the wheel route builds tfjs-node from the tensorflow-cpu wheel on Linux x86-64 only (this is ${process.platform} ${process.arch}); use the download route. Nothing was changed.`);
  }
  if (opts.wheel && !fs.existsSync(opts.wheel)) throw new InstallError(`the wheel ${opts.wheel} does not exist; pass the path of a ${TF_WHEEL.name} ${TF_WHEEL.version} wheel for Linux x86-64, or leave --wheel out to let pip download it. Nothing was changed.`);
  fs.mkdirSync(dir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(dir, `.staging-${name}-`));
  const target = path.join(staging, name);
  const packageDir = path.join(target, 'node_modules', ...pkg.split('/'));
  const bin = path.join(target, 'node_modules', '.bin');
  const env = envWithPath([bin]);
  const common = { env, onOutput: opts.onOutput, signal: opts.signal };
  let total = npmOnly ? 2 : route === 'download' ? 3 : route === 'wheel' ? (opts.wheel ? 4 : 5) : 3;
  let step = 0;
  const say = (m: string) => opts.onStep?.(++step, total, m);
  let usedRoute: 'download' | 'wheel' = 'download';
  let downloadFailure: string | undefined;
  let phase = '';
  try {
    fs.mkdirSync(target, { recursive: true });
    writeJsonAtomic(path.join(target, 'package.json'), { name: `vae-lab-backend-${name}`, private: true, description: `${pkg} for VAE Lab (installed by vae-lab backend install)` });
    phase = `npm install ${pkg}@${version}`;
    say(`${phase} (without its install script) into ${target}`);
    await runStep(phase, 'npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', `${pkg}@${version}`], { cwd: target, ...common });
    if (!npmOnly && route !== 'wheel') {
      phase = 'the download of libtensorflow and the addon (tfjs-node\'s install script)';
      say(`downloading libtensorflow and the tfjs-node addon (${pkg}'s install script)`);
      try {
        await runStep(phase, process.execPath, [path.join(packageDir, 'scripts', 'install.js'), name === 'tensorflow-gpu' ? 'gpu' : 'cpu'], { cwd: packageDir, ...common, env: { ...env, ELECTRON_RUN_AS_NODE: '1' } });
        if (!findAddon(packageDir)) throw new StepError(`${phase} finished but left no tfjs_binding.node under ${path.join(packageDir, 'lib')}`);
      } catch (err) {
        if (!(err instanceof StepError) || route === 'download' || !wheelPossible) throw err;
        downloadFailure = err.message;
        total = 6;
        opts.onOutput?.(`\nThe download route failed (${err.message}); building from the ${TF_WHEEL.name} ${TF_WHEEL.version} wheel instead.\n`);
        fs.rmSync(path.join(packageDir, 'deps'), { recursive: true, force: true });
      }
    }
    if (route === 'wheel' || downloadFailure) {
      usedRoute = 'wheel';
      const python = await findPython(env, target);
      let wheel = opts.wheel;
      if (!wheel) {
        phase = `pip download ${TF_WHEEL.name}==${TF_WHEEL.version}`;
        say(`${phase} (libtensorflow's C library and headers, about 270 MB)`);
        const wheelDir = path.join(staging, 'wheel');
        await runStep(phase, python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', `${TF_WHEEL.name}==${TF_WHEEL.version}`, '-d', wheelDir], { cwd: staging, ...common });
        wheel = fs.readdirSync(wheelDir).filter((f) => f.endsWith('.whl')).map((f) => path.join(wheelDir, f))[0];
        if (!wheel) throw new StepError(`${phase} left no .whl file in ${wheelDir}`);
      }
      phase = `extracting libtensorflow from ${path.basename(wheel)}`;
      say(phase);
      const deps = path.join(packageDir, 'deps');
      await runStep(phase, python, ['-c', EXTRACT_PY, wheel, deps], { cwd: staging, ...common });
      fs.rmSync(path.join(staging, 'wheel'), { recursive: true, force: true });
      const lib = path.join(deps, 'lib');
      for (const [link, to] of [
        ['libtensorflow.so', 'libtensorflow_cc.so.2'],
        ['libtensorflow.so.2', 'libtensorflow_cc.so.2'],
        [`libtensorflow.so.${TFJS_NODE_LIB_VERSION}`, 'libtensorflow_cc.so.2'],
        ['libtensorflow_framework.so', 'libtensorflow_framework.so.2'],
        [`libtensorflow_framework.so.${TFJS_NODE_LIB_VERSION}`, 'libtensorflow_framework.so.2'],
      ]) {
        fs.rmSync(path.join(lib, link), { force: true });
        fs.symlinkSync(to, path.join(lib, link));
      }
      phase = 'building the tfjs-node addon from source (node-pre-gyp, a C++ compiler)';
      say(phase);
      const preGyp = path.join(target, 'node_modules', '@mapbox', 'node-pre-gyp', 'bin', 'node-pre-gyp');
      await runStep(phase, process.execPath, [preGyp, 'install', '--build-from-source'], { cwd: packageDir, ...common, env: { ...env, ELECTRON_RUN_AS_NODE: '1' } });
      if (!findAddon(packageDir)) throw new StepError(`${phase} finished but left no tfjs_binding.node under ${path.join(packageDir, 'lib')}`);
      fs.rmSync(path.join(packageDir, 'build'), { recursive: true, force: true });
    }
    phase = 'verifying the backend (a child process starts it and compares it with the cpu backend)';
    say(phase);
    let detail: string;
    try {
      detail = (await opts.verify(staging)).split(staging).join(dir);
    } catch (err) {
      throw new StepError(`the installed backend did not start: ${(err as Error).message}`);
    }
    writeJsonAtomic(path.join(target, 'vae-lab-backend.json'), {
      backend: name,
      package: pkg,
      version,
      route: usedRoute,
      wheel: usedRoute === 'wheel' ? `${TF_WHEEL.name} ${TF_WHEEL.version}` : undefined,
      downloadFailure,
      detail,
      installedAt: new Date().toISOString(),
      node: process.version,
    });
    // Replace the installed copy only now: move the old one aside, the new one in, then remove the old one.
    const final = path.join(dir, name);
    const old = fs.existsSync(final) ? `${staging}-old` : undefined;
    if (old) fs.renameSync(final, old);
    try {
      fs.renameSync(target, final);
    } catch (err) {
      if (old) fs.renameSync(old, final);
      throw err;
    }
    if (old) fs.rmSync(old, { recursive: true, force: true });
    return { backend: name, dir, packageDir: path.join(final, 'node_modules', ...pkg.split('/')), route: usedRoute, version, detail, downloadFailure, seconds: (Date.now() - t0) / 1000 };
  } catch (err) {
    if (err instanceof InstallError) throw err;
    throw new InstallError(explain(name, dir, usedRoute, phase, err as Error, downloadFailure));
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function findAddon(packageDir: string): string | undefined {
  const lib = path.join(packageDir, 'lib');
  if (!fs.existsSync(lib)) return undefined;
  for (const d of fs.readdirSync(lib)) {
    const f = path.join(lib, d, 'tfjs_binding.node');
    if (fs.existsSync(f)) return f;
  }
  return undefined;
}

/** One paragraph: what failed, and what to do. */
function explain(name: InstallableBackend, dir: string, route: 'download' | 'wheel', phase: string, err: Error, downloadFailure?: string): string {
  const what = err instanceof StepError ? err.message : `${phase}: ${err.message}`;
  const parts = [`Installing the ${name} backend into ${dir} failed: ${what}.`];
  if (downloadFailure) parts.push(`Before that, the download route failed: ${downloadFailure}.`);
  const hints: string[] = [];
  if (/npm was not found/.test(what)) hints.push('install Node.js 20 or later, which includes npm, and run this again');
  else if (/npm install/.test(phase)) hints.push('npm could not fetch the package: check the network or npm\'s registry and proxy settings (npm config get registry)');
  if (route === 'download' && !downloadFailure) {
    hints.push('the download needs TensorFlow\'s host (TFJS_NODE_CDN_STORAGE names a mirror)');
    if (name === 'tensorflow' && process.platform === 'linux' && process.arch === 'x64') hints.push('without it, "vae-lab backend install tensorflow --from-wheel" builds the backend from the tensorflow-cpu wheel of your Python package index');
  }
  if (route === 'wheel') {
    if (/Python|pip/.test(what)) hints.push('the wheel route needs Python 3 with pip (set VAE_LAB_PYTHON to pick one)');
    else if (/pip download/.test(phase)) hints.push(`pip could not fetch ${TF_WHEEL.name}==${TF_WHEEL.version}: check pip's index (pip config list), or pass --wheel FILE with that wheel for this platform`);
    else if (/building/.test(phase)) hints.push('building the addon needs a C++ compiler and make (Debian/Ubuntu: apt-get install build-essential) and Node\'s headers (npm_config_nodedir, or the network for node-gyp to fetch them)');
  }
  hints.push('the wasm backend keeps working meanwhile');
  parts.push(`What to do: ${hints.join('; ')}. Nothing was changed in ${dir}.`);
  return parts.join(' ');
}

/** The manifest of an installed backend, if any. */
export function readInstallManifest(name: InstallableBackend, dir = backendsDir()): Record<string, unknown> | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, name, 'vae-lab-backend.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

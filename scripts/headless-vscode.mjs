#!/usr/bin/env node
// Headless VS Code for extension integration tests, without network access to VS Code's own servers.
//
// `@vscode/test-electron` downloads VS Code at test time, which cannot work here. code-server (from npm) ships the
// same VS Code (4.100.3 = VS Code 1.100.3) with a plain-Node extension host; its web workbench, driven by
// Debian's chromium through playwright-core, can run an extension test suite exactly as `code --extensionTestsPath`
// would, and reports the suite's exit code to the page.
//
//   node scripts/headless-vscode.mjs install
//       Installs (idempotently, cached under .vscode-test/) Debian's chromium, libkrb5-dev and ripgrep, and
//       code-server with its native modules rebuilt for this Node.
//
//   node scripts/headless-vscode.mjs run --extensionTestsPath ABS_INDEX [--extensionDevelopmentPath ABS]
//       [--workspace ABS_FOLDER] [--install-extension FILE.vsix] [--timeout-ms N] [--screenshot-dir DIR]
//       [--logs-dir DIR]
//       Runs the suite (a CommonJS module, with or without its .js, exporting `run(): Promise<void>`) in code-server's
//       extension host, against the extension at extensionDevelopmentPath and/or the one installed from the .vsix,
//       with ABS_FOLDER open (else an empty window). Prints the workbench's log (the extension host's console
//       included) and exits with the suite's code: 0 if run() resolved, 1 if it rejected. Exits 1 on a timeout
//       (default 15 min) or a harness failure, 128+N on signal N. --screenshot-dir gets final.png of the window at
//       the end (taken once its webviews show their content, at most 5 s later: a webview is blank for about a
//       second after it opens); --logs-dir gets code-server's output and the server's and workbench's log files.
//
// As a module, it exports startWorkbench() for end-to-end tests that drive the workbench like a user (test/e2e):
//
//   import { startWorkbench } from './scripts/headless-vscode.mjs';
//   const wb = await startWorkbench({ workspace: '/abs/folder', vsix: '/abs/vae-lab.vsix' });
//   try { await wb.page.keyboard.press('F1'); ... } finally { await wb.close(); }
//
// It starts code-server with a fresh profile (the .vsix installed into it, and/or an extension loaded from
// developmentPath as in an extension development window, without any tests module), opens the workbench in
// chromium and resolves once the workbench is shown. Importing the module runs nothing; `install` must have run.
//
// Only Node built-ins and playwright-core (a devDependency) are used. Code-server is started with process.execPath,
// so its extension host runs in the same Node as this script.

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const CODE_SERVER_VERSION = '4.100.3';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE_DIR = path.join(REPO_ROOT, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
const CODE_SERVER_DIR = path.join(CACHE_DIR, 'node_modules', 'code-server');
const VSCODE_DIR = path.join(CODE_SERVER_DIR, 'lib', 'vscode');
const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, 'out', 'node', 'entry.js');
const INSTALL_MARKER = path.join(CACHE_DIR, '.install-complete');
const CHROMIUM = '/usr/bin/chromium';
const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'ripgrep'];

// Native modules that `--ignore-scripts` left unbuilt: VS Code server's, and code-server's own (argon2, for
// password auth; loaded at startup even with `--auth none`).
const VSCODE_NATIVE_MODULES = ['node-pty', '@parcel/watcher', 'native-watchdog', 'kerberos', '@vscode/spdlog'];
const CODE_SERVER_NATIVE_MODULES = ['argon2'];

const DEFAULT_TIMEOUT_MS = 15 * 60 * 1000;

export class HarnessError extends Error {}

function log(message) {
  console.log(`[headless-vscode] ${message}`);
}

// ---------------------------------------------------------------------------------------------------------------
// install
// ---------------------------------------------------------------------------------------------------------------

/** Runs a command to completion with inherited output; throws a HarnessError naming the step if it fails. */
function runStep(description, command, args, options = {}) {
  log(`${description}: ${command} ${args.join(' ')}${options.cwd ? `  (in ${options.cwd})` : ''}`);
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw new HarnessError(`${description} failed to start: ${result.error.message}`);
  if (result.status !== 0) {
    throw new HarnessError(`${description} failed (${command} exited with ${result.status ?? result.signal})`);
  }
}

function isAptPackageInstalled(name) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.trim() === 'install ok installed';
}

function ensureAptPackages() {
  const missing = APT_PACKAGES.filter((name) => !isAptPackageInstalled(name));
  if (missing.length === 0) {
    log(`apt packages present: ${APT_PACKAGES.join(', ')}`);
    return;
  }
  if (process.getuid?.() !== 0) {
    throw new HarnessError(`missing apt packages (${missing.join(', ')}); run this as root or install them yourself`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  runStep('apt-get update', 'apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], { env });
  runStep('apt-get install', 'apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', ...missing], { env });
}

/** Throws unless every module loads in this Node when required from `dir` (i.e. its native binding was built). */
function checkModulesLoad(dir, modules) {
  for (const name of modules) {
    const result = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(name)})`], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new HarnessError(`native module ${name} does not load after npm rebuild (in ${dir}):\n${result.stderr}`);
    }
  }
}

export function isCodeServerInstalled() {
  return fs.existsSync(INSTALL_MARKER) && fs.existsSync(CODE_SERVER_ENTRY);
}

function ensureCodeServer() {
  if (isCodeServerInstalled()) {
    log(`code-server ${CODE_SERVER_VERSION} already installed in ${path.relative(REPO_ROOT, CACHE_DIR)}`);
    return;
  }
  // This does by hand what code-server's postinstall.sh would (it needs network for prebuilt binaries). Every step
  // is idempotent, so an install interrupted half-way is simply redone on the next call.
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  fs.writeFileSync(
    path.join(CACHE_DIR, 'package.json'),
    JSON.stringify({ private: true, dependencies: { 'code-server': CODE_SERVER_VERSION } }, null, 2) + '\n',
  );
  // `npm rebuild` must run the named packages' build scripts whatever the environment's npm config says (npm 11
  // only warns that they are "not yet covered by allowScripts"; checkModulesLoad proves they were built); `yes`
  // keeps any npx in those scripts from prompting.
  const env = { ...process.env, npm_config_yes: 'true', npm_config_ignore_scripts: 'false' };
  const npm = (description, cwd, ...args) => runStep(description, 'npm', args, { cwd, env });
  const extensionsDir = path.join(VSCODE_DIR, 'extensions');

  npm('install code-server', CACHE_DIR, 'install', '--ignore-scripts');
  npm('install VS Code server dependencies', VSCODE_DIR, 'install', '--omit=dev', '--ignore-scripts');
  // The built-in extensions share one dependency (typescript, for the TS/JS language features).
  npm('install built-in extension dependencies', extensionsDir, 'install', '--omit=dev', '--ignore-scripts');
  npm('build VS Code native modules', VSCODE_DIR, 'rebuild', ...VSCODE_NATIVE_MODULES);
  checkModulesLoad(VSCODE_DIR, VSCODE_NATIVE_MODULES);
  // npm hoisted code-server's own dependencies into CACHE_DIR/node_modules, so argon2 is rebuilt from there.
  npm('build code-server native modules', CACHE_DIR, 'rebuild', ...CODE_SERVER_NATIVE_MODULES);
  checkModulesLoad(CODE_SERVER_DIR, CODE_SERVER_NATIVE_MODULES);

  // @vscode/ripgrep's postinstall downloads rg; Debian's is used instead (workspace search and findFiles need it).
  const rgTarget = path.join(VSCODE_DIR, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
  fs.mkdirSync(path.dirname(rgTarget), { recursive: true });
  fs.copyFileSync('/usr/bin/rg', rgTarget);
  fs.chmodSync(rgTarget, 0o755);

  // VS Code and extensions look for unpacked modules (ripgrep, wasm files) in node_modules.asar.
  symlink('node_modules', path.join(VSCODE_DIR, 'node_modules.asar'));
  // The `code` CLI and browser helper of the integrated terminal.
  symlink('code-linux.sh', path.join(VSCODE_DIR, 'bin', 'remote-cli', 'code-server'));
  symlink('browser-linux.sh', path.join(VSCODE_DIR, 'bin', 'helpers', 'browser.sh'));

  fs.writeFileSync(INSTALL_MARKER, `code-server ${CODE_SERVER_VERSION} installed ${new Date().toISOString()}\n`);
  log(`code-server ${CODE_SERVER_VERSION} installed in ${path.relative(REPO_ROOT, CACHE_DIR)}`);
}

/** Creates (or replaces) a relative symlink at `link` pointing to `target`. */
function symlink(target, link) {
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(target, link);
}

export async function install() {
  const started = Date.now();
  ensureAptPackages();
  ensureCodeServer();
  log(`install done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------------------------------------------------------
// code-server and the workbench page (shared by `run` and startWorkbench)
// ---------------------------------------------------------------------------------------------------------------

// The test profile: no trust prompt, no telemetry, no welcome or walkthrough editors, no extension updates.
const TEST_USER_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  // A workspace inside this repository would otherwise get a notification offering to open the parent repository.
  'git.openRepositoryInParentFolders': 'never',
};

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const DEFAULT_VIEWPORT = { width: 1280, height: 800 };

/** A port free right now (code-server then binds it; another process taking it in between is unlikely). */
async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** The arguments code-server needs to use only the temporary profile (never ~/.config/code-server or ~/.local). */
function profileArgs(profile) {
  const { config, userDataDir, extensionsDir } = profile;
  return ['--config', config, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
}

/** A fresh profile under `root`; `userSettings` are merged over the test settings. */
function createProfile(root, userSettings = {}) {
  const profile = {
    config: path.join(root, 'config.yaml'),
    userDataDir: path.join(root, 'user-data'),
    extensionsDir: path.join(root, 'extensions'),
  };
  // Without a config file code-server would write one with a generated password.
  fs.writeFileSync(profile.config, 'auth: none\ncert: false\n');
  fs.mkdirSync(path.join(profile.userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(profile.extensionsDir);
  fs.writeFileSync(
    path.join(profile.userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...TEST_USER_SETTINGS, ...userSettings }, null, 2) + '\n',
  );
  return profile;
}

/**
 * Environment for code-server: $PORT would override --bind-addr, $PASSWORD is irrelevant with --auth none, and an
 * empty extension gallery keeps VS Code from querying open-vsx.org (unreachable offline; it only logs errors).
 */
function codeServerEnv() {
  const env = { ...process.env, EXTENSIONS_GALLERY: '{}' };
  delete env.PORT;
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  return env;
}

function installVsix(profile, vsix) {
  const args = [CODE_SERVER_ENTRY, ...profileArgs(profile), '--force', '--install-extension', vsix];
  runStep('install extension', process.execPath, args, { env: codeServerEnv() });
}

/** Polls code-server's health endpoint until it answers 200; throws if the server exits or the deadline passes. */
async function waitForHttp(url, server, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new HarnessError(`code-server exited (${server.exitCode ?? server.signalCode}) before answering HTTP`);
    }
    const status = await new Promise((resolve) => {
      const request = http.get(url, { timeout: 2000 }, (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => resolve(undefined));
    });
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new HarnessError(`code-server did not answer ${url} within ${deadlineMs / 1000} s`);
}

/**
 * The workbench runs extensionTestsPath only in an extension development window, i.e. when the payload has an
 * extensionDevelopmentPath. To test an installed .vsix alone, that path is an empty folder: it adds no extension,
 * so the suite runs against the installed one.
 */
function emptyDevelopmentPath(tempRoot) {
  const dir = path.join(tempRoot, 'no-development-extension');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A vscode-remote URI for an absolute server-side path, in the form the workbench's payload parser expects. */
function remoteUri(authority, absPath) {
  return `vscode-remote://${authority}${absPath.split('/').map(encodeURIComponent).join('/')}`;
}

class Interrupted extends Error {
  constructor(signal) {
    super(`interrupted by ${signal}`);
    this.signal = signal;
  }
}

/** Resolves as `promise` does, or rejects with the abort reason as soon as `abortSignal` aborts. */
function interruptible(promise, abortSignal) {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortSignal.reason);
    if (abortSignal.aborted) onAbort();
    else abortSignal.addEventListener('abort', onAbort, { once: true });
    // Always handled, so that an abandoned promise (e.g. a page.goto cut short by the cleanup) rejects quietly.
    promise.then(resolve, reject).finally(() => abortSignal.removeEventListener('abort', onAbort));
  });
}

/**
 * Starts code-server with a fresh profile and loads the workbench in a new chromium page. Everything to undo is
 * pushed on `cleanups` as soon as it exists (the caller undoes them, last first, however things end); rejects with
 * the abort reason as soon as `abortSignal` aborts.
 *
 * options: workspace (absolute folder, else an empty window), vsix (installed into the profile), developmentPath
 * (an extension loaded as in an extension development window), testsPath (an extension tests module, run in an
 * extension development window: with developmentPath, or else an empty one), userSettings, viewport, and
 * beforeNavigate(page) (awaited before the page loads the workbench).
 */
async function launchWorkbench(options, cleanups, abortSignal) {
  const { chromium } = await import('playwright-core');
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'headless-vscode-'));
  cleanups.push(() => fs.rmSync(tempRoot, { recursive: true, force: true }));
  // workspaceTrust: VS Code's workspace trust is on and the folder is not trusted (Restricted Mode, no prompt).
  const trustSettings = options.workspaceTrust ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false } : {};
  const profile = createProfile(tempRoot, { ...options.userSettings, ...trustSettings });
  if (options.vsix) installVsix(profile, options.vsix);
  abortSignal.throwIfAborted(); // a signal during the (synchronous) install is only seen now

  const port = await interruptible(freePort(), abortSignal);
  const authority = `127.0.0.1:${port}`;
  const serverArgs = [
    CODE_SERVER_ENTRY,
    ...profileArgs(profile),
    '--auth', 'none',
    '--bind-addr', authority,
    '--disable-telemetry',
    '--disable-update-check',
    ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    ...(options.workspace ? [options.workspace] : []),
  ];
  // Own process group, so that one kill also ends the VS Code server, its extension host, pty host and watchers
  // (and whatever they started, e.g. an extension's child processes).
  const serverLog = path.join(tempRoot, 'code-server.log');
  const serverLogFd = fs.openSync(serverLog, 'a');
  const server = spawn(process.execPath, serverArgs, {
    detached: true,
    stdio: ['ignore', serverLogFd, serverLogFd],
    env: codeServerEnv(),
  });
  fs.closeSync(serverLogFd);
  // Last resort if this process exits without the cleanup (e.g. an uncaught exception, or process.exit()).
  const killServerOnExit = () => killProcessGroup(server, 'SIGKILL');
  process.on('exit', killServerOnExit);
  cleanups.push(async () => {
    await stopProcessGroup(server);
    process.removeListener('exit', killServerOnExit);
  });
  await interruptible(waitForHttp(`http://${authority}/healthz`, server, 60_000), abortSignal);
  log(`code-server ${CODE_SERVER_VERSION} listening on ${authority} (${elapsed()})`);

  // Playwright's own signal handlers would kill chromium and exit at once, skipping code-server's cleanup. The
  // cleanup waits for a launch still under way, so that a signal during it does not orphan the browser.
  const launching = chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  cleanups.push(async () => (await launching.catch(() => undefined))?.close());
  const browser = await interruptible(launching, abortSignal);
  const page = await interruptible(browser.newPage({ viewport: options.viewport ?? DEFAULT_VIEWPORT }), abortSignal);
  if (options.beforeNavigate) await interruptible(Promise.resolve(options.beforeNavigate(page)), abortSignal);

  // The workbench reads `folder` (an absolute path on the server) and `payload` (its command-line arguments as
  // [name, value] pairs) from the URL; `ew` opens an empty window. The extension paths must be vscode-remote URIs
  // with the authority the page was loaded from, so that the server's extension host loads and runs them.
  const payload = [];
  if (options.testsPath) {
    payload.push(
      ['extensionDevelopmentPath', remoteUri(authority, options.developmentPath ?? emptyDevelopmentPath(tempRoot))],
      ['extensionTestsPath', remoteUri(authority, options.testsPath)],
    );
  } else if (options.developmentPath) {
    payload.push(['extensionDevelopmentPath', remoteUri(authority, options.developmentPath)]);
  }
  const query = new URLSearchParams(options.workspace ? { folder: options.workspace } : { ew: 'true' });
  if (payload.length > 0) query.set('payload', JSON.stringify(payload));
  const url = `http://${authority}/?${query}`;
  log(`opening ${url}`);
  await interruptible(page.goto(url), abortSignal);
  return { browser, page, server, serverLog, profile, tempRoot, authority, url };
}

/**
 * Waits (at most timeoutMs) until every visible webview of the page shows its content. VS Code's webview host keeps
 * the content frame hidden (id "pending-frame") until the extension's HTML has loaded into it, which in code-server
 * takes about a second for a new webview (the host first registers its service worker and waits for it to take
 * control): a screenshot taken sooner shows an empty editor where the webview is. Never throws.
 */
async function settleWebviews(page, timeoutMs = 5000) {
  await page
    .waitForFunction(
      () =>
        [...document.querySelectorAll('iframe.webview')]
          .filter((host) => host.checkVisibility({ visibilityProperty: true, opacityProperty: true }))
          .every((host) => {
            try {
              return !host.contentDocument || !!host.contentDocument.getElementById('active-frame');
            } catch {
              return true; // a cross-origin host: nothing to tell
            }
          }),
      undefined,
      { timeout: timeoutMs, polling: 100 },
    )
    .catch(() => undefined);
}

/** Saves a screenshot of the page once its webviews show their content (at most 5 s later); a failure is reported
 *  but does not change the run's exit code. */
async function saveScreenshot(page, dir, name) {
  const file = path.join(dir, name);
  try {
    fs.mkdirSync(dir, { recursive: true });
    await settleWebviews(page);
    await page.screenshot({ path: file });
    log(`screenshot: ${file}`);
  } catch (error) {
    console.error(`[headless-vscode] could not save screenshot ${file}: ${error.message}`);
  }
}

/**
 * Writes under `dir` code-server's output (code-server.log), the server's log files (server/, the remote extension
 * host's and the extensions' output channels included) and the workbench's browser-side log files when given
 * (workbench/). A failure is reported but does not change the run's exit code.
 */
function saveLogs(dir, profile, serverLog, workbenchLogs = []) {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(serverLog, path.join(dir, 'code-server.log'));
    const serverLogs = path.join(profile.userDataDir, 'logs');
    if (fs.existsSync(serverLogs)) fs.cpSync(serverLogs, path.join(dir, 'server'), { recursive: true });
    for (const { relativePath, contents } of workbenchLogs) {
      const file = path.join(dir, 'workbench', relativePath);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, contents);
    }
    log(`logs: ${dir}`);
  } catch (error) {
    console.error(`[headless-vscode] could not save logs in ${dir}: ${error.message}`);
  }
}

function tail(file, lines = 40) {
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Sends `signal` to the child's process group; false if the group no longer exists. */
function killProcessGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the child's process group, SIGKILL if any of it is still alive after 5 s. */
async function stopProcessGroup(child) {
  if (!killProcessGroup(child, 'SIGTERM')) return;
  for (let waited = 0; waited < 5000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!killProcessGroup(child, 0)) return;
  }
  killProcessGroup(child, 'SIGKILL');
}

/** Undoes the registered cleanups, last first, reporting (not throwing) their failures. */
async function runCleanups(cleanups) {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()();
    } catch (error) {
      console.error(`[headless-vscode] cleanup: ${error.message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// run
// ---------------------------------------------------------------------------------------------------------------

function parseRunArgs(args) {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        extensionDevelopmentPath: { type: 'string' },
        extensionTestsPath: { type: 'string' },
        workspace: { type: 'string' },
        'install-extension': { type: 'string' },
        'timeout-ms': { type: 'string' },
        'screenshot-dir': { type: 'string' },
        'logs-dir': { type: 'string' },
      },
    }));
  } catch (error) {
    throw new HarnessError(`run: ${error.message}`);
  }
  const options = {
    developmentPath: values.extensionDevelopmentPath,
    testsPath: values.extensionTestsPath,
    workspace: values.workspace,
    vsix: values['install-extension'] && path.resolve(values['install-extension']),
    timeoutMs: values['timeout-ms'] === undefined ? DEFAULT_TIMEOUT_MS : Number(values['timeout-ms']),
    screenshotDir: values['screenshot-dir'] && path.resolve(values['screenshot-dir']),
    logsDir: values['logs-dir'] && path.resolve(values['logs-dir']),
  };
  if (!options.testsPath) throw new HarnessError('run: --extensionTestsPath is required');
  if (!options.developmentPath && !options.vsix) {
    throw new HarnessError('run: give --extensionDevelopmentPath, --install-extension, or both');
  }
  for (const [flag, value] of [
    ['--extensionDevelopmentPath', options.developmentPath],
    ['--extensionTestsPath', options.testsPath],
    ['--workspace', options.workspace],
  ]) {
    if (value !== undefined && !path.isAbsolute(value)) {
      throw new HarnessError(`run: ${flag} must be an absolute path, not ${value}`);
    }
  }
  // The extension host require()s the tests module, so "suite/index" and "suite/index.js" both name it.
  if (!fs.existsSync(options.testsPath) && !fs.existsSync(`${options.testsPath}.js`)) {
    throw new HarnessError(`run: no tests module at ${options.testsPath}(.js)`);
  }
  for (const [flag, value] of [
    ['--extensionDevelopmentPath', options.developmentPath],
    ['--workspace', options.workspace],
    ['--install-extension', options.vsix],
  ]) {
    if (value !== undefined && !fs.existsSync(value)) throw new HarnessError(`run: ${flag} does not exist: ${value}`);
  }
  if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new HarnessError(`run: --timeout-ms must be a positive integer, not ${values['timeout-ms']}`);
  }
  return options;
}

async function runTests(args) {
  const options = parseRunArgs(args);
  if (!isCodeServerInstalled()) {
    throw new HarnessError('code-server is not installed; run `node scripts/headless-vscode.mjs install` first');
  }
  // A signal aborts whatever the run is waiting for; the run then unwinds through its cleanup like any error.
  const abort = new AbortController();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (signal) => {
    console.error(`[headless-vscode] ${signal}: stopping code-server and the browser`);
    abort.abort(new Interrupted(signal));
  };
  for (const signal of signals) process.once(signal, onSignal);

  // Everything to undo is registered here and undone, last first, however the run ends.
  const cleanups = [];
  try {
    return await runSuite(options, cleanups, abort.signal);
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    return 128 + os.constants.signals[error.signal];
  } finally {
    for (const signal of signals) process.removeListener(signal, onSignal);
    await runCleanups(cleanups);
  }
}

/** Starts code-server and the browser, runs the suite, and returns its exit code (1 on timeout). */
async function runSuite(options, cleanups, abortSignal) {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  // The workbench calls these globals when it runs extension tests: logs as they come (the extension host's
  // console included), then the exit code with the workbench's log files.
  let reportExit;
  const exited = new Promise((resolve) => (reportExit = resolve));
  const beforeNavigate = async (page) => {
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      console.log(`[vscode ${type}] ${Array.isArray(args) ? args.join(' ') : args}`);
    });
    await page.exposeFunction('codeAutomationExit', (code, logs) => reportExit({ kind: 'exit', code, logs }));
    page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  };
  const { page, server, serverLog, profile } = await launchWorkbench(
    { ...options, beforeNavigate },
    cleanups,
    abortSignal,
  );

  let timer;
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), options.timeoutMs);
  });
  const serverDied = once(server, 'exit').then(() => ({ kind: 'server-exit' }));
  const outcome = await interruptible(Promise.race([exited, timedOut, serverDied]), abortSignal).finally(() =>
    clearTimeout(timer),
  );

  if (options.screenshotDir) await saveScreenshot(page, options.screenshotDir, 'final.png');
  if (options.logsDir) saveLogs(options.logsDir, profile, serverLog, outcome.logs);
  if (outcome.kind === 'timeout') {
    console.error(
      `[headless-vscode] TIMEOUT: the extension tests did not finish within ${options.timeoutMs} ms ` +
        `(${elapsed()}); last code-server output:\n${tail(serverLog)}`,
    );
    return 1;
  }
  if (outcome.kind === 'server-exit') {
    console.error(`[headless-vscode] code-server exited during the tests; its output:\n${tail(serverLog)}`);
    return 1;
  }
  log(`extension tests exited with code ${outcome.code} (${elapsed()})`);
  return outcome.code;
}

// ---------------------------------------------------------------------------------------------------------------
// startWorkbench (library)
// ---------------------------------------------------------------------------------------------------------------

/** Workbenches started by startWorkbench() and not closed yet (or still starting). */
const sessions = new Set();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let signalsArmed = false;
let stoppingOnSignal = false;

/**
 * While any workbench is open (or starting), SIGINT/SIGTERM/SIGHUP abort the starts under way, close every
 * workbench (browser, then code-server's process group) and exit with 128+N, as `run` does. A second signal exits
 * at once (the 'exit' handlers still SIGKILL the code-server process groups).
 */
function onLibrarySignal(signal) {
  const code = 128 + os.constants.signals[signal];
  if (stoppingOnSignal) process.exit(code);
  stoppingOnSignal = true;
  console.error(`[headless-vscode] ${signal}: stopping code-server and the browser`);
  const all = [...sessions];
  for (const session of all) session.abort.abort(new Interrupted(signal));
  void Promise.allSettled(all.map((session) => session.starting.catch(() => undefined).then(() => session.close())))
    .finally(() => process.exit(code));
}

function updateSignalHandlers() {
  const wanted = sessions.size > 0;
  if (wanted === signalsArmed) return;
  for (const signal of SIGNALS) {
    if (wanted) process.on(signal, onLibrarySignal);
    else process.removeListener(signal, onLibrarySignal);
  }
  signalsArmed = wanted;
}

function checkAbsoluteExisting(name, value) {
  if (value === undefined) return;
  if (typeof value !== 'string' || !path.isAbsolute(value)) {
    throw new HarnessError(`startWorkbench: ${name} must be an absolute path, not ${value}`);
  }
  if (!fs.existsSync(value)) throw new HarnessError(`startWorkbench: ${name} does not exist: ${value}`);
}

/**
 * Starts code-server (a fresh profile; the .vsix installed into it when given; the extension at developmentPath
 * loaded as in an extension development window when given, without any tests module), opens the workbench in
 * chromium, and resolves once the workbench is shown (`.monaco-workbench` visible). Extensions may still be
 * activating then: wait in the page for what you need.
 *
 * @param {object} [options]
 * @param {string} [options.workspace] absolute folder to open; else an empty window
 * @param {string} [options.vsix] absolute path of a .vsix to install into the profile's extensions folder
 * @param {string} [options.developmentPath] absolute folder of an extension to load in development mode
 * @param {Record<string, unknown>} [options.userSettings] merged over the test profile's user settings
 * @param {{width: number, height: number}} [options.viewport] default 1280x800
 * @param {number} [options.timeoutMs] for the workbench to be shown once the page loads (default 60 s)
 * @param {(page: import('playwright-core').Page) => unknown} [options.beforeNavigate] awaited with the page before
 *   it loads the workbench (e.g. to add listeners or exposeFunction)
 * @param {boolean} [options.echoConsole] print the page's console messages and errors as they come
 * @param {boolean} [options.workspaceTrust] turn workspace trust on and open the folder untrusted (Restricted Mode)
 * @returns {Promise<{
 *   page: import('playwright-core').Page, browser: import('playwright-core').Browser, authority: string,
 *   url: string, profileDir: string, userDataDir: string, extensionsDir: string, serverLogPath: string,
 *   consoleMessages: {time: number, type: string, text: string, url: string}[],
 *   serverOutput(lines?: number): string, saveLogs(dir: string): void, close(): Promise<void>,
 * }>} close() kills the browser and code-server's process group and removes the profile: save logs before it.
 */
export async function startWorkbench(options = {}) {
  const { workspace, vsix, developmentPath, userSettings, viewport, beforeNavigate, echoConsole = false, workspaceTrust = false } = options;
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!isCodeServerInstalled()) {
    throw new HarnessError('code-server is not installed; run `node scripts/headless-vscode.mjs install` first');
  }
  checkAbsoluteExisting('workspace', workspace);
  checkAbsoluteExisting('vsix', vsix);
  checkAbsoluteExisting('developmentPath', developmentPath);
  if (stoppingOnSignal) throw new HarnessError('startWorkbench: stopping on a signal');

  const cleanups = [];
  let closing;
  const session = {
    abort: new AbortController(),
    starting: undefined,
    close() {
      closing ??= runCleanups(cleanups).finally(() => {
        sessions.delete(session);
        updateSignalHandlers();
      });
      return closing;
    },
  };
  sessions.add(session);
  updateSignalHandlers();

  // Console messages of every frame of the page (webviews included) and uncaught errors, from the first load on.
  const consoleMessages = [];
  const record = (type, text, url = '') => {
    consoleMessages.push({ time: Date.now(), type, text, url });
    if (echoConsole) console.log(`[page ${type}] ${text}${url ? `  (${url})` : ''}`);
  };
  const listen = async (page) => {
    page.on('console', (message) => record(message.type(), message.text(), message.location()?.url));
    page.on('pageerror', (error) => record('pageerror', error.message));
    if (beforeNavigate) await beforeNavigate(page);
  };

  session.starting = (async () => {
    const launched = await launchWorkbench(
      { workspace, vsix, developmentPath, userSettings, viewport, beforeNavigate: listen, workspaceTrust },
      cleanups,
      session.abort.signal,
    );
    await interruptible(
      launched.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs }),
      session.abort.signal,
    );
    return launched;
  })();

  let launched;
  try {
    launched = await session.starting;
  } catch (error) {
    await session.close();
    throw error;
  }
  const { page, browser, authority, url, profile, tempRoot, serverLog } = launched;
  return {
    page,
    browser,
    authority,
    url,
    profileDir: tempRoot,
    userDataDir: profile.userDataDir,
    extensionsDir: profile.extensionsDir,
    serverLogPath: serverLog,
    consoleMessages,
    serverOutput: (lines = 40) => (fs.existsSync(serverLog) ? tail(serverLog, lines) : ''),
    saveLogs: (dir) => saveLogs(dir, profile, serverLog),
    close: () => session.close(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------------------------

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === 'install' && rest.length === 0) return install();
  if (command === 'run') return runTests(rest);
  throw new HarnessError(
    'usage: node scripts/headless-vscode.mjs install\n' +
      '       node scripts/headless-vscode.mjs run --extensionTestsPath ABS_INDEX [--extensionDevelopmentPath ABS]\n' +
      '            [--workspace ABS_FOLDER] [--install-extension FILE.vsix] [--timeout-ms N] [--screenshot-dir DIR]\n' +
      '            [--logs-dir DIR]',
  );
}

/** True when this file is the program (`node scripts/headless-vscode.mjs ...`), false when it is imported. */
function isMainModule() {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  main(process.argv.slice(2)).then(
    (exitCode) => process.exit(exitCode ?? 0),
    (error) => {
      console.error(`[headless-vscode] ${error instanceof HarnessError ? error.message : error.stack}`);
      process.exit(1);
    },
  );
}

// End-to-end tests: VAE Lab's .vsix installed into a real VS Code (code-server's, headless chromium), driven through
// its UI by Playwright as a user would (scripts/headless-vscode.mjs startWorkbench).
//
//   node test/e2e/run.mjs [NAME_FILTER...]
//
// Expects `npm run build` to have run (the .vsix is packaged from dist/). Packages the extension into a temporary
// folder, installs the headless VS Code if needed, then runs every test/e2e/*.e2e.mjs (those whose name contains one
// of the filters, if given), one after another, each in fresh VS Code profiles. A scenario module exports
//
//   export default async function (ctx) { ... }     // throws (node:assert) to fail
//   export const timeoutMs = 240_000;                // optional, default 4 min
//
// with ctx = { name, repo, vsix, artifactsDir, log(message), prepareWorkspace(files), startWorkbench(options),
// screenshot(page, name) }. ctx.startWorkbench is startWorkbench with the .vsix bound; every workbench a scenario
// leaves open is closed after it. When a workbench closes, a screenshot of its final state (final.png) and its logs
// (code-server's output, the server's and extension host's log files, the page's console) are saved in the
// scenario's artifacts folder, test-artifacts/e2e/<scenario>/ (final-2.png, logs-2/, ... for further workbenches). Ends with `e2e: N passed, M failed`; exits 0 if none failed, else 1.
//
// E2E_KEEP_WORKSPACES=1 keeps the temporary workspaces; E2E_ECHO_CONSOLE=1 prints the pages' console as it comes.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const HEADLESS = path.join(REPO, 'scripts', 'headless-vscode.mjs');
const ARTIFACTS = path.join(REPO, 'test-artifacts', 'e2e');
const DEFAULT_TIMEOUT_MS = 4 * 60 * 1000;
const keepWorkspaces = process.env.E2E_KEEP_WORKSPACES === '1';
const echoConsole = process.env.E2E_ECHO_CONSOLE === '1';

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

// Temporary folders (the .vsix's, the workspaces), removed however the run ends: startWorkbench exits the process
// on SIGINT/SIGTERM/SIGHUP once it has closed its workbenches.
const tempDirs = new Set();
process.on('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function scenarioFiles(filters) {
  const files = fs
    .readdirSync(HERE)
    .filter((f) => f.endsWith('.e2e.mjs'))
    .sort();
  const selected = filters.length === 0 ? files : files.filter((f) => filters.some((x) => f.includes(x)));
  return selected.map((f) => path.join(HERE, f));
}

/** vsce package into a fresh temporary folder; its (long) file listing is shown only if it fails. */
function packageVsix() {
  if (!fs.existsSync(path.join(REPO, 'dist', 'extension.js'))) {
    throw new Error('dist/extension.js is missing: run `npm run build` first');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-e2e-vsix-'));
  tempDirs.add(dir);
  const vsix = path.join(dir, 'vae-lab.vsix');
  const vsce = path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce');
  const args = ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsix];
  try {
    const out = execFileSync(process.execPath, [vsce, ...args], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    console.log(out.trim().split('\n').filter((l) => /DONE|WARNING/.test(l)).join('\n'));
  } catch (error) {
    throw new Error(`vsce package failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
  if (!fs.existsSync(vsix)) throw new Error(`vsce did not write ${vsix}`);
  return { vsix, dir };
}

function installHeadless() {
  const r = spawnSync(process.execPath, [HEADLESS, 'install'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`installing the headless VS Code failed (exit ${r.status ?? r.signal})`);
}

/** A fresh workspace folder: copies of examples/*.vae.json plus `files` ({ relativePath: string | JSON value }). */
function makeWorkspace(name, files = {}, { examples = true } = {}) {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), `vae-lab-e2e-${name}-`));
  if (examples) {
    for (const f of fs.readdirSync(path.join(REPO, 'examples')).filter((f) => f.endsWith('.vae.json'))) {
      fs.copyFileSync(path.join(REPO, 'examples', f), path.join(ws, f));
    }
  }
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(ws, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n');
  }
  return ws;
}

async function runScenario(file, { startWorkbench, vsix }) {
  const name = path.basename(file, '.e2e.mjs');
  const artifactsDir = path.join(ARTIFACTS, name);
  fs.mkdirSync(artifactsDir, { recursive: true });
  const log = (message) => console.log(`  [${name}] ${message}`);
  const workspaces = [];
  const open = new Set(); // workbenches not closed yet
  let opened = 0;

  const ctx = {
    name,
    repo: REPO,
    vsix,
    artifactsDir,
    log,
    prepareWorkspace(files, options) {
      const ws = makeWorkspace(name, files, options);
      workspaces.push(ws);
      if (!keepWorkspaces) tempDirs.add(ws);
      return ws;
    },
    async startWorkbench(options = {}) {
      const n = ++opened;
      const wb = await startWorkbench({ vsix, echoConsole, ...options });
      const close = wb.close;
      let closing;
      // The window's final state and the logs first (close() removes the profile and its log files), then the
      // browser and code-server.
      wb.close = () =>
        (closing ??= (async () => {
          open.delete(wb);
          const suffix = n === 1 ? '' : `-${n}`;
          const shot = path.join(artifactsDir, `final${suffix}.png`);
          await wb.page.screenshot({ path: shot, timeout: 10_000 }).then(
            () => log(`final screenshot ${path.relative(REPO, shot)}`),
            (e) => log(`could not take the final screenshot: ${e.message.split('\n')[0]}`),
          );
          const logsDir = path.join(artifactsDir, `logs${suffix}`);
          wb.saveLogs(logsDir);
          fs.writeFileSync(
            path.join(logsDir, 'page-console.log'),
            wb.consoleMessages.map((m) => `${new Date(m.time).toISOString()} [${m.type}] ${m.text}${m.url ? `  (${m.url})` : ''}`).join('\n') + '\n',
          );
          await close();
        })());
      open.add(wb);
      return wb;
    },
    async screenshot(page, shot) {
      const file = path.join(artifactsDir, `${shot}.png`);
      await page.screenshot({ path: file });
      log(`screenshot ${path.relative(REPO, file)}`);
      return file;
    },
  };

  const mod = await import(pathToFileURL(file).href);
  if (typeof mod.default !== 'function') throw new Error(`${file} does not export a default function`);
  const timeoutMs = mod.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = Date.now();
  let error;
  let timer;
  const running = Promise.resolve().then(() => mod.default(ctx));
  try {
    await Promise.race([
      running,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`scenario timed out after ${seconds(timeoutMs)}`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    error = e;
  } finally {
    clearTimeout(timer);
  }
  const elapsed = Date.now() - started;

  // Close whatever the scenario left open (with its final screenshot and logs). Closing the browser also ends a
  // scenario still running after a timeout; give it a moment to unwind before the next one starts.
  for (const wb of [...open]) await wb.close().catch((e) => log(`closing a workbench failed: ${e.message}`));
  await Promise.race([running.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 15_000))]);
  for (const ws of workspaces) {
    if (keepWorkspaces) log(`workspace kept: ${ws}`);
    else fs.rmSync(ws, { recursive: true, force: true });
    tempDirs.delete(ws);
  }
  return { name, error, elapsed };
}

async function main() {
  const filters = process.argv.slice(2);
  const files = scenarioFiles(filters);
  if (files.length === 0) throw new Error(`no test/e2e/*.e2e.mjs scenario${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  let packaged;
  const results = [];
  try {
    packaged = packageVsix();
    installHeadless();
    const { startWorkbench } = await import(pathToFileURL(HEADLESS).href);
    for (const file of files) {
      console.log(`\n--- ${path.basename(file)}`);
      const result = await runScenario(file, { startWorkbench, vsix: packaged.vsix });
      results.push(result);
      if (result.error) {
        console.log(`FAIL ${result.name} (${seconds(result.elapsed)})`);
        console.log(String(result.error.stack ?? result.error).replace(/^/gm, '    '));
      } else {
        console.log(`PASS ${result.name} (${seconds(result.elapsed)})`);
      }
    }
  } catch (error) {
    console.error(`e2e setup failed: ${error.stack ?? error}`);
    for (const file of files.slice(results.length)) results.push({ name: path.basename(file, '.e2e.mjs'), error });
  } finally {
    if (packaged) fs.rmSync(packaged.dir, { recursive: true, force: true });
  }

  const failed = results.filter((r) => r.error).length;
  const passed = results.length - failed;
  console.log('');
  for (const r of results) console.log(`${r.error ? 'FAIL' : 'PASS'} ${r.name}${r.elapsed !== undefined ? ` (${seconds(r.elapsed)})` : ''}`);
  console.log(`artifacts: ${path.relative(REPO, ARTIFACTS)}/`);
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error.stack ?? String(error));
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  },
);

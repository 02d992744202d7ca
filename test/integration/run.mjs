// npm run test:integration: the extension's integration suites inside a real VS Code.
//   1. the development-folder suite (test/integration/suite) against this checkout;
//   2. the package suite (test/integration/vsix) against the .vsix built by `vsce package`, installed into VS Code.
// Where VS Code can be downloaded, @vscode/test-electron runs suite 1; where it cannot (no network), both run in a
// headless VS Code: code-server from npm, driven by Playwright and Debian's chromium (scripts/headless-vscode.mjs).
// Expects `npm run build` and `tsc -p .` to have run (npm test does both).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(REPO, 'out', 'test', 'integration');
const HEADLESS = join(REPO, 'scripts', 'headless-vscode.mjs');
const ARTIFACTS = join(REPO, 'test-artifacts');
const args = new Set(process.argv.slice(2));
// Each suite appends {suite, passed, failed} here (see mochaIndex.ts); the closing line adds them up.
const RESULTS = join(mkdtempSync(join(tmpdir(), 'vae-lab-results-')), 'results.jsonl');
process.env.VAE_LAB_TEST_RESULTS = RESULTS;

function closingLine() {
  const rows = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  const passed = rows.reduce((s, r) => s + r.passed, 0);
  const failed = rows.reduce((s, r) => s + r.failed, 0);
  console.log(`integration: ${passed} passed, ${failed} failed`);
}
const host = process.env.VAE_LAB_TEST_HOST ?? 'auto'; // auto | electron | headless

/** A fresh workspace: the examples plus small experiments the tests train. */
function prepareWorkspace(name) {
  const ws = mkdtempSync(join(tmpdir(), `vae-lab-${name}-`));
  for (const f of readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.vae.json'))) copyFileSync(join(REPO, 'examples', f), join(ws, f));
  const small = (name, epochs, limit, extra = {}) => ({
    name,
    description: 'A small experiment for the integration tests.',
    data: { source: 'mnist', options: { limit } },
    model: { kind: 'vae', latentDim: 4, encoder: { type: 'mlp', hidden: [32] } },
    training: { epochs, batchSize: 50, seed: 1 },
    logging: { metricsEvery: 2 },
    ...extra,
  });
  writeFileSync(join(ws, 'tiny.vae.json'), JSON.stringify(small('tiny', 2, 400), null, 2));
  writeFileSync(join(ws, 'slow.vae.json'), JSON.stringify(small('slow', 50, 4000), null, 2));
  writeFileSync(join(ws, 'load.vae.json'), JSON.stringify(small('load', 3, 3000), null, 2));
  mkdirSync(join(ws, '.vscode'), { recursive: true });
  writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'vaeLab.maxParallelRuns': 2 }, null, 2));
  return ws;
}

function check(r, what) {
  if (r.status !== 0) {
    closingLine();
    console.error(`${what} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

async function electronAvailable() {
  if (host === 'headless') return false;
  try {
    const { downloadAndUnzipVSCode } = await import('@vscode/test-electron');
    await downloadAndUnzipVSCode({ version: '1.100.3', timeout: 30000, cachePath: join(REPO, '.vscode-test') });
    return true;
  } catch (err) {
    if (host === 'electron') throw err;
    console.log(`VS Code cannot be downloaded here (${String(err.message ?? err).split('\n')[0]}): using the headless VS Code.`);
    return false;
  }
}

function headless(runArgs, what) {
  check(spawnSync(process.execPath, [HEADLESS, ...runArgs], { stdio: 'inherit' }), what);
}

async function main() {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Figures the suites measure (the load test's event-loop delay) land here; the extension host inherits it.
  process.env.VAE_LAB_TEST_ARTIFACTS = join(ARTIFACTS, 'integration-dev');
  const devWs = prepareWorkspace('dev');
  if (await electronAvailable()) {
    const { runTests } = await import('@vscode/test-electron');
    await runTests({ version: '1.100.3', extensionDevelopmentPath: REPO, extensionTestsPath: join(OUT, 'suite', 'index'), launchArgs: [devWs, '--disable-workspace-trust'] });
    if (args.has('--dev-only')) return;
  } else {
    headless(['install'], 'installing the headless VS Code');
    headless(['run', '--extensionDevelopmentPath', REPO, '--extensionTestsPath', join(OUT, 'suite', 'index'), '--workspace', devWs, '--screenshot-dir', join(ARTIFACTS, 'integration-dev')], 'the development-folder suite');
    if (args.has('--dev-only')) return;
  }
  // What users install is what is tested: package the extension and run the package suite against the .vsix.
  const vsixDir = mkdtempSync(join(tmpdir(), 'vae-lab-vsix-'));
  const vsix = join(vsixDir, 'vae-lab.vsix');
  execFileSync(process.execPath, [join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsix], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
  if (!existsSync(vsix)) throw new Error(`vsce did not write ${vsix}`);
  headless(['install'], 'installing the headless VS Code');
  // The packaged threaded wasm build must start from the installed extension: ask for 2 threads whatever the cores.
  process.env.VAE_LAB_WASM_THREADS = '2';
  // The package suite starts without native backends (auto trains on wasm), then installs tensorflow into a folder of
  // its own through "VAE: Install Backend..." and the vaeLab.backendsFolder setting.
  process.env.VAE_LAB_BACKENDS_DIR = mkdtempSync(join(tmpdir(), 'vae-lab-no-backends-'));
  headless(['run', '--install-extension', vsix, '--extensionTestsPath', join(OUT, 'vsix', 'index'), '--workspace', prepareWorkspace('vsix'), '--screenshot-dir', join(ARTIFACTS, 'integration-vsix')], 'the package suite');
}

main().then(closingLine, (err) => {
  closingLine();
  console.error(err.stack ?? String(err));
  process.exit(1);
});

// Bundles the entry points into dist/ and copies what the engine needs at run time next to them:
//   dist/cli.js        the `vae-lab` command line
//   dist/engine.js     the engine child process spawned by the extension
//   dist/extension.js  the VS Code extension (when present)
//   dist/webview/*.js  panel scripts (when present)
//   dist/webview/katex/  KaTeX's stylesheet and fonts for the Theory Lab panel (loaded through asWebviewUri; no remote fonts)
//   dist/wasm/*.wasm   the tfjs-backend-wasm binaries (and the threaded build's two scripts)
//   dist/data/mnist-10k.bin  the compact MNIST cache (built once from the `mnist` package)
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  target: 'node20',
};

const nodeEntries = [
  { in: 'src/engine/cli.ts', out: 'cli', banner: '#!/usr/bin/env node' },
  { in: 'src/engine/child.ts', out: 'engine' },
  { in: 'src/extension/extension.ts', out: 'extension' },
].filter((e) => existsSync(e.in));

const builds = nodeEntries.map((e) => ({
  ...common,
  entryPoints: [e.in],
  outfile: `dist/${e.out}.js`,
  platform: 'node',
  format: 'cjs',
  // Prefer ES modules: jsonc-parser's UMD build requires its parts dynamically, which a bundle cannot follow.
  mainFields: ['module', 'main'],
  // tfjs-node is loaded at run time from the backends folder (src/engine/backends/tensorflow.ts); the mnist package is
  // only read to build the cache.
  external: ['vscode', 'mnist'],
  banner: e.banner ? { js: e.banner } : undefined,
}));

const webviewDir = 'webview';
if (existsSync(webviewDir)) {
  const entries = readdirSync(webviewDir).filter((f) => /^[a-z][A-Za-z]*Main\.ts$/.test(f));
  if (entries.length > 0) {
    builds.push({
      ...common,
      entryPoints: entries.map((f) => join(webviewDir, f)),
      outdir: 'dist/webview',
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
    });
  }
}

function copyWasm() {
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  mkdirSync('dist/wasm', { recursive: true });
  for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join('dist/wasm', f));
  // The threaded build's main script and worker source, which its pthread workers load in Node (src/engine/wasmThreads.ts).
  const wasmOut = join(wasmDir, '..', 'wasm-out');
  for (const f of ['tfjs-backend-wasm-threaded-simd.js', 'tfjs-backend-wasm-threaded-simd.worker.js']) copyFileSync(join(wasmOut, f), join('dist/wasm', f));
}

function copyKatex() {
  const katexDist = dirname(require.resolve('katex/dist/katex.min.css'));
  mkdirSync('dist/webview/katex/fonts', { recursive: true });
  copyFileSync(join(katexDist, 'katex.min.css'), 'dist/webview/katex/katex.min.css');
  copyFileSync(join(katexDist, '..', 'LICENSE'), 'dist/webview/katex/LICENSE'); // MIT: its notice travels with it
  // The stylesheet lists woff2, woff and ttf for each face; webviews (Chromium) load the first.
  for (const f of readdirSync(join(katexDist, 'fonts')).filter((f) => f.endsWith('.woff2'))) copyFileSync(join(katexDist, 'fonts', f), join('dist/webview/katex/fonts', f));
}

function buildMnistCache() {
  const out = 'dist/data/mnist-10k.bin';
  if (existsSync(out)) return;
  execFileSync(process.execPath, ['dist/cli.js', 'internal-build-mnist-cache', out], { stdio: 'inherit' });
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  copyWasm();
  copyKatex();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  copyWasm();
  copyKatex();
  buildMnistCache();
}

// The four rooms and their one-way doors: core imports neither vscode nor tfjs; the engine never imports vscode;
// the extension never loads tfjs (checked on the real esbuild bundle graph, so transitive imports count).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as esbuild from 'esbuild';
import { REPO } from './helpers';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

test('src/core imports neither vscode nor tfjs', () => {
  for (const f of sources(path.join(REPO, 'src', 'core'))) {
    for (const i of imports(f)) assert.ok(i !== 'vscode' && !i.startsWith('@tensorflow/') && !i.includes('/engine/') && !i.includes('/extension/'), `${f} imports ${i}`);
  }
});

test('src/engine never imports vscode or the extension', () => {
  for (const f of sources(path.join(REPO, 'src', 'engine'))) {
    for (const i of imports(f)) assert.ok(i !== 'vscode' && !i.includes('/extension/'), `${f} imports ${i}`);
  }
});

test('webview code imports only core types, its own modules, Chart.js, TF.js and KaTeX (never the engine or vscode)', () => {
  for (const f of sources(path.join(REPO, 'webview'))) {
    for (const i of imports(f)) {
      const ok = i.startsWith('../src/core/') || i.startsWith('./') || i.startsWith('chart.js') || i.startsWith('@tensorflow/tfjs-') || i === 'katex';
      assert.ok(ok, `${f} imports ${i}`);
    }
  }
});

test('the extension bundle contains no tfjs, not even transitively', async () => {
  const r = await esbuild.build({ entryPoints: [path.join(REPO, 'src', 'extension', 'extension.ts')], bundle: true, platform: 'node', external: ['vscode'], write: false, metafile: true, logLevel: 'silent' });
  const inputs = Object.keys(r.metafile.inputs);
  assert.ok(inputs.some((i) => i.includes('src/extension/runManager.ts')));
  assert.deepEqual(inputs.filter((i) => i.includes('@tensorflow') || i.includes('src/engine/')), []);
});

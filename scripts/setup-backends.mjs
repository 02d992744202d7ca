#!/usr/bin/env node
// Makes sure the native TensorFlow backend is installed before the tests, with the same command a user runs:
// `vae-lab backend install tensorflow` (into $VAE_LAB_BACKENDS_DIR, default ~/.vae-lab/backends; about 50 s the first
// time, nothing after). Where it cannot be installed the tensorflow tests skip with the reason, except under CI=true
// or VAE_LAB_REQUIRE_BACKENDS=tensorflow, where this fails: CI must run them.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'dist', 'cli.js');
const required = process.env.CI === 'true' || (process.env.VAE_LAB_REQUIRE_BACKENDS ?? '').split(',').includes('tensorflow');

function tensorflowStatus() {
  const r = spawnSync(process.execPath, [CLI, 'backend', 'list', '--json'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vae-lab backend list failed: ${r.stderr}`);
  const listed = JSON.parse(r.stdout.trim().split('\n').pop());
  return { dir: listed.backendsDir, tf: listed.backends.find((b) => b.name === 'tensorflow') };
}

let { dir, tf } = tensorflowStatus();
if (tf.available) {
  console.log(`setup-backends: tensorflow ${tf.version} is installed in ${dir} (${tf.detail})`);
  process.exit(0);
}
console.log(`setup-backends: installing the tensorflow backend into ${dir} (vae-lab backend install tensorflow)...`);
const t0 = Date.now();
const r = spawnSync(process.execPath, [CLI, 'backend', 'install', 'tensorflow'], { cwd: REPO, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
const steps = (r.stderr ?? '').split('\n').filter((l) => /^\[\d+\/\d+\]/.test(l));
for (const s of steps) console.log(`  ${s}`);
if (r.status === 0) {
  ({ tf } = tensorflowStatus());
  console.log(`setup-backends: ${r.stdout.trim().split('\n')[0]} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (tf.available) process.exit(0);
}
const why = (r.stderr ?? '').trim().split('\n').filter((l) => l.startsWith('vae-lab: ')).pop() ?? `exit ${r.status}`;
if (required) {
  console.error((r.stderr ?? '').split('\n').slice(-60).join('\n'));
  console.error(`setup-backends: the tensorflow backend could not be installed and CI requires it: ${why}`);
  process.exit(1);
}
console.log(`setup-backends: the tensorflow backend could not be installed, its tests will skip: ${why}`);

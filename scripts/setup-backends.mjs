#!/usr/bin/env node
// Makes sure the installable backends are there before the tests, with the command a user runs:
// `vae-lab backend install tensorflow` and `vae-lab backend install webgpu` (into $VAE_LAB_BACKENDS_DIR, default
// ~/.vae-lab/backends; about 50 s and 10 s the first time, nothing after). The webgpu tests also need a WebGPU
// adapter: on a machine without a GPU, `npm run setup:vulkan` installs a software one (CI does). Where a backend
// cannot be installed its tests skip with the reason, except under CI=true or VAE_LAB_REQUIRE_BACKENDS=<names>, where
// this fails: CI must run them.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'dist', 'cli.js');
const WANTED = ['tensorflow', 'webgpu'];
const requiredList = process.env.CI === 'true' ? WANTED : (process.env.VAE_LAB_REQUIRE_BACKENDS ?? '').split(',').filter(Boolean);

function listed() {
  const r = spawnSync(process.execPath, [CLI, 'backend', 'list', '--json'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vae-lab backend list failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

let failed = 0;
let state = listed();
for (const name of WANTED) {
  const required = requiredList.includes(name);
  let b = state.backends.find((x) => x.name === name);
  if (b.available) {
    console.log(`setup-backends: ${name} is installed in ${state.backendsDir} (${b.detail})`);
    continue;
  }
  const installed = state.installed?.[name];
  if (!installed) {
    console.log(`setup-backends: installing the ${name} backend into ${state.backendsDir} (vae-lab backend install ${name})...`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [CLI, 'backend', 'install', name], { cwd: REPO, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    for (const s of (r.stderr ?? '').split('\n').filter((l) => /^\[\d+\/\d+\]/.test(l))) console.log(`  ${s}`);
    if (r.status === 0) console.log(`setup-backends: ${r.stdout.trim().split('\n')[0]} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    else {
      const why = (r.stderr ?? '').trim().split('\n').filter((l) => l.startsWith('vae-lab: ')).pop() ?? `exit ${r.status}`;
      if (required) console.error((r.stderr ?? '').split('\n').slice(-40).join('\n'));
      console.log(`setup-backends: ${name} could not be installed${required ? '' : ', its tests will skip'}: ${why}`);
      if (required) failed++;
      continue;
    }
    state = listed();
    b = state.backends.find((x) => x.name === name);
  }
  if (b.available) continue;
  console.log(`setup-backends: ${name} is installed but does not start${required ? '' : ', its tests will skip'}: ${b.reason}`);
  if (required) failed++;
}
if (failed) {
  console.error(`setup-backends: ${failed} backend(s) that the tests require are missing (CI=true or VAE_LAB_REQUIRE_BACKENDS)`);
  process.exit(1);
}

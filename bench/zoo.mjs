#!/usr/bin/env node
// The model zoo's table (README "Models"): every example of a model kind trained through the CLI and evaluated with
// `vae-lab eval`, one at a time, on one backend. `node bench/zoo.mjs [--epochs N] [--only kind,kind] [--backend B]`
// (after `npm run build`). Prints a markdown table and writes bench/results/zoo-<timestamp>.json.
//
// Per run: the epochs trained and their wall time, the last validation loss, the test set's negative ELBO (or
// reconstruction loss for kinds without a KL term), its KL, the importance-sampled -log p(x) (k = 100 on 200 test
// examples, for kinds with a density), active units, the sample-quality scores (FD, precision, recall in the features
// of the data set's classifier) and, on shapes, MIG / SAP / DCI disentanglement.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const epochs = opt('epochs', undefined);
const backend = opt('backend', 'wasm');
const only = opt('only', undefined)?.split(',');

/** One example per kind: the examples whose name is <data>-<kind> (sweeps and lessons are other things). */
const examples = readdirSync(path.join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.vae.json'))
  .map((f) => ({ file: path.join(ROOT, 'examples', f), doc: JSON.parse(readFileSync(path.join(ROOT, 'examples', f), 'utf8')) }))
  .filter((e) => !e.doc.sweep && e.doc.model?.kind && e.doc.data?.source !== 'cifar10')
  .filter((e) => !only || only.includes(e.doc.model.kind));

const out = mkdtempSync(path.join(os.tmpdir(), 'vae-lab-zoo-'));
const rows = [];
for (const e of examples) {
  const t0 = Date.now();
  const train = spawnSync(process.execPath, [CLI, 'train', e.file, '--out', out, '--backend', backend, ...(epochs ? ['--epochs', epochs] : [])], { encoding: 'utf8' });
  const seconds = (Date.now() - t0) / 1000;
  if (train.status !== 0) {
    rows.push({ example: path.basename(e.file), kind: e.doc.model.kind, error: train.stderr.trim().split('\n').pop() });
    console.error(`${path.basename(e.file)}: training failed: ${train.stderr.trim().split('\n').pop()}`);
    continue;
  }
  const runDir = train.stdout.trim().split('\n').pop();
  const events = readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const lastEpoch = events.filter((x) => x.type === 'epoch').pop();
  const t1 = Date.now();
  const ev = spawnSync(process.execPath, [CLI, 'eval', runDir, '--k', '100', '--ll-examples', '200', '--json'], { encoding: 'utf8' });
  const evalSeconds = (Date.now() - t1) / 1000;
  const r = ev.status === 0 ? JSON.parse(readFileSync(path.join(runDir, 'eval.json'), 'utf8')) : undefined;
  const row = {
    example: path.basename(e.file),
    kind: e.doc.model.kind,
    data: e.doc.data.source,
    epochs: lastEpoch.epoch + 1,
    seconds,
    validationLoss: lastEpoch.validation.loss,
    testNegElbo: r?.metrics.elbo !== undefined ? -r.metrics.elbo : undefined,
    testRecon: r?.metrics.recon,
    testKl: r?.metrics.kl,
    negLogPx: r?.logLikelihood ? -r.logLikelihood.mean : undefined,
    activeUnits: r?.metrics.activeUnits,
    latentDim: e.doc.model.latentDim,
    mig: r?.disentanglement?.mig,
    sap: r?.disentanglement?.sap,
    dciD: r?.disentanglement?.dci?.disentanglement,
    betaVaeScore: r?.disentanglement?.betaVaeScore,
    factorVaeScore: r?.disentanglement?.factorVaeScore,
    fd: r?.sampleQuality?.fd,
    precision: r?.sampleQuality?.precision,
    recall: r?.sampleQuality?.recall,
    classifier: r?.sampleQuality?.classifier,
    runDir,
    evalSeconds,
    evalError: ev.status === 0 ? undefined : ev.stderr.trim().split('\n').pop(),
  };
  rows.push(row);
  console.error(`${row.example}: ${row.epochs} epochs in ${seconds.toFixed(0)} s, validation loss ${row.validationLoss.toFixed(2)}`);
}

const f = (v, d = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');
const lines = [
  `| kind | example | epochs (s) | val. loss | test −ELBO | test recon | test KL | −log p(x) | active | FD / precision / recall | MIG / SAP / DCI-D |`,
  `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
  ...rows.map((r) =>
    r.error
      ? `| ${r.kind} | ${r.example} | failed: ${r.error} | | | | | | | | |`
      : `| ${r.kind} | ${r.example.replace('.vae.json', '')} | ${r.epochs} (${f(r.seconds, 0)}) | ${f(r.validationLoss)} | ${f(r.testNegElbo)} | ${f(r.testRecon)} | ${f(r.testKl)} | ${f(r.negLogPx)} | ${r.activeUnits ?? '–'} / ${r.latentDim} | ${r.fd === undefined ? '–' : `${f(r.fd)} / ${f(r.precision, 2)} / ${f(r.recall, 2)}`} | ${r.mig === undefined ? '–' : `${f(r.mig, 3)} / ${f(r.sap, 3)} / ${f(r.dciD, 3)}`} |`,
  ),
];
console.log(lines.join('\n'));
const dir = path.join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `zoo-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}Z.json`);
writeFileSync(`${file}.tmp`, JSON.stringify({ time: new Date().toISOString(), backend, epochs: epochs ?? 'each example\'s own', cpus: os.cpus().length, load: os.loadavg(), rows }, null, 2));
renameSync(`${file}.tmp`, file);
console.error(`written ${path.relative(ROOT, file)}`);

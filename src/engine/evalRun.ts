// `vae-lab eval <run folder>`: evaluate a trained run on its test set and write eval.json.
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { EvalResult } from '../core/protocol';
import { runFiles, writeJsonAtomic } from '../core/runFolder';
import { activeBackend } from './backend';
import { evaluateSplit } from './evaluate';
import { mixSeed, Stream } from './rng';
import { binarizeOnce, loadRunModel } from './trainer';

export type { EvalResult };

export async function evaluateRun(runDir: string, opts: { samples?: number } = {}): Promise<EvalResult> {
  const { record, config, model, data } = await loadRunModel(runDir, (c) => {
    if (opts.samples !== undefined && c.model.kind !== 'ae') c.objective.samples = opts.samples;
  });
  try {
    const seed = mixSeed(config.training.seed, Stream.evaluation, 1);
    const test = config.data.binarize === 'dynamic' ? binarizeOnce(data.test, mixSeed(config.training.seed, Stream.binarize, -2)) : data.test;
    // klWeight 1: the reported loss is the negative ELBO (for ae, the reconstruction loss).
    const metrics = await evaluateSplit(model, test, { klWeight: 1, step: record.progress.totalSteps, totalSteps: record.progress.totalSteps, seed, batchSize: 250 });
    delete metrics.klPenalty;
    delete metrics.capacity;
    const result: EvalResult = {
      runId: record.runId,
      experiment: record.experiment,
      split: 'test',
      examples: test.n,
      samples: config.model.kind === 'ae' ? 0 : config.objective.samples,
      metrics,
      backend: activeBackend()?.name ?? tf.getBackend(),
      time: new Date().toISOString(),
    };
    writeJsonAtomic(runFiles.evaluation(runDir), result);
    return result;
  } finally {
    model.dispose();
  }
}

export function evalTable(r: EvalResult, runDir: string): string {
  const m = r.metrics;
  const rows: [string, string][] = [
    ['run', path.basename(runDir)],
    ['test examples', String(r.examples)],
  ];
  if (m.elbo !== undefined) {
    rows.push([`test ELBO (L=${r.samples}), nats`, m.elbo.toFixed(3)]);
    rows.push(['  reconstruction -E[log p(x|z)]', m.recon.toFixed(3)]);
    rows.push(['  KL(q(z|x) || p(z))', (m.kl ?? NaN).toFixed(3)]);
  } else {
    rows.push(['test reconstruction loss, nats', m.recon.toFixed(3)]);
  }
  if (m.klPerDim) rows.push(['KL per dimension', m.klPerDim.map((v) => v.toFixed(2)).join(' ')]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

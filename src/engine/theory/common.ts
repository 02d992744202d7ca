// Shared pieces of the theory lab's lessons (src/engine/theory/): what a lesson needs of a model, and the file header.
import * as tf from '@tensorflow/tfjs';
import { THEORY_FORMAT_VERSION, TheoryHeader, TheoryLesson } from '../../core/theory';
import { activeBackend } from '../backends/index';
import type { Dataset } from '../data';
import { batchLabels, batchTensor } from '../evaluate';
import type { AutoencoderModel } from '../models';
import { repeatRows } from '../objectives/likelihood';

/** Examples [start, end) of a split as a tensor, with one-hot labels for conditional models. */
export function batchOf(model: AutoencoderModel, d: Dataset, start: number, end: number): { x: tf.Tensor; labels?: tf.Tensor2D } {
  return { x: batchTensor(d, start, end), labels: model.conditional ? batchLabels(d, start, end, model.numClasses) : undefined };
}

/** The decoder for L * B codes laid out sample-major ([L, B, D] flattened), the labels tiled L times. */
export function decodeTiled(model: AutoencoderModel, z: tf.Tensor2D, labels: tf.Tensor2D | undefined, samples: number): tf.Tensor {
  return model.decode(z, labels ? (repeatRows(labels, samples) as tf.Tensor2D) : undefined);
}

/** The target x repeated L times, sample-major: [L * B, n]. */
export function tileTarget(x: tf.Tensor, samples: number): tf.Tensor2D {
  const b = x.shape[0];
  return repeatRows(x.reshape([b, -1]), samples) as tf.Tensor2D;
}

/** A seed tfjs accepts: tf.random* treats 0 as "no seed". */
export function tfSeed(s: number): number {
  return s === 0 ? 1 : s;
}

export function header<L extends TheoryLesson, S>(lesson: L, run: { runId: string; experiment: string }, t0: number, settings: S): TheoryHeader<L, S> {
  return {
    formatVersion: THEORY_FORMAT_VERSION,
    lesson,
    runId: run.runId,
    experiment: run.experiment,
    computedAt: new Date().toISOString(),
    seconds: (Date.now() - t0) / 1000,
    backend: activeBackend()?.name ?? tf.getBackend(),
    settings,
  };
}

/** Least-squares slope of log y against log x. */
export function logLogSlope(x: number[], y: number[]): number {
  const lx = x.map(Math.log);
  const ly = y.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return num / den;
}

/** Cell centres of a grid, row-major with the last dimension fastest: [M][D]. */
export function gridCentres(lo: number[], hi: number[], cells: number[]): number[][] {
  const m = cells.reduce((a, b) => a * b, 1);
  const out: number[][] = [];
  for (let c = 0; c < m; c++) {
    let rest = c;
    const z = new Array<number>(cells.length);
    for (let i = cells.length - 1; i >= 0; i--) {
      const k = rest % cells[i];
      rest = Math.floor(rest / cells[i]);
      z[i] = lo[i] + ((k + 0.5) * (hi[i] - lo[i])) / cells[i];
    }
    out.push(z);
  }
  return out;
}

// "Learn VAEs by doing" (the walkthrough and "VAE: Learn by Doing"), its pure parts (no vscode; unit-tested in Node):
// which lesson experiment (examples/lessons/) each step trains, which of its runs the Theory Lab opens, and finding a
// finished one already in the runs folder so that a step never trains twice.
import * as path from 'path';
import { listRecordFolders, readRunRecord, runFiles } from '../core/runFolder';
import { readSweepRecord, sweepFiles, sweepsFolder } from '../core/sweep';
import type { TheoryLesson } from '../core/theory';

export interface LessonStep {
  /** The lesson the step opens. */
  lesson: TheoryLesson;
  /** Shown in the quick pick. */
  title: string;
  /** The lesson experiment under examples/lessons/, copied to <workspace>/lessons/. */
  file: string;
  /** Its experiment name (the file's "name"). */
  experiment: string;
  /** A sweep (its children are compared side by side); the Theory Lab opens child 0 (the VAE, the Bernoulli one). */
  sweep: boolean;
}

const TWO_D = { file: 'lesson-2d.vae.json', experiment: 'lesson-2d', sweep: true };

export const LESSON_STEPS: readonly LessonStep[] = [
  { lesson: 'posterior', title: 'The posterior and the ELBO gap (2-D VAE and AE)', ...TWO_D },
  { lesson: 'holes', title: 'Holes in the code space (2-D VAE next to the AE)', ...TWO_D },
  { lesson: 'montecarlo', title: 'Monte Carlo vs closed form (2-D VAE)', ...TWO_D },
  { lesson: 'reparam', title: 'Why reparameterise (2-D VAE)', ...TWO_D },
  { lesson: 'linear-pca', title: 'Linear autoencoder = PCA (linear AE)', file: 'lesson-linear-ae.vae.json', experiment: 'lesson-linear-ae', sweep: false },
  { lesson: 'likelihoods', title: 'BCE or MSE (Bernoulli vs Gaussian, fixed and learned sigma)', file: 'lesson-likelihoods.vae.json', experiment: 'lesson-likelihoods', sweep: true },
];

export function lessonStep(lesson: string): LessonStep | undefined {
  return LESSON_STEPS.find((s) => s.lesson === lesson);
}

const completed = (runDir: string): boolean => {
  try {
    return readRunRecord(runDir).status === 'completed';
  } catch {
    return false;
  }
};

/**
 * The newest finished run of a step's experiment under `runsRoot`: for a sweep, child 0 of the newest sweep whose
 * children all completed; else the newest completed run. Undefined when the step has yet to train.
 */
export function finishedLessonRun(runsRoot: string, step: LessonStep): string | undefined {
  if (step.sweep) {
    for (const dir of listRecordFolders(sweepsFolder(runsRoot, step.experiment), sweepFiles.record).reverse()) {
      try {
        const runs = readSweepRecord(dir).runs.map((r) => ({ index: r.index, dir: path.join(dir, r.dir) }));
        const first = runs.find((r) => r.index === 0);
        if (first && runs.every((r) => completed(r.dir))) return first.dir;
      } catch {
        /* an unreadable sweep folder */
      }
    }
    return undefined;
  }
  return listRecordFolders(path.join(runsRoot, step.experiment), runFiles.record)
    .reverse()
    .find(completed);
}

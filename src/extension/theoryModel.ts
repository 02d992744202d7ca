// The Theory Lab panel's pure parts (no vscode; unit-tested in Node): reading a lesson's file under <run>/theory/ into
// the state the panel shows, the posterior examples already computed, the run's facts the panel needs, and the CLI's
// one-line error.
import * as fs from 'fs';
import { readRunRecord } from '../core/runFolder';
import { theoryFiles, TheoryLesson, TheoryResult } from '../core/theory';
import type { LessonState, TheoryRunInfo } from '../core/theoryViewProtocol';

/** The CLI's last "vae-lab: ..." line, without the prefix (else its last line). */
export function lastCliError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = [...lines].reverse().find((l) => l.startsWith('vae-lab: '));
  return (err ?? lines[lines.length - 1] ?? '').replace(/^vae-lab: /, '');
}

/** Test examples with a posterior file (theory/posterior-<i>.json), ascending. */
export function posteriorExamples(runDir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(theoryFiles.dir(runDir));
  } catch {
    return [];
  }
  return names
    .map((n) => /^posterior-(\d+)\.json$/.exec(n)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** The state of a lesson from its file: 'ready' with the result, 'missing', or 'error' when unreadable. */
export function readLesson(runDir: string, lesson: TheoryLesson, example = 0): LessonState {
  const file = theoryFiles.lesson(runDir, lesson, example);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { status: 'missing' };
  }
  try {
    const result = JSON.parse(text) as TheoryResult;
    if (typeof result !== 'object' || result === null || result.lesson !== lesson) return { status: 'error', message: `${file} is not a ${lesson} result.` };
    return { status: 'ready', result };
  } catch (err) {
    return { status: 'error', message: `${file} cannot be read: ${(err as Error).message}` };
  }
}

export function runInfo(runDir: string): TheoryRunInfo {
  const rec = readRunRecord(runDir);
  const shape = rec.data?.exampleShape;
  const imageShape = shape && shape.length === 3 && shape[0] > 1 && shape[1] > 1 ? ([shape[0], shape[1], shape[2]] as [number, number, number]) : undefined;
  return { runDir, runId: rec.runId, experiment: rec.experiment, kind: rec.config.model.kind, latentDim: rec.config.model.latentDim, ...(imageShape ? { imageShape } : {}) };
}


// "VAE: Learn by Doing" and the walkthrough "Learn VAEs by doing": a step adds its lesson experiment to the workspace
// (examples/lessons/ -> <workspace>/lessons/, never overwriting), trains it ("VAE: Run Sweep" for the lesson sweeps,
// "VAE: Train" otherwise) unless a finished run is already there, then opens the Theory Lab on the step's lesson and
// computes it when it has no file yet.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { TheoryLesson } from '../core/theory';
import { finishedLessonRun, LESSON_STEPS, LessonStep, lessonStep } from './lessonModel';
import type { RunJob } from './runManager';
import { runsRootFor } from './settings';
import type { SweepJob } from './sweeps';
import type { TheoryPanel, TheoryPanels } from './theoryPanel';

export interface LessonOutcome {
  runDir: string;
  panel: TheoryPanel;
}

/** Copy the lesson experiment into <workspace>/lessons/ unless it is there (the learner may have edited it). */
async function addLessonFile(context: vscode.ExtensionContext, folder: vscode.WorkspaceFolder, step: LessonStep): Promise<vscode.Uri> {
  const target = vscode.Uri.joinPath(folder.uri, 'lessons', step.file);
  if (!fs.existsSync(target.fsPath)) {
    const doc = JSON.parse(fs.readFileSync(context.asAbsolutePath(path.join('examples', 'lessons', step.file)), 'utf8')) as Record<string, unknown>;
    delete doc.$schema; // the editor finds the schema through contributes.jsonValidation
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(folder.uri, 'lessons'));
    await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(doc, null, 2) + '\n'));
  }
  await vscode.window.showTextDocument(target, { preview: true, preserveFocus: true });
  return target;
}

/** Train the step's experiment; the run the Theory Lab opens, or undefined (the failure has been shown). */
async function trainLesson(step: LessonStep, uri: vscode.Uri): Promise<string | undefined> {
  if (step.sweep) {
    const job = (await vscode.commands.executeCommand('vaeLab.runSweep', uri)) as SweepJob | undefined;
    if (!job) return undefined;
    const outcome = await job.done;
    if (outcome.state !== 'completed') return undefined; // the sweep's own message says why
    return finishedLessonRun(runsRootFor(uri), step);
  }
  const job = (await vscode.commands.executeCommand('vaeLab.train', uri)) as RunJob | undefined;
  if (!job) return undefined;
  const state = await job.done;
  return state === 'completed' ? job.started?.runDir : undefined;
}

export async function learnByDoingCommand(context: vscode.ExtensionContext, panels: TheoryPanels, arg?: unknown): Promise<LessonOutcome | undefined> {
  let step = typeof arg === 'string' ? lessonStep(arg) : undefined;
  if (typeof arg === 'string' && !step) {
    void vscode.window.showErrorMessage(`Unknown lesson "${arg}" (expected ${LESSON_STEPS.map((s) => s.lesson).join(', ')}).`);
    return undefined;
  }
  if (!step) {
    const pick = await vscode.window.showQuickPick(
      LESSON_STEPS.map((s) => ({ label: s.title, description: `lessons/${s.file}`, step: s })),
      { placeHolder: 'Lesson to learn by doing: its experiment is added, trained (under a minute) and opened in the Theory Lab' },
    );
    if (!pick) return undefined;
    step = pick.step;
  }
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showWarningMessage('Open a folder first: the lesson experiments and their runs are kept in the workspace.');
    return undefined;
  }
  const uri = await addLessonFile(context, folder, step);
  const runDir = finishedLessonRun(runsRootFor(uri), step) ?? (await trainLesson(step, uri));
  if (!runDir) return undefined;
  return openLesson(panels, runDir, step.lesson);
}

async function openLesson(panels: TheoryPanels, runDir: string, lesson: TheoryLesson): Promise<LessonOutcome | undefined> {
  let panel: TheoryPanel;
  try {
    panel = panels.open(runDir, lesson);
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return undefined;
  }
  if (panel.state(lesson).status === 'missing') void panel.compute(lesson);
  // The walkthrough's step is done (its completion event is this context key).
  void vscode.commands.executeCommand('setContext', `vaeLab.lessonOpened.${lesson}`, true);
  return { runDir, panel };
}

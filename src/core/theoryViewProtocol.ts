// Messages between the extension and the Theory Lab panel (webview/theoryMain.ts), one union per direction, with the
// validators used on receipt. The extension reads <run>/theory/*.json (written by `vae-lab theory`, formats in
// theory.ts) and sends them as they are; the panel only scales, colours and draws: every number on screen comes from
// a lesson's file. Imports neither vscode nor tfjs; the webview imports this file.
// Types only from theory.ts: it imports Node's path, which the browser bundle cannot.
import type { TheoryLesson, TheoryResult } from './theory';

/** The lessons in the panel's order (the same as THEORY_LESSONS; a unit test checks it). */
export const VIEW_LESSONS = ['posterior', 'montecarlo', 'reparam', 'holes', 'linear-pca', 'likelihoods'] as const satisfies readonly TheoryLesson[];
// Every lesson is listed: this fails to compile when theory.ts adds one.
const allListed: Exclude<TheoryLesson, (typeof VIEW_LESSONS)[number]> extends never ? true : false = true;
void allListed;

export function isViewLesson(s: string): s is TheoryLesson {
  return (VIEW_LESSONS as readonly string[]).includes(s);
}

/** What the panel knows about one lesson of the run. */
export type LessonState =
  /** The lesson's file, as `vae-lab theory` wrote it. */
  | { status: 'ready'; result: TheoryResult }
  /** No file yet: the panel offers "Compute". */
  | { status: 'missing' }
  /** `vae-lab theory` is running for it. */
  | { status: 'computing'; example?: number }
  /** The CLI said the lesson does not apply to this run (its one-line reason). */
  | { status: 'notApplicable'; reason: string }
  /** The CLI failed, or the file could not be read (one line). */
  | { status: 'error'; message: string };

export interface TheoryRunInfo {
  runDir: string;
  runId: string;
  experiment: string;
  /** model.kind, e.g. "vae", "linear-ae". */
  kind: string;
  latentDim: number;
  /** Image shape of the data when it is images ([height, width, channels]), for showing basis vectors as pictures. */
  imageShape?: [number, number, number];
}

export interface TheoryViewData {
  run: TheoryRunInfo;
  lessons: Record<TheoryLesson, LessonState>;
  /** The test example whose posterior is shown. */
  example: number;
  /** Examples whose posterior file exists (theory/posterior-<i>.json). */
  examples: number[];
  /** The lesson to show first (opened from a walkthrough step); else the one shown last. */
  tab?: TheoryLesson;
}

export type ToTheoryView =
  | { type: 'init'; view: TheoryViewData }
  /** One lesson changed (computed, started computing, failed); for the posterior, `example` is the one shown. */
  | { type: 'lesson'; lesson: TheoryLesson; state: LessonState; example?: number; examples?: number[] }
  /** Show a lesson's tab. */
  | { type: 'select'; lesson: TheoryLesson };

export type FromTheoryView =
  | { type: 'ready' }
  /** Run `vae-lab theory <run> <lesson> [--example i]` and send the result. */
  | { type: 'compute'; lesson: TheoryLesson; example?: number }
  /** Show the posterior of another test example: its file when it exists, else compute it. */
  | { type: 'showExample'; example: number }
  /** The panel drew a lesson: what it drew (plots and table rows) and how many formulas KaTeX rendered. */
  | { type: 'rendered'; lesson: TheoryLesson; status: LessonState['status']; plots: number; rows: number; katex: number; katexErrors: number }
  /** The font faces the page has loaded once its fonts settled (KaTeX's come from dist/webview/katex/fonts). */
  | { type: 'fonts'; loaded: string[] };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 1e7;
const STATUSES: LessonState['status'][] = ['ready', 'missing', 'computing', 'notApplicable', 'error'];

export function isFromTheoryView(v: unknown): v is FromTheoryView {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
      return true;
    case 'compute':
      return typeof v.lesson === 'string' && isViewLesson(v.lesson) && (v.example === undefined || (v.lesson === 'posterior' && isCount(v.example)));
    case 'showExample':
      return isCount(v.example);
    case 'rendered':
      return (
        typeof v.lesson === 'string' &&
        isViewLesson(v.lesson) &&
        STATUSES.includes(v.status as LessonState['status']) &&
        isCount(v.plots) &&
        isCount(v.rows) &&
        isCount(v.katex) &&
        isCount(v.katexErrors)
      );
    case 'fonts':
      return Array.isArray(v.loaded) && v.loaded.length < 1000 && v.loaded.every((f) => typeof f === 'string' && f.length < 200);
    default:
      return false;
  }
}

export function isLessonState(v: unknown): v is LessonState {
  if (!isObj(v)) return false;
  switch (v.status) {
    case 'ready':
      return isObj(v.result) && typeof v.result.lesson === 'string' && isViewLesson(v.result.lesson);
    case 'missing':
      return true;
    case 'computing':
      return v.example === undefined || isCount(v.example);
    case 'notApplicable':
      return typeof v.reason === 'string';
    case 'error':
      return typeof v.message === 'string';
    default:
      return false;
  }
}

export function isToTheoryView(v: unknown): v is ToTheoryView {
  if (!isObj(v)) return false;
  if (v.type === 'init') {
    const view = v.view;
    return (
      isObj(view) &&
      isObj(view.run) &&
      typeof view.run.runDir === 'string' &&
      isObj(view.lessons) &&
      VIEW_LESSONS.every((l) => isLessonState((view.lessons as Record<string, unknown>)[l])) &&
      isCount(view.example) &&
      Array.isArray(view.examples) &&
      (view.tab === undefined || (typeof view.tab === 'string' && isViewLesson(view.tab)))
    );
  }
  if (v.type === 'select') return typeof v.lesson === 'string' && isViewLesson(v.lesson);
  if (v.type === 'lesson') return typeof v.lesson === 'string' && isViewLesson(v.lesson) && isLessonState(v.state) && (v.example === undefined || isCount(v.example));
  return false;
}

// Theory Lab panels ("VAE: Open Theory Lab"): one per run folder, drawn by dist/webview/theoryMain.js. The extension
// reads the lessons' files under <run>/theory/ (written by `vae-lab theory`, formats in src/core/theory.ts) and sends
// them unchanged; a lesson without a file is computed on request by running the CLI (dist/cli.js theory <run> <lesson>
// [--example i]) in a child process with a cancellable progress notification, its output in the "VAE Lab" channel;
// then the file is read again and sent. A lesson that does not apply to the run shows the CLI's one-line reason.
// Restored after a window reload.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { runFiles } from '../core/runFolder';
import { theoryFiles, TheoryLesson } from '../core/theory';
import { FromTheoryView, isFromTheoryView, LessonState, TheoryViewData, ToTheoryView, VIEW_LESSONS } from '../core/theoryViewProtocol';
import { spawnCli } from './settings';
import { lastCliError, posteriorExamples, readLesson, runInfo } from './theoryModel';
import { webviewHtml } from './webviewHtml';

export const THEORY_VIEW_TYPE = 'vaeLab.theory';
/** How often a visible panel looks at the modification times of <run>/theory/*.json. */
const POLL_MS = 1500;

/** name -> "mtime:size" of the lesson files under <run>/theory/. */
function theoryStamps(runDir: string): Map<string, string> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = fs.readdirSync(theoryFiles.dir(runDir));
  } catch {
    return out;
  }
  for (const n of names) {
    if (!n.endsWith('.json')) continue;
    try {
      const st = fs.statSync(path.join(theoryFiles.dir(runDir), n));
      out.set(n, `${st.mtimeMs}:${st.size}`);
    } catch {
      /* removed meanwhile */
    }
  }
  return out;
}

type Rendered = Extract<FromTheoryView, { type: 'rendered' }>;

interface PanelState {
  runDir?: string;
}

export interface TheoryPanel {
  panel: vscode.WebviewPanel;
  runDir: string;
  /** What the webview last reported drawing, per lesson. */
  rendered: Partial<Record<TheoryLesson, Rendered>>;
  /** Resolves when the webview next reports drawing `lesson` (any lesson when omitted) and `accept` holds. */
  nextRender(lesson?: TheoryLesson, accept?: (r: Rendered) => boolean): Promise<Rendered>;
  /** Font faces the webview reported loaded (KaTeX's, when its stylesheet and fonts got through the CSP). */
  fontsLoaded?: string[];
  /** Messages that were ignored, as logged. */
  ignored: string[];
  /** The last full view sent (updated as lessons change). */
  lastView?: TheoryViewData;
  /** Handles a message from the webview (validated first). */
  receive(message: unknown): void;
  /** Run `vae-lab theory` for a lesson (the posterior of `example`) and send the result; resolves with the new state. */
  compute(lesson: TheoryLesson, example?: number): Promise<LessonState>;
  /** Show a lesson's tab (and keep it for the next time the webview loads). */
  select(lesson: TheoryLesson): void;
  /** The lesson's state as the panel would show it now. */
  state(lesson: TheoryLesson): LessonState;
}

export class TheoryPanels implements vscode.Disposable {
  private readonly panels = new Map<string, TheoryPanel>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly cliPath: string,
    private readonly output: vscode.OutputChannel,
    private readonly log: (line: string) => void,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(THEORY_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: PanelState | undefined) => {
          if (!state || typeof state.runDir !== 'string' || !fs.existsSync(runFiles.record(state.runDir))) {
            panel.dispose();
            return;
          }
          this.attach(panel, path.resolve(state.runDir));
        },
      }),
    );
  }

  /** Open (or reveal) the Theory Lab of a run folder, on `lesson`'s tab when given. */
  open(runDir: string, lesson?: TheoryLesson): TheoryPanel {
    const d = path.resolve(runDir);
    const existing = this.panels.get(d);
    if (existing) {
      existing.panel.reveal();
      if (lesson) existing.select(lesson);
      return existing;
    }
    const info = runInfo(d); // throws on a missing or corrupt run.json
    const panel = vscode.window.createWebviewPanel(THEORY_VIEW_TYPE, `VAE theory: ${info.experiment} ${info.runId}`, vscode.ViewColumn.Active, this.options());
    return this.attach(panel, d, lesson);
  }

  panelFor(runDir: string): TheoryPanel | undefined {
    return this.panels.get(path.resolve(runDir));
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      // Canvases are redrawn from the files whenever the webview comes back; nothing to keep while hidden.
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.context.extensionUri, 'media')],
    };
  }

  private attach(panel: vscode.WebviewPanel, runDir: string, firstTab?: TheoryLesson): TheoryPanel {
    let ready = false;
    let tab = firstTab;
    let waiters: { lesson?: TheoryLesson; accept?: (r: Rendered) => boolean; resolve: (r: Rendered) => void }[] = [];
    /** Lessons that do not apply, with the CLI's reason (kept while the panel is open). */
    const notApplicable = new Map<TheoryLesson, string>();
    /** Lessons being computed (the posterior's example), and failures to show. */
    const computing = new Map<TheoryLesson, { example?: number; done: Promise<LessonState> }>();
    const failed = new Map<TheoryLesson, string>();
    let example = 0;

    const stateOf = (lesson: TheoryLesson): LessonState => {
      const c = computing.get(lesson);
      if (c) return { status: 'computing', ...(c.example !== undefined ? { example: c.example } : {}) };
      const na = notApplicable.get(lesson);
      if (na) return { status: 'notApplicable', reason: na };
      const read = readLesson(runDir, lesson, lesson === 'posterior' ? example : undefined);
      const f = failed.get(lesson);
      if (read.status === 'missing' && f) return { status: 'error', message: f };
      return read;
    };
    const buildView = (): TheoryViewData => {
      const lessons = {} as Record<TheoryLesson, LessonState>;
      for (const l of VIEW_LESSONS) lessons[l] = stateOf(l);
      return { run: runInfo(runDir), lessons, example, examples: posteriorExamples(runDir), ...(tab ? { tab } : {}) };
    };
    let disposed = false;
    const post = (m: ToTheoryView) => {
      if (!disposed && ready && panel.visible) void panel.webview.postMessage(m);
    };
    const sendLesson = (lesson: TheoryLesson) => {
      const state = stateOf(lesson);
      if (entry.lastView) {
        entry.lastView.lessons[lesson] = state;
        if (lesson === 'posterior') {
          entry.lastView.example = example;
          entry.lastView.examples = posteriorExamples(runDir);
        }
      }
      post({ type: 'lesson', lesson, state, ...(lesson === 'posterior' ? { example, examples: posteriorExamples(runDir) } : {}) });
      return state;
    };

    const compute = (lesson: TheoryLesson, ex?: number): Promise<LessonState> => {
      const running = computing.get(lesson);
      if (running) return running.done;
      if (lesson === 'posterior') example = ex ?? example;
      if (!vscode.workspace.isTrusted) {
        // As training: the CLI loads the run's model and reads the data its experiment names.
        failed.set(lesson, 'Computing is disabled in an untrusted workspace: trust the workspace to run vae-lab theory.');
        return Promise.resolve(sendLesson(lesson));
      }
      const args = ['theory', runDir, lesson, ...(lesson === 'posterior' ? ['--example', String(example)] : [])];
      failed.delete(lesson);
      notApplicable.delete(lesson);
      const done = vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `VAE Lab: computing the ${lesson} lesson${lesson === 'posterior' ? ` (test example ${example})` : ''}`, cancellable: true },
        (_progress, token) =>
          new Promise<LessonState>((resolve) => {
            this.output.appendLine(`Theory lab: vae-lab ${args.join(' ')}`);
            const child = spawnCli(this.cliPath, args);
            let stderr = '';
            let startError: string | undefined;
            child.stdout.on('data', (d: Buffer) => this.output.append(d.toString()));
            child.stderr.on('data', (d: Buffer) => {
              stderr += d.toString();
              this.output.append(d.toString());
            });
            token.onCancellationRequested(() => {
              this.output.appendLine(`Theory lab: cancelling vae-lab theory ${lesson}...`);
              child.kill('SIGTERM');
            });
            child.on('error', (err) => (startError = `the command line could not start: ${err.message}`));
            child.on('close', (code) => {
              computing.delete(lesson);
              if (token.isCancellationRequested) failed.set(lesson, 'Cancelled.');
              else if (startError) failed.set(lesson, startError);
              else if (code !== 0) {
                const reason = lastCliError(stderr) || `vae-lab theory exited with code ${code}`;
                // "theory <lesson> needs ...; this run is a ...": the lesson does not apply to this run.
                if (/ needs /.test(reason)) notApplicable.set(lesson, reason);
                else failed.set(lesson, reason);
                this.output.appendLine(`Theory lab: ${lesson}: ${reason}`);
              }
              resolve(sendLesson(lesson));
            });
          }),
      );
      computing.set(lesson, { example: lesson === 'posterior' ? example : undefined, done: Promise.resolve(done) });
      sendLesson(lesson);
      return Promise.resolve(done);
    };

    const entry: TheoryPanel = {
      panel,
      runDir,
      rendered: {},
      ignored: [],
      receive: () => undefined,
      compute,
      state: stateOf,
      select: (lesson) => {
        tab = lesson;
        if (entry.lastView) entry.lastView.tab = lesson;
        post({ type: 'select', lesson });
      },
      nextRender: (lesson, accept) => new Promise((resolve) => waiters.push({ lesson, accept, resolve })),
    };
    const ignore = (why: string) => {
      entry.ignored.push(why);
      this.log(`theory panel: ignored ${why}`);
    };
    this.panels.set(runDir, entry);
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'vae-lab.svg');
    panel.webview.options = this.options();
    panel.webview.html = this.html(panel.webview);

    entry.receive = (m: unknown) => {
      if (!isFromTheoryView(m)) return ignore(`a malformed message ${JSON.stringify(m)?.slice(0, 120)}`);
      switch (m.type) {
        case 'ready': {
          ready = true;
          let view: TheoryViewData;
          try {
            view = buildView();
          } catch (err) {
            this.log(`theory panel: cannot read ${runDir}: ${(err as Error).message}`);
            return;
          }
          entry.lastView = view;
          post({ type: 'init', view });
          // Once shown, the webview keeps the tab the learner picks (its own state) across reloads.
          tab = undefined;
          delete entry.lastView.tab;
          return;
        }
        case 'compute':
          void compute(m.lesson, m.example);
          return;
        case 'showExample': {
          const codes = entry.lastView?.lessons.posterior.status === 'ready' ? (entry.lastView.lessons.posterior.result as { codes?: { z: unknown[] } }).codes : undefined;
          if (codes && m.example >= codes.z.length) return ignore(`a request for test example ${m.example}, past the codes listed`);
          if (computing.has('posterior')) return ignore(`a request for test example ${m.example} while the posterior is being computed`);
          example = m.example;
          if (fs.existsSync(theoryFiles.lesson(runDir, 'posterior', example))) sendLesson('posterior');
          else void compute('posterior', example);
          return;
        }
        case 'fonts':
          entry.fontsLoaded = m.loaded;
          return;
        case 'rendered': {
          entry.rendered[m.lesson] = m;
          const keep: typeof waiters = [];
          for (const w of waiters) {
            if ((w.lesson === undefined || w.lesson === m.lesson) && (!w.accept || w.accept(m))) w.resolve(m);
            else keep.push(w);
          }
          waiters = keep;
          return;
        }
      }
    };
    // Files written by `vae-lab theory` from a terminal show up too.
    // Watched from the run folder: theory/ may not exist yet.
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(runDir), 'theory/*.json'));
    const changed = (uri: vscode.Uri) => {
      const name = path.basename(uri.fsPath);
      const lesson = VIEW_LESSONS.find((l) => (l === 'posterior' ? name === `posterior-${example}.json` : name === `${l}.json`));
      if (lesson && !computing.has(lesson)) {
        notApplicable.delete(lesson);
        sendLesson(lesson);
      }
    };
    // And a poll of the files' modification times while the panel is shown: watchers may not cover the runs folder.
    let stamps = theoryStamps(runDir);
    const poll = setInterval(() => {
      if (disposed || !ready || !panel.visible) return;
      const now = theoryStamps(runDir);
      for (const name of new Set([...now.keys(), ...stamps.keys()])) if (stamps.get(name) !== now.get(name)) changed(vscode.Uri.file(path.join(theoryFiles.dir(runDir), name)));
      stamps = now;
    }, POLL_MS);
    const subs = [
      watcher,
      watcher.onDidChange(changed),
      watcher.onDidCreate(changed),
      watcher.onDidDelete(changed),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) ready = false; // the webview is discarded while hidden and says 'ready' again
      }),
      panel.webview.onDidReceiveMessage((m: unknown) => entry.receive(m)),
    ];
    panel.onDidDispose(() => {
      disposed = true;
      clearInterval(poll);
      this.panels.delete(runDir);
      for (const s of subs) s.dispose();
    });
    return entry;
  }

  private html(webview: vscode.Webview): string {
    return webviewHtml(webview, this.context.extensionUri, {
      title: 'VAE Lab theory',
      script: 'theoryMain.js',
      stylesheets: [['dist', 'webview', 'katex', 'katex.min.css']],
      body: `<header class="top">
  <div><h2 id="title">Loading…</h2></div>
</header>
<p id="subtitle" class="muted"></p>
<nav id="tabs" class="tabs" role="tablist" aria-label="Lessons"></nav>
<div id="lessons"></div>`,
    });
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

// The Theory Lab panel's pure parts, in Node: the heatmap's pixels and colour scale (grid layout as src/core/theory.ts
// stores it), the ellipses of q(z|x), the Monte Carlo band, log axes, the nearest point to a click, the protocol's
// validators, reading lessons' files, the CLI's one-line error, and that every formula of the lessons parses in KaTeX
// (offline, in Node). No tfjs, no VS Code.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import katex from 'katex';
import { THEORY_LESSONS, theoryFiles } from '../../src/core/theory';
import { isFromTheoryView, isLessonState, isToTheoryView, VIEW_LESSONS } from '../../src/core/theoryViewProtocol';
import { lastCliError, posteriorExamples, readLesson } from '../../src/extension/theoryModel';
import { finishedLessonRun, LESSON_STEPS, lessonStep } from '../../src/extension/lessonModel';
import { readRunRecord, runFiles, writeJsonAtomic } from '../../src/core/runFolder';
import { createSweep } from '../../src/core/sweep';
import { logTicks, makeScale } from '../../webview/sweepPlot';
import { LESSON_TEXT } from '../../webview/theoryLessons';
import { argmaxCell, boundingDomains, colorT, ellipsePoints, equalAspect, heatmapPixels, holeMask, heatRgb, labelColor, logColorDomain, nearestPoint, normalDensity, stderrBand } from '../../webview/theoryPlot';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} is not ${b}`);

test('heat colours run from viridis dark purple (0) to yellow (1), clamped', () => {
  assert.deepEqual(heatRgb(0), [0x44, 0x01, 0x54]);
  assert.deepEqual(heatRgb(1), [0xfd, 0xe7, 0x25]);
  assert.deepEqual(heatRgb(-3), heatRgb(0));
  assert.deepEqual(heatRgb(7), heatRgb(1));
  assert.equal(colorT(5, [0, 10]), 0.5);
  assert.equal(colorT(-5, [0, 10]), 0);
  assert.equal(colorT(50, [0, 10]), 1);
  assert.equal(colorT(null, [0, 10]), 0, 'JSON null (a NaN in the file) gets the lowest colour');
  assert.deepEqual(logColorDomain([-3, null, -1, -50]), [-13, -1]);
  assert.deepEqual(logColorDomain([-3, -1], 4), [-5, -1]);
  assert.equal(logColorDomain([null, null]), undefined);
});

test('heatmap pixels: z1 to the right, z2 upwards, values row-major with the last dimension fastest', () => {
  // A 2 x 3 grid (2 cells along z1, 3 along z2): value index = i * 3 + j.
  const values = [0, 0, 0, 0, 0, 0];
  values[1 * 3 + 0] = 10; // i = 1 (right column), j = 0 (lowest z2: bottom row)
  values[0 * 3 + 2] = 5; // i = 0 (left column), j = 2 (highest z2: top row)
  const px = heatmapPixels(values, [2, 3], [0, 10]);
  assert.equal(px.length, 2 * 3 * 4);
  const at = (x: number, y: number) => Array.from(px.slice((y * 2 + x) * 4, (y * 2 + x) * 4 + 4));
  assert.deepEqual(at(1, 2), [...heatRgb(1), 255], 'bottom-right pixel is (z1 high, z2 low)');
  assert.deepEqual(at(0, 0), [...heatRgb(0.5), 255], 'top-left pixel is (z1 low, z2 high)');
  assert.deepEqual(at(0, 2), [...heatRgb(0), 255]);
  // A transform applied before the scale (e.g. exp of a log density).
  const t = heatmapPixels([0, 1, 2, 3], [2, 2], [0, 6], (v) => 2 * v);
  assert.deepEqual(Array.from(t.slice(4, 8)), [...heatRgb(1), 255], 'value 3 (i=1, j=1: top right) doubled is the top of the scale');
});

test('argmaxCell finds the mode cell and its centre as the engine lays out the grid', () => {
  // 4 x 2 cells over [-2, 2] x [0, 1]: centres z1 in {-1.5, -0.5, 0.5, 1.5}, z2 in {0.25, 0.75}.
  const values = new Array(8).fill(-10);
  values[2 * 2 + 1] = 0; // i = 2, j = 1
  const m = argmaxCell(values, [-2, 0], [2, 1], [4, 2])!;
  assert.deepEqual(m.index, [2, 1]);
  close(m.centre[0], 0.5);
  close(m.centre[1], 0.75);
  assert.equal(argmaxCell([null, null], [0], [1], [2]), undefined);
});

test('ellipses of q(z|x): mean ± k std along the axes, closed', () => {
  const mean = [1, -2];
  const std = [0.5, 2];
  for (const k of [1, 2]) {
    const pts = ellipsePoints(mean, std, k, 64);
    assert.equal(pts.length, 65);
    assert.deepEqual(pts[0], pts[64]);
    for (const [x, y] of pts) close(((x - mean[0]) / (k * std[0])) ** 2 + ((y - mean[1]) / (k * std[1])) ** 2, 1, 1e-9);
    close(Math.max(...pts.map((p) => p[0])), mean[0] + k * std[0]);
    close(Math.min(...pts.map((p) => p[1])), mean[1] - k * std[1]);
  }
  close(normalDensity(0, 0, 1), 1 / Math.sqrt(2 * Math.PI));
});

test('holes: cells where the code density is below threshold x the prior; equal-aspect plot boxes', () => {
  const lp = [-1, -1, -1, -1];
  const lc = [-1, -1 + Math.log(0.009), -1 + Math.log(0.011), null];
  assert.deepEqual(holeMask(lc, lp, 0.01), [false, true, false, true]);
  assert.deepEqual(equalAspect([0, 10], [0, 5], 300), { width: 300, height: 150 });
  assert.deepEqual(equalAspect([-4, 12], [-13, 9.5], 320), { width: Math.round((320 * 16) / 22.5), height: 320 });
  assert.deepEqual(equalAspect([0, 100], [0, 1], 300), { width: 300, height: 120 }, 'never thinner than the minimum');
});

test('Monte Carlo band and log axes', () => {
  const rows = [
    { samples: 1, mean: 1, sd: 0.5, stderr: 0.1 },
    { samples: 10, mean: 1.2, sd: 0.2, stderr: 0.05 },
    { samples: 100, mean: Number.NaN, sd: 0, stderr: 0 },
  ];
  assert.deepEqual(stderrBand(rows), [
    { x: 1, lo: 0.9, hi: 1.1 },
    { x: 10, lo: 1.15, hi: 1.25 },
  ]);
  const x = makeScale([1, 1000], [0, 300], true);
  close(x(1), 0);
  close(x(10), 100);
  close(x(1000), 300);
  assert.deepEqual(logTicks(1, 1000), [1, 10, 100, 1000]);
  const [xd, yd] = boundingDomains([[0, 0], [10, 5]]);
  assert.ok(xd[0] < 0 && xd[1] > 10 && yd[0] < 0 && yd[1] > 5);
});

test('scatter: labels get distinct colours and a click finds the nearest point within reach', () => {
  assert.equal(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(labelColor)).size, 10);
  const pts: [number, number][] = [[10, 10], [50, 50], [52, 50]];
  assert.equal(nearestPoint(pts, 11, 9), 0);
  assert.equal(nearestPoint(pts, 53, 51), 2);
  assert.equal(nearestPoint(pts, 200, 200), -1);
});

test('protocol: the panel lists every lesson; messages are validated', () => {
  assert.deepEqual([...VIEW_LESSONS].sort(), [...THEORY_LESSONS].sort());
  assert.ok(isFromTheoryView({ type: 'ready' }));
  assert.ok(isFromTheoryView({ type: 'compute', lesson: 'montecarlo' }));
  assert.ok(isFromTheoryView({ type: 'compute', lesson: 'posterior', example: 3 }));
  assert.ok(!isFromTheoryView({ type: 'compute', lesson: 'montecarlo', example: 3 }), '--example goes with the posterior only');
  assert.ok(!isFromTheoryView({ type: 'compute', lesson: 'rm -rf' }));
  assert.ok(isFromTheoryView({ type: 'showExample', example: 7 }));
  assert.ok(!isFromTheoryView({ type: 'showExample', example: -1 }));
  assert.ok(!isFromTheoryView({ type: 'showExample', example: 1.5 }));
  assert.ok(isFromTheoryView({ type: 'rendered', lesson: 'holes', status: 'ready', plots: 2, rows: 3, katex: 4, katexErrors: 0 }));
  assert.ok(!isFromTheoryView({ type: 'rendered', lesson: 'holes', status: 'weird', plots: 2, rows: 3, katex: 4, katexErrors: 0 }));
  assert.ok(!isFromTheoryView({ type: 'exec', command: 'x' }));
  assert.ok(isFromTheoryView({ type: 'fonts', loaded: ['KaTeX_Main'] }));
  assert.ok(!isFromTheoryView({ type: 'fonts', loaded: [1] }));
  assert.ok(isLessonState({ status: 'notApplicable', reason: 'theory holes needs latentDim 1 or 2' }));
  assert.ok(!isLessonState({ status: 'ready', result: { lesson: 'nope' } }));
  const lessons = Object.fromEntries(VIEW_LESSONS.map((l) => [l, { status: 'missing' }]));
  const run = { runDir: '/r', runId: 'x', experiment: 'e', kind: 'vae', latentDim: 2 };
  assert.ok(isToTheoryView({ type: 'init', view: { run, lessons, example: 0, examples: [] } }));
  assert.ok(!isToTheoryView({ type: 'init', view: { run, lessons: { posterior: { status: 'missing' } }, example: 0, examples: [] } }));
  assert.ok(isToTheoryView({ type: 'lesson', lesson: 'posterior', state: { status: 'computing', example: 4 }, example: 4 }));
  assert.ok(isToTheoryView({ type: 'init', view: { run, lessons, example: 0, examples: [], tab: 'holes' } }));
  assert.ok(!isToTheoryView({ type: 'init', view: { run, lessons, example: 0, examples: [], tab: 'nope' } }));
  assert.ok(isToTheoryView({ type: 'select', lesson: 'likelihoods' }));
  assert.ok(!isToTheoryView({ type: 'select', lesson: 'nope' }));
});

test('learn by doing: every step has its lesson experiment; a finished run (a sweep with every child completed) is found, so a step never trains twice', () => {
  const lessonsDir = path.join(__dirname, '..', '..', '..', 'examples', 'lessons');
  assert.deepEqual([...new Set(LESSON_STEPS.map((s) => s.lesson))].sort(), [...THEORY_LESSONS].sort(), 'a step per lesson');
  for (const step of LESSON_STEPS) {
    const doc = JSON.parse(fs.readFileSync(path.join(lessonsDir, step.file), 'utf8'));
    assert.equal(doc.name, step.experiment, step.file);
    assert.equal(doc.sweep !== undefined, step.sweep, `${step.file}: a sweep exactly when the step says so`);
  }
  assert.equal(lessonStep('holes')?.file, 'lesson-2d.vae.json');
  assert.equal(lessonStep('nope'), undefined);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-lessons-'));
  const step = lessonStep('likelihoods')!;
  assert.equal(finishedLessonRun(root, step), undefined, 'nothing trained yet');
  // The sweep folder as `vae-lab sweep` creates it (three queued children), then the children finishing one by one.
  const { dir, record } = createSweep({ experimentFile: path.join(lessonsDir, step.file), runsRoot: root });
  assert.equal(record.runs.length, 3);
  const finish = (i: number) => {
    const runDir = path.join(dir, record.runs[i].dir);
    writeJsonAtomic(runFiles.record(runDir), { ...readRunRecord(runDir), status: 'completed' });
    return runDir;
  };
  const first = finish(0);
  finish(1);
  assert.equal(finishedLessonRun(root, step), undefined, 'a child is still queued');
  finish(2);
  assert.equal(finishedLessonRun(root, step), first, 'child 0 (the Bernoulli run) of the finished sweep');
  // A plain lesson: its newest completed run.
  const linear = lessonStep('linear-pca')!;
  const runDir = path.join(root, linear.experiment, '20260101-000000-0001');
  writeJsonAtomic(runFiles.record(runDir), { ...readRunRecord(first), experiment: linear.experiment, status: 'running' });
  assert.equal(finishedLessonRun(root, linear), undefined, 'still running');
  writeJsonAtomic(runFiles.record(runDir), { ...readRunRecord(first), experiment: linear.experiment, status: 'completed' });
  assert.equal(finishedLessonRun(root, linear), runDir);
});

test('lessons are read from <run>/theory/: ready, missing, not a result; computed posterior examples listed', () => {
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-theoryview-'));
  assert.deepEqual(readLesson(run, 'holes'), { status: 'missing' });
  assert.deepEqual(posteriorExamples(run), []);
  fs.mkdirSync(theoryFiles.dir(run));
  fs.writeFileSync(theoryFiles.lesson(run, 'posterior', 12), JSON.stringify({ lesson: 'posterior', logPx: -90 }));
  fs.writeFileSync(theoryFiles.lesson(run, 'posterior', 3), JSON.stringify({ lesson: 'posterior', logPx: -80 }));
  fs.writeFileSync(theoryFiles.lesson(run, 'holes'), JSON.stringify({ lesson: 'reparam' }));
  fs.writeFileSync(theoryFiles.lesson(run, 'reparam'), '{ broken');
  assert.deepEqual(posteriorExamples(run), [3, 12]);
  const p = readLesson(run, 'posterior', 12);
  assert.equal(p.status, 'ready');
  assert.equal(p.status === 'ready' && (p.result as { logPx: number }).logPx, -90);
  assert.equal(readLesson(run, 'posterior', 0).status, 'missing');
  assert.equal(readLesson(run, 'holes').status, 'error');
  assert.equal(readLesson(run, 'reparam').status, 'error');
  fs.rmSync(run, { recursive: true, force: true });
});

test("the CLI's one-line reason is its last vae-lab: line", () => {
  const stderr = 'Warning: maxDynamicStorageBuffers...\nI0000 port.cc:153] oneDNN custom operations are on.\nvae-lab: theory linear-pca needs a linear-ae; this run is a vae with latentDim 2.\n';
  assert.equal(lastCliError(stderr), 'theory linear-pca needs a linear-ae; this run is a vae with latentDim 2.');
  assert.equal(lastCliError('something broke\n'), 'something broke');
  assert.equal(lastCliError(''), '');
});

test('every lesson has a title, an intro and formulas that KaTeX renders (offline)', () => {
  for (const l of THEORY_LESSONS) {
    const t = LESSON_TEXT[l];
    assert.ok(t.title && t.tab && t.intro.split('. ').length >= 2, l);
    assert.ok(!/\d\.\d/.test(t.intro), `${l}: no run's numbers in the words`);
    assert.ok(t.formulas.length >= 1);
    for (const f of t.formulas) {
      const html = katex.renderToString(f, { displayMode: true, throwOnError: true });
      assert.match(html, /class="katex-display"/);
      // Only XML namespaces (MathML, SVG for stretchy braces) name a URL; nothing is loaded from one.
      assert.ok(!/https?:/.test(html.replace(/xmlns="http:\/\/www\.w3\.org\/[^"]+"/g, '')), 'no remote resources in the rendered math');
    }
  }
});

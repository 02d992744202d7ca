// The webviews' state handling and helpers, in Node (no DOM needed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DashboardEvent, RunSeries } from '../../src/core/webviewProtocol';
import { isFromDashboard, isFromExplorer, isToDashboard } from '../../src/core/webviewProtocol';
import { DashboardState, emptyState, latestValidation, reduce, termCharts, toCsv } from '../../webview/dashboardState';
import { fitGaussian, inverseNormalCdf, pca2, percentile, sampleMixture, slerp } from '../../webview/latentMath';
import { Rng } from '../../src/engine/rng';
import { cspViolations } from '../shared/csp';

const t = '2026-11-21T00:00:00.000Z';
const step = (s: number, loss: number): DashboardEvent => ({ type: 'step', time: t, epoch: 0, step: s, throughput: 1, metrics: { loss, recon: loss - 5, kl: 5, lr: 0.001, beta: 1 } });
const epoch = (e: number, s: number, loss: number): DashboardEvent => ({
  type: 'epoch',
  time: t,
  epoch: e,
  step: s,
  seconds: 1,
  train: { loss, recon: loss - 5, kl: 5 },
  validation: { loss, recon: loss - 5, kl: 5, elbo: -loss, klPerDim: [4, 1], activity: [0.5, 0.001], activeUnits: 1 },
  lr: 0.001,
});
const series = (events: DashboardEvent[]): RunSeries => ({ runDir: '/r/a', label: 'a', kind: 'vae', color: '--vscode-charts-blue', status: 'running', epochs: 3, latentDim: 2, events, imageUris: {} });

test('init builds the state from the whole history; replaying it gives the same state', () => {
  const init = { type: 'init' as const, mode: 'run' as const, runs: [series([step(2, 100), step(4, 90), epoch(0, 4, 95)])] };
  const s1 = reduce(emptyState, init);
  const s2 = reduce(reduce(s1, init), init);
  assert.deepEqual(s1, s2);
  assert.deepEqual(s1.runs[0].steps.map((p) => p.step), [2, 4]);
  assert.equal(latestValidation(s1.runs[0])?.loss, 95);
});

test("a kind's own terms get charts: its groups (per-layer KL, codebook usage) first, every other term on one chart", () => {
  const withTerms = (kind: string, extra: Record<string, number>) => {
    const e: DashboardEvent = { type: 'step', time: t, epoch: 0, step: 1, throughput: 1, metrics: { loss: 10, recon: 5, kl: 5, lr: 0.001, beta: 1, klPenalty: 5, ...extra } };
    return reduce(emptyState, { type: 'init', mode: 'run', runs: [{ ...series([e]), kind }] }).runs[0];
  };
  assert.deepEqual(termCharts(withTerms('vae', {})), [], 'a VAE logs only the shared terms');
  assert.deepEqual(termCharts(withTerms('hvae', { kl1: 3, kl2: 2 })).map((c) => [c.id, c.terms]), [['kl-layers', ['kl1', 'kl2']]]);
  assert.deepEqual(
    termCharts(withTerms('vq-vae', { perplexity: 40, codesUsed: 0.6, codebook: 0.2, commitment: 0.2 })).map((c) => [c.id, c.terms]),
    [['codebook-perplexity', ['perplexity']], ['codebook-used', ['codesUsed']], ['other-terms', ['codebook', 'commitment']]],
  );
  assert.deepEqual(termCharts(withTerms('gumbel-vae', { temperature: 0.9 })).map((c) => [c.id, c.terms]), [['other-terms', ['temperature']]]);
});

test('append adds live events in order and ignores ones already seen', () => {
  let s: DashboardState = reduce(emptyState, { type: 'init', mode: 'run', runs: [series([step(2, 100)])] });
  s = reduce(s, { type: 'append', runDir: '/r/a', events: [step(6, 80), step(4, 90), step(2, 100)], imageUris: {}, status: 'running' });
  assert.deepEqual(s.runs[0].steps.map((p) => [p.step, p.metrics.loss]), [[2, 100], [4, 90], [6, 80]]);
  s = reduce(s, { type: 'append', runDir: '/other', events: [step(8, 1)], imageUris: {}, status: 'running' });
  assert.equal(s.runs[0].steps.length, 3, 'events of another run are not mixed in');
  s = reduce(s, { type: 'append', runDir: '/r/a', events: [{ type: 'images', time: t, epoch: 0, step: 6, reconstructions: 'images/r1.png' }], imageUris: { 'images/r1.png': 'https://x/r1.png' }, status: 'running' });
  assert.equal(s.runs[0].images.length, 1);
  assert.equal(s.runs[0].imageUris['images/r1.png'], 'https://x/r1.png');
  s = reduce(s, { type: 'append', runDir: '/r/a', events: [{ type: 'finished', time: t, epoch: 3, step: 9, reason: 'done', final: { loss: 1, recon: 1 }, modelDir: 'model' }], imageUris: {}, status: 'running' });
  assert.equal(s.runs[0].status, 'completed', 'a final event decides the status even if the host still said running');
});

test('a resumed run drops the events after its restart point and re-adds them', () => {
  const started = (s: number): DashboardEvent => ({ type: 'started', time: t, runId: 'a', runDir: '/r/a', resumed: s > 0, step: s, config: {} as never, backend: { name: 'wasm', version: '4.22.0', detail: '' }, data: {} as never, parameters: 1, stepsPerEpoch: 5, totalSteps: 15 });
  const s = reduce(emptyState, { type: 'init', mode: 'run', runs: [series([started(0), step(2, 100), step(4, 90), step(6, 85), started(4), step(6, 70)])] });
  assert.deepEqual(s.runs[0].steps.map((p) => [p.step, p.metrics.loss]), [[2, 100], [4, 90], [6, 70]]);
  assert.equal(s.runs[0].backend, 'wasm 4.22.0');
});

test('CSV export has one row per step and per epoch with every metric', () => {
  const s = reduce(emptyState, { type: 'init', mode: 'run', runs: [series([step(2, 100), epoch(0, 2, 95)])] });
  const lines = toCsv(s.runs[0]).trim().split('\n');
  assert.equal(lines.length, 3);
  const header = lines[0].split(',');
  assert.deepEqual(header.slice(0, 3), ['kind', 'epoch', 'step']);
  assert.ok(header.includes('train_loss') && header.includes('val_elbo') && header.includes('val_activeUnits'));
  const epochRow = lines[2].split(',');
  assert.equal(epochRow[0], 'epoch');
  assert.equal(epochRow[header.indexOf('val_elbo')], '-95');
});

test('messages from webviews are validated: unknown, malformed or oversized ones are rejected', () => {
  assert.ok(isFromDashboard({ type: 'ready' }));
  assert.ok(isFromDashboard({ type: 'exportPng', chart: 'loss', dataUrl: 'data:image/png;base64,AAAA' }));
  assert.ok(!isFromDashboard({ type: 'exportPng', chart: '../../etc/passwd', dataUrl: 'data:image/png;base64,AAAA' }), 'chart names cannot be paths');
  assert.ok(!isFromDashboard({ type: 'exportPng', chart: 'loss', dataUrl: 'data:text/html;base64,AAAA' }));
  assert.ok(!isFromDashboard({ type: 'exportCsv', runDir: '/r/a' }), 'the CSV text is required');
  assert.ok(!isFromDashboard({ type: 'runShell', command: 'rm -rf /' }));
  assert.ok(!isFromDashboard(null) && !isFromDashboard('ready') && !isFromDashboard([]));
  assert.ok(isFromExplorer({ type: 'latency', samples: [1.5, 2] }));
  assert.ok(!isFromExplorer({ type: 'latency', samples: ['1'] }));
  assert.ok(isToDashboard({ type: 'init', mode: 'run', runs: [series([])] }));
  assert.ok(!isToDashboard({ type: 'init', mode: 'run', runs: [{ ...series([]), status: 'weird' }] }));
});

test("the explorer's mixture sampler draws each component by its weight with its mean and covariance", () => {
  const rng = new Rng(12);
  // Two 2-D components: weight 0.3 at (-4, 0) with covariance [[1, 0.6], [0.6, 1]] (L = [[1, 0], [0.6, 0.8]]), weight 0.7 at (3, 2) with std 0.5.
  const components = [
    { weight: 0.3, mean: [-4, 0], chol: [[1, 0], [0.6, 0.8]] },
    { weight: 0.7, mean: [3, 2], chol: [[0.5, 0], [0, 0.5]] },
  ];
  const n = 20000;
  const z = sampleMixture(components, n, () => rng.next(), () => rng.normal());
  const left: number[][] = [];
  for (let i = 0; i < n; i++) if (z[2 * i] < -0.5) left.push([z[2 * i], z[2 * i + 1]]);
  assert.ok(Math.abs(left.length / n - 0.3) < 0.015, `weight ${left.length / n}`);
  const { mean, std } = fitGaussian(left);
  const corr = left.reduce((a, p) => a + (p[0] - mean[0]) * (p[1] - mean[1]), 0) / left.length / (std[0] * std[1]);
  assert.ok(Math.abs(mean[0] + 4) < 0.05 && Math.abs(mean[1]) < 0.05, `mean ${mean}`);
  assert.ok(Math.abs(std[0] - 1) < 0.04 && Math.abs(std[1] - 1) < 0.04 && Math.abs(corr - 0.6) < 0.03, `std ${std}, corr ${corr}`);
});

test('inverse normal CDF matches known quantiles', () => {
  assert.ok(Math.abs(inverseNormalCdf(0.5)) < 1e-12);
  assert.ok(Math.abs(inverseNormalCdf(0.975) - 1.959963985) < 1e-7);
  assert.ok(Math.abs(inverseNormalCdf(0.05) + 1.644853627) < 1e-7);
  assert.ok(Math.abs(inverseNormalCdf(0.001) + 3.090232306) < 1e-6);
  assert.throws(() => inverseNormalCdf(0));
});

test('PCA finds the directions of largest variance and keeps the origin', () => {
  const rng = new Rng(2);
  // Variance 9 along (1, 1, 0)/sqrt2, 1 along z, 0.01 along (1, -1, 0)/sqrt2.
  const codes = Array.from({ length: 2000 }, () => {
    const a = 3 * rng.normal();
    const b = 0.1 * rng.normal();
    const c = rng.normal();
    return [(a + b) / Math.SQRT2, (a - b) / Math.SQRT2, c];
  });
  const { axes, points } = pca2(codes);
  assert.ok(Math.abs(Math.abs(axes[0][0]) - Math.SQRT1_2) < 0.02 && Math.abs(Math.abs(axes[0][1]) - Math.SQRT1_2) < 0.02);
  assert.ok(Math.abs(Math.abs(axes[1][2]) - 1) < 0.02);
  const { std } = fitGaussian(points.map((p) => [p[0], p[1]]));
  assert.ok(Math.abs(std[0] - 3) < 0.2 && Math.abs(std[1] - 1) < 0.1);
  assert.deepEqual(pca2([[1, 2], [3, 4]]).points, [[1, 2], [3, 4]]);
});

test('slerp keeps the norm between codes of equal norm; percentile', () => {
  const a = [3, 0, 0];
  const b = [0, 3, 0];
  const mid = slerp(a, b, 0.5);
  assert.ok(Math.abs(Math.hypot(...mid) - 3) < 1e-5);
  assert.ok(Math.abs(mid[0] - mid[1]) < 1e-6);
  assert.deepEqual(Array.from(slerp(a, b, 0)), a);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95), 10);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5), 5);
});

test('the CSP checker accepts a strict page and names every kind of violation', () => {
  const src = "'self' https://*.vscode-cdn.net";
  const page = (policy: string, body = '<script nonce="abcdefghijklmnopqrstuvwx" src="https://file+.vscode-resource.vscode-cdn.net/x/main.js"></script>') =>
    `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="${policy}"><link rel="stylesheet" href="https://file+.vscode-resource.vscode-cdn.net/x/a.css"></head><body>${body}</body></html>`;
  const strict = `default-src 'none'; img-src ${src} data:; style-src ${src}; script-src 'nonce-abcdefghijklmnopqrstuvwx'`;
  assert.deepEqual(cspViolations(page(strict), src), []);
  const bad: [string, string, RegExp][] = [
    [page(strict.replace("default-src 'none'", 'default-src *')), 'default-src', /default-src is "\*"/],
    [page(strict + " 'unsafe-eval'"), 'unsafe-eval', /script-src allows 'unsafe-eval'/],
    [page(strict + " 'unsafe-inline'"), 'unsafe-inline', /script-src allows 'unsafe-inline'/],
    [page(strict + ' https://cdn.example.com'), 'remote script origin', /script-src allows https:\/\/cdn\.example\.com/],
    [page(strict.replace('img-src ', 'img-src https://evil.example ')), 'remote image origin', /img-src allows the origin https:\/\/evil\.example/],
    [page(strict, '<script>alert(1)</script>'), 'inline script without nonce', /without the policy's nonce/],
    [page(strict, '<button onclick="x()">x</button>'), 'inline handler', /inline event handler/],
    [page(strict, '<img src="https://evil.example/a.png">'), 'remote image', /a resource from https:\/\/evil\.example/],
    ['<html></html>', 'no policy', /one Content-Security-Policy meta tag, found 0/],
  ];
  for (const [html, what, expected] of bad) assert.ok(cspViolations(html, src).some((p) => expected.test(p)), `${what}: ${cspViolations(html, src).join(' | ')}`);
});

test('a diverged run: the dashboard state says failed, with the reason its header shows', () => {
  const error = 'diverged at step 4: loss is NaN. The last good checkpoint is kept; lower the learning rate or set training.gradClipNorm.';
  const failed: DashboardEvent = { type: 'failed', time: t, error, step: 4 };
  const history = reduce(emptyState, { type: 'init', mode: 'run', runs: [series([step(2, 300), failed])] });
  assert.equal(history.runs[0].status, 'failed');
  assert.equal(history.runs[0].statusReason, error);
  // Live: the failed event arrives in an append; it decides the status whatever the host thought.
  const live = reduce(reduce(emptyState, { type: 'init', mode: 'run', runs: [series([step(2, 300)])] }), { type: 'append', runDir: '/r/a', events: [failed], imageUris: {}, status: 'running' });
  assert.equal(live.runs[0].status, 'failed');
  assert.match(live.runs[0].statusReason ?? '', /^diverged at step 4/);
});

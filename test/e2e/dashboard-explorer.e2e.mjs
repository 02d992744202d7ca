// The run dashboard and the latent explorer, through the UI only: train a tiny VAE from the command palette, open its
// dashboard from the command palette (charts with points, image grids loaded, the epoch slider dragged with the
// mouse), open its latent explorer with the dashboard's button (the decoder loads with TF.js in the panel; dragging a
// slider redraws the decoded digit; the manifold and the scatter are drawn), then train the reference VAE
// (MLP 784-400-20) and measure, with 200 real key presses on a latent slider of its explorer, the latency from slider
// change to painted image the panel records: the product's goal is a p95 under 16 ms.
//
// Artifacts: test-artifacts/e2e/dashboard-explorer/{dashboard,explorer}.png (also copied, with the same names, to
// test-artifacts/e2e/screenshots/ for the README) and test-artifacts/e2e/latency.json.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  animationFrame,
  childRows,
  dragRangeThumb,
  editorTab,
  notification,
  openViewContainer,
  pickQuickItem,
  runCommand,
  sidebarPane,
  treeRows,
  waitFor,
  webviewConsole,
  webviewContent,
  webviewContentWhere,
  widenSidebar,
} from './helpers.mjs';

export const timeoutMs = 5 * 60 * 1000;

const EXTENSION_ID = 'vae-lab.vae-lab';
const LATENCY_MOVES = 200;
/** Wide enough for the dashboard's two image grids side by side and its charts in two columns, beside the tree. */
const VIEWPORT = { width: 1600, height: 1000 };

/**
 * 3 epochs of a small VAE (8-dimensional code, MLP 784-128-8) on 6,000 digits: about 5 s here. (On 1,200 digits its
 * 66 steps do not get past the mean image: the README's screenshots would show grey blobs.) Images every epoch.
 */
const TINY = {
  name: 'tiny',
  data: { source: 'mnist', options: { limit: 6000 } },
  model: { kind: 'vae', latentDim: 8, encoder: { type: 'mlp', hidden: [128] } },
  training: { epochs: 3, batchSize: 50 },
  logging: { metricsEvery: 4 },
};

/** examples/mnist-vae.vae.json, the reference MLP 784-400-20, on 2,000 digits for 2 epochs (same network). */
function referenceExperiment(repo) {
  const base = JSON.parse(fs.readFileSync(path.join(repo, 'examples', 'mnist-vae.vae.json'), 'utf8'));
  delete base.$schema; // relative to the repository's examples/
  assert.equal(base.model.latentDim, 20, 'examples/mnist-vae.vae.json is the reference VAE (latentDim 20)');
  assert.deepEqual(base.model.encoder.hidden, [400], 'examples/mnist-vae.vae.json is the reference VAE (hidden [400])');
  return {
    ...base,
    data: { ...base.data, options: { ...base.data.options, limit: 2000 } },
    training: { ...base.training, epochs: 2 },
  };
}

export default async function dashboardExplorer(ctx) {
  const { log } = ctx;
  const reference = referenceExperiment(ctx.repo);
  const workspace = ctx.prepareWorkspace({ 'tiny.vae.json': TINY, 'mnist-vae.vae.json': reference }, { examples: false });
  const wb = await ctx.startWorkbench({ workspace, viewport: VIEWPORT });
  const { page } = wb;
  const shots = {};
  try {
    await openViewContainer(page, 'VAE Lab');
    const pane = sidebarPane(page, 'Experiments');
    await pane.waitFor({ timeout: 15_000 });
    await waitFor(
      async () => {
        const labels = (await treeRows(pane)).filter((r) => r.level === 1).map((r) => r.label);
        return ['tiny', 'mnist-vae'].every((n) => labels.includes(n)) && labels;
      },
      { timeout: 30_000, message: 'the Experiments tree to list tiny and mnist-vae' },
    );
    await widenSidebar(page, 120);

    // ------------------------------------------------------------------------------------------ train tiny
    const tinyRun = await trainFromPalette(page, pane, 'tiny', 90_000, log);

    // ----------------------------------------------------------------------------------------- its dashboard
    const since = Date.now();
    await runCommand(page, 'VAE: Open Dashboard');
    await pickQuickItem(page, { placeholder: 'Run to show', label: `tiny / ${tinyRun}` });
    await editorTab(page, `VAE: tiny ${tinyRun}`).waitFor({ timeout: 15_000 });
    const dashboard = await webviewContent(page, { extensionId: EXTENSION_ID, ready: '#epoch-slider', timeout: 30_000 });

    const charts = await waitFor(
      async () => {
        const s = await dashboard.evaluate(() => ({
          status: document.querySelector('#status')?.textContent?.trim(),
          points: Number(document.body.dataset.points ?? 0),
          canvases: [...document.querySelectorAll('#charts canvas')].map((c) => ({
            id: c.id,
            points: c.dataset.points === undefined ? null : Number(c.dataset.points),
            width: c.width,
            height: c.height,
          })),
        }));
        return s.status === 'completed' && s.points > 0 && s.canvases.length > 0 && s;
      },
      { timeout: 20_000, message: 'the dashboard to show the completed run with chart points' },
    );
    for (const c of charts.canvases) {
      assert.ok(c.points !== null, `chart ${c.id} has a data-points attribute`);
      assert.ok(c.points > 0, `chart ${c.id} has points (${c.points})`);
      assert.ok(c.width > 0 && c.height > 0, `chart ${c.id} is drawn (${c.width}x${c.height})`);
    }
    assert.equal(charts.points, charts.canvases.reduce((a, c) => a + c.points, 0), 'body data-points is the sum over the charts');
    log(`dashboard charts: ${charts.canvases.map((c) => `${c.id.replace(/^chart-/, '')} ${c.points}`).join(', ')} (total ${charts.points} points)`);

    const images = await imagesLoaded(dashboard);
    log(`dashboard images: recon ${images.recon.width}x${images.recon.height}, samples ${images.samples.width}x${images.samples.height}`);

    // The epoch slider spans the epochs that wrote images (every epoch here: imagesEvery defaults to 1).
    const imageEpochs = readEvents(workspace, 'tiny', tinyRun).filter((e) => e.type === 'images').length;
    assert.equal(imageEpochs, TINY.training.epochs, 'the tiny run wrote images every epoch');
    const slider = dashboard.locator('#epoch-slider');
    assert.equal(await slider.getAttribute('max'), String(imageEpochs - 1), 'the epoch slider has one position per image epoch');
    assert.equal(await slider.inputValue(), String(imageEpochs - 1), 'the epoch slider starts at the latest epoch');
    assert.equal(await labelText(dashboard), `epoch ${imageEpochs} of ${TINY.training.epochs} (latest)`);
    const latestSrc = images.recon.src;
    // Dragged with the mouse to its left end: the first epoch's grids.
    assert.equal(await dragRangeThumb(page, slider, -0.1), 0, 'dragging the epoch slider to its left end selects the first image epoch');
    await waitFor(async () => /^epoch 1 of \d+$/.test(await labelText(dashboard)), {
      timeout: 5_000,
      message: () => 'the epoch label to read "epoch 1 of 3"',
    });
    assert.equal(await labelText(dashboard), `epoch 1 of ${TINY.training.epochs}`);
    const first = await imagesLoaded(dashboard);
    assert.notEqual(first.recon.src, latestSrc, 'the reconstruction grid shows another epoch');
    log(`epoch slider at 0: "${await labelText(dashboard)}"`);
    // Back to the latest with the keyboard (End), for the screenshot.
    await slider.focus();
    await page.keyboard.press('End');
    await waitFor(async () => (await labelText(dashboard)).endsWith('(latest)'), { timeout: 5_000, message: 'the epoch label to follow the latest epoch again' });
    await imagesLoaded(dashboard);
    // For the screenshot: the focus off the slider (a click on the subtitle), the mouse off the panel's buttons.
    await dashboard.locator('#subtitle').click();
    await page.mouse.move(5, 400);
    const violations = webviewConsole(wb, since).filter((m) => /Content Security Policy|Refused to/i.test(m.text));
    assert.deepEqual(violations.map((m) => m.text), [], 'the dashboard causes no CSP violation');
    shots.dashboard = await fullPanelScreenshot(ctx, page, dashboard, 'dashboard');

    // ------------------------------------------------------------------------- the explorer, from the dashboard
    const preparing = notification(page, 'Preparing the latent explorer');
    const preparingSeen = preparing.waitFor({ timeout: 60_000 }).then(
      async () => (await preparing.innerText().catch(() => '')).replace(/\s+/g, ' '),
      () => undefined,
    );
    const explorerAsked = Date.now();
    await dashboard.locator('#open-explorer').click({ timeout: 10_000 });
    await editorTab(page, `VAE latent space: tiny ${tinyRun}`).waitFor({ timeout: 60_000 });
    const preparingText = await Promise.race([preparingSeen, new Promise((resolve) => setTimeout(resolve, 1_000, undefined))]);
    assert.ok(preparingText, 'a progress notification "Preparing the latent explorer…" was shown while the engine prepared the data');
    log(`progress notification: ${preparingText}`);
    const explorer = await explorerContent(page, tinyRun);
    log(`explorer ready ${Date.now() - explorerAsked} ms after the button was clicked: ${explorer.subtitle}`);

    // Dragging the first latent slider redraws the decoded example.
    const decodedBefore = await canvasSnapshot(explorer.frame, '#decoded');
    const firstSlider = explorer.frame.locator('#sliders input[type=range]').first();
    assert.equal(await firstSlider.inputValue(), '0', 'the sliders start at 0');
    const moved = await dragRangeThumb(page, firstSlider, 0.8);
    assert.ok(moved > 1, `dragging the first slider to the right raises z0 (now ${moved})`);
    await animationFrame(explorer.frame);
    const decodedAfter = await canvasSnapshot(explorer.frame, '#decoded');
    assert.ok(decodedAfter.version > decodedBefore.version, `the decoded canvas was redrawn (data-version ${decodedBefore.version} -> ${decodedAfter.version})`);
    assert.notEqual(decodedAfter.dataUrl, decodedBefore.dataUrl, 'the decoded image changed when z0 moved');
    assert.equal(
      await explorer.frame.locator('#sliders output').first().textContent(),
      moved.toFixed(2),
      'the slider shows its value',
    );
    log(`z0 dragged to ${moved}: decoded canvas redrawn (version ${decodedBefore.version} -> ${decodedAfter.version}), pixels changed`);

    for (const id of ['#manifold', '#scatter', '#decoded']) {
      const s = await canvasStats(explorer.frame, id);
      assert.ok(s.width > 0 && s.height > 0, `${id} has a size (${s.width}x${s.height})`);
      assert.ok(s.drawn > 0.005 * s.pixels, `${id} has drawn pixels (${s.drawn} of ${s.pixels} differ from the background)`);
      log(`${id}: ${s.width}x${s.height}, ${s.drawn} drawn pixels`);
    }
    await explorer.frame.locator('#subtitle').click();
    await page.mouse.move(5, 400);
    shots.explorer = await fullPanelScreenshot(ctx, page, explorer.frame, 'explorer', 1400);

    // ------------------------------------------------------------- latency with the reference decoder (784-400-20)
    const refRun = await trainFromPalette(page, pane, 'mnist-vae', 180_000, log);
    await runCommand(page, 'VAE: Open Latent Explorer');
    await pickQuickItem(page, { placeholder: 'Run to explore', label: `mnist-vae / ${refRun}` });
    await editorTab(page, `VAE latent space: mnist-vae ${refRun}`).waitFor({ timeout: 60_000 });
    const ref = await explorerContent(page, refRun);
    assert.equal(await ref.frame.locator('#sliders input[type=range]').count(), 20, 'the reference VAE has 20 latent sliders');
    log(`reference explorer ready: ${ref.subtitle}`);
    const latency = await measureLatency(page, ref.frame, LATENCY_MOVES);
    const browserVersion = wb.browser.version();
    const report = {
      moves: latency.count,
      p50: latency.p50,
      p95: latency.p95,
      measured: 'input event to the start of the frame that paints the redrawn image (requestAnimationFrame)',
      drawP50: latency.drawP50,
      drawP95: latency.drawP95,
      decoder: '784-400-20 MLP',
      backend: 'tfjs cpu in the webview',
      browser: `chromium ${browserVersion}`,
    };
    const latencyFile = path.join(path.dirname(ctx.artifactsDir), 'latency.json');
    fs.writeFileSync(latencyFile, JSON.stringify(report, null, 2) + '\n');
    console.log(`latency: p50 ${latency.p50} ms, p95 ${latency.p95} ms over ${latency.count} moves (decode + draw alone: p50 ${latency.drawP50} ms, p95 ${latency.drawP95} ms)`);
    log(`wrote ${path.relative(ctx.repo, latencyFile)} (${latency.pressed} key presses in ${(latency.elapsedMs / 1000).toFixed(1)} s)`);
    // Functional checks only: every move was drawn and measured. The latency goal (p95 under 16 ms) is a speed
    // target, checked by `npm run bench` from this file, not by a timed test.
    assert.ok(latency.count >= LATENCY_MOVES, `the panel measured every move (${latency.count} measurements for ${LATENCY_MOVES} moves)`);
    assert.ok(Number.isFinite(latency.p95) && latency.p95 > 0 && Number.isFinite(latency.drawP95), 'the latencies are recorded');
  } finally {
    // The README's screenshots, whatever happened after they were taken.
    const dir = path.join(path.dirname(ctx.artifactsDir), 'screenshots');
    for (const [name, file] of Object.entries(shots)) {
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(file, path.join(dir, `${name}.png`));
      log(`copied to ${path.relative(ctx.repo, path.join(dir, `${name}.png`))}`);
    }
    await wb.close();
  }
}

// ---------------------------------------------------------------------------------------------------- helpers

/**
 * A screenshot of the window with the whole of a webview's content shown: the window is made taller (up to
 * `maxHeight`) until the panel needs no scrolling, then restored. Returns the file.
 */
async function fullPanelScreenshot(ctx, page, frame, name, maxHeight = 2400) {
  const viewport = page.viewportSize();
  const overflow = () => frame.evaluate(() => document.documentElement.scrollHeight - document.documentElement.clientHeight);
  await frame.evaluate(() => window.scrollTo(0, 0));
  const extra = await overflow();
  const height = Math.min(maxHeight, viewport.height + Math.max(0, extra));
  if (height > viewport.height) {
    await page.setViewportSize({ width: viewport.width, height });
    await waitFor(async () => (await overflow()) <= 0 || height === maxHeight, { timeout: 5_000, message: 'the panel to grow with the window' }).catch(() => undefined);
    await animationFrame(frame);
    await animationFrame(frame);
  }
  try {
    return await ctx.screenshot(page, name);
  } finally {
    if (height > viewport.height) await page.setViewportSize(viewport);
  }
}

/** "VAE: Train" from the command palette on `<experiment>.vae.json`; waits for its run to complete in the tree. */
async function trainFromPalette(page, pane, experiment, timeout, log) {
  const started = Date.now();
  await runCommand(page, 'VAE: Train');
  await pickQuickItem(page, { placeholder: 'Experiment to train', filter: experiment, label: `${experiment}.vae.json` });
  const done = await waitFor(
    async () => {
      const runs = await childRows(pane, experiment);
      if (runs?.length === 1 && /^(failed|cancelled)/.test(runs[0].description)) {
        throw new Error(`the ${experiment} run ended "${runs[0].description}"`);
      }
      return runs?.length === 1 && runs[0].description.startsWith('completed') && runs[0];
    },
    { timeout, interval: 500, message: `the Experiments tree to show the ${experiment} run completed` },
  ).catch(async (error) => {
    // A failed run is reported as such at once, not as a timeout.
    const runs = await childRows(pane, experiment).catch(() => undefined);
    throw new Error(`${error.message}; ${experiment} runs in the tree: ${JSON.stringify(runs)}`);
  });
  assert.match(done.label, /^\d{8}-\d{6}-[0-9a-f]+$/, 'the run is labelled with its run id');
  log(`${experiment}: ${done.label} ${done.description} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return done.label;
}

/** The run's metrics.jsonl events (the default runs folder, .vae-runs/<experiment>/<run id>/). */
function readEvents(workspace, experiment, runId) {
  const file = path.join(workspace, '.vae-runs', experiment, runId, 'metrics.jsonl');
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

function labelText(frame) {
  return frame.locator('#epoch-label').evaluate((el) => el.textContent.trim());
}

/** Waits until the dashboard's two image grids have loaded; returns their sources and natural sizes. */
async function imagesLoaded(frame) {
  const state = await waitFor(
    async () => {
      const s = await frame.evaluate(() => {
        const info = (id) => {
          const img = document.querySelector(id);
          return img && { src: img.getAttribute('src'), hidden: img.hidden, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight };
        };
        return { recon: info('#recon-img'), samples: info('#samples-img') };
      });
      return s.recon?.src && s.samples?.src && s.recon.complete && s.samples.complete && s;
    },
    { timeout: 15_000, message: 'the reconstruction and sample grids to load' },
  );
  for (const [name, img] of Object.entries(state)) {
    assert.ok(!img.hidden, `#${name}-img is shown`);
    assert.ok(img.width > 0 && img.height > 0, `#${name}-img loaded (${img.src} is ${img.width}x${img.height})`);
  }
  return state;
}

/**
 * The visible explorer panel of the run, once it says it is ready (decoder loaded, every view drawn): its content
 * frame and subtitle. Fails at once if the panel reports that the decoder could not load.
 */
async function explorerContent(page, runId) {
  const { frame, value } = await webviewContentWhere(page, {
    extensionId: EXTENSION_ID,
    timeout: 60_000,
    message: `the latent explorer of ${runId} to be ready (body data-ready="true")`,
    probe: async (f) => {
      const s = await f.evaluate(() => ({
        explorer: !!document.querySelector('#sliders'),
        ready: document.body.dataset.ready,
        title: document.querySelector('#title')?.textContent ?? '',
        loading: document.querySelector('#loading')?.textContent ?? '',
        subtitle: document.querySelector('#subtitle')?.textContent ?? '',
      }));
      if (s.explorer && /Could not load/.test(s.loading)) throw new Error(`the explorer failed: ${s.loading}`);
      return s.explorer && s.ready === 'true' && s.title.includes(runId) && s;
    },
  });
  return { frame, subtitle: value.subtitle };
}

/** A canvas's pixels (as a PNG data URL) and its data-version. */
function canvasSnapshot(frame, selector) {
  return frame.locator(selector).evaluate((c) => ({ dataUrl: c.toDataURL(), version: Number(c.dataset.version ?? 0) }));
}

/** A canvas's size and how many of its pixels differ from its top-left pixel (its background). */
function canvasStats(frame, selector) {
  return frame.locator(selector).evaluate((c) => {
    if (c.width === 0 || c.height === 0) return { width: c.width, height: c.height, pixels: 0, drawn: 0 };
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const bg = [data[0], data[1], data[2], data[3]];
    let drawn = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - bg[0]) + Math.abs(data[i + 1] - bg[1]) + Math.abs(data[i + 2] - bg[2]) + Math.abs(data[i + 3] - bg[3]) > 24) drawn++;
    }
    return { width: c.width, height: c.height, pixels: data.length / 4, drawn };
  });
}

/**
 * `moves` slider changes with the keyboard on the first latent slider, as a user holding the arrow keys would, but
 * paced: after each key press, waits until the panel has recorded that move's latency (in the animation frame after
 * the redraw) before the next, so that every move is measured on its own. Sweeps 0 -> +2 -> -2 -> +2 (step 0.05),
 * never pressing against an end of the range (where a key press changes nothing and fires no input event).
 */
async function measureLatency(page, frame, moves) {
  const slider = frame.locator('#sliders input[type=range]').first();
  await slider.scrollIntoViewIfNeeded({ timeout: 10_000 });
  await slider.focus();
  await animationFrame(frame);
  const count = () => frame.evaluate(() => Number(document.body.dataset.latencyCount ?? 0));
  const base = await count();
  assert.equal(base, 0, 'no slider move was measured in the fresh panel before the measurement');
  const started = Date.now();
  let value = Number(await slider.inputValue());
  let direction = 1;
  for (let i = 0; i < moves; i++) {
    if (value + direction * 0.05 > 2.001 || value + direction * 0.05 < -2.001) direction = -direction;
    await page.keyboard.press(direction > 0 ? 'ArrowRight' : 'ArrowLeft');
    value += direction * 0.05;
    const expected = base + i + 1;
    const recorded = await frame.evaluate(
      (n) =>
        new Promise((resolve) => {
          const until = performance.now() + 2000;
          const check = () => {
            const c = Number(document.body.dataset.latencyCount ?? 0);
            if (c >= n || performance.now() > until) resolve(c);
            else requestAnimationFrame(check);
          };
          check();
        }),
      expected,
    );
    if (recorded < expected) {
      throw new Error(`move ${i + 1}: the panel recorded ${recorded} latencies after ${i + 1} key presses (slider at ${await slider.inputValue()})`);
    }
  }
  const elapsedMs = Date.now() - started;
  const sliderValue = Number(await slider.inputValue());
  assert.ok(Math.abs(sliderValue - value) < 1e-6, `the slider followed the key presses (${sliderValue}, expected ${value.toFixed(2)})`);
  const result = await frame.evaluate(() => ({
    count: Number(document.body.dataset.latencyCount ?? 0),
    p50: Number(document.body.dataset.latencyP50),
    p95: Number(document.body.dataset.latencyP95),
    drawP50: Number(document.body.dataset.drawP50),
    drawP95: Number(document.body.dataset.drawP95),
  }));
  return { ...result, pressed: moves, elapsedMs };
}

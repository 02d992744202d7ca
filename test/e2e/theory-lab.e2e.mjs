// The Theory Lab as a learner meets it, through the UI only: "VAE: Learn by Doing" from the command palette, the
// posterior lesson picked. The step adds lessons/lesson-2d.vae.json, runs its sweep (a 2-D VAE and a 2-D autoencoder
// on the bundled MNIST) and opens the Theory Lab on the VAE's run with the posterior computed: the heatmap of p(z|x)
// and the numbers (log p(x) >= ELBO, gap = KL(q || p(z|x))) are drawn. A click on another test example's dot in the
// code scatter computes and shows that example's posterior. Then every other view is computed from its tab ("Compute")
// and photographed: Monte Carlo, reparameterisation, holes (the VAE next to its AE sibling); the linear-AE and
// BCE-or-MSE lessons come from their own Learn by Doing steps. No CSP violation. About 5 minutes here.
//
// Artifacts: test-artifacts/e2e/theory-lab/theory-*.png, copied to test-artifacts/e2e/screenshots/ (the README shows
// them as media/screenshots/theory-*.png).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { animationFrame, editorTab, growToPanel, notification, openViewContainer, pickQuickItem, runCommand, sidebarPane, waitFor, webviewConsole, webviewContentWhere } from './helpers.mjs';

export const timeoutMs = 14 * 60 * 1000;

const EXTENSION_ID = 'vae-lab.vae-lab';
const VIEWPORT = { width: 1500, height: 1000 };
const LEARN = 'VAE: Learn by Doing';
const PLACEHOLDER = 'Lesson to learn by doing: its experiment is added, trained (under a minute) and opened in the Theory Lab';

/** The Theory Lab content frame of `experiment` showing `lesson`'s tab. */
function theoryFrame(page, experiment, lesson, timeout = 60_000) {
  return webviewContentWhere(page, {
    extensionId: EXTENSION_ID,
    timeout,
    message: `the Theory Lab of ${experiment} on its ${lesson} tab`,
    probe: (f) =>
      f.evaluate(
        ([exp, l]) => {
          const title = document.querySelector('#title')?.textContent ?? '';
          const tab = document.querySelector(`#tab-${l}`);
          return title.includes(exp) && tab?.getAttribute('aria-selected') === 'true' && title;
        },
        [experiment, lesson],
      ),
  });
}

/** A lesson section's status and what it drew. */
function sectionState(frame, lesson) {
  return frame.evaluate((l) => {
    const s = document.querySelector(`#lesson-${l}`);
    return { status: s?.dataset.status, text: s?.innerText.replace(/\s+/g, ' ') ?? '', canvases: s?.querySelectorAll('canvas').length ?? 0 };
  }, lesson);
}

/** Waits for a lesson's section to be drawn from its file ('ready'); fails early on an error or "does not apply". */
async function lessonReady(frame, lesson, timeout = 180_000) {
  return waitFor(
    async () => {
      const s = await sectionState(frame, lesson);
      if (s.status === 'error') throw new Error(`the ${lesson} lesson failed: ${s.text.slice(0, 300)}`);
      return s.status === 'ready' && s.canvases + (s.text.length > 0 ? 1 : 0) > 0 && s;
    },
    { timeout, interval: 500, message: `the ${lesson} lesson to be computed and drawn` },
  );
}

/** How many of a canvas's pixels differ from its top-left (background) pixel. */
function drawnPixels(frame, selector) {
  return frame.locator(selector).evaluate((c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let drawn = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - data[0]) + Math.abs(data[i + 1] - data[1]) + Math.abs(data[i + 2] - data[2]) > 24) drawn++;
    return { drawn, pixels: data.length / 4 };
  });
}

/** The posterior's numbers as the table shows them (data-value of each row, by its note). */
function posteriorNumbers(frame) {
  return frame.evaluate(() => {
    const s = document.querySelector('#lesson-posterior');
    const heading = [...s.querySelectorAll('h3')].map((h) => h.textContent).find((t) => /^Test example \d+/.test(t)) ?? '';
    const values = [...s.querySelectorAll('table.numbers td[data-value]')].map((td) => Number(td.dataset.value));
    return { example: Number(/^Test example (\d+)/.exec(heading)?.[1]), values };
  });
}

async function shoot(ctx, page, frame, name, shots) {
  // The "sweep finished" and progress toasts would cover the panel's bottom.
  await runCommand(page, 'Notifications: Clear All Notifications').catch((e) => ctx.log(`could not clear the notifications: ${e.message.split('\n')[0]}`));
  // The pointer over the panel's body, off the editor tab (whose tooltip would cover the title).
  await page.mouse.move(VIEWPORT.width * 0.75, VIEWPORT.height * 0.6);
  const restore = await growToPanel(page, frame, 2400);
  await animationFrame(frame);
  shots.push(await ctx.screenshot(page, name));
  await restore();
}

/** "VAE: Learn by Doing" -> the step's entry in the quick pick. */
async function learn(page, title) {
  await runCommand(page, LEARN);
  // Typed, then accepted with Enter: the focused row, never a click on a row that is still being laid out.
  await pickQuickItem(page, { placeholder: PLACEHOLDER, label: title, filter: title.split(' (')[0] });
}

export default async function theoryLab(ctx) {
  const { log } = ctx;
  const workspace = ctx.prepareWorkspace({}, { examples: false });
  const wb = await ctx.startWorkbench({ workspace, viewport: VIEWPORT });
  const { page } = wb;
  const since = Date.now();
  const shots = [];
  try {
    // The VAE Lab view first: its commands are in the palette once the extension is loaded.
    await openViewContainer(page, 'VAE Lab');
    await sidebarPane(page, 'Experiments').waitFor({ timeout: 30_000 });
    // ------------------------------------------------------------------- the posterior lesson, trained from scratch
    const t0 = Date.now();
    await learn(page, 'The posterior and the ELBO gap (2-D VAE and AE)');
    await notification(page, 'Sweep lesson-2d').waitFor({ timeout: 60_000 });
    log('the lesson sweep started (VAE and AE with 2-D codes)');
    assert.ok(fs.existsSync(path.join(workspace, 'lessons', 'lesson-2d.vae.json')), 'the lesson experiment is added to the workspace');
    const { frame } = await theoryFrame(page, 'lesson-2d', 'posterior', 300_000);
    log(`Theory Lab open on the posterior tab ${((Date.now() - t0) / 1000).toFixed(0)} s after the step was picked`);
    const first = await lessonReady(frame, 'posterior');
    const map = await drawnPixels(frame, '#posterior-map');
    assert.ok(map.drawn > 0.3 * map.pixels, `the heatmap of p(z|x) is drawn (${map.drawn} of ${map.pixels} pixels)`);
    const before = await posteriorNumbers(frame);
    // The table's rows: log p(x), ELBO, E_q[log p(x|z)], KL(q || p(z)), the gap, KL(q || p(z|x)), IWAE bounds.
    const [logPx, elbo, , , gap, kl] = before.values;
    assert.equal(before.example, 0);
    assert.ok(logPx >= elbo - 1e-6 && Math.abs(logPx - elbo - gap) < 1e-4 && Math.abs(gap - kl) < 0.05, `bounds of example 0: ${before.values.slice(0, 6)}`);
    log(`example 0: log p(x) ${logPx.toFixed(3)}, ELBO ${elbo.toFixed(3)}, gap ${gap.toFixed(3)}, KL(q||p(z|x)) ${kl.toFixed(3)}; ${first.canvases} canvases`);
    await shoot(ctx, page, frame, 'theory-posterior', shots);

    // ------------------------------------------------------------------ a click on another example in the scatter
    const target = await frame.locator('#codes-scatter').evaluate((c) => {
      const pts = JSON.parse(c.dataset.points);
      // The dot farthest from example 0 with no other dot within 8 px: a click that cannot hit a neighbour.
      let best = -1;
      let bestD = -1;
      pts.forEach(([x, y], i) => {
        const d = Math.hypot(x - pts[0][0], y - pts[0][1]);
        const alone = pts.every(([u, v], j) => j === i || Math.hypot(u - x, v - y) > 8);
        if (alone && d > bestD) [best, bestD] = [i, d];
      });
      return { index: best, x: pts[best][0], y: pts[best][1] };
    });
    assert.ok(target.index > 0, 'a test example to click');
    await frame.locator('#codes-scatter').click({ position: { x: target.x, y: target.y } });
    const after = await waitFor(
      async () => {
        const s = await sectionState(frame, 'posterior');
        if (s.status !== 'ready') return undefined;
        const n = await posteriorNumbers(frame);
        return n.example === target.index && n;
      },
      { timeout: 120_000, interval: 500, message: `the posterior of test example ${target.index}` },
    );
    const map2 = await drawnPixels(frame, '#posterior-map');
    assert.ok(map2.drawn > 0.3 * map2.pixels, 'the new heatmap is drawn');
    assert.notDeepEqual(after.values.slice(0, 2), before.values.slice(0, 2), 'other numbers for another example');
    log(`clicked example ${target.index}: log p(x) ${after.values[0].toFixed(3)}, ELBO ${after.values[1].toFixed(3)}, gap ${after.values[4].toFixed(3)}`);

    // ----------------------------------------------------------------- every other view of the 2-D VAE's run
    for (const lesson of ['holes', 'montecarlo', 'reparam']) {
      await frame.locator(`#tab-${lesson}`).click();
      const s = await sectionState(frame, lesson);
      if (s.status === 'missing') await frame.locator(`#lesson-${lesson} button.compute`).click();
      const done = await lessonReady(frame, lesson);
      log(`${lesson}: drawn with ${done.canvases} canvases`);
      if (lesson === 'holes') {
        const text = done.text;
        assert.match(text, /Compared with: ae, run/, 'the holes view shows the AE sibling next to the VAE');
        const masses = await frame.evaluate(() => [...document.querySelectorAll('#lesson-holes table.numbers')][0].innerText);
        log(`holes table: ${masses.replace(/\s+/g, ' ')}`);
      }
      await shoot(ctx, page, frame, `theory-${lesson}`, shots);
    }

    // --------------------------------------------------------------------- the linear-AE and BCE-or-MSE lessons
    await learn(page, 'Linear autoencoder = PCA (linear AE)');
    const linear = (await theoryFrame(page, 'lesson-linear-ae', 'linear-pca', 240_000)).frame;
    const pca = await lessonReady(linear, 'linear-pca');
    log(`linear-pca: ${pca.text.slice(0, 200)}`);
    await shoot(ctx, page, linear, 'theory-linear-pca', shots);

    await learn(page, 'BCE or MSE (Bernoulli vs Gaussian, fixed and learned sigma)');
    const lik = (await theoryFrame(page, 'lesson-likelihoods', 'likelihoods', 300_000)).frame;
    await lessonReady(lik, 'likelihoods');
    const pictures = await lik.evaluate(() => [...document.querySelectorAll('#likelihood-pictures tr')].slice(1).map((tr) => ({ label: tr.querySelector('th').innerText.replace(/\s+/g, ' '), canvases: tr.querySelectorAll('canvas').length })));
    assert.equal(pictures.length, 3, `three runs side by side: ${JSON.stringify(pictures)}`);
    assert.ok(pictures.every((p) => p.canvases === 24), 'inputs, reconstructions and samples: 8 each');
    log(`likelihoods: ${pictures.map((p) => p.label).join(' | ')}`);
    await shoot(ctx, page, lik, 'theory-likelihoods', shots);

    const violations = webviewConsole(wb, since).filter((m) => /Content Security Policy|Refused to/i.test(m.text));
    assert.deepEqual(violations.map((m) => m.text), [], 'the Theory Lab causes no CSP violation');
    assert.ok(await editorTab(page, 'VAE theory: lesson-2d').count(), 'the 2-D lesson panel stays open');
  } finally {
    const dir = path.join(path.dirname(ctx.artifactsDir), 'screenshots');
    fs.mkdirSync(dir, { recursive: true });
    for (const shot of shots) fs.copyFileSync(shot, path.join(dir, path.basename(shot)));
    if (shots.length) log(`copied ${shots.length} screenshots to ${path.relative(ctx.repo, dir)}`);
    await wb.close();
  }
}

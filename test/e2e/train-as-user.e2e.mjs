// A new user's first session, through the UI only: open the VAE Lab view, train an experiment from the command
// palette, watch the progress notification and the tree, cancel from the notification, resume from the command
// palette until the run completes, then open its dashboard (from the command palette, then by clicking the run in
// the tree) and check that the panel shows the run: status, images, charts, no CSP violation. About 1 minute here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  childRows,
  describeWebviewFrames,
  editorTab,
  notification,
  openViewContainer,
  pickQuickItem,
  runCommand,
  sidebarPane,
  statusBarText,
  treeRows,
  waitFor,
  webviewConsole,
  webviewContent,
  widenSidebar,
} from './helpers.mjs';

export const timeoutMs = 4 * 60 * 1000;

const EXTENSION_ID = 'vae-lab.vae-lab';

/** mnist-vae on 2,000 digits for 30 short epochs: about 30 s here, long enough to be cancelled while it runs. */
function quickExperiment(repo) {
  const base = JSON.parse(fs.readFileSync(path.join(repo, 'examples', 'mnist-vae.vae.json'), 'utf8'));
  delete base.$schema;
  return {
    ...base,
    name: 'quick',
    description: 'The reference VAE on 2,000 MNIST digits, for the end-to-end tests.',
    data: { source: 'mnist', options: { limit: 2000 } },
    training: { ...base.training, epochs: 30, batchSize: 50 },
    logging: { metricsEvery: 10, imagesEvery: 5 },
  };
}

export default async function trainAsUser(ctx) {
  const { log } = ctx;
  const examples = fs
    .readdirSync(path.join(ctx.repo, 'examples'))
    .filter((f) => f.endsWith('.vae.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(ctx.repo, 'examples', f), 'utf8')).name);
  const workspace = ctx.prepareWorkspace({ 'quick.vae.json': quickExperiment(ctx.repo) });
  const wb = await ctx.startWorkbench({ workspace });
  const { page } = wb;
  try {
    // ------------------------------------------------------------------------------------- the Experiments view
    await openViewContainer(page, 'VAE Lab');
    const pane = sidebarPane(page, 'Experiments');
    await pane.waitFor({ timeout: 15_000 });
    const expected = [...examples, 'quick'].sort();
    const listed = await waitFor(
      async () => {
        const labels = (await treeRows(pane)).filter((r) => r.level === 1).map((r) => r.label);
        return expected.every((n) => labels.includes(n)) && labels;
      },
      { timeout: 30_000, message: `the Experiments tree to list ${expected.join(', ')}` },
    );
    assert.deepEqual([...listed].sort(), expected, 'the Experiments tree lists exactly the workspace experiments');
    assert.deepEqual(await childRows(pane, 'quick'), [], 'a fresh workspace has no runs');
    log(`Experiments tree: ${listed.join(', ')}`);
    await widenSidebar(page, 180); // room for the run descriptions in the screenshots
    await ctx.screenshot(page, '01-experiments');

    // ------------------------------------------------------------------------ train from the command palette
    await runCommand(page, 'VAE: Train');
    await pickQuickItem(page, { placeholder: 'Experiment to train', filter: 'quick', label: 'quick.vae.json' });
    const progress = notification(page, 'VAE Lab: quick');
    await progress.waitFor({ timeout: 30_000 });
    log(`progress notification: ${(await progress.innerText()).replace(/\s+/g, ' ')}`);

    const running = await waitFor(
      async () => {
        const runs = await childRows(pane, 'quick');
        const m = runs?.length === 1 && /^running (\d+)%/.exec(runs[0].description);
        return m && Number(m[1]) >= 3 && { ...runs[0], percent: Number(m[1]) };
      },
      { timeout: 60_000, message: 'the tree to show the quick run running (at least 3%)' },
    );
    const runId = running.label;
    assert.match(runId, /^\d{8}-\d{6}-[0-9a-f]+$/, 'the run is labelled with its run id');
    assert.match(running.description, /^running \d+% · loss \d+(\.\d+)?$/);
    await waitFor(async () => /VAE quick \d+%/.test(await statusBarText(page)), {
      timeout: 10_000,
      message: 'the status bar to show the training progress',
    });
    assert.match(await progress.innerText(), /epoch \d+\/30/, 'the notification reports the epoch');
    log(`running: ${runId} ${running.description}; status bar: ${await statusBarText(page)}`);
    await ctx.screenshot(page, '02-running');

    // --------------------------------------------------------------------------- cancel from the notification
    await progress.getByRole('button', { name: 'Cancel' }).click({ timeout: 10_000 });
    const cancelled = await waitFor(
      async () => {
        const runs = await childRows(pane, 'quick');
        return runs?.length === 1 && runs[0].label === runId && runs[0].description.startsWith('cancelled') && runs[0];
      },
      { timeout: 30_000, message: `the tree to show ${runId} cancelled` },
    );
    await progress.waitFor({ state: 'detached', timeout: 10_000 });
    log(`cancelled: ${cancelled.description}`);
    await ctx.screenshot(page, '03-cancelled');

    // ----------------------------------------------------------------------- resume from the command palette
    await runCommand(page, 'VAE: Resume Run');
    await pickQuickItem(page, { placeholder: 'Run to resume', label: `quick / ${runId}` });
    await notification(page, `VAE Lab: resume ${runId}`).waitFor({ timeout: 30_000 });
    // Until its first step the resumed run reads "running 0%"; then it goes on from its checkpoint (written when it
    // was cancelled, so at or after the percentage seen before), not from the start.
    const resumed = await waitFor(
      async () => {
        const runs = await childRows(pane, 'quick');
        const m = runs?.length === 1 && runs[0].label === runId && /^running (\d+)%/.exec(runs[0].description);
        return m && Number(m[1]) > 0 && { ...runs[0], percent: Number(m[1]) };
      },
      { timeout: 60_000, message: `the tree to show ${runId} running again` },
    );
    assert.ok(
      resumed.percent >= running.percent,
      `the resumed run continues from its checkpoint (${resumed.percent}% after resuming, ${running.percent}% before cancelling)`,
    );
    log(`resumed: ${resumed.description}`);
    await ctx.screenshot(page, '04-resumed');

    const completed = await waitFor(
      async () => {
        const runs = await childRows(pane, 'quick');
        return runs?.length === 1 && runs[0].label === runId && runs[0].description.startsWith('completed') && runs[0];
      },
      { timeout: 180_000, interval: 500, message: `the tree to show ${runId} completed` },
    );
    assert.match(completed.description, /^completed · val loss \d+\.\d\d$/);
    log(`completed: ${completed.description}`);
    await ctx.screenshot(page, '05-completed');

    // ------------------------------------------------------------------------------ the dashboard of the run
    // From the command palette first. (Clicking the row the moment it turns "completed" can hit VS Code's "Actual
    // command not found, wanted to execute vaeLab.openDashboard /N": the tree is still refreshing then and every
    // refresh disposes the commands of the items it replaces. The click on the quiet tree is checked below.)
    let opened = Date.now();
    await runCommand(page, 'VAE: Open Dashboard');
    await pickQuickItem(page, { placeholder: 'Run to show', label: `quick / ${runId}` });
    const shown = await expectDashboard(page, wb, runId, opened, log);
    log(`dashboard: ${shown.images} images, ${shown.charts} charts`);
    await ctx.screenshot(page, '06-dashboard');
    // Scrolled down with the mouse wheel to the charts.
    const editorBox = await page.locator('.part.editor').boundingBox();
    await page.mouse.move(editorBox.x + editorBox.width / 2, editorBox.y + editorBox.height / 2);
    await page.mouse.wheel(0, 900);
    await waitFor(async () => (await shown.content.evaluate(() => window.scrollY)) > 300, {
      timeout: 10_000,
      message: 'the dashboard to scroll to its charts',
    });
    await ctx.screenshot(page, '06-dashboard-charts');

    // Closed, then opened again by clicking the run in the (now quiet) tree.
    await editorTab(page, `VAE: quick ${runId}`).locator('.action-label.codicon-close').click({ timeout: 10_000 });
    await editorTab(page, `VAE: quick ${runId}`).waitFor({ state: 'detached', timeout: 10_000 });
    opened = Date.now();
    await pane.locator('.monaco-list-row', { hasText: runId }).click();
    const staleCommand = notification(page, 'Actual command not found');
    await Promise.race([
      editorTab(page, `VAE: quick ${runId}`).waitFor({ timeout: 15_000 }),
      staleCommand.waitFor({ timeout: 15_000 }).then(async () => {
        throw new Error(`clicking the run in the tree failed: ${(await staleCommand.innerText()).replace(/\s+/g, ' ')}`);
      }),
    ]);
    await expectDashboard(page, wb, runId, opened, log);
    await ctx.screenshot(page, '07-dashboard-from-tree');
  } finally {
    await wb.close();
  }
}

/**
 * Waits for the active dashboard tab of the run and for its webview to show the run as completed, with its images
 * loaded, its charts drawn and no CSP violation. The panel is blank until VS Code's webview host has loaded the
 * content frame (helpers.mjs): a screenshot taken before that shows an empty editor.
 */
async function expectDashboard(page, wb, runId, since, log) {
  const tab = editorTab(page, `VAE: quick ${runId}`);
  await tab.waitFor({ timeout: 15_000 });
  assert.equal(await tab.getAttribute('aria-selected'), 'true', 'the dashboard tab is the active one');
  const early = (await describeWebviewFrames(page)).filter((f) => f.role === 'content').map((f) => `${f.id}${f.visible ? '' : ' (hidden)'}`);
  log(`dashboard tab shown ${Date.now() - since} ms after it was asked for; content frames then: ${early.join(', ') || 'none yet'}`);
  const content = await webviewContent(page, { extensionId: EXTENSION_ID, ready: 'body', timeout: 30_000 });
  // The run's status as the dashboard shows it: its status badge (#status), or the older "Status: <status>" line.
  const shown = await waitFor(
    async () => {
      const state = await content.evaluate(() => {
        const text = document.body.innerText.replace(/\s+/g, ' ');
        const badge = document.querySelector('#status')?.textContent?.trim();
        return { text, status: badge || /Status:\s*(\w+)/.exec(text)?.[1] };
      });
      return state.text.includes(runId) && state.status === 'completed' && state;
    },
    { timeout: 20_000, message: `the dashboard content to show ${runId} with the status "completed"` },
  ).catch(async (error) => {
    throw new Error(`${error.message}; webview frames: ${JSON.stringify(await describeWebviewFrames(page))}`);
  });
  log(`dashboard shows "${shown.status}" ${Date.now() - since} ms after it was asked for: ${shown.text.slice(0, 140)}`);
  // Images come through asWebviewUri (the webview's service worker); charts are canvases.
  const images = await waitFor(
    async () => {
      const imgs = await content.locator('img:not([hidden])').evaluateAll((els) => els.map((i) => ({ complete: i.complete, width: i.naturalWidth })));
      return imgs.length > 0 && imgs.every((i) => i.complete) && imgs;
    },
    { timeout: 15_000, message: 'the dashboard images to load' },
  );
  assert.ok(images.every((i) => i.width > 0), `every dashboard image loads (${JSON.stringify(images)})`);
  const charts = await content.locator('canvas').evaluateAll((els) => els.map((c) => [c.width, c.height]));
  assert.ok(charts.length > 0 && charts.every(([w, h]) => w > 0 && h > 0), `the dashboard draws its charts (${JSON.stringify(charts)})`);
  const violations = webviewConsole(wb, since).filter((m) => /Content Security Policy|Refused to/i.test(m.text));
  assert.deepEqual(violations.map((m) => m.text), [], 'the dashboard causes no CSP violation');
  return { ...shown, content, images: images.length, charts: charts.length };
}

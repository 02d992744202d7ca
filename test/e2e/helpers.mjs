// UI helpers for the end-to-end scenarios: they drive VS Code's workbench as a user does (mouse and keyboard through
// Playwright), locating things by the roles, ARIA labels and class names VS Code itself renders. Nothing here calls
// an extension API.

/** Polls `probe` until it returns a truthy value (which is returned); throws `message` (+ the last value) on timeout. */
export async function waitFor(probe, { timeout = 30_000, interval = 200, message = 'condition' } = {}) {
  const until = Date.now() + timeout;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (last) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= until) break;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  const detail = lastError ? `last error: ${lastError.message}` : `last value: ${JSON.stringify(last)}`;
  throw new Error(`timed out after ${timeout} ms waiting for ${typeof message === 'function' ? message() : message} (${detail})`);
}

// ---------------------------------------------------------------------------------------------- activity bar, views

/** Clicks the activity-bar item with this label (e.g. "VAE Lab") and waits until its side bar is shown. */
export async function openViewContainer(page, label) {
  const item = (state = '') => page.locator(`.part.activitybar .action-item${state} a.action-label[aria-label^="${label}"]`);
  await item().click({ timeout: 15_000 });
  await item('.checked').waitFor({ timeout: 10_000 });
  await page.locator('.part.sidebar').waitFor({ state: 'visible', timeout: 10_000 });
}

/** Drags the side bar's right edge by `dx` pixels (wider rows: descriptions are not cut off in screenshots). */
export async function widenSidebar(page, dx) {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) throw new Error('the side bar is not shown');
  const x = box.x + box.width - 1;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx / 2, y, { steps: 4 });
  await page.mouse.move(x + dx, y, { steps: 4 });
  await page.mouse.up();
  await page.mouse.move(x + dx + 300, y); // off the sash, whose hover highlight would show in screenshots
  // Cosmetic: let the highlight fade out (a CSS transition) before any screenshot.
  await waitFor(
    () =>
      page.evaluate(() =>
        [...document.querySelectorAll('.monaco-sash')].every(
          (sash) => !sash.matches('.hover, .active') && /^(transparent|rgba\(0, 0, 0, 0\))$/.test(getComputedStyle(sash, '::before').backgroundColor),
        ),
      ),
    { timeout: 3_000, interval: 50, message: 'the sash highlight to fade' },
  ).catch(() => undefined);
}

/** The side-bar pane whose header reads `title` (e.g. "Experiments"). */
export function sidebarPane(page, title) {
  return page.locator('.part.sidebar .pane', { has: page.locator(`.pane-header[aria-label^="${title}"]`) });
}

/**
 * The rows of a tree in `pane`, in display order: { index, level, label, description, ariaLabel, text }. Tree rows
 * are `.monaco-list-row`s; `aria-level` is the depth (1 = top level) and `data-index` the position.
 */
export async function treeRows(pane) {
  const rows = await pane.locator('.monaco-list-row').evaluateAll((elements) =>
    elements.map((row) => ({
      index: Number(row.dataset.index),
      level: Number(row.getAttribute('aria-level')),
      label: row.querySelector('.label-name')?.textContent ?? '',
      description: row.querySelector('.label-description')?.textContent ?? '',
      ariaLabel: row.getAttribute('aria-label') ?? '',
      text: row.innerText.replace(/\s+/g, ' ').trim(),
    })),
  );
  return rows.sort((a, b) => a.index - b.index);
}

/** The rows nested under the top-level row labelled `parentLabel` (e.g. the runs of an experiment). */
export async function childRows(pane, parentLabel) {
  const rows = await treeRows(pane);
  const at = rows.findIndex((r) => r.level === 1 && r.label === parentLabel);
  if (at < 0) return undefined;
  const children = [];
  for (const row of rows.slice(at + 1)) {
    if (row.level <= 1) break;
    children.push(row);
  }
  return children;
}

/** The row locator of a tree item by its exact label. */
export function treeRow(pane, label) {
  return pane.locator('.monaco-list-row', { has: pane.page().locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
}

// --------------------------------------------------------------------------------------- command palette, quick pick

/** The quick input widget (command palette, quick open, quick picks). */
export function quickInput(page) {
  return page.locator('.quick-input-widget');
}

/**
 * Runs a command from the command palette as a user does: F1, type its title, click the entry whose label is exactly
 * `title` (the palette's first entry is not necessarily it: "VAE: Train" also fuzzily matches "VAE: Stop Training").
 */
export async function runCommand(page, title) {
  const widget = quickInput(page);
  await page.keyboard.press('F1');
  await widget.locator('input[placeholder="Type the name of a command to run."]').waitFor({ timeout: 10_000 });
  await page.keyboard.type(title);
  const entry = widget.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) });
  await entry.first().click({ timeout: 10_000 });
}

/**
 * Waits for the quick pick with this placeholder, types `filter` (if given) and accepts the entry whose label is
 * exactly `label` with Enter once the keyboard focus is on it (else clicks it).
 */
export async function pickQuickItem(page, { placeholder, label, filter }) {
  const widget = quickInput(page);
  await widget.locator(`input[placeholder="${placeholder}"]`).waitFor({ timeout: 15_000 });
  const entry = widget.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
  if (filter) {
    await page.keyboard.type(filter);
    const focused = entry.and(widget.locator('.monaco-list-row.focused'));
    try {
      await focused.waitFor({ timeout: 5_000 });
      await page.keyboard.press('Enter');
    } catch {
      await entry.first().click({ timeout: 10_000 });
    }
  } else {
    await entry.first().click({ timeout: 10_000 });
  }
  await widget.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Labels of the entries the open quick pick shows. */
export async function quickPickLabels(page) {
  return quickInput(page).locator('.monaco-list-row .label-name').allTextContents();
}

// ---------------------------------------------------------------------------------------- notifications, status bar

/** The notification toast containing `text` (progress notifications show "<title>: <message>"). */
export function notification(page, text) {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text });
}

/** The status bar's text, items separated by " | ". */
export async function statusBarText(page) {
  const items = await page.locator('.part.statusbar .statusbar-item').allInnerTexts();
  return items.map((t) => t.replace(/\s+/g, ' ').trim()).filter(Boolean).join(' | ');
}

// --------------------------------------------------------------------------------------------------------- editors

/** The editor tab whose label starts with `title`. */
export function editorTab(page, title) {
  return page.locator(`.part.editor .tabs-container .tab[aria-label^="${title}"]`);
}

// -------------------------------------------------------------------------------------------------------- webviews

// A webview in VS Code's web workbench is two nested iframes: the host, .../webview/browser/pre/index.html?id=...
// &extensionId=..., and inside it the content frame. The host creates the content frame with id "pending-frame"
// (hidden; src fake.html, into which it then writes the extension's HTML) and renames it "active-frame" (shown) once
// it has loaded. Playwright's frame.name() keeps the id the frame was created with and its url() stays fake.html,
// so the content frame is recognised by its element's current id.

/** Every webview frame of the page with what matters for diagnostics. */
export async function describeWebviewFrames(page) {
  const out = [];
  for (const frame of page.frames()) {
    const parent = frame.parentFrame();
    const isHost = frame.url().includes('/webview/browser/pre/index.html');
    const isContent = !!parent && parent.url().includes('/webview/browser/pre/index.html');
    if (!isHost && !isContent) continue;
    const element = await frame.frameElement().catch(() => undefined);
    const id = element ? await element.getAttribute('id').catch(() => null) : null;
    const visible = element ? await element.isVisible().catch(() => false) : false;
    let text = '';
    if (isContent) {
      text = await frame
        .evaluate(() => (document.body ? document.body.innerText.replace(/\s+/g, ' ').slice(0, 200) : '(no body)'))
        .catch((error) => `(cannot read: ${error.message.split('\n')[0]})`);
    }
    await element?.dispose().catch(() => undefined);
    out.push({
      role: isHost ? 'host' : 'content',
      id,
      visible,
      extensionId: isHost ? new URL(frame.url()).searchParams.get('extensionId') : undefined,
      url: frame.url().replace(/\?.*/, ''),
      text,
    });
  }
  return out;
}

/**
 * The content frames of visible webviews (of `extensionId`, when given). VS Code keeps a webview's content frame
 * hidden (element id "pending-frame") until it has loaded, then shows it as "active-frame"; Playwright keeps the
 * frame's first name, so the element's current id is what tells.
 */
async function visibleContentFrames(page, extensionId) {
  const frames = [];
  for (const frame of page.frames()) {
    const host = frame.parentFrame();
    if (!host || !host.url().includes('/webview/browser/pre/index.html')) continue;
    if (extensionId && new URL(host.url()).searchParams.get('extensionId') !== extensionId) continue;
    const element = await frame.frameElement().catch(() => undefined);
    if (!element) continue;
    const active = (await element.getAttribute('id').catch(() => null)) === 'active-frame' && (await element.isVisible().catch(() => false));
    await element.dispose().catch(() => undefined);
    if (active) frames.push(frame);
  }
  return frames;
}

/**
 * Waits for the visible webview of `extensionId` to show its content and returns its content frame (a Playwright
 * Frame: use frame.locator(...)). `ready` is a CSS selector that must match in the content (default: body).
 */
export async function webviewContent(page, { extensionId, ready = 'body', timeout = 30_000 } = {}) {
  const started = Date.now();
  return waitFor(
    async () => {
      for (const frame of await visibleContentFrames(page, extensionId)) {
        if ((await frame.locator(ready).count().catch(() => 0)) > 0) return frame;
      }
      return undefined;
    },
    { timeout, interval: 100, message: 'the webview content' },
  ).catch(async (error) => {
    const frames = await describeWebviewFrames(page).catch(() => []);
    throw new Error(
      `the webview of ${extensionId ?? 'any extension'} showed no visible content frame matching "${ready}" within ` +
        `${Date.now() - started} ms (${error.message}); webview frames: ${JSON.stringify(frames)}`,
    );
  });
}

/** Console messages (from startWorkbench's collection) that webview frames logged, e.g. CSP violations. */
export function webviewConsole(workbench, since = 0) {
  return workbench.consoleMessages.filter((m) => m.time >= since && /\/webview\/browser\/pre\/|fake\.html|vscode-resource|vscode-cdn/.test(m.url));
}

export function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Waits for the visible webview content frame of `extensionId` for which `probe(frame)` returns a truthy value, and
 * returns { frame, value }. `probe` runs on every candidate (e.g. `(f) => f.evaluate(() => ...)`); a probe that
 * throws counts as "not yet". Use it when several panels of one extension may be open (hidden panels are skipped).
 */
export async function webviewContentWhere(page, { extensionId, probe, timeout = 30_000, message = 'the webview content' }) {
  let last;
  return waitFor(
    async () => {
      for (const frame of await visibleContentFrames(page, extensionId)) {
        const value = await Promise.resolve(probe(frame)).catch((error) => ({ error: error.message.split('\n')[0] }));
        last = value;
        if (value && !value.error) return { frame, value };
      }
      return undefined;
    },
    { timeout, interval: 150, message: () => `${message} (last probe: ${JSON.stringify(last)?.slice(0, 300)})` },
  );
}

/** Resolves in `frame` once an animation frame has run there (after the work the last input event queued). */
export function animationFrame(frame) {
  return frame.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve())));
}

/**
 * Drags the thumb of an `<input type=range>` (a locator, in any frame) with the mouse as a user does: presses on the
 * thumb at its current value, moves in `steps` to the fraction `to` of the track (0 = left end, 1 = right end; beyond
 * clamps) and releases. Returns the input's value afterwards.
 */
export async function dragRangeThumb(page, range, to, { steps = 8 } = {}) {
  await range.scrollIntoViewIfNeeded({ timeout: 10_000 });
  const box = await range.boundingBox();
  if (!box) throw new Error('the range input is not shown');
  const { min, max, value } = await range.evaluate((el) => ({ min: Number(el.min), max: Number(el.max), value: Number(el.value) }));
  const thumb = 16; // Chromium's default thumb is about this wide; its centre travels from thumb/2 to width - thumb/2
  const xAt = (fraction) => box.x + thumb / 2 + fraction * (box.width - thumb);
  const y = box.y + box.height / 2;
  await page.mouse.move(xAt(max > min ? (value - min) / (max - min) : 0), y);
  await page.mouse.down();
  await page.mouse.move(xAt(to), y, { steps });
  await page.mouse.up();
  return range.evaluate((el) => Number(el.value));
}

/** Makes the window tall enough (up to `maxHeight`) for the panel to need no scrolling; returns a function that restores it. */
export async function growToPanel(page, frame, maxHeight = 2000) {
  const viewport = page.viewportSize();
  await frame.evaluate(() => window.scrollTo(0, 0));
  const extra = await frame.evaluate(() => document.documentElement.scrollHeight - document.documentElement.clientHeight);
  const height = Math.min(maxHeight, viewport.height + Math.max(0, extra));
  if (height <= viewport.height) return async () => undefined;
  await page.setViewportSize({ width: viewport.width, height });
  await waitFor(() => frame.evaluate(() => document.documentElement.scrollHeight <= document.documentElement.clientHeight + 1), { timeout: 5_000, message: 'the panel to grow with the window' }).catch(() => undefined);
  // The panel redraws 100 ms after a resize.
  await new Promise((resolve) => setTimeout(resolve, 400));
  await animationFrame(frame);
  return () => page.setViewportSize(viewport);
}

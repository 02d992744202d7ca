// An untrusted workspace (VS Code's workspace trust on, the folder never trusted: Restricted Mode): the extension
// loads and lists the experiments, but "VAE: Train" and "VAE: Resume Run" start nothing and say why. Through the UI
// only. About 20 s here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { notification, openViewContainer, runCommand, sidebarPane, statusBarText, treeRows, waitFor } from './helpers.mjs';

export const timeoutMs = 2 * 60 * 1000;

export default async function untrusted(ctx) {
  const experiment = { name: 'untrusted', data: { source: 'mnist', options: { limit: 400 } }, model: { kind: 'vae', latentDim: 2, encoder: { hidden: [16] } }, training: { epochs: 1 } };
  const workspace = ctx.prepareWorkspace({ 'untrusted.vae.json': experiment });
  const wb = await ctx.startWorkbench({ workspace, workspaceTrust: true });
  const { page } = wb;
  await waitFor(async () => /Restricted Mode/.test(await statusBarText(page)), { timeout: 30_000, message: 'the Restricted Mode indicator' });
  // The extension still works where it is safe: the tree lists the experiment.
  await openViewContainer(page, 'VAE Lab');
  const pane = sidebarPane(page, 'Experiments');
  await waitFor(async () => (await treeRows(pane)).some((r) => r.label === 'untrusted'), { timeout: 30_000, message: 'the experiment in the tree' });
  await ctx.screenshot(page, '01-restricted');
  // "VAE: Train" from the command palette: a warning, and no run.
  await runCommand(page, 'VAE: Train');
  await notification(page, 'VAE Lab does not train in an untrusted workspace').waitFor({ timeout: 15_000 });
  await ctx.screenshot(page, '02-refused');
  await new Promise((r) => setTimeout(r, 2000));
  assert.ok(!fs.existsSync(path.join(workspace, '.vae-runs')), 'no run folder was created');
  ctx.log('untrusted workspace: "VAE: Train" refused with a warning, no run folder');
}

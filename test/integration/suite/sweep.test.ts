// Sweeps inside a real VS Code: "VAE: Run Sweep" runs `vae-lab sweep --json` (dist/cli.js) on a tiny toy2d sweep,
// the Experiments tree groups its runs under a sweep node, the sweep panel draws it (the webview reports what it drew),
// and a sweep cancelled from the extension (SIGINT) resumes to completion with "Resume Sweep".
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { readRunRecord } from '../../../src/core/runFolder';
import { readSweepRecord, SweepRecord } from '../../../src/core/sweep';
import type { VaeLabApi } from '../../../src/extension/extension';
import type { ExperimentItem, RunItem, SweepItem, VaeTreeItem } from '../../../src/extension/experimentsTree';
import type { SweepPanel } from '../../../src/extension/sweepPanel';
import type { SweepJob } from '../../../src/extension/sweeps';
import { cspViolations } from '../../shared/csp';
import { activateApi, waitFor, workspaceDir } from '../helpers';

/** toy2d moons, a 2-D beta-VAE, 1 epoch: two settings of beta, one seed each. */
function experiment(name: string, o: { count: number; epochs: number; parallel: number; hidden: number[] }) {
  return {
    name,
    description: 'A tiny sweep for the integration tests.',
    data: { source: 'toy2d', options: { dataset: 'moons', count: o.count } },
    model: { kind: 'beta-vae', latentDim: 2, encoder: { type: 'mlp', hidden: o.hidden }, likelihood: 'gaussian-learned' },
    training: { epochs: o.epochs, batchSize: 50, seed: 1 },
    logging: { metricsEvery: 5, imagesEvery: 1 },
    sweep: { method: 'grid', parameters: { 'objective.beta': [0.5, 4] }, parallel: o.parallel },
  };
}

async function experimentItem(api: VaeLabApi, name: string): Promise<ExperimentItem> {
  return waitFor(`experiment ${name} in the tree`, async () => (await api.tree.experiments()).find((e) => e.experimentName === name));
}

async function sweepNode(api: VaeLabApi, name: string, dir: string): Promise<SweepItem> {
  const exp = await experimentItem(api, name);
  const children: VaeTreeItem[] = await api.tree.getChildren(exp);
  const node = children.find((c): c is SweepItem => c.kind === 'sweep' && c.dir === dir);
  if (!node) throw new Error(`no sweep node for ${dir} under ${name}: ${children.map((c) => String(c.label)).join(', ')}`);
  return node;
}

function checkRecord(record: SweepRecord): void {
  assert.deepStrictEqual(record.runs.map((r) => r.params['objective.beta']), [0.5, 4]);
  for (const r of record.runs) {
    assert.strictEqual(r.status, 'completed', `#${r.index}: ${r.error ?? r.statusReason}`);
    assert.ok(typeof r.rate === 'number' && Number.isFinite(r.rate) && r.rate >= 0, `#${r.index} rate ${r.rate}`);
    assert.ok(typeof r.distortion === 'number' && Number.isFinite(r.distortion), `#${r.index} distortion ${r.distortion}`);
    const elbo = r.final?.elbo;
    assert.ok(typeof elbo === 'number' && Math.abs(elbo + r.rate! + r.distortion!) <= 1e-3 * Math.max(1, Math.abs(elbo)), `#${r.index}: ELBO ${elbo} = -(rate + distortion) = ${-(r.rate! + r.distortion!)}`);
  }
}

describe('Sweeps in VS Code', () => {
  let api: VaeLabApi;

  before(async () => {
    ({ api } = await activateApi());
  });

  it('"VAE: Run Sweep" runs a tiny sweep; the tree shows a sweep node with its runs; "VAE: Open Sweep" draws it', async function () {
    this.timeout(240000);
    const file = path.join(workspaceDir(), 'tiny-sweep.vae.json');
    fs.writeFileSync(file, JSON.stringify(experiment('tiny-sweep', { count: 600, epochs: 1, parallel: 2, hidden: [16] }), null, 2));
    const exp = await waitFor('the sweep experiment marked as such', async () => {
      const e = await experimentItem(api, 'tiny-sweep');
      return e.contextValue === 'experiment.sweep' ? e : undefined;
    });
    assert.ok(exp.hasSweep);

    const job = (await vscode.commands.executeCommand('vaeLab.runSweep', vscode.Uri.file(file))) as SweepJob;
    assert.ok(job, 'a sweep was started');
    const runsRoot = path.join(workspaceDir(), '.vae-runs');
    assert.deepStrictEqual(job.args.slice(0, 5), ['sweep', file, '--json', '--out', runsRoot]);
    assert.ok(job.child.pid && job.child.pid !== process.pid, 'the sweep runs in its own process');
    const outcome = await job.done;
    assert.strictEqual(outcome.state, 'completed', outcome.error);
    assert.strictEqual(outcome.code, 0);
    assert.strictEqual(job.total, 2);
    assert.strictEqual(job.ended, 2, 'both runs were reported as ended by the CLI\'s JSON lines');
    const dir = outcome.dir!;
    assert.ok(dir.startsWith(path.join(runsRoot, 'tiny-sweep', 'sweeps') + path.sep), dir);
    assert.deepStrictEqual(outcome.counts, { queued: 0, running: 0, completed: 2, failed: 0, cancelled: 0, interrupted: 0 });

    const record = readSweepRecord(dir);
    assert.strictEqual(record.pid, undefined, 'the sweep process is done with the folder');
    assert.strictEqual(record.executor, 'local');
    checkRecord(record);
    for (const r of record.runs) {
      const run = readRunRecord(path.join(dir, r.dir));
      assert.strictEqual(run.sweep?.id, record.sweepId);
      assert.ok(fs.existsSync(path.join(dir, r.dir, 'images', 'samples-epoch-001.png')), `#${r.index} wrote its prior samples`);
    }

    // The tree: a sweep node under the experiment, its runs as ordinary run items labelled with their parameters.
    const node = await sweepNode(api, 'tiny-sweep', dir);
    assert.strictEqual(node.label, `sweep ${record.sweepId}`);
    assert.strictEqual(node.description, '2 runs: 2 done, 0 running, 0 queued, 0 failed');
    assert.strictEqual(node.contextValue, 'sweep.completed');
    assert.strictEqual(api.tree.runs(await experimentItem(api, 'tiny-sweep')).length, 0, 'the sweep\'s runs are not listed as ordinary runs of the experiment');
    const kids = (await api.tree.getChildren(node)) as RunItem[];
    assert.deepStrictEqual(kids.map((k) => k.label), ['#000 objective.beta=0.5 seed=1', '#001 objective.beta=4 seed=1']);
    assert.deepStrictEqual(kids.map((k) => k.kind), ['run', 'run']);
    assert.deepStrictEqual(kids.map((k) => k.runDir), record.runs.map((r) => path.join(dir, r.dir)));
    for (const k of kids) {
      assert.strictEqual(k.status, 'completed');
      assert.match(String(k.contextValue), /^run\.completed/, 'the run menus apply');
      assert.match(String(k.description), /^completed · val loss -?\d+\.\d\d$/);
      assert.strictEqual(k.command?.command, 'vaeLab.openDashboard');
    }
    // A child's dashboard opens from its tree item, as any run's.
    await vscode.commands.executeCommand('vaeLab.openDashboard', kids[0]);
    assert.ok(api.dashboards.panelFor(kids[0].runDir!), 'the child\'s run dashboard is open');

    // The sweep panel, from the sweep node.
    const panel = (await vscode.commands.executeCommand('vaeLab.openSweep', node)) as SweepPanel;
    assert.ok(panel, 'the sweep panel is open');
    assert.strictEqual(api.sweepPanels.panelFor(dir), panel);
    const rendered = panel.rendered ?? (await Promise.race([panel.nextRender(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the sweep panel did not report a drawing within 30 s')), 30000))]));
    assert.strictEqual(rendered.points, 2, 'one point per setting on the rate-distortion plane');
    assert.strictEqual(rendered.rows, 2, 'one leaderboard row per run');
    assert.ok(rendered.lines >= 1, `${rendered.lines} lines of equal ELBO`);
    const html = panel.panel.webview.html;
    assert.match(html, /<script nonce="[^"]+" src="[^"]+sweepMain\.js">/);
    assert.deepStrictEqual(cspViolations(html, panel.panel.webview.cspSource), []);
    assert.ok(panel.panel.webview.options.localResourceRoots?.some((u) => u.fsPath === dir), 'the sweep folder is a local resource root');
    const view = panel.lastView!;
    assert.strictEqual(view.countsLabel, '2 runs: 2 done, 0 running, 0 queued, 0 failed');
    assert.deepStrictEqual(view.settings.map((s) => [s.setting, s.completed]), [['objective.beta=0.5', 1], ['objective.beta=4', 1]]);
    assert.deepStrictEqual(view.settings.map((s) => s.val.rate?.mean), record.runs.map((r) => r.rate));
    for (const r of view.runs) assert.match(r.samplesUri ?? '', /samples-epoch-001\.png$/, 'each run\'s latest samples image, as a webview URI');
    // A click on a point or row asks for the run's dashboard; anything that is not a run of the sweep is ignored.
    panel.receive({ type: 'openRun', runDir: kids[1].runDir });
    await waitFor('the dashboard of #001', () => api.dashboards.panelFor(kids[1].runDir!));
    const ignored = panel.ignored.length;
    panel.receive({ type: 'openRun', runDir: path.join(workspaceDir(), 'tiny-sweep.vae.json') });
    panel.receive({ type: 'exec', command: 'rm -rf /' });
    assert.strictEqual(panel.ignored.length, ignored + 2);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a sweep cancelled from the extension (SIGINT) stops its run with a checkpoint, and "Resume Sweep" completes it', async function () {
    this.timeout(300000);
    const file = path.join(workspaceDir(), 'stop-sweep.vae.json');
    fs.writeFileSync(file, JSON.stringify(experiment('stop-sweep', { count: 4000, epochs: 3, parallel: 1, hidden: [64] }), null, 2));
    await experimentItem(api, 'stop-sweep');
    const config = vscode.workspace.getConfiguration('vaeLab');
    await config.update('sweep.executor', 'local', vscode.ConfigurationTarget.Workspace);
    await config.update('slurm.extraArgs', ['--mem=1G'], vscode.ConfigurationTarget.Workspace);
    try {
      const job = (await vscode.commands.executeCommand('vaeLab.runSweep', vscode.Uri.file(file))) as SweepJob;
      assert.ok(job);
      assert.deepStrictEqual(job.args.slice(5), ['--executor', 'local', '--sbatch-arg=--mem=1G'], 'the settings become CLI flags');
      const dir = await waitFor('the sweep folder', () => job.dir, 30000);
      const first = path.join(dir, 'runs', '000');
      await waitFor('training steps of the first run', () => {
        try {
          const r = readRunRecord(first);
          return r.status === 'running' && r.progress.step > 0;
        } catch {
          return false;
        }
      }, 90000);
      // While it runs, the tree shows it running.
      const running = await sweepNode(api, 'stop-sweep', dir);
      assert.strictEqual(running.contextValue, 'sweep.running');
      assert.match(String(running.description), /^2 runs: 0 done, 1 running, 1 queued, 0 failed$/);
      const kids = (await api.tree.getChildren(running)) as RunItem[];
      assert.deepStrictEqual(kids.map((k) => k.status), ['running', 'queued']);
      assert.match(String(kids[0].description), /^running \d+%$/);
      assert.strictEqual(kids[1].description, 'queued');

      assert.ok(await vscode.commands.executeCommand('vaeLab.cancelSweep', running));
      const outcome = await job.done;
      assert.strictEqual(outcome.state, 'cancelled', outcome.error);
      assert.strictEqual(outcome.code, 130);
      const after = readSweepRecord(dir);
      assert.strictEqual(after.cancelled, true);
      assert.deepStrictEqual(after.runs.map((r) => r.status), ['cancelled', 'queued']);
      assert.ok(readRunRecord(first).lastCheckpoint, 'the cancelled run wrote a checkpoint');
      const stopped = await sweepNode(api, 'stop-sweep', dir);
      assert.strictEqual(stopped.contextValue, 'sweep.cancelled');
      assert.strictEqual(stopped.description, '2 runs: 0 done, 0 running, 1 queued, 0 failed, 1 cancelled');

      const resumed = (await vscode.commands.executeCommand('vaeLab.resumeSweep', stopped)) as SweepJob;
      assert.ok(resumed, 'the sweep was resumed');
      assert.deepStrictEqual(resumed.args.slice(0, 4), ['sweep', 'resume', dir, '--json']);
      assert.strictEqual(resumed.total, 2);
      const done = await resumed.done;
      assert.strictEqual(done.state, 'completed', done.error);
      assert.strictEqual(done.dir, dir);
      checkRecord(readSweepRecord(dir));
      const finished = await sweepNode(api, 'stop-sweep', dir);
      assert.strictEqual(finished.contextValue, 'sweep.completed');
      assert.strictEqual(finished.description, '2 runs: 2 done, 0 running, 0 queued, 0 failed');
    } finally {
      await config.update('sweep.executor', undefined, vscode.ConfigurationTarget.Workspace);
      await config.update('slurm.extraArgs', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('"VAE: Run Sweep" on a file without a sweep block starts nothing and says why', async () => {
    const file = path.join(workspaceDir(), 'no-sweep.vae.json');
    const doc = experiment('no-sweep', { count: 600, epochs: 1, parallel: 1, hidden: [8] }) as Record<string, unknown>;
    delete doc.sweep;
    fs.writeFileSync(file, JSON.stringify(doc, null, 2));
    const before = api.sweeps.list().length;
    const job = await vscode.commands.executeCommand('vaeLab.runSweep', vscode.Uri.file(file));
    assert.strictEqual(job, undefined);
    assert.strictEqual(api.sweeps.list().length, before);
    assert.ok(!fs.existsSync(path.join(workspaceDir(), '.vae-runs', 'no-sweep')));
  });
});

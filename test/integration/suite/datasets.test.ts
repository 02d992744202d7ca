// "VAE: Download Dataset" inside a real VS Code: the command runs `vae-lab data get` (dist/cli.js) against a local HTTP
// server that serves the real Fashion-MNIST files (Debian's, with upstream's gzip headers restored:
// test/shared/fashionMnist.ts), from the vaeLab.dataMirror setting into the vaeLab.dataFolder setting; a mirror that
// answers 404 is a failure that leaves no final file; "VAE: Train" on a data set not downloaded fails with the error
// whose name the failure message's "Download Dataset" button passes to the command, and trains once it has run.
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { DEFAULT_RUNS_DIR } from '../../../src/core/runFolder';
import { DownloadDatasetOutcome, NOT_DOWNLOADED } from '../../../src/extension/downloadDataset';
import type { RunJob } from '../../../src/extension/runManager';
import { FASHION, fashionMnistFiles, md5 } from '../../shared/fashionMnist';
import { activateApi, workspaceDir } from '../helpers';

describe('VAE: Download Dataset', function () {
  this.timeout(120000);
  let files: Map<string, Buffer> | string;
  let server: http.Server | undefined;
  let base = '';
  const made: string[] = [];
  const tmp = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-datasets-'));
    made.push(dir);
    return dir;
  };
  // vaeLab.dataFolder and vaeLab.dataMirror are machine settings: VS Code writes them to the (test instance's) user settings only.
  const config = () => vscode.workspace.getConfiguration('vaeLab');
  const set = async (folder: string, mirror: string) => {
    await config().update('dataFolder', folder, vscode.ConfigurationTarget.Global);
    await config().update('dataMirror', mirror, vscode.ConfigurationTarget.Global);
  };

  before(async () => {
    const { ext } = await activateApi();
    files = fashionMnistFiles(path.resolve(ext.extensionPath));
    if (typeof files === 'string') return;
    const served = files;
    server = http.createServer((req, res) => {
      const [, mode, name] = /^\/(ok|missing)\/(.+)$/.exec(req.url ?? '') ?? [];
      const body = mode === 'ok' ? served.get(name) : undefined;
      if (!body) res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      else res.writeHead(200, { 'Content-Length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server?.close();
    await config().update('dataFolder', undefined, vscode.ConfigurationTarget.Global);
    await config().update('dataMirror', undefined, vscode.ConfigurationTarget.Global);
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('downloads Fashion-MNIST from the mirror setting into the data folder setting, with the published MD5s', async function () {
    if (typeof files === 'string') this.skip();
    const folder = tmp();
    await set(folder, `${base}/ok/`);
    const outcome = (await vscode.commands.executeCommand('vaeLab.downloadDataset', 'fashion-mnist')) as DownloadDatasetOutcome;
    assert.ok(outcome?.ok, outcome?.message);
    const dir = path.join(folder, 'fashion-mnist');
    assert.strictEqual(outcome.message, `Fashion-MNIST is ready in ${dir}`);
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), FASHION.files.map((f) => f.name).sort(), 'the four files and no .part');
    for (const f of FASHION.files) assert.strictEqual(md5(fs.readFileSync(path.join(dir, f.name))), f.md5, f.name);
  });

  it('reports a mirror that answers 404 as a failure and leaves no final file', async function () {
    if (typeof files === 'string') this.skip();
    const folder = tmp();
    await set(folder, `${base}/missing/`);
    const outcome = (await vscode.commands.executeCommand('vaeLab.downloadDataset', 'fashion-mnist')) as DownloadDatasetOutcome;
    assert.ok(outcome && !outcome.ok, `expected a failure, got ${JSON.stringify(outcome)}`);
    assert.match(outcome.message, /404/);
    assert.ok(!outcome.message.includes('\n'), 'one line');
    const dir = path.join(folder, 'fashion-mnist');
    const left = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    for (const f of FASHION.files) assert.ok(!left.includes(f.name), `${f.name} must not be there (${left.join(', ')})`);
  });

  it('"VAE: Train" on a data set not downloaded fails naming it; "Download Dataset" with that name, then it trains', async function () {
    if (typeof files === 'string') this.skip();
    const folder = tmp();
    await set(folder, `${base}/ok/`);
    const file = path.join(workspaceDir(), 'fashion-tiny.vae.json');
    const experiment = {
      name: 'fashion-tiny',
      description: 'Fashion-MNIST for the integration tests.',
      data: { source: 'fashion-mnist', options: { limit: 200 } },
      model: { kind: 'vae', latentDim: 4, encoder: { type: 'mlp', hidden: [16] } },
      training: { epochs: 1, batchSize: 50, seed: 1 },
    };
    fs.writeFileSync(file, JSON.stringify(experiment, null, 2));
    try {
      const failed = (await vscode.commands.executeCommand('vaeLab.train', vscode.Uri.file(file))) as RunJob;
      assert.strictEqual(await failed.done, 'failed');
      assert.strictEqual(NOT_DOWNLOADED.exec(failed.error ?? '')?.[1], 'fashion-mnist', failed.error);
      const outcome = (await vscode.commands.executeCommand('vaeLab.downloadDataset', 'fashion-mnist')) as DownloadDatasetOutcome;
      assert.ok(outcome?.ok, outcome?.message);
      const job = (await vscode.commands.executeCommand('vaeLab.train', vscode.Uri.file(file))) as RunJob;
      assert.strictEqual(await job.done, 'completed', job.error);
    } finally {
      fs.rmSync(file, { force: true });
      fs.rmSync(path.join(workspaceDir(), DEFAULT_RUNS_DIR, 'fashion-tiny'), { recursive: true, force: true });
    }
  });
});

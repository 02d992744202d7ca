// Full-size data sets (issue 14): `vae-lab data get` against a local HTTP server that serves the real Fashion-MNIST
// files, and training from the cache. The files are Debian's dataset-fashion-mnist with upstream's gzip headers
// restored (test/shared/fashionMnist.ts), the exact bytes the origin serves, with the published MD5s. The server
// supports Range requests and can cut a connection mid-file once, corrupt a byte, 404.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { readRunRecord } from '../../src/core/runFolder';
import { FASHION, fashionMnistFiles, md5 } from '../shared/fashionMnist';
import { REPO, tmpDir as makeTmpDir, writeJson } from './helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');

let skip: string | false = false;
/** Every folder this file creates (each download is 31 MB), removed at the end. */
const made: string[] = [];
const tmpDir = (prefix: string) => {
  const dir = makeTmpDir(prefix);
  made.push(dir);
  return dir;
};
/** The origin's bytes of each file, by name. */
const files = new Map<string, Buffer>();
let server: http.Server;
let base = '';
/** Every request the server got: path, Range header, status and body bytes sent. */
const requests: { path: string; range?: string; status: number; sent: number }[] = [];
/** Files whose next response is cut after this many bytes (then served normally). */
const cutOnce = new Map<string, number>();

before(async () => {
  const got = fashionMnistFiles(REPO);
  if (typeof got === 'string') {
    skip = got;
    return;
  }
  for (const [name, bytes] of got) files.set(name, bytes);
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, mode, name] = /^\/(ok|corrupt|missing|norange|redirect|stall)\/(.+)$/.exec(url.pathname) ?? [];
    const rec = { path: url.pathname, range: req.headers.range, status: 404, sent: 0 };
    requests.push(rec);
    if (mode === 'redirect') {
      rec.status = 302;
      res.writeHead(302, { Location: `/ok/${name}` }).end();
      return;
    }
    let body = name ? files.get(name) : undefined;
    if (!body || mode === 'missing') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    if (mode === 'corrupt' && name === 'train-labels-idx1-ubyte.gz') {
      body = Buffer.from(body);
      body[1000] ^= 0xff;
    }
    let start = 0;
    const m = mode === 'norange' ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        rec.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      rec.status = 206;
      res.writeHead(206, { 'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` });
    } else {
      rec.status = 200;
      res.writeHead(200, { 'Content-Length': body.length });
    }
    const part = body.subarray(start);
    if (mode === 'stall') {
      rec.sent = 100;
      res.write(part.subarray(0, 100)); // then nothing, until the client gives up
      return;
    }
    const cut = cutOnce.get(name);
    if (cut !== undefined) {
      cutOnce.delete(name);
      rec.sent = cut;
      res.write(part.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    rec.sent = part.length;
    res.end(part);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server?.close();
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** The CLI in a child process (asynchronously: the server answers from this process). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, VAE_LAB_DATA_MIRROR: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: (Date.now() - t0) / 1000 }));
  });
}

const cache = tmpDir('datasets');
const dataDir = path.join(cache, 'fashion-mnist');

test("Debian's files with upstream's gzip header are the origin's files: the published sizes and MD5s", (t) => {
  if (skip) return t.skip(skip);
  for (const f of FASHION.files) {
    const b = files.get(f.name)!;
    assert.equal(b.length, f.bytes, `${f.name}: size`);
    assert.equal(md5(b), f.md5, `${f.name}: MD5`);
  }
});

test('data get: a 404 is one line naming the URL and how to place the files by hand; nothing is left', async (t) => {
  if (skip) return t.skip(skip);
  const dir = tmpDir('datasets-404');
  const r = await cli(['data', 'get', 'fashion-mnist', '--mirror', `${base}/missing/`, '--dir', dir]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], new RegExp(`^vae-lab: ${base}/missing/train-images-idx3-ubyte\\.gz: HTTP 404 Not Found; to place the files by hand, put train-images-idx3-ubyte\\.gz, train-labels-idx1-ubyte\\.gz, t10k-images-idx3-ubyte\\.gz and t10k-labels-idx1-ubyte\\.gz \\(from http://fashion-mnist\\.s3-website\\.eu-central-1\\.amazonaws\\.com/\\) in ${path.join(dir, 'fashion-mnist').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'fashion-mnist')), []);
});

test('data get: a corrupted byte is refused, the file named and deleted', async (t) => {
  if (skip) return t.skip(skip);
  const dir = tmpDir('datasets-corrupt');
  const r = await cli(['data', 'get', 'fashion-mnist', '--mirror', `${base}/corrupt`, '--dir', dir]);
  assert.equal(r.code, 1, r.stderr);
  const bad = files.get('train-labels-idx1-ubyte.gz')!;
  const flipped = Buffer.from(bad);
  flipped[1000] ^= 0xff;
  const last = r.stderr.trim().split('\n').pop();
  assert.equal(last, `vae-lab: train-labels-idx1-ubyte.gz: MD5 is ${md5(flipped)}, the published digest is 25c81989df183df01b3e8a0aad5dffbe; the file was deleted, run the command again`);
  // The first file was fine and stays; the corrupt one is gone, .part included; the others were not fetched.
  assert.deepEqual(fs.readdirSync(path.join(dir, 'fashion-mnist')), ['train-images-idx3-ubyte.gz']);
});

let downloadSeconds = 0;

test('data get: all four files from the mirror, a cut connection resumed from the .part with a Range request', async (t) => {
  if (skip) return t.skip(skip);
  const cutAt = 10_000_000;
  cutOnce.set('train-images-idx3-ubyte.gz', cutAt);
  const first = requests.length;
  const r = await cli(['data', 'get', 'fashion-mnist', '--mirror', `${base}/ok/`, '--dir', cache]);
  downloadSeconds = r.seconds;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^fashion-mnist: 60,000 train \/ 10,000 test examples in .*fashion-mnist \(30\.9 MB downloaded in [\d.]+ s\)/);
  const imgs = requests.slice(first).filter((q) => q.path === '/ok/train-images-idx3-ubyte.gz');
  assert.equal(imgs.length, 2, JSON.stringify(imgs));
  assert.equal(imgs[0].range, undefined);
  assert.equal(imgs[0].sent, cutAt);
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(imgs[1].range ?? '')?.[1]);
  assert.ok(resumedAt > 0 && resumedAt <= cutAt, `second request's Range: ${imgs[1].range}`);
  assert.equal(imgs[1].status, 206);
  assert.equal(imgs[1].sent, 26421880 - resumedAt, 'only the rest was fetched');
  assert.match(r.stderr, /train-images-idx3-ubyte\.gz: 26\.4 MB in [\d.]+ s \(2 requests\), MD5 verified/);
  assert.deepEqual(fs.readdirSync(dataDir).sort(), FASHION.files.map((f) => f.name).sort(), 'no .part left');
  for (const f of FASHION.files) assert.equal(md5(fs.readFileSync(path.join(dataDir, f.name))), f.md5, f.name);
  t.diagnostic(`four files (30.9 MB) from the local server in ${downloadSeconds.toFixed(2)} s, the CLI's start included`);
  // Again: everything is cached and verified, nothing fetched.
  const n = requests.length;
  const again = await cli(['data', 'get', 'fashion-mnist', '--mirror', `${base}/ok/`, '--dir', cache]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(requests.length, n);
  assert.equal((again.stderr.match(/cached, MD5 verified/g) ?? []).length, 4, again.stderr);
});

test('data get: a .part left by an earlier command is resumed with a Range request', async (t) => {
  if (skip) return t.skip(skip);
  const dir = tmpDir('datasets-part');
  const folder = path.join(dir, 'fashion-mnist');
  fs.mkdirSync(folder, { recursive: true });
  const img = files.get('t10k-images-idx3-ubyte.gz')!;
  fs.writeFileSync(path.join(folder, 't10k-images-idx3-ubyte.gz.part'), img.subarray(0, 1_000_000));
  const first = requests.length;
  const r = await cli(['data', 'get', 'fashion-mnist', '--mirror', `${base}/ok/`, '--dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  const q = requests.slice(first).filter((x) => x.path === '/ok/t10k-images-idx3-ubyte.gz');
  assert.deepEqual(q.map((x) => [x.range, x.status, x.sent]), [['bytes=1000000-', 206, img.length - 1_000_000]]);
  assert.match(r.stderr, /t10k-images-idx3-ubyte\.gz: 4\.4 MB in [\d.]+ s \(resumed from 1\.0 MB\), MD5 verified/);
  assert.equal(md5(fs.readFileSync(path.join(folder, 't10k-images-idx3-ubyte.gz'))), 'bef4ecab320f06d8554ea6380940ec79');
});

test('data get: a server that ignores Range (200) starts the file over; redirects are followed', async (t) => {
  if (skip) return t.skip(skip);
  for (const mode of ['norange', 'redirect']) {
    const dir = tmpDir(`datasets-${mode}`);
    const folder = path.join(dir, 'fashion-mnist');
    fs.mkdirSync(folder, { recursive: true });
    const img = files.get('t10k-images-idx3-ubyte.gz')!;
    fs.writeFileSync(path.join(folder, 't10k-images-idx3-ubyte.gz.part'), img.subarray(0, 1_000_000));
    const first = requests.length;
    const r = await cli(['data', 'get', 'fashion-mnist', '--mirror', `${base}/${mode}/`, '--dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    const q = requests.slice(first).filter((x) => x.path.endsWith('/t10k-images-idx3-ubyte.gz'));
    if (mode === 'norange') assert.deepEqual(q.map((x) => [x.range, x.status, x.sent]), [['bytes=1000000-', 200, img.length]]);
    else assert.deepEqual(q.map((x) => [x.path, x.range, x.status]), [['/redirect/t10k-images-idx3-ubyte.gz', 'bytes=1000000-', 302], ['/ok/t10k-images-idx3-ubyte.gz', 'bytes=1000000-', 206]]);
    assert.equal(md5(fs.readFileSync(path.join(folder, 't10k-images-idx3-ubyte.gz'))), 'bef4ecab320f06d8554ea6380940ec79', mode);
    assert.deepEqual(fs.readdirSync(folder).sort(), FASHION.files.map((f) => f.name).sort(), mode);
  }
});

test('data get: a host that does not resolve is one line naming the URL', async (t) => {
  if (skip) return t.skip(skip);
  const dir = tmpDir('datasets-dns');
  const r = await cli(['data', 'get', 'fashion-mnist', '--dir', dir], { VAE_LAB_DATA_MIRROR: 'http://no-such-host.invalid/fm/' });
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^vae-lab: http:\/\/no-such-host\.invalid\/fm\/train-images-idx3-ubyte\.gz: cannot resolve no-such-host\.invalid \(offline\?\); to place the files by hand, put .* in .*fashion-mnist$/);
});

test('data get: a server that stops sending times out, resumed a few times, then one line naming the URL', async (t) => {
  if (skip) return t.skip(skip);
  const dir = tmpDir('datasets-stall');
  const first = requests.length;
  const r = await cli(['data', 'get', 'fashion-mnist', '--mirror', `${base}/stall/`, '--dir', dir], { VAE_LAB_DOWNLOAD_TIMEOUT_MS: '300' });
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], new RegExp(`^vae-lab: ${base}/stall/train-images-idx3-ubyte\\.gz: the connection was lost after 400 bytes \\(.*\\); to place the files by hand, put `));
  // Each attempt made progress (100 bytes), so it resumed from the .part: 1 + 3 retries, Range 100, 200, 300.
  assert.deepEqual(requests.slice(first).map((q) => q.range), [undefined, 'bytes=100-', 'bytes=200-', 'bytes=300-']);
  assert.equal(fs.statSync(path.join(dir, 'fashion-mnist', 'train-images-idx3-ubyte.gz.part')).size, 400, 'the .part stays for the next try');
});

test('data list shows fashion-mnist cached, the others not downloaded', async (t) => {
  if (skip) return t.skip(skip);
  const r = await cli(['data', 'list', '--json'], { VAE_LAB_DATA_DIR: cache });
  assert.equal(r.code, 0, r.stderr);
  const listed = JSON.parse(r.stdout) as { dataDir: string; datasets: { name: string; cached: boolean; folder: string; license: string }[] };
  assert.equal(listed.dataDir, cache);
  assert.deepEqual(listed.datasets.map((d) => [d.name, d.cached, d.license]), [['mnist-60k', false, 'CC BY-SA 3.0'], ['fashion-mnist', true, 'MIT'], ['kmnist', false, 'CC BY-SA 4.0'], ['cifar10', false, 'not stated'], ['emnist-balanced', false, 'not stated'], ['emnist-letters', false, 'not stated']]);
  assert.equal(listed.datasets[1].folder, dataDir);
  const text = await cli(['data', 'list', '--dir', cache]);
  assert.match(text.stdout, new RegExp(`^fashion-mnist +31 MB +MIT +cached in ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.match(text.stdout, /^kmnist +about 21 MB +CC BY-SA 4\.0 +not downloaded$/m);
});

function experiment(dir: string): string {
  return writeJson(path.join(dir, 'fashion.vae.json'), {
    name: 'fashion',
    backend: 'wasm',
    data: { source: 'fashion-mnist', options: { limit: 2000 } },
    model: { kind: 'vae', latentDim: 4, encoder: { type: 'mlp', hidden: [64] }, likelihood: 'bernoulli' },
    training: { epochs: 1, batchSize: 100, seed: 5 },
  });
}

test('training with "source": "fashion-mnist" reads the cache: 28x28x1 examples, the official test split', async (t) => {
  if (skip) return t.skip(skip);
  const dir = tmpDir('datasets-train');
  const file = experiment(dir);
  const r = await cli(['train', file, '--out', path.join(dir, 'runs')], { VAE_LAB_DATA_DIR: cache });
  assert.equal(r.code, 0, r.stderr);
  const runDir = r.stdout.trim().split('\n').pop()!;
  const rec = readRunRecord(runDir);
  assert.equal(rec.status, 'completed');
  assert.deepEqual(rec.data?.exampleShape, [28, 28, 1]);
  // limit 2000: the first 2,000 of the official training file (train + validation), the first 500 of t10k.
  assert.equal((rec.data?.train ?? 0) + (rec.data?.validation ?? 0), 2000);
  assert.equal(rec.data?.test, 500);
  assert.equal(rec.data?.numClasses, 10);
  assert.match(r.stderr, /Data: \d+ train \/ \d+ validation \/ 500 test examples of shape \[28, 28, 1\]/);
});

test('training without the files fails at once, in one line, before anything is written (exit 2)', async (t) => {
  if (skip) return t.skip(skip);
  const dir = tmpDir('datasets-missing');
  const file = experiment(dir);
  const empty = path.join(dir, 'no-data');
  const r = await cli(['train', file, '--out', path.join(dir, 'runs')], { VAE_LAB_DATA_DIR: empty });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim(), `vae-lab: fashion-mnist is not downloaded: run vae-lab data get fashion-mnist (or put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (from http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/) in ${path.join(empty, 'fashion-mnist')}).`);
  assert.ok(!fs.existsSync(path.join(dir, 'runs')), 'no run folder');
});

test('data: bad input is one line with exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['data', 'get', 'nope'], /^vae-lab: data get takes mnist-60k, fashion-mnist, kmnist, cifar10, emnist-balanced, emnist-letters, got "nope" \(see vae-lab data list\)\.$/],
    [['data', 'get', 'kmnist', '--mirror', 'ftp://example.org/'], /^vae-lab: --mirror must be an http or https URL, got "ftp:\/\/example\.org\/"\.$/],
    [['data', 'list', 'extra'], /^vae-lab: unexpected argument "extra"/],
  ];
  for (const [args, expected] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.split('\n')[0], expected);
  }
});

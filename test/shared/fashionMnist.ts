// The real Fashion-MNIST files as the origin serves them, for the tests that download them from a local HTTP server
// (test/unit/datasets.test.ts, test/integration/suite/datasets.test.ts). They come from Debian's package
// dataset-fashion-mnist (scripts/setup-datasets.sh), whose .gz files are upstream's deflate streams with the gzip
// header normalised (no file name, the package's date as mtime); restoring upstream's header gives the exact bytes the
// origin serves, with the published MD5s.
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { catalogEntry } from '../../src/engine/data/catalog';

export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION = catalogEntry('fashion-mnist')!;
/** Upstream's gzip mtimes (2017-08-31T10:50:06Z for train-*, 10:50:27Z for t10k-*), found by matching the published MD5s. */
const UPSTREAM_MTIME: Record<string, number> = { train: 0x59a7e9de, t10k: 0x59a7e9f3 };

export const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');

/** Upstream's file from Debian's: the same deflate stream behind a header with FNAME and upstream's mtime. */
export function upstreamBytes(name: string): Buffer {
  const deb = fs.readFileSync(path.join(DEBIAN_DIR, name));
  if (!(deb[0] === 0x1f && deb[1] === 0x8b && deb[2] === 8)) throw new Error(`${name}: not a gzip file`);
  if (deb[3] !== 0) throw new Error(`${name}: Debian's header was expected without optional fields`);
  const header = Buffer.from([0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 3]);
  header.writeUInt32LE(UPSTREAM_MTIME[name.startsWith('train') ? 'train' : 't10k'], 4);
  return Buffer.concat([header, Buffer.from(name.replace(/\.gz$/, '') + '\0', 'latin1'), deb.subarray(10)]);
}

/**
 * The origin's bytes of the four files, by name, installing Debian's package first when it is missing
 * (scripts/setup-datasets.sh under `repo`). Returns why not when it cannot be installed; under CI that throws.
 */
export function fashionMnistFiles(repo: string): Map<string, Buffer> | string {
  const have = () => FASHION.files.every((f) => fs.existsSync(path.join(DEBIAN_DIR, f.name)));
  if (!have()) {
    const r = spawnSync('bash', [path.join(repo, 'scripts', 'setup-datasets.sh')], { encoding: 'utf8', timeout: 900_000 });
    if (r.status !== 0 || !have()) {
      const why = `Debian's dataset-fashion-mnist is not installed and cannot be (bash scripts/setup-datasets.sh: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-1)[0]})`;
      if (process.env.CI) throw new Error(why); // CI installs it first: a failure there is a broken build
      return why;
    }
  }
  return new Map(FASHION.files.map((f) => [f.name, upstreamBytes(f.name)]));
}

// `vae-lab data list | get`: the catalog's data sets (src/engine/data/catalog.ts), which are in the cache folder, and
// the one command that downloads and verifies one of them.
import * as fs from 'fs';
import * as path from 'path';
import { ParsedArgs, UsageError } from './cliArgs';
import { CATALOG, CATALOG_SOURCES, CatalogEntry, CatalogFile, DATA_DIR_ENV, DATA_MIRROR_ENV, archiveFolder, catalogEntry, dataRoot, datasetDir, fileUrl, placeByHand } from './data/catalog';
import { cachedFiles } from './data/datasets';
import { DownloadError, downloadFile, md5File } from './data/download';
import { ArchiveError, extractEntry } from './data/extract';

export const DATA_USAGE = `  vae-lab data list [--dir DIR] [--json]
  vae-lab data get ${CATALOG_SOURCES.join('|')} [--mirror URL] [--dir DIR]`;

const mb = (n: number) => (n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : `${(n / 1e6).toFixed(1)} MB`);

function useDir(args: ParsedArgs): string {
  const dir = args.flags.get('--dir');
  if (dir) process.env[DATA_DIR_ENV] = path.resolve(dir);
  return dataRoot();
}

export async function dataCommand(args: ParsedArgs): Promise<number> {
  const [sub, name, ...rest] = args.positional;
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}" (usage:\n${DATA_USAGE})`);
  const root = useDir(args);
  switch (sub) {
    case 'list':
      if (name) throw new UsageError(`unexpected argument "${name}" (usage:\n${DATA_USAGE})`);
      return list(args, root);
    case 'get': {
      const entry = name ? catalogEntry(name) : undefined;
      if (!entry) throw new UsageError(`data get takes ${CATALOG.filter((e) => e.supported).map((e) => e.name).join(', ')}${name ? `, got "${name}"` : ''} (see vae-lab data list).`);
      if (!entry.supported) throw new UsageError(`${entry.name} cannot be downloaded yet: ${entry.unsupportedReason ?? 'not supported'}.`);
      const mirror = args.flags.get('--mirror') ?? (process.env[DATA_MIRROR_ENV] || undefined);
      if (mirror !== undefined && !/^https?:\/\/./.test(mirror)) throw new UsageError(`${args.flags.has('--mirror') ? '--mirror' : DATA_MIRROR_ENV} must be an http or https URL, got "${mirror}".`);
      return await get(entry, root, mirror || entry.origin);
    }
    default:
      throw new UsageError(`usage:\n${DATA_USAGE}`);
  }
}

function list(args: ParsedArgs, root: string): number {
  const rows = CATALOG.map((e) => {
    const files = cachedFiles(e, root);
    return { name: e.name, title: e.title, supported: e.supported, size: e.size, train: e.train, test: e.test, shape: e.shape, license: e.license, citation: e.citation, origin: e.origin, cached: files.every((f) => f.ok), folder: datasetDir(e.name, root) };
  });
  if (args.json) {
    process.stdout.write(JSON.stringify({ dataDir: root, datasets: rows }) + '\n');
    return 0;
  }
  process.stdout.write(`Data folder: ${root}\n`);
  for (const r of rows) {
    const state = !r.supported ? 'not supported yet' : r.cached ? `cached in ${r.folder}` : 'not downloaded';
    process.stdout.write(`${r.name.padEnd(15)} ${r.size.padEnd(12)} ${r.license.padEnd(13)} ${state}\n`);
  }
  return 0;
}

/** Progress on stderr: a bar on a terminal, otherwise one line per file. */
function progress(label: string): { update(received: number, total: number | undefined): void; done(text: string): void } {
  const out = process.stderr;
  let last = 0;
  let shown = false;
  return {
    update(received, total) {
      if (!out.isTTY) return;
      const now = Date.now();
      if (now - last < 100 && received !== total) return;
      last = now;
      const frac = total ? Math.min(1, received / total) : 0;
      const width = 24;
      const filled = Math.round(frac * width);
      out.write(`\r\x1b[K${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${total ? `${(frac * 100).toFixed(0).padStart(3)}%` : ''} ${mb(received)}${total ? ` / ${mb(total)}` : ''}`);
      shown = true;
    },
    done(text) {
      if (shown) out.write('\r\x1b[K');
      out.write(`${label}: ${text}\n`);
    },
  };
}

/**
 * One file of an entry, verified: a cached copy whose size and MD5 match counts as there (one that does not is
 * deleted), otherwise it is downloaded. Returns the bytes fetched, or a DownloadError's message (with where to put
 * the files by hand when the network failed).
 */
async function fetchVerified(entry: CatalogEntry, file: CatalogFile, dest: string, base: string, root: string): Promise<{ fetched: number } | { error: string }> {
  const p = progress(`${entry.name}/${file.name}`);
  // A cached file is verified again (size and MD5) before it counts as there.
  if (fs.existsSync(dest)) {
    const size = fs.statSync(dest).size;
    const md5 = await md5File(dest);
    if (md5 === file.md5 && (file.bytes === undefined || size === file.bytes)) {
      p.done(`cached, MD5 verified (${mb(size)})`);
      return { fetched: 0 };
    }
    fs.rmSync(dest, { force: true });
    process.stderr.write(`${dest}: MD5 is ${md5}, the published digest is ${file.md5}; deleted, downloading it again.\n`);
  }
  try {
    const r = await downloadFile({ url: fileUrl(base, file), dest, md5: file.md5, bytes: file.bytes, onProgress: (rec, tot) => p.update(rec, tot) });
    p.done(`${mb(r.bytes)} in ${r.seconds.toFixed(1)} s${r.resumedFrom ? ` (resumed from ${mb(r.resumedFrom)})` : ''}${r.requests > 1 ? ` (${r.requests} requests)` : ''}, MD5 verified`);
    return { fetched: r.bytes - r.resumedFrom };
  } catch (err) {
    if (!(err instanceof DownloadError)) throw err;
    const hint = err.kind === 'network' ? `; to place the files by hand, ${placeByHand(entry, root)}` : '';
    return { error: `${err.message}${hint}` };
  }
}

/** Download (or find) an entry's files and, for an archive, extract it; exit code 0 or 1 (one line on stderr). */
export async function get(entry: CatalogEntry, root: string, base: string): Promise<number> {
  const dir = datasetDir(entry.name, root);
  const t0 = Date.now();
  let fetched = 0;
  if (entry.format !== 'idx-gz' && cachedFiles(entry, root).every((f) => f.ok)) {
    // Extracted before: the archive itself is no longer needed (and may have been deleted).
    process.stderr.write(`${entry.name}: cached, ${entry.members?.length} extracted files with the expected sizes in ${dir}\n`);
  } else {
    const folder = entry.format === 'idx-gz' ? dir : archiveFolder(entry, root);
    for (const file of entry.files) {
      const r = await fetchVerified(entry, file, path.join(folder, file.name), base, root);
      if ('error' in r) {
        process.stderr.write(`vae-lab: ${r.error}\n`);
        return 1;
      }
      fetched += r.fetched;
    }
    if (entry.format !== 'idx-gz') {
      const archive = path.join(folder, entry.files[0].name);
      const t1 = Date.now();
      try {
        const names = await extractEntry(entry, archive, root);
        process.stderr.write(`${entry.name}: extracted ${names.length} files from ${entry.files[0].name} in ${((Date.now() - t1) / 1000).toFixed(1)} s\n`);
      } catch (err) {
        if (!(err instanceof ArchiveError)) throw err;
        process.stderr.write(`vae-lab: ${err.message} Delete it and run vae-lab data get ${entry.name} again.\n`);
        return 1;
      }
    }
  }
  process.stdout.write(`${entry.name}: ${entry.train.toLocaleString('en-US')} train / ${entry.test.toLocaleString('en-US')} test examples in ${dir} (${mb(fetched)} downloaded in ${((Date.now() - t0) / 1000).toFixed(1)} s). Use it with "data": { "source": "${entry.name}" }.\n`);
  return 0;
}

// Turning a downloaded, MD5-verified archive (CIFAR-10's tar.gz, EMNIST's zip) into the plain files a catalog entry's
// folder caches: CIFAR's batches as they are in the tar, EMNIST's IDX files gunzipped. Each file is written under a
// temporary name and renamed into place only once every member came out whole with the size the catalog expects, so
// an interrupted or failed extraction never leaves a file that looks cached.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { ArchiveError, extractTarGz, readZipMembers, tempName } from './archive';
import { ArchiveMember, CatalogEntry, dataRoot, datasetDir } from './catalog';

export { ArchiveError } from './archive';

/** Which extracted files of an archive entry are in its folder with the expected size. */
export function cachedMembers(entry: CatalogEntry, root = dataRoot()): { member: ArchiveMember; path: string; size?: number; ok: boolean }[] {
  const dir = datasetDir(entry.name, root);
  return (entry.members ?? []).map((member) => {
    const p = path.join(dir, member.name);
    const st = fs.statSync(p, { throwIfNoEntry: false });
    const size = st?.isFile() ? st.size : undefined;
    return { member, path: p, size, ok: size === member.bytes };
  });
}

function checkSize(archive: string, m: ArchiveMember, size: number | undefined): void {
  if (size === undefined) throw new ArchiveError(archive, `has no member ${m.member}.`);
  if (size !== m.bytes) throw new ArchiveError(archive, `member ${m.member} is ${size} bytes, expected ${m.bytes} (${m.count} examples): the archive is not the published one.`);
}

/** CIFAR-10: stream the tar.gz, writing the wanted batches to temporary files. */
async function extractCifar(entry: CatalogEntry, archive: string, temps: Map<ArchiveMember, string>): Promise<void> {
  const wanted = new Map([...temps].map(([m, t]) => [m.member, t]));
  const sizes = await extractTarGz(archive, wanted);
  for (const m of temps.keys()) checkSize(archive, m, sizes.get(m.member));
}

/** EMNIST: each wanted .gz member of the zip, gunzipped into a temporary file. */
function extractEmnist(entry: CatalogEntry, archive: string, temps: Map<ArchiveMember, string>): void {
  const handlers = new Map<string, (data: Buffer) => void>();
  for (const [m, temp] of temps) {
    handlers.set(m.member, (gz) => {
      let plain: Buffer;
      try {
        plain = zlib.gunzipSync(gz);
      } catch (err) {
        throw new ArchiveError(archive, `member ${m.member} cannot be decompressed (${(err as Error).message}).`);
      }
      checkSize(archive, m, plain.length);
      fs.writeFileSync(temp, plain);
    });
  }
  readZipMembers(archive, handlers);
}

/**
 * Extract an entry's members from its verified archive into `datasetDir(entry.name, root)`. Throws an ArchiveError
 * naming the archive (and member) when one is missing, short, or does not decompress; nothing is left behind then.
 */
export async function extractEntry(entry: CatalogEntry, archive: string, root = dataRoot()): Promise<string[]> {
  const dir = datasetDir(entry.name, root);
  fs.mkdirSync(dir, { recursive: true });
  const temps = new Map((entry.members ?? []).map((m) => [m, tempName(path.join(dir, m.name))]));
  // Temporary files of an extraction that was killed (the extension's Cancel sends SIGTERM) are useless: remove them.
  const names = new Set((entry.members ?? []).map((m) => m.name));
  for (const f of fs.readdirSync(dir)) {
    const m = /^\.(.+)\.\d+\.tmp$/.exec(f);
    if (m && names.has(m[1])) fs.rmSync(path.join(dir, f), { force: true });
  }
  try {
    if (entry.format === 'cifar10-bin') await extractCifar(entry, archive, temps);
    else if (entry.format === 'emnist-zip') extractEmnist(entry, archive, temps);
    else throw new Error(`${entry.name}: format ${entry.format} has no archive`);
    for (const [m, temp] of temps) fs.renameSync(temp, path.join(dir, m.name));
  } finally {
    for (const temp of temps.values()) fs.rmSync(temp, { force: true });
  }
  return [...temps.keys()].map((m) => m.name);
}

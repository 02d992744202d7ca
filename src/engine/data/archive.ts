// Reading the two archive formats the catalog downloads, with Node's own zlib: a tar.gz (ustar and GNU tar, read as a
// stream so that CIFAR-10's 180 MB never sit in memory at once) and a zip (central directory, members stored or
// deflated; no zip64, which archives under 4 GB do not need). Both take the members they are asked for and write each
// to a path the caller names; everything else is skipped. Errors are ArchiveErrors naming the archive (and member).
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

export class ArchiveError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'ArchiveError';
  }
}

const BLOCK = 512;

/** A header's text field: bytes up to the first NUL. */
function field(h: Uint8Array, start: number, length: number): string {
  const end = h.indexOf(0, start);
  return Buffer.from(h.buffer, h.byteOffset + start, (end < 0 || end > start + length ? start + length : end) - start).toString('utf8');
}

/** An octal number field (space or NUL terminated); base-256 sizes (over 8 GB) are not needed here. */
function octal(h: Uint8Array, start: number, length: number): number {
  const text = field(h, start, length).trim();
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : NaN;
}

/** Whether a header block's checksum is right: the sum of its bytes with the checksum field read as spaces. */
function checksumOk(h: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return sum === octal(h, 148, 8);
}

interface TarHeader {
  name: string;
  size: number;
  type: string;
}

function parseHeader(archive: string, h: Uint8Array): TarHeader {
  if (!checksumOk(h)) throw new ArchiveError(archive, 'is not a tar archive, or is corrupt (a header checksum does not match).');
  const size = octal(h, 124, 12);
  if (!Number.isFinite(size)) throw new ArchiveError(archive, `has a tar header with an unreadable size (${field(h, 0, 100)}).`);
  let name = field(h, 0, 100);
  // POSIX ustar keeps long paths' folders in a prefix field; GNU tar ("ustar  ") uses those bytes for other things.
  if (field(h, 257, 6) === 'ustar' && h[262] === 0) {
    const prefix = field(h, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return { name, size, type: String.fromCharCode(h[156] || 0x30) };
}

/** The path in a pax extended header's records ("<len> path=<value>\n"), if it has one. */
function paxPath(body: Buffer): string | undefined {
  for (const m of body.toString('utf8').matchAll(/^\d+ path=(.*)$/gm)) return m[1];
  return undefined;
}

/**
 * Stream a .tar.gz and write the members named in `wanted` (member path -> destination file). Resolves with each
 * written member's size; members missing from the archive are simply absent from the result (the caller decides).
 */
export async function extractTarGz(archive: string, wanted: Map<string, string>): Promise<Map<string, number>> {
  const written = new Map<string, number>();
  const gunzip = fs.createReadStream(archive).pipe(zlib.createGunzip());
  let pending = Buffer.alloc(0); // bytes not consumed yet (less than a block, or a header being assembled)
  let member: { header: TarHeader; left: number; pad: number; fd?: number; meta?: Buffer[] } | undefined;
  let longName: string | undefined; // from a GNU 'L' or pax 'x' record, for the next member
  let ended = false;
  const finish = () => {
    if (member?.fd !== undefined) fs.closeSync(member.fd);
  };
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (!ended) {
        if (member) {
          // The member's body, then the padding to the next block.
          const take = Math.min(member.left, buf.length);
          if (take > 0) {
            const part = buf.subarray(0, take);
            if (member.fd !== undefined) fs.writeSync(member.fd, part);
            else member.meta?.push(part);
            member.left -= take;
            buf = buf.subarray(take);
          }
          if (member.left > 0) break;
          const pad = Math.min(member.pad, buf.length);
          member.pad -= pad;
          buf = buf.subarray(pad);
          if (member.pad > 0) break;
          const { header, fd, meta } = member;
          member = undefined;
          if (fd !== undefined) {
            fs.closeSync(fd);
            written.set(header.name, header.size);
          }
          if (meta) longName = header.type === 'L' ? field(Buffer.concat(meta), 0, header.size) : paxPath(Buffer.concat(meta));
          continue;
        }
        if (buf.length < BLOCK) break;
        const h = buf.subarray(0, BLOCK);
        buf = buf.subarray(BLOCK);
        if (h.every((b) => b === 0)) {
          ended = true; // the end-of-archive blocks; whatever follows is padding
          break;
        }
        const header = parseHeader(archive, h);
        if (longName !== undefined && header.type !== 'L' && header.type !== 'x') {
          header.name = longName;
          longName = undefined;
        }
        const dest = header.type === '0' || header.type === '7' ? wanted.get(header.name) : undefined;
        member = { header, left: header.size, pad: (BLOCK - (header.size % BLOCK)) % BLOCK };
        if (dest !== undefined) member.fd = fs.openSync(dest, 'w');
        else if (header.type === 'L' || header.type === 'x') member.meta = [];
      }
      if (ended) break; // nothing else is needed: leaving the loop closes the stream
      pending = Buffer.from(buf); // a copy: the stream may reuse `chunk`
    }
  } catch (err) {
    finish();
    if (err instanceof ArchiveError) throw err;
    throw new ArchiveError(archive, `cannot be decompressed (${(err as Error).message}).`);
  }
  if (!ended && !member && pending.length > 0) throw new ArchiveError(archive, 'is truncated: it ends inside a tar header.');
  if (member && member.left > 0) {
    finish();
    throw new ArchiveError(archive, `is truncated: member ${member.header.name} has ${member.header.size - member.left} of its ${member.header.size} bytes.`);
  }
  finish();
  return written;
}

/** CRC-32 (the zip and gzip polynomial), with a 256-entry table. */
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}

/** The central directory of a zip: the end record is found from the file's end (it may have a comment). */
function zipDirectory(archive: string, fd: number): Map<string, ZipEntry> {
  const size = fs.fstatSync(fd).size;
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = readAt(fd, size - tailLength, tailLength);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.length);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ArchiveError(archive, 'is not a zip archive, or is truncated (no end of central directory record).');
  const count = tv.getUint16(eocd + 10, true);
  const dirSize = tv.getUint32(eocd + 12, true);
  const dirOffset = tv.getUint32(eocd + 16, true);
  if (dirOffset === 0xffffffff || count === 0xffff) throw new ArchiveError(archive, 'is a zip64 archive, which VAE Lab does not read.');
  const dir = readAt(fd, dirOffset, dirSize);
  if (dir.length !== dirSize) throw new ArchiveError(archive, 'is truncated (its central directory lies past the end).');
  const dv = new DataView(dir.buffer, dir.byteOffset, dir.length);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.length || dv.getUint32(p, true) !== 0x02014b50) throw new ArchiveError(archive, 'has a corrupt central directory.');
    const nameLength = dv.getUint16(p + 28, true);
    const entry: ZipEntry = {
      name: dir.toString('utf8', p + 46, p + 46 + nameLength),
      method: dv.getUint16(p + 10, true),
      crc: dv.getUint32(p + 16, true),
      compressedSize: dv.getUint32(p + 20, true),
      size: dv.getUint32(p + 24, true),
      localOffset: dv.getUint32(p + 42, true),
    };
    entries.set(entry.name, entry);
    p += 46 + nameLength + dv.getUint16(p + 30, true) + dv.getUint16(p + 32, true);
  }
  return entries;
}

/** One member's bytes: read at its local header, inflated when deflated, checked against its size and CRC-32. */
function zipMember(archive: string, fd: number, e: ZipEntry): Buffer {
  const local = readAt(fd, e.localOffset, 30);
  if (local.length < 30 || local.readUInt32LE(0) !== 0x04034b50) throw new ArchiveError(archive, `member ${e.name}: no local header where the directory says (corrupt or truncated).`);
  const start = e.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  const raw = readAt(fd, start, e.compressedSize);
  if (raw.length !== e.compressedSize) throw new ArchiveError(archive, `is truncated: member ${e.name} has ${raw.length} of its ${e.compressedSize} bytes.`);
  let data: Buffer;
  if (e.method === 0) data = raw;
  else if (e.method === 8) {
    try {
      data = zlib.inflateRawSync(raw);
    } catch (err) {
      throw new ArchiveError(archive, `member ${e.name} cannot be inflated (${(err as Error).message}).`);
    }
  } else throw new ArchiveError(archive, `member ${e.name} uses compression method ${e.method}; only stored (0) and deflate (8) are read.`);
  if (data.length !== e.size || crc32(data) !== e.crc) throw new ArchiveError(archive, `member ${e.name} is corrupt (its size or CRC-32 does not match the directory).`);
  return data;
}

/**
 * Read the members named in `wanted` (member path -> handler) from a zip, one at a time, and hand each one's bytes to
 * its handler (which writes it somewhere). A wanted member the archive lacks is an error.
 */
export function readZipMembers(archive: string, wanted: Map<string, (data: Buffer) => void>): void {
  const fd = fs.openSync(archive, 'r');
  try {
    const entries = zipDirectory(archive, fd);
    for (const [name, handle] of wanted) {
      const e = entries.get(name);
      if (!e) throw new ArchiveError(archive, `has no member ${name}.`);
      handle(zipMember(archive, fd, e));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A temporary name next to `file` for writing it before the rename that puts it in place. */
export function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
}

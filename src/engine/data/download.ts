// Downloading one file over http(s) with Node's own modules: into <file>.part, resumed with a Range request when a
// .part exists (206 appends; a server that ignores Range and answers 200 starts over), redirects, a timeout without
// data, a progress callback; then the size and the published MD5 are checked before an atomic rename into place.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';

/** A download that did not work, as one line. `kind` says whether it was the network (or the server) or the bytes. */
export class DownloadError extends Error {
  constructor(message: string, readonly kind: 'network' | 'digest', readonly url?: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface DownloadOptions {
  url: string;
  /** Where the verified file ends up; the bytes go to `${dest}.part` first. */
  dest: string;
  /** Published MD5 (hex) the file must have. */
  md5: string;
  /** Expected size in bytes, when known. */
  bytes?: number;
  /** Called as bytes arrive: received so far (including a resumed .part) and the total when known. */
  onProgress?: (received: number, total: number | undefined) => void;
  /** Milliseconds without any data before giving up (default 30 s; VAE_LAB_DOWNLOAD_TIMEOUT_MS overrides it). */
  timeoutMs?: number;
  /** Redirects followed at most (default 5). */
  maxRedirects?: number;
  /** Attempts after a connection lost mid-file, each resuming from the .part (default 3). */
  retries?: number;
}

export interface DownloadResult {
  bytes: number;
  /** Bytes that were already in the .part when the download started (0: from scratch). */
  resumedFrom: number;
  /** HTTP requests made (redirects and resumed attempts included). */
  requests: number;
  seconds: number;
}

/** The MD5 of a file, read as a stream. */
export function md5File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('md5');
    fs.createReadStream(file)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function sizeOf(file: string): number {
  return fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

interface Attempt {
  /** Bytes in the .part after this attempt. */
  size: number;
  complete: boolean;
}

/** One GET (following redirects) that appends to or restarts the .part; resolves when the body ended. */
function attempt(opts: DownloadOptions, part: string, timeoutMs: number, counter: { requests: number }): Promise<Attempt> {
  const start = sizeOf(part);
  return new Promise((resolve, reject) => {
    const get = (url: string, hops: number) => {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return reject(new DownloadError(`${url} is not a valid URL`, 'network', url));
      }
      const mod = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
      if (!mod) return reject(new DownloadError(`${url}: only http and https URLs can be downloaded`, 'network', url));
      counter.requests++;
      /** Set while a body is arriving: errors then count as a connection lost mid-file. */
      let midBody: ((err: Error) => void) | undefined;
      const headers: Record<string, string> = { 'User-Agent': 'vae-lab', 'Accept-Encoding': 'identity' };
      if (start > 0) headers.Range = `bytes=${start}-`;
      const req = mod.get(parsed, { headers }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          if (hops >= (opts.maxRedirects ?? 5)) return reject(new DownloadError(`${opts.url}: more than ${opts.maxRedirects ?? 5} redirects`, 'network', url));
          return get(new URL(res.headers.location, url).toString(), hops + 1);
        }
        if (status === 416 && start > 0) {
          // Nothing left after the .part's bytes: it is complete (the digest decides) or longer than the file.
          res.resume();
          return resolve({ size: start, complete: true });
        }
        let append: boolean;
        if (status === 206 && start > 0) {
          const m = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
          if (!m || Number(m[1]) !== start) {
            res.resume();
            fs.rmSync(part, { force: true }); // a range we did not ask for: start over next time
            return reject(new DownloadError(`${url}: the server answered a different range (${res.headers['content-range'] ?? 'none'}) than bytes=${start}-`, 'network', url));
          }
          append = true;
        } else if (status === 200) {
          append = false; // no Range asked, or the server ignored it: the whole file again
        } else {
          res.resume();
          return reject(new DownloadError(`${url}: HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`, 'network', url));
        }
        const length = Number(res.headers['content-length']);
        const total = Number.isFinite(length) ? (append ? start : 0) + length : opts.bytes;
        let received = append ? start : 0;
        const out = fs.createWriteStream(part, { flags: append ? 'a' : 'w' });
        let failed = false;
        const fail = (err: Error) => {
          if (failed) return;
          failed = true;
          const lost = () => reject(new DownloadError(`${url}: the connection was lost after ${received} bytes (${err.message})`, 'network', url));
          if (out.writableFinished) lost();
          else out.end(lost);
        };
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          opts.onProgress?.(received, total);
        });
        midBody = fail;
        res.on('aborted', () => fail(new Error('aborted')));
        res.on('error', fail);
        out.on('error', (err) => reject(new DownloadError(`${part}: cannot be written (${err.message})`, 'network', url)));
        res.pipe(out);
        out.on('finish', () => {
          if (failed) return;
          if (!res.complete) return fail(new Error('the body ended early'));
          resolve({ size: sizeOf(part), complete: true });
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no data for ${timeoutMs / 1000} s`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (midBody) return midBody(err);
        const why = err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? `cannot resolve ${parsed.hostname} (offline?)` : err.code ? `${err.code}: ${err.message}` : err.message;
        reject(new DownloadError(`${url}: ${why}`, 'network', url));
      });
    };
    get(opts.url, 0);
  });
}

/** Download opts.url to opts.dest through `${dest}.part`, verify size and MD5, rename into place. */
export async function downloadFile(opts: DownloadOptions): Promise<DownloadResult> {
  const t0 = Date.now();
  const part = `${opts.dest}.part`;
  const name = path.basename(opts.dest);
  fs.mkdirSync(path.dirname(opts.dest), { recursive: true });
  const envTimeout = Number(process.env.VAE_LAB_DOWNLOAD_TIMEOUT_MS);
  const timeoutMs = opts.timeoutMs ?? (Number.isFinite(envTimeout) && envTimeout > 0 ? envTimeout : 30_000);
  if (opts.bytes !== undefined && sizeOf(part) > opts.bytes) fs.rmSync(part, { force: true });
  const resumedFrom = sizeOf(part);
  const counter = { requests: 0 };
  const retries = opts.retries ?? 3;
  for (let i = 0; ; i++) {
    const before = sizeOf(part);
    try {
      await attempt(opts, part, timeoutMs, counter);
      break;
    } catch (err) {
      // Lost mid-file with progress made: resume from the .part at once (a few times); anything else is final.
      const progressed = sizeOf(part) > before;
      if (!(err instanceof DownloadError) || !/connection was lost/.test(err.message) || !progressed || i >= retries) throw err;
    }
  }
  const size = sizeOf(part);
  const digest = await md5File(part);
  if (digest !== opts.md5 || (opts.bytes !== undefined && size !== opts.bytes)) {
    fs.rmSync(part, { force: true });
    const sizeNote = opts.bytes !== undefined && size !== opts.bytes ? ` (${size} bytes, the published size is ${opts.bytes})` : '';
    throw new DownloadError(`${name}: MD5 is ${digest}, the published digest is ${opts.md5}${sizeNote}; the file was deleted, run the command again`, 'digest', opts.url);
  }
  fs.renameSync(part, opts.dest);
  return { bytes: size, resumedFrom, requests: counter.requests, seconds: (Date.now() - t0) / 1000 };
}

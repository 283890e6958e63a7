// Static files from one root (the built web demo in node-server/public/): no path escapes the root, unknown
// extension-less paths fall back to index.html (client-side routes), a missing root answers a short note.
//
// The root is indexed once, on its first request (a deploy replaces the files and restarts the hub): each file's
// type, size, a content ETag and its precompressed variants (`.br`, `.gz`, written by the build, see
// precompress.ts). A request costs a map lookup, no stat. Hashed build assets (under /assets/) are immutable for a
// year; everything else is revalidated with its ETag (304 when unchanged). Brotli or gzip bytes go to clients
// that accept them.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDirectory, listFiles } from './precompress.js';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

interface Variant {
  file: string;
  size: number;
  /** Each encoding is its own representation, with its own tag. */
  etag: string;
}

interface StaticFile {
  type: string;
  cacheControl: string;
  /** The bytes as stored, then the precompressed variants by content-encoding. */
  identity: Variant;
  br?: Variant;
  gzip?: Variant;
}

/** URL path (`/assets/app.js`) → file. */
type StaticIndex = Map<string, StaticFile>;

const indexes = new Map<string, StaticIndex>();

/** The root's files, or undefined when it does not exist. */
function indexRoot(root: string): StaticIndex | undefined {
  if (!isDirectory(root)) return undefined;
  const files = listFiles(root);
  const present = new Set(files);
  const index = new Map<string, StaticFile>();
  for (const path of files) {
    if ((path.endsWith('.br') || path.endsWith('.gz')) && present.has(path.slice(0, -3))) continue; // a variant
    const file = join(root, path);
    const body = readFileSync(file);
    const tag = createHash('sha256').update(body).digest('base64url').slice(0, 22);
    const variant = (suffix: string, encoding: string): Variant | undefined =>
      present.has(path + suffix) ? { file: file + suffix, size: readFileSync(file + suffix).length, etag: `"${tag}-${encoding}"` } : undefined;
    const br = variant('.br', 'br');
    const gzip = variant('.gz', 'gzip');
    index.set(`/${path}`, {
      type: types[extname(path)] ?? 'application/octet-stream',
      cacheControl: path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      identity: { file, size: body.length, etag: `"${tag}"` },
      ...(br ? { br } : {}),
      ...(gzip ? { gzip } : {}),
    });
  }
  return index;
}

/** Which stored variant to send for this Accept-Encoding (q=0 refuses an encoding). */
function choose(file: StaticFile, acceptEncoding: string): { variant: Variant; encoding?: 'br' | 'gzip' } {
  const accepted = new Set(
    acceptEncoding
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, q]) => !q || !/^\s*q=0(\.0*)?\s*$/.test(q))
      .map(([name]) => name!.trim().toLowerCase()),
  );
  if (file.br && accepted.has('br')) return { variant: file.br, encoding: 'br' };
  if (file.gzip && accepted.has('gzip')) return { variant: file.gzip, encoding: 'gzip' };
  return { variant: file.identity };
}

export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): void {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('malformed path');
    return;
  }
  if (pathname.split('/').includes('..') || pathname.includes('\0')) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  // A root that does not exist yet is looked for again next time (the demo may be built after the hub started).
  let index = indexes.get(root);
  if (!index) {
    index = indexRoot(root);
    if (index) indexes.set(root, index);
  }
  // Only indexed paths are served, so `..` and encoded slashes never reach the file system.
  const file = index && (index.get(pathname) ?? index.get(`${pathname.replace(/\/$/, '')}/index.html`) ?? (extname(pathname) === '' ? index.get('/index.html') : undefined));
  if (!file) {
    if (pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Stage hub</title><h1>Stage hub</h1><p>The web demo is not built: run <code>npm start</code> from the repository root.</p>');
    } else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const { variant, encoding } = choose(file, String(req.headers['accept-encoding'] ?? ''));
  const headers: Record<string, string | number> = { 'content-type': file.type, 'cache-control': file.cacheControl, etag: variant.etag, vary: 'accept-encoding' };
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === variant.etag)) {
    res.writeHead(304, headers).end();
    return;
  }
  if (encoding) headers['content-encoding'] = encoding;
  headers['content-length'] = variant.size;
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(variant.file)
    .on('error', () => res.destroy())
    .pipe(res);
}

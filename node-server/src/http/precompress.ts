// Precompression of the static files at build time: beside each compressible file, `<file>.br` (brotli, best) and
// `<file>.gz` (gzip, best) when they are smaller, so the hub sends compressed bytes without compressing per request.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const compressibleExtensions = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.svg', '.map', '.txt', '.wasm', '.ico']);

/** Every file under `dir`, recursively (paths relative to `dir`, with `/`). */
export function listFiles(dir: string, prefix = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...listFiles(dir, path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** Writes the .br and .gz variants under `dir`; returns how many files got at least one. */
export function precompress(dir: string): number {
  let count = 0;
  for (const path of listFiles(dir)) {
    if (!compressibleExtensions.has(extname(path))) continue;
    const file = join(dir, path);
    const body = readFileSync(file);
    const variants = [
      ['.br', brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } })],
      ['.gz', gzipSync(body, { level: 9 })],
    ] as const;
    let wrote = false;
    for (const [suffix, compressed] of variants) {
      if (compressed.length >= body.length) continue;
      writeFileSync(file + suffix, compressed);
      wrote = true;
    }
    if (wrote) count++;
  }
  return count;
}

/** True when `path` exists and is a directory. */
export const isDirectory = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;

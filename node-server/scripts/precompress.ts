// Build step after the web demo's `vite build`: `tsx node-server/scripts/precompress.ts [dir]` (default
// node-server/public) writes .br and .gz beside each compressible file.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDirectory, precompress } from '../src/http/precompress.js';

const dir = resolve(process.argv[2] ?? resolve(dirname(fileURLToPath(import.meta.url)), '../public'));
if (!isDirectory(dir)) {
  console.error(`precompress: ${dir} is not a directory; build the web demo first (npm run build:demo)`);
  process.exit(2);
}
console.log(`precompress: ${precompress(dir)} files in ${dir} compressed (brotli and gzip)`);

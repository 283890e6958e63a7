// What `@stage/sdk/im` is made of in a browser bundle (issue #16): the same build as bundle-size.mjs (rolldown,
// minified ESM, platform browser, rxjs external, gzip level 9), each byte of the minified output traced back to the
// source module it came from through the build's source map, then the largest contributors listed:
//   min.      minified bytes from that module (exact, from the source map)
//   gzip      what removing those bytes from the bundle saves of its gzip size (an estimate of the module's share:
//             the rest of the bundle still compresses against what is left)
//   alone     that module's minified bytes gzipped on their own (what it would cost with nothing to share)
// `node sdk/scripts/bundle-breakdown.mjs [--app] [--dirs] [--top N] [--show PART] [sdk source dir]`:
//   --app   the app entry of bundle-size.mjs (ImClient, login, defineExtension, the topic helpers) instead of every export
//   --dirs  one row per folder (sdk/src/im/client, node_modules/zod/v4/core, ...) instead of per module
//   --top N rows to print (default 30)
//   --show PART  also print the minified code that came from each module whose path contains PART (what of a
//           dependency is really shipped, e.g. --show zod/v4/core/util)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const args = process.argv.slice(2);
const app = args.includes('--app');
const dirs = args.includes('--dirs');
const valueOf = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const top = Number(valueOf('--top') ?? 30);
const show = valueOf('--show');
const positional = args.filter((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--top' && args[i - 1] !== '--show');
const src = resolve(positional[0] ?? join(here, '../src'));

const VLQ = new Map([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]));

/** Decodes one segment of a source map's `mappings` (base64 VLQ) into its fields. */
function decodeSegment(segment) {
  const fields = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = VLQ.get(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return fields;
}

/** The generated code cut into runs, each with the index of its source (-1: none), from a v3 source map. */
function runsBySource(code, map) {
  const runs = [];
  const lines = code.split('\n');
  let source = 0;
  map.mappings.split(';').forEach((mappingLine, lineIndex) => {
    const line = lines[lineIndex] ?? '';
    let column = 0;
    let start = 0;
    let current = -1;
    for (const segment of mappingLine.split(',')) {
      if (!segment) continue;
      const fields = decodeSegment(segment);
      column += fields[0];
      if (column > start) runs.push({ source: current, text: line.slice(start, column) });
      start = column;
      if (fields.length >= 4) {
        source += fields[1];
        current = source;
      } else {
        current = -1;
      }
    }
    runs.push({ source: current, text: line.slice(start) + '\n' });
  });
  return runs;
}

const scratch = mkdtempSync(join(src, 'im', '.bundle-size-'));
let code;
let map;
try {
  let input = join(src, 'im/index.ts');
  if (app) {
    input = join(scratch, 'app.ts');
    writeFileSync(
      input,
      "export { ImClient, ImError, login, register, defineExtension, administersStream, settableTopicStatuses, topicKey, topicStatusRefusal } from '../index.js';\n",
    );
  }
  const result = await build({
    input,
    platform: 'browser',
    external: /^rxjs(\/|$)/,
    write: false,
    logLevel: 'silent',
    // The map's sources are relative to the output folder: the repository root, though nothing is written.
    output: { format: 'esm', minify: true, sourcemap: true, dir: root },
  });
  ({ code, map } = result.output[0]);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
code = code.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '');
const gzip = (text) => gzipSync(text, { level: 9 }).byteLength;
const total = gzip(code);

/** A source's row name: its path from the repository root, or its folder with --dirs. */
function label(index) {
  if (index < 0) return '(no source: glue the bundler wrote)';
  const name = relative(root, resolve(root, map.sources[index]));
  return dirs ? dirname(name) : name;
}

const runs = runsBySource(code, map);
const groups = new Map();
for (const [i, run] of runs.entries()) {
  const name = label(run.source);
  const group = groups.get(name) ?? { name, runs: [] };
  group.runs.push(i);
  groups.set(name, group);
}
if (show !== undefined) {
  for (const { name, runs: mine } of groups.values()) {
    if (name.includes(show)) console.log(`--- ${name}\n${mine.map((i) => runs[i].text).join('')}\n`);
  }
}
const rows = [...groups.values()].map(({ name, runs: mine }) => {
  const own = new Set(mine);
  const text = mine.map((i) => runs[i].text).join('');
  const rest = runs.filter((_, i) => !own.has(i)).map((run) => run.text).join('');
  return { name, minified: text.length, gzip: total - gzip(rest), alone: gzip(text) };
});
rows.sort((a, b) => b.gzip - a.gzip);

const pad = (value, width) => String(value).padStart(width);
console.log(`@stage/sdk/im, ${app ? 'the app entry' : 'every export'}, rxjs external: ${code.length} bytes minified, ${total} gzip`);
console.log(`${pad('gzip', 7)} ${pad('min.', 7)} ${pad('alone', 7)}  ${dirs ? 'folder' : 'module'}`);
for (const row of rows.slice(0, top)) console.log(`${pad(row.gzip, 7)} ${pad(row.minified, 7)} ${pad(row.alone, 7)}  ${row.name}`);
const rest = rows.slice(top);
if (rest.length > 0) {
  const sum = (key) => rest.reduce((acc, row) => acc + row[key], 0);
  console.log(`${pad(sum('gzip'), 7)} ${pad(sum('minified'), 7)} ${pad(sum('alone'), 7)}  (${rest.length} more)`);
}

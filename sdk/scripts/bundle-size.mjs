// Prints what `@stage/sdk/im` costs a browser app (issue #16; the figures in sdk/README.md "Bundle size"): each
// entry bundled with rolldown as an app's bundler would (minified ESM, platform browser), gzipped at level 9.
// `node sdk/scripts/bundle-size.mjs [sdk source dir]` (default: this checkout's sdk/src), e.g. an older commit's
// sources extracted with `git archive <commit> sdk/src | tar -x -C <dir inside the repository>`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const src = resolve(process.argv[2] ?? join(here, '../src'));

async function measure(input, external) {
  const result = await build({ input, platform: 'browser', external, write: false, logLevel: 'silent', output: { format: 'esm', minify: true } });
  const code = result.output[0].code;
  return { minified: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).byteLength };
}

// What the web demo imports from @stage/sdk/im, plus sign-in and extensions: an app, as opposed to every export.
const scratch = mkdtempSync(join(src, 'im', '.bundle-size-'));
const appEntry = join(scratch, 'app.ts');
writeFileSync(
  appEntry,
  "export { ImClient, ImError, login, register, defineExtension, administersStream, settableTopicStatuses, topicKey, topicStatusRefusal } from '../index.js';\n",
);
const rxjs = /^rxjs(\/|$)/;
const rxjsAndZod = /^(rxjs|zod)(\/|$)/;
const rows = [
  ['@stage/sdk/im, every export, rxjs external', join(src, 'im/index.ts'), rxjs],
  ['@stage/sdk/im, every export, rxjs bundled', join(src, 'im/index.ts'), undefined],
  ['@stage/sdk/im, every export, rxjs and zod external', join(src, 'im/index.ts'), rxjsAndZod],
  ['an app (ImClient, login, defineExtension, topic helpers), rxjs external', appEntry, rxjs],
];
try {
  for (const [label, input, external] of rows) {
    const { minified, gzip } = await measure(input, external);
    console.log(`${label}: ${minified} bytes minified, ${gzip} gzip`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
try {
  // A bare specifier: rolldown resolves it as for the browser (its browser build, without the debug module).
  const { minified, gzip } = await measure('socket.io-client', undefined);
  console.log(`socket.io-client (for reference; its dependencies bundled): ${minified} bytes minified, ${gzip} gzip`);
} catch {
  console.log('socket.io-client is not installed here: no reference figure');
}

// `npm run protocol:schema`: regenerates docs/protocol/schema.json and docs/protocol/shapes.md from the zod
// schemas. With --check it writes nothing and exits 1 when the committed files differ (the test suite checks the
// same thing in node-server/test/conformance/protocolSchema.test.ts).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { protocolDocs } from './protocolDocs.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const check = process.argv.includes('--check');
let stale = 0;
for (const [path, text] of Object.entries(protocolDocs())) {
  const file = resolve(repoRoot, path);
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) continue;
  if (check) {
    stale++;
    console.error(`${path} is out of date: run npm run protocol:schema`);
  } else {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    console.log(`wrote ${path}`);
  }
}
process.exit(stale ? 1 : 0);

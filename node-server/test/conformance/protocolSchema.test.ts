// docs/protocol/schema.json and shapes.md are generated from the zod schemas; this fails when a schema changed and
// the published files were not regenerated, so the contract a client author reads is the one the hub enforces.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandTypes, outcomeTypes } from '@stage/sdk/im';
import { protocolDocs, schemaPath } from '../../../conformance/schema/protocolDocs.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('published protocol schema', () => {
  const generated = protocolDocs();

  for (const [path, text] of Object.entries(generated)) {
    it(`${path} matches the zod schemas (else run: npm run protocol:schema)`, () => {
      const committed = readFileSync(resolve(repoRoot, path), 'utf8');
      expect(committed === text, `${path} is out of date with sdk/src/im/protocol: run \`npm run protocol:schema\` and commit the result`).toBe(true);
    });
  }

  it('names every command, its reply and every outcome', () => {
    const defs = (JSON.parse(generated[schemaPath]!) as { $defs: Record<string, unknown> }).$defs;
    for (const type of commandTypes) {
      expect(defs[`Command.${type}`], type).toBeDefined();
      expect(defs[`Reply.${type}`], type).toBeDefined();
      expect(defs[`ReplyData.${type}`], type).toBeDefined();
    }
    for (const type of outcomeTypes) expect(defs[`Outcome.${type}`], type).toBeDefined();
  });
});

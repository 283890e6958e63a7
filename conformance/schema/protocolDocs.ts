// The generated protocol documents, by path from the repository root: what `npm run protocol:schema` writes and
// what the drift test compares with the committed files.
import { buildProtocolSchema } from './protocolSchema.js';
import { renderShapes } from './renderShapes.js';

export const schemaPath = 'docs/protocol/schema.json';
const shapesPath = 'docs/protocol/shapes.md';

export function protocolDocs(): Record<string, string> {
  const schema = buildProtocolSchema();
  return { [schemaPath]: JSON.stringify(schema, null, 2) + '\n', [shapesPath]: renderShapes(schema) };
}

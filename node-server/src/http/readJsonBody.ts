// Reads a small JSON request body with a size cap; rejects with an HttpError (400/413) a handler turns into JSON.
import type { IncomingMessage } from 'node:http';
import { HttpError } from './HttpError.js';

export async function readJsonBody(req: IncomingMessage, maxBytes = 16 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, 'payload_too_large', `request body over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'bad_frame', 'request body is not JSON');
  }
}

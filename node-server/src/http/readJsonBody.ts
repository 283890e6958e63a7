// Reads a small JSON request body (application/json only) with a size cap; rejects with an HttpError (400/413) a handler turns into JSON.
import type { IncomingMessage } from 'node:http';
import { HttpError } from './HttpError.js';

export async function readJsonBody(req: IncomingMessage, maxBytes = 16 * 1024): Promise<unknown> {
  // Only application/json: a form or text/plain body is what a foreign page can POST without a CORS preflight.
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'bad_frame', 'the body must be sent as content-type: application/json');
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

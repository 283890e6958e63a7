// An HTTP failure with the protocol's error code; sent as `{ error: { code, message, path? } }`.
import type { ServerResponse } from 'node:http';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: Array<string | number>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, e: HttpError): void {
  // A 413 or 415 leaves the body unread: say the connection closes rather than reset it under a keep-alive.
  if (e.status === 413 || e.status === 415) res.setHeader('connection', 'close');
  sendJson(res, e.status, { error: { code: e.code, message: e.message, ...(e.path ? { path: e.path } : {}) } });
}

// The HTTP half of the protocol: register, login, and the WebSocket and SSE URLs. Error responses carry
// `{ error: { code, message, path? } }` with the same codes as Err replies. No long-lived credential ever goes in a
// URL (proxies log URLs): the WebSocket carries the token in its Sec-WebSocket-Protocol header, SSE in an
// Authorization header or a single-use 60-second ticket.
import * as z from 'zod/mini';
import { errorBodySchema } from './errors.js';
import { idSchema, passwordSchema, usernameSchema } from './model.js';

export const credentialsSchema = z.strictObject({ username: usernameSchema, password: passwordSchema });
export type Credentials = z.infer<typeof credentialsSchema>;

/** Body of 200 (login) and 201 (register). */
export const sessionTokenSchema = z.object({
  /** Opaque, URL-safe, signed and expiring; sent in headers (Sec-WebSocket-Protocol, Authorization), never in a URL. */
  token: z.string().check(z.minLength(1), z.regex(/^[A-Za-z0-9._~-]+$/)),
  userId: idSchema,
  username: usernameSchema,
  /** Expiry, ms since the Unix epoch. */
  expiresAt: z.number().check(z.int()),
});
export type SessionToken = z.infer<typeof sessionTokenSchema>;

export const httpErrorSchema = z.object({ error: errorBodySchema });
export type HttpError = z.infer<typeof httpErrorSchema>;

export const httpPaths = {
  register: '/api/register',
  login: '/api/login',
  logout: '/api/logout',
  password: '/api/password',
  ticket: '/api/ticket',
  refresh: '/api/refresh',
  health: '/healthz',
  metrics: '/metrics',
} as const;

/** The WebSocket subprotocol of this protocol; the hub selects it. */
export const WEBSOCKET_PROTOCOL = 'stage.v1';
/** Prefix of the second subprotocol a client offers, which carries its token (never the URL). */
export const TOKEN_PROTOCOL_PREFIX = 'stage.token.';

/** `GET /ws/:deviceId` (WebSocket upgrade); the token travels in the subprotocols (webSocketProtocols). */
export function webSocketPath(deviceId: string): string {
  return `/ws/${encodeURIComponent(deviceId)}`;
}

/**
 * The subprotocols a client offers: `stage.v1` and `stage.token.<token>` (Sec-WebSocket-Protocol), the one header a
 * browser's WebSocket lets a page set. The hub verifies the token before the upgrade (401 otherwise) and selects
 * `stage.v1`.
 */
export function webSocketProtocols(token: string): string[] {
  return [WEBSOCKET_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`];
}

/**
 * The user's pushes as Server-Sent Events, resumable with Last-Event-ID: `GET /sse` with `Authorization: Bearer
 * <token>` (fetch), or `GET /sse/:ticket` for an EventSource, with a ticket from `POST /api/ticket` (single use,
 * valid 60 s).
 */
export function eventStreamPath(ticket?: string): string {
  return ticket === undefined ? '/sse' : `/sse/${encodeURIComponent(ticket)}`;
}

/** Body of `POST /api/ticket`: a single-use credential for one `GET /sse/:ticket`. */
export const ticketSchema = z.object({ ticket: z.string().check(z.minLength(1), z.regex(/^[A-Za-z0-9._~-]+$/)), expiresAt: z.number().check(z.int()) });
export type Ticket = z.infer<typeof ticketSchema>;

/**
 * A hub path resolved against the hub's base URL, keeping the base's own path: a hub served under
 * `https://example.com/chat/` (behind a reverse proxy) has its API at `/chat/api/...`, not `/api/...`.
 */
export function hubUrl(baseUrl: string, path: string): URL {
  const base = new URL(baseUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  base.search = '';
  base.hash = '';
  return new URL(path.replace(/^\//, ''), base);
}

/** ws(s)://host[/prefix]/ws/:deviceId from the hub's http(s) base URL (offer webSocketProtocols(token) with it). */
export function webSocketUrl(baseUrl: string, deviceId: string): string {
  const url = hubUrl(baseUrl, webSocketPath(deviceId));
  url.protocol = url.protocol === 'https:' ? 'wss:' : url.protocol === 'http:' ? 'ws:' : url.protocol;
  return url.toString();
}

// The HTTP half of the protocol: register, login, and the WebSocket and SSE URLs. Error responses carry
// `{ error: { code, message, path? } }` with the same codes as Err replies.
import { z } from 'zod';
import { errorBodySchema } from './errors.js';
import { idSchema, passwordSchema, usernameSchema } from './model.js';

export const credentialsSchema = z.strictObject({ username: usernameSchema, password: passwordSchema });
export type Credentials = z.infer<typeof credentialsSchema>;

/** Body of 200 (login) and 201 (register). */
export const sessionTokenSchema = z.object({
  /** Opaque, URL-safe, signed and expiring; goes into the WebSocket and SSE URLs. */
  token: z.string().min(1).regex(/^[A-Za-z0-9._~-]+$/),
  userId: idSchema,
  username: usernameSchema,
  /** Expiry, ms since the Unix epoch. */
  expiresAt: z.number().int(),
});
export type SessionToken = z.infer<typeof sessionTokenSchema>;

export const httpErrorSchema = z.object({ error: errorBodySchema });
export type HttpError = z.infer<typeof httpErrorSchema>;

export const httpPaths = {
  register: '/api/register',
  login: '/api/login',
  logout: '/api/logout',
  password: '/api/password',
  health: '/healthz',
  metrics: '/metrics',
} as const;

/** `GET /ws/:token/:deviceId` (WebSocket upgrade). The token is verified before the upgrade: 401 otherwise. */
export function webSocketPath(token: string, deviceId: string): string {
  return `/ws/${encodeURIComponent(token)}/${encodeURIComponent(deviceId)}`;
}

/** `GET /sse/:token` (text/event-stream): a read-only mirror of the user's pushes; resume with Last-Event-ID. */
export function eventStreamPath(token: string): string {
  return `/sse/${encodeURIComponent(token)}`;
}

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

/** ws(s)://host[/prefix]/ws/:token/:deviceId from the hub's http(s) base URL. */
export function webSocketUrl(baseUrl: string, token: string, deviceId: string): string {
  const url = hubUrl(baseUrl, webSocketPath(token, deviceId));
  url.protocol = url.protocol === 'https:' ? 'wss:' : url.protocol === 'http:' ? 'ws:' : url.protocol;
  return url.toString();
}

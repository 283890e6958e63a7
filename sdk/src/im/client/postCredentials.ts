// The HTTP call behind login and register: POST the credentials, parse the token or the typed error.
import { ImError } from '../protocol/errors.js';
import { credentialsSchema, httpErrorSchema, hubUrl, sessionTokenSchema, type Credentials, type SessionToken } from '../protocol/http.js';

export type FetchLike = (input: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<{
  status: number;
  json(): Promise<unknown>;
}>;

export interface AccountRequestOptions {
  /** Default: globalThis.fetch. */
  readonly fetch?: FetchLike;
  readonly signal?: AbortSignal;
}

export async function postCredentials(baseUrl: string, path: string, credentials: Credentials, options: AccountRequestOptions = {}): Promise<SessionToken> {
  const checked = credentialsSchema.safeParse(credentials);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue?.path.map(String) ?? [];
    throw new ImError({ code: 'bad_schema', message: `${where.join('.') || 'credentials'}: ${issue?.message ?? 'invalid'}`, path: where });
  }
  const doFetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike | undefined);
  if (!doFetch) throw new TypeError('No fetch available: pass options.fetch');
  const response = await doFetch(hubUrl(baseUrl, path).toString(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(checked.data),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const body = await response.json().catch(() => undefined);
  if (response.status >= 200 && response.status < 300) {
    const token = sessionTokenSchema.safeParse(body);
    if (token.success) return token.data;
    throw new ImError({ code: 'internal', message: `the hub answered ${path} with an unexpected body` });
  }
  const error = httpErrorSchema.safeParse(body);
  if (error.success) throw new ImError(error.data.error);
  throw new ImError({ code: response.status === 401 ? 'unauthorized' : 'internal', message: `${path} failed with HTTP ${response.status}` });
}

/** POST `path` with `Authorization: Bearer <token>` and an optional JSON body; the parsed body, or a typed ImError. */
export async function postWithToken(baseUrl: string, path: string, token: string, body: unknown, options: AccountRequestOptions = {}): Promise<unknown> {
  const doFetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike | undefined);
  if (!doFetch) throw new TypeError('No fetch available: pass options.fetch');
  const response = await doFetch(hubUrl(baseUrl, path).toString(), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const parsed = await response.json().catch(() => undefined);
  if (response.status >= 200 && response.status < 300) return parsed;
  const error = httpErrorSchema.safeParse(parsed);
  if (error.success) throw new ImError(error.data.error);
  throw new ImError({ code: response.status === 401 ? 'unauthorized' : 'internal', message: `${path} failed with HTTP ${response.status}` });
}

// The HTTP calls behind login, register and the account calls: one POST, its answer parsed into the body, a
// session token, or the typed error.
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

export async function postCredentials(baseUrl: string, path: string, credentials: Credentials, options?: AccountRequestOptions): Promise<SessionToken> {
  const checked = credentialsSchema.safeParse(credentials);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue?.path.map(String) ?? [];
    throw new ImError({ code: 'bad_schema', message: `${where.join('.') || 'credentials'}: ${issue?.message ?? 'invalid'}`, path: where });
  }
  return sessionToken(await post(baseUrl, path, undefined, checked.data, options), path);
}

/** The session token in the body the hub answered `path` with, or ImError internal. */
export function sessionToken(body: unknown, path: string): SessionToken {
  const token = sessionTokenSchema.safeParse(body);
  if (token.success) return token.data;
  throw new ImError({ code: 'internal', message: `the hub answered ${path} with an unexpected body` });
}

/**
 * The one POST of the account calls: `Authorization: Bearer <token>` when given, a JSON body when given; resolves
 * the parsed body of a 2xx (undefined if not JSON), rejects the typed ImError of an error body, or one made of the
 * status (unauthorized for 401, else internal).
 */
export async function post(baseUrl: string, path: string, token: string | undefined, body: unknown, options: AccountRequestOptions = {}): Promise<unknown> {
  const doFetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike | undefined);
  if (!doFetch) throw new TypeError('No fetch available: pass options.fetch');
  const response = await doFetch(hubUrl(baseUrl, path).toString(), {
    method: 'POST',
    headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const parsed = await response.json().catch(() => undefined);
  if (response.status >= 200 && response.status < 300) return parsed;
  const error = httpErrorSchema.safeParse(parsed);
  if (error.success) throw new ImError(error.data.error);
  throw new ImError({ code: response.status === 401 ? 'unauthorized' : 'internal', message: `${path} failed with HTTP ${response.status}` });
}

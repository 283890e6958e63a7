// Account calls that need a token (sent as `Authorization: Bearer`, never in a URL): sign this login out, change
// the password. Both reject ImError (unauthorized, forbidden, bad_schema, rate_limited).
import { ImError } from '../protocol/errors.js';
import { httpPaths, type SessionToken } from '../protocol/http.js';
import { passwordSchema } from '../protocol/model.js';
import { post, sessionToken, type AccountRequestOptions } from './postCredentials.js';

/**
 * POST /api/logout: the hub refuses this token from now on and closes its connections (4001). Other devices of the
 * user stay signed in. Wipe the device's local data too (`ImClient.signOut`).
 */
export async function logout(baseUrl: string, token: string, options?: AccountRequestOptions): Promise<void> {
  await post(baseUrl, httpPaths.logout, token, undefined, options);
}

/**
 * POST /api/password: checks `currentPassword`, sets `newPassword` and refuses every token issued before (every
 * device of the user, this one included, is closed 4001); resolves with a new token for this device.
 */
export async function changePassword(
  baseUrl: string,
  token: string,
  passwords: { readonly currentPassword: string; readonly newPassword: string },
  options?: AccountRequestOptions,
): Promise<SessionToken> {
  const checked = passwordSchema.safeParse(passwords.newPassword);
  if (!checked.success) throw new ImError({ code: 'bad_schema', message: `newPassword: ${checked.error.issues[0]?.message ?? 'invalid'}`, path: ['newPassword'] });
  return sessionToken(await post(baseUrl, httpPaths.password, token, passwords, options), httpPaths.password);
}

/**
 * POST /api/refresh: a new token for the same login, valid a full lifetime from now (the old one stays valid until
 * it expires). `ImClient` does this by itself when given `tokenExpiresAt`.
 */
export async function refreshToken(baseUrl: string, token: string, options?: AccountRequestOptions): Promise<SessionToken> {
  return sessionToken(await post(baseUrl, httpPaths.refresh, token, undefined, options), httpPaths.refresh);
}

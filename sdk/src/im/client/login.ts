// POST /api/login: a session token for existing credentials. Rejects ImError unauthorized / bad_schema.
import { httpPaths, type Credentials, type SessionToken } from '../protocol/http.js';
import { postCredentials, type AccountRequestOptions } from './postCredentials.js';

export function login(baseUrl: string, credentials: Credentials, options?: AccountRequestOptions): Promise<SessionToken> {
  return postCredentials(baseUrl, httpPaths.login, credentials, options);
}

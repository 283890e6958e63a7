// POST /api/register: creates the user and returns a session token. Rejects ImError conflict (name taken) / bad_schema.
import { httpPaths, type Credentials, type SessionToken } from '../protocol/http.js';
import { postCredentials, type AccountRequestOptions } from './postCredentials.js';

export function register(baseUrl: string, credentials: Credentials, options?: AccountRequestOptions): Promise<SessionToken> {
  return postCredentials(baseUrl, httpPaths.register, credentials, options);
}

// Keys of the publish API (`stg_…`): made by `stage-hub admin apikey create`, shown once, stored as a SHA-256 only
// (a fast hash suffices: the key is 256 random bits, not a password a guesser could enumerate).
import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'stg_';

/** A fresh key: the prefix lets secret scanners recognise a leaked one. */
export function newApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The lower-case hex SHA-256 under which a key is stored and looked up. */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

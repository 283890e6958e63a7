// Separate keys from the one hub secret (HKDF-SHA-256 with a label per use), so token signing and session sealing
// never share a key: either can be rotated (a new label) without the other, and a key leaked from one use does not
// forge the other.
import { hkdfSync } from 'node:crypto';

export type KeyUse = 'token-signing' | 'session-sealing';

export function deriveKey(secret: Uint8Array, use: KeyUse): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'stage-hub', `stage ${use} v1`, 32));
}

// Session keys (the seed's initialization vectors) are derived, not stored: after a crash the
// server recomputes a session's key from its own secret and the session id and can verify the
// client's chain without having kept anything (the seed's next_key / prev_keys).
//   key = HMAC-SHA-256(secret, utf8("stage/session-key/v1" ‖ 0x00 ‖ sessionId))
import { defaultSealing } from './defaultSealing.js';
import type { Sealing } from './Sealing.js';

const encoder = new TextEncoder();
const label = 'stage/session-key/v1\u0000';

/** The 32-byte key of session `sessionId` under the server's `secret` (at least 16 bytes). Synchronous. */
export function deriveSessionKey(secret: Uint8Array, sessionId: string, sealing: Sealing = defaultSealing()): Uint8Array {
  if (!(secret instanceof Uint8Array) || secret.length < 16) {
    throw new TypeError(`deriveSessionKey: the server secret must be at least 16 bytes, got ${secret instanceof Uint8Array ? secret.length + ' bytes' : typeof secret}`);
  }
  if (typeof sessionId !== 'string' || sessionId.length === 0) {
    throw new TypeError('deriveSessionKey: the session id must be a non-empty string');
  }
  return sealing.hmac(secret, encoder.encode(label + sessionId));
}

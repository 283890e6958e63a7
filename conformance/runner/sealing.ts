// Seals as PROTOCOL.md §5 defines them, written from the document with node:crypto (not the SDK), so the runner
// is a second implementation that checks the first: seal(n) = HMAC-SHA-256(key, seal(n−1) ‖ u64be(n) ‖
// utf8(canonicalJson(command))), seal(−1) = 32 zero bytes.
import { createHmac, hkdfSync } from 'node:crypto';

/** Canonical JSON: no white space, object keys sorted by UTF-16 code units, ECMAScript string and number forms. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function seal(keyHex: string, prevSealHex: string | undefined, seq: number, body: unknown): string {
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigUInt64BE(BigInt(seq));
  const prev = prevSealHex ? Buffer.from(prevSealHex, 'hex') : Buffer.alloc(32);
  return createHmac('sha256', Buffer.from(keyHex, 'hex'))
    .update(Buffer.concat([prev, seqBytes, Buffer.from(canonicalJson(body), 'utf8')]))
    .digest('hex');
}

/** key = HMAC-SHA-256(secret, utf8("stage/session-key/v1" ‖ U+0000 ‖ sessionId)). */
export function sessionKey(secretHex: string, sessionId: string): string {
  return createHmac('sha256', Buffer.from(secretHex, 'hex')).update(`stage/session-key/v1\u0000${sessionId}`, 'utf8').digest('hex');
}

/**
 * The hub never seals with its secret directly: it first derives a sealing secret, HKDF-SHA-256(ikm = hub secret,
 * salt = "stage-hub", info = "stage session-sealing v1", 32 bytes), and derives session keys from that.
 */
export function hubSealingSecret(hubSecretHex: string): string {
  return Buffer.from(hkdfSync('sha256', Buffer.from(hubSecretHex, 'hex'), 'stage-hub', 'stage session-sealing v1', 32)).toString('hex');
}

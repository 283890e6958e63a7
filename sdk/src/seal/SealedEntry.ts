// One sealed entry of a session's log: the body the client sent, its position and its seal.
//   seal = HMAC-SHA-256(key, prevSeal ‖ u64be(seq) ‖ utf8(canonicalJson(body))), hex
// where prevSeal is the previous entry's seal (32 zero bytes before seq 0).
import { ChainError } from './ChainError.js';

export interface SealedEntry<B = unknown> {
  /** Position in the chain: 0, 1, 2, … without holes. */
  readonly seq: number;
  readonly body: B;
  /** 64 lowercase hex characters. */
  readonly seal: string;
}

/** Where a chain stands: the last sealed entry's seq and seal (seq -1 and the zero seal before genesis). */
export interface ChainPosition {
  readonly seq: number;
  readonly seal: string;
}

export const GENESIS_SEAL = '0'.repeat(64);
export const GENESIS: ChainPosition = Object.freeze({ seq: -1, seal: GENESIS_SEAL });
/** Largest seq: seq is encoded on 8 bytes but must stay an exact JavaScript integer. */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

const sealPattern = /^[0-9a-f]{64}$/;

/**
 * Checks that `value` has the shape of a sealed entry (it usually comes off the network) and
 * returns it typed. Does not verify the seal: that needs the key (ChainVerifier does it).
 */
export function parseSealedEntry<B = unknown>(value: unknown, sessionId?: string): SealedEntry<B> {
  const where = sessionId === undefined ? '' : ` of session ${sessionId}`;
  if (typeof value !== 'object' || value === null) {
    throw new ChainError('malformed', `a sealed entry${where} must be an object { seq, body, seal }, got ${value === null ? 'null' : typeof value}`, { sessionId });
  }
  const { seq, seal } = value as { seq?: unknown; seal?: unknown };
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) {
    throw new ChainError('malformed', `entry${where} has seq ${String(seq)}; seq must be an integer from 0 to 2^53-1`, { sessionId });
  }
  if (typeof seal !== 'string' || !sealPattern.test(seal)) {
    throw new ChainError('malformed', `entry ${seq}${where} has a seal that is not 64 lowercase hex characters`, { seq, sessionId });
  }
  if (!('body' in value)) throw new ChainError('malformed', `entry ${seq}${where} has no body`, { seq, sessionId });
  return value as SealedEntry<B>;
}

// A sealed checkpoint: the server's snapshot of a session's state after entries 0..seq-1, bound to the chain so a
// client can keep it instead of those entries and hand it back on a recall. Only the server can make one (the
// seal is keyed with the session key, which only the server can derive and the client holds), and it names the
// seal of the entry before it, so it cannot be moved to another place in the chain or to another chain:
//   seal = HMAC-SHA-256(key, utf8("stage/checkpoint/v1" ‖ 0x00) ‖ u64be(seq) ‖ prevSeal ‖ utf8(canonicalJson(state)))
// The domain tag separates checkpoint seals from entry seals: an entry's HMAC message starts with the previous
// seal, so the two kinds of message could only coincide if a seal began with these 20 bytes (chance 2^-160).
// Entry `seq` continues the chain from `prevSeal` exactly as if the entries before it were still there.
import { canonicalJson } from './canonicalJson.js';
import { ChainError } from './ChainError.js';
import { fromHex } from '../internal/hex.js';
import { MAX_SEQ } from './SealedEntry.js';
import { writeSeq, type Sealing } from './Sealing.js';

export interface SealedCheckpoint<T = unknown> {
  /** The entries 0..seq-1 are folded into `state`; the next entry of the chain is `seq`. At least 1. */
  readonly seq: number;
  /** The session state as JSON (the definition's snapshot of it). */
  readonly state: T;
  /** The seal of entry seq-1, 64 lowercase hex characters: entry seq is sealed on it. */
  readonly prevSeal: string;
  /** 64 lowercase hex characters. */
  readonly seal: string;
}

const tag = new TextEncoder().encode('stage/checkpoint/v1\u0000');
const utf8 = new TextEncoder();
const sealPattern = /^[0-9a-f]{64}$/;

/** The checkpoint's seal, hex. Throws ChainError('malformed') when `state` is not JSON. */
export function checkpointSeal(sealing: Sealing, key: Uint8Array, seq: number, prevSeal: string, state: unknown): string {
  let canonical: string;
  try {
    canonical = canonicalJson(state);
  } catch (error) {
    throw new ChainError('malformed', `checkpoint ${seq}: its state is not JSON (${(error as Error).message})`, { seq, cause: error });
  }
  const body = utf8.encode(canonical);
  const message = new Uint8Array(tag.length + 8 + 32 + body.length);
  message.set(tag, 0);
  writeSeq(message, tag.length, seq);
  message.set(fromHex(prevSeal), tag.length + 8);
  message.set(body, tag.length + 8 + 32);
  return sealing.toHex(sealing.hmac(key, message));
}

/** Seals `state` as the checkpoint at `seq`, on the seal `prevSeal` of entry seq-1. */
export function sealCheckpoint<T>(sealing: Sealing, key: Uint8Array, seq: number, prevSeal: string, state: T): SealedCheckpoint<T> {
  return { seq, state, prevSeal, seal: checkpointSeal(sealing, key, seq, prevSeal, state) };
}

/**
 * Checks the shape and the seal of a checkpoint that came off the network or out of a store, and returns it typed.
 * Throws ChainError: 'malformed' for a bad shape, 'broken_seal' when the seal does not hold under `key` (a forged
 * or altered state, seq or prevSeal, or another session's checkpoint).
 */
export function verifyCheckpoint<T = unknown>(sealing: Sealing, key: Uint8Array, value: unknown, sessionId?: string): SealedCheckpoint<T> {
  const where = sessionId === undefined ? '' : ` of session ${sessionId}`;
  if (typeof value !== 'object' || value === null) throw new ChainError('malformed', `a checkpoint${where} must be an object { seq, state, prevSeal, seal }`, { sessionId });
  const { seq, prevSeal, seal } = value as Partial<SealedCheckpoint>;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1 || seq > MAX_SEQ) {
    throw new ChainError('malformed', `checkpoint${where} has seq ${String(seq)}; it must be an integer from 1 to 2^53-1`, { sessionId });
  }
  if (typeof prevSeal !== 'string' || !sealPattern.test(prevSeal) || typeof seal !== 'string' || !sealPattern.test(seal)) {
    throw new ChainError('malformed', `checkpoint ${seq}${where} has a seal or prevSeal that is not 64 lowercase hex characters`, { seq, sessionId });
  }
  if (!('state' in value)) throw new ChainError('malformed', `checkpoint ${seq}${where} has no state`, { seq, sessionId });
  const state = (value as { state: unknown }).state;
  if (checkpointSeal(sealing, key, seq, prevSeal, state) !== seal) {
    throw new ChainError('broken_seal', `checkpoint ${seq}${where} does not match its seal: its state, seq or prevSeal was altered, or it was forged (or sealed with another key)`, {
      seq,
      sessionId,
    });
  }
  return { seq, state: state as T, prevSeal, seal };
}

// The typed refusal of a sealed chain (or of one sealed entry). A ChainError always means that
// nothing was changed: no state installed, nothing applied, nothing stored.

export type ChainErrorCode =
  /** The entry is not a sealed entry at all: bad seq, seal that is not 64 hex chars, body that is not JSON. */
  | 'malformed'
  /** The seal of entry `seq` does not match HMAC(key, prevSeal ‖ seq ‖ body): the body or a seal was altered, or an entry forged. */
  | 'broken_seal'
  /** No entry of the chain verifies under this session's key: it was sealed with another key or belongs to another session. */
  | 'wrong_key'
  /** An entry is missing: expected `seq`, found a later one. */
  | 'gap'
  /** Same seq, different seal: two histories for one session. */
  | 'fork'
  /** An entry that was already verified or applied came again. */
  | 'duplicate'
  /** An entry repeats an applied entry's seq and seal with another body: that body was never sealed, it is not run. */
  | 'body_mismatch'
  /** The session would have to be rebuilt from more entries than the handler's recall limit allows. */
  | 'recall_too_long'
  /** The chain ended before the seq the triggering message claims. */
  | 'truncated'
  /** The session is not known here and the client has no chain for it. */
  | 'unknown_session'
  /** The chain verified but the session definition threw while replaying an update. */
  | 'replay_failed';

export interface ChainErrorDetails {
  readonly seq?: number;
  readonly sessionId?: string;
  readonly cause?: unknown;
}

export class ChainError extends Error {
  readonly code: ChainErrorCode;
  /** The seq at which the chain was refused, when there is one. */
  readonly seq: number | undefined;
  readonly sessionId: string | undefined;

  constructor(code: ChainErrorCode, message: string, details: ChainErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ChainError';
    this.code = code;
    this.seq = details.seq;
    this.sessionId = details.sessionId;
  }
}

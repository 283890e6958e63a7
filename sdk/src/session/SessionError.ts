// Typed errors of scopes and sessions. Each has a `code` a caller can switch on.

export type SessionErrorCode =
  | 'cancelled' // the session or scope was cancelled (the reason is attached)
  | 'session_failed' // a child session threw or errored; `cause` is what it threw
  | 'scope_ended' // spawn into a scope that already ended
  | 'input_ended' // a collector's input completed before its condition was met
  | 'no_reply' // a service handler completed without producing its one reply
  | 'no_result'; // a session awaited for its result ended without one

export class SessionError extends Error {
  override name = 'SessionError';
  constructor(
    readonly code: SessionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A session (or the scope it runs in) was cancelled. `reason` is what the canceller gave. */
export class CancelledError extends SessionError {
  override name = 'CancelledError';
  constructor(
    readonly reason?: unknown,
    message = `cancelled${reason instanceof Error ? `: ${reason.message}` : typeof reason === 'string' ? `: ${reason}` : ''}`,
  ) {
    super('cancelled', message, { cause: reason });
  }
}

/** A child session failed. `session` names it; `cause` is the error it failed with. */
export class SessionFailedError extends SessionError {
  override name = 'SessionFailedError';
  constructor(
    readonly session: string,
    cause: unknown,
  ) {
    super('session_failed', `session "${session}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

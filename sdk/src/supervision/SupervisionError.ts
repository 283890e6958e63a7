// Typed errors of supervision: every failure a caller can act on is an Error subclass with a
// stable `code`, names the thing that failed and says what to do about it.

/** What went wrong, as a stable string callers can switch on. */
export type SupervisionErrorCode =
  | 'invalid_config' // a bad option: nothing was created or changed
  | 'restart_intensity' // more restarts than allowed within the window: the node gave up and escalated
  | 'child_failed' // a child escalated and took its parent down with it
  | 'ask_timeout' // no reply to an ask within its timeout
  | 'dead_lettered' // the message was moved to dead letters (failed too often, or its actor stopped)
  | 'mailbox_full' // tell() on an actor whose bounded inbox is full: use send() to wait for room
  | 'stopped' // the group / supervisor / actor was stopped; it takes no more work
  | 'unknown_child'; // no child with that id (or of that kind) in the supervisor

/** Base class of every error supervision throws or rejects with. */
export class SupervisionError extends Error {
  override name = 'SupervisionError';
  constructor(
    readonly code: SupervisionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A bad option. Thrown synchronously; nothing was created or changed. */
export class InvalidConfigError extends SupervisionError {
  override name = 'InvalidConfigError';
  constructor(message: string) {
    super('invalid_config', message);
  }
}

/**
 * A group, supervisor or actor restarted its children more than `maxRestarts` times within
 * `withinMs` and gave up. `cause` is the last child failure; `nodeId` names who gave up.
 */
export class RestartIntensityError extends SupervisionError {
  override name = 'RestartIntensityError';
  constructor(
    readonly nodeId: string,
    readonly maxRestarts: number,
    readonly withinMs: number,
    cause: unknown,
  ) {
    super(
      'restart_intensity',
      `"${nodeId}" gave up: more than ${maxRestarts} restarts within ${withinMs} ms (last failure: ${describe(cause)}); ` +
        'fix the failing child or raise `intensity`',
      { cause },
    );
  }
}

/** An actor failed because one of its children escalated (gave up restarting). */
export class ChildFailedError extends SupervisionError {
  override name = 'ChildFailedError';
  constructor(
    readonly childId: string,
    cause: unknown,
  ) {
    super('child_failed', `child "${childId}" failed and escalated: ${describe(cause)}`, { cause });
  }
}

/** An ask got no reply in time. The message may still be processed later; its reply is dropped. */
export class AskTimeoutError extends SupervisionError {
  override name = 'AskTimeoutError';
  constructor(
    readonly actorId: string,
    readonly timeoutMs: number,
  ) {
    super('ask_timeout', `actor "${actorId}" did not reply within ${timeoutMs} ms; raise timeoutMs or check that its handler calls reply()`);
  }
}

/** The message went to dead letters; an ask waiting for its reply rejects with this. */
export class DeadLetteredError extends SupervisionError {
  override name = 'DeadLetteredError';
  constructor(
    readonly actorId: string,
    readonly deliveries: number,
    cause: unknown,
  ) {
    super('dead_lettered', `actor "${actorId}" could not process the message (${deliveries} deliveries): ${describe(cause)}`, { cause });
  }
}

/** Work handed to something that was stopped. */
export class StoppedError extends SupervisionError {
  override name = 'StoppedError';
  constructor(readonly nodeId: string, what = 'was stopped') {
    super('stopped', `"${nodeId}" ${what}; start a new one`);
  }
}

/** No child with that id (or of that kind). */
export class UnknownChildError extends SupervisionError {
  override name = 'UnknownChildError';
  constructor(readonly supervisorId: string, readonly childId: string, detail = 'has no child with that id') {
    super('unknown_child', `supervisor "${supervisorId}" ${detail}: "${childId}"`);
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}

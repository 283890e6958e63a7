// Typed errors of the mailbox. Every failure a caller can act on has a `code`.

/** What went wrong, as a stable string callers can switch on. */
export type MailboxErrorCode =
  | 'closed' // the mailbox was closed: no more sends; receivers see this once it is drained
  | 'lease_not_held' // ack/nack on a lease that was already settled or taken back from its consumer
  | 'receiver_released' // receive on a receiver that was released (its consumer is dead)
  | 'invalid_config' // a bad capacity or similar; nothing was created
  | 'backing_failed'; // the persistent backing refused a write; the send did not happen

/** Base class of every error the mailbox throws or rejects with. */
export class MailboxError extends Error {
  override name = 'MailboxError';
  constructor(
    readonly code: MailboxErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A send after `close()`, or a receive once the closed mailbox has been drained. */
export class MailboxClosedError extends MailboxError {
  override name = 'MailboxClosedError';
  constructor(readonly mailbox: string, message = `mailbox "${mailbox}" is closed`) {
    super('closed', message);
  }
}

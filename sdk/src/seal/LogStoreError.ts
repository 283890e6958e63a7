// Errors of the log stores themselves (as opposed to ChainError, which refuses a chain).
export type LogStoreErrorCode =
  /** The store was closed (or, for IndexedDB, another tab's upgrade closed it); open a new one. */
  | 'closed'
  /** A record in the middle of the log is damaged: not a torn tail, which is dropped on reopen, but real corruption. */
  | 'corrupt';

export class LogStoreError extends Error {
  constructor(
    readonly code: LogStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LogStoreError';
  }
}

// A session as a value: an Observable (subscribe = run it, unsubscribe = cancel it) that can also
// be awaited (`result`, `ended`) or iterated (`values`). The pattern helpers return these, and a
// Session can be spawned into a Scope like any Observable.
import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import { Mailbox } from '../mailbox/Mailbox.js';
import { MailboxClosedError } from '../mailbox/MailboxError.js';
import { SessionError } from './SessionError.js';

export interface RunOptions {
  /** Aborting it unsubscribes the session (cancels it); the promise rejects with the reason. */
  readonly signal?: AbortSignal | undefined;
}

export class Session<T> extends Observable<T> {
  constructor(subscribe: (this: Observable<T>, subscriber: Subscriber<T>) => TeardownLogic) {
    super(subscribe);
  }

  /**
   * Runs the session and resolves with its last value (a collector's or server's one result).
   * Rejects SessionError `no_result` if it ended without a value.
   */
  result(options: RunOptions = {}): Promise<T> {
    return this.runToEnd(options).then((end) => {
      if (!end.hasValue) throw new SessionError('no_result', 'the session ended without producing a result');
      return end.value as T;
    });
  }

  /** Runs the session to its end, ignoring its values. */
  ended(options: RunOptions = {}): Promise<void> {
    return this.runToEnd(options).then(() => undefined);
  }

  /**
   * Runs the session and yields its values as they come (buffered while the loop is busy).
   * Breaking out of the loop, or aborting the signal, cancels the session.
   */
  async *values(options: RunOptions = {}): AsyncGenerator<T, void, undefined> {
    const buffer = new Mailbox<T>({ capacity: Infinity, name: 'session values' });
    let failure: { error: unknown } | undefined;
    const subscription = this.subscribe({
      next: (value) => void buffer.trySend(value),
      error: (error: unknown) => {
        failure = { error };
        buffer.close();
      },
      complete: () => buffer.close(),
    });
    const receiver = buffer.receiver();
    try {
      for (;;) {
        let lease;
        try {
          lease = await receiver.receive(options);
        } catch (error) {
          if (error instanceof MailboxClosedError) break;
          throw error;
        }
        lease.ack();
        yield lease.value;
      }
      if (failure !== undefined) throw failure.error;
    } finally {
      subscription.unsubscribe();
    }
  }

  private runToEnd(options: RunOptions): Promise<{ hasValue: boolean; value: T | undefined }> {
    const signal = options.signal;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let hasValue = false;
      let value: T | undefined;
      const onAbort = (): void => {
        subscription.unsubscribe();
        reject(signal!.reason);
      };
      const subscription = this.subscribe({
        next: (v) => {
          hasValue = true;
          value = v;
        },
        error: (error: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
        complete: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve({ hasValue, value });
        },
      });
      if (!subscription.closed) signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

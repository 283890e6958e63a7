// A task: one session spawned into a scope. The handle lets anyone who holds it see its state,
// await its result, or cancel it; the scope owns its life.
import { CancelledError, SessionError, type SessionFailedError } from './SessionError.js';

export type TaskState = 'running' | 'completed' | 'failed' | 'cancelled';

/** How a task ended, as `scope.join()` reports it. */
export type Settled<T> =
  | { readonly task: Task<T>; readonly state: 'completed'; readonly value: T }
  | { readonly task: Task<T>; readonly state: 'failed'; readonly error: SessionFailedError }
  | { readonly task: Task<T>; readonly state: 'cancelled'; readonly error: CancelledError };

export class Task<T> {
  /** @internal */ _state: TaskState = 'running';
  /**
   * Resolves with the session's value (for an Observable session: its last value); rejects with
   * SessionFailedError or CancelledError. Never reported as an unhandled rejection.
   */
  readonly result: Promise<T>;
  /** @internal */ _resolve!: (value: T) => void;
  /** @internal */ _reject!: (error: unknown) => void;

  /** @internal Tasks are made by `scope.spawn`. */
  constructor(
    /** Spawn order within its scope, from 1. */
    readonly id: number,
    readonly name: string,
    /** @internal */ readonly _controller: AbortController,
  ) {
    this.result = new Promise<T>((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
    });
    this.result.catch(() => undefined); // the failure is also reported through the scope
  }

  get state(): TaskState {
    return this._state;
  }

  /** Aborted when the task is cancelled (directly or by its scope ending). */
  get signal(): AbortSignal {
    return this._controller.signal;
  }

  /**
   * Cancels this one session; its scope carries on. Its signal's reason is a CancelledError (or
   * the scope's SessionError). No effect once it has ended.
   */
  cancel(reason?: unknown): void {
    if (this._state !== 'running' || this._controller.signal.aborted) return;
    this._controller.abort(reason instanceof SessionError ? reason : new CancelledError(reason));
  }
}

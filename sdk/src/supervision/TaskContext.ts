// What a task factory gets and may return. A task is one causal thread of work: a function that
// returns an Observable, a Promise, a session (anything subscribable or awaitable), or nothing.
import type { ObservableInput } from 'rxjs';
import type { DeadLetter } from './DeadLetter.js';

export interface TaskContext {
  /** Aborted when the task must stop NOW: its shutdown deadline passed, or its group failed. */
  readonly signal: AbortSignal;
  /**
   * Aborted when the task is asked to finish gracefully (shutdown, downscale, a sibling's restart
   * under one_for_all). A task that reads this property opts in to a graceful stop: it gets until
   * the shutdown deadline to finish its current item and return, then is aborted (`signal`). A
   * task that never reads it is stopped at once (like an OTP process that does not trap exits).
   * RxJS idiom: `source.pipe(takeUntil(fromEvent(ctx.stopping, 'abort')))`.
   */
  readonly stopping: AbortSignal;
  /** The task's node id in the inspection tree, e.g. `app/workers/2`. */
  readonly id: string;
  /** Its slot in the group: 0..size-1 at start, then increasing as the group upscales. */
  readonly slot: number;
  /** 0 on the first run of this slot, n after its n-th restart. */
  readonly attempt: number;
  /**
   * Gives up on a message: it goes to the system's dead letters (and inspection stream) with its
   * cause, recipient this task's group. `serveMailbox` calls it after `maxDeliveries`.
   */
  deadLetter<M>(message: M, deliveries: number, cause: unknown): DeadLetter<M>;
}

/**
 * What a factory may return: an Observable (or any ObservableInput: Promise, async iterable,
 * session), or nothing (a synchronous task that is done when it returns). Completion or
 * resolution is a normal exit; an error, rejection or synchronous throw is a failure.
 */
export type TaskResult = ObservableInput<unknown> | PromiseLike<unknown> | void | undefined;

export type TaskFactory = (context: TaskContext) => TaskResult;

// One run ("incarnation") of a task: calls the factory, watches the returned Observable or
// Promise, and reports how it ended exactly once. Stopping is two-phase like OTP's shutdown:
// first the `stopping` signal (finish gracefully), then at the deadline `signal` is aborted, the
// Observable unsubscribed, and the run counts as killed.
import { from, isObservable, type Subscription } from 'rxjs';
import { failed, KILLED, NORMAL, SHUTDOWN, type Exit } from '../Exit.js';
import { StoppedError } from '../SupervisionError.js';
import type { TaskContext, TaskFactory } from '../TaskContext.js';
import type { DeadLetter } from '../DeadLetter.js';
import type { Incarnation } from './Incarnation.js';

export function runTask(
  factory: TaskFactory,
  id: string,
  slot: number,
  attempt: number,
  onExit: (exit: Exit) => void,
  deadLetter: DeadLetterSink,
): Incarnation {
  return new TaskRun(factory, id, slot, attempt, onExit, deadLetter);
}

export type DeadLetterSink = <M>(message: M, deliveries: number, cause: unknown) => DeadLetter<M>;

class TaskRun implements Incarnation, TaskContext {
  private abort: AbortController | undefined;
  private graceful: AbortController | undefined;
  private subscription: Subscription | undefined;
  private ended: Exit | undefined;
  private stopRequested = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private waiters: Array<(exit: Exit) => void> | undefined;

  constructor(
    factory: TaskFactory,
    readonly id: string,
    readonly slot: number,
    readonly attempt: number,
    private readonly onExit: (exit: Exit) => void,
    readonly deadLetter: DeadLetterSink,
  ) {
    let result: unknown;
    try {
      result = factory(this);
    } catch (cause) {
      this.end(failed(cause));
      return;
    }
    if (this.ended !== undefined) return;
    if (result === undefined || result === null) {
      this.end(NORMAL);
    } else if (!isObservable(result) && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(
        () => this.end(this.stopRequested ? SHUTDOWN : NORMAL),
        (cause: unknown) => this.end(this.classify(cause)),
      );
    } else {
      let observable;
      try {
        observable = from(result as Parameters<typeof from>[0]);
      } catch {
        // Not an ObservableInput: a synchronous task that returned a value. Done.
        this.end(NORMAL);
        return;
      }
      const subscription = observable.subscribe({
        error: (cause: unknown) => this.end(this.classify(cause)),
        complete: () => this.end(this.stopRequested ? SHUTDOWN : NORMAL),
      });
      if (this.ended === undefined) this.subscription = subscription;
      else subscription.unsubscribe();
    }
  }

  get signal(): AbortSignal {
    // Made on first use: most restarts of tasks that never look at it then cost no AbortController.
    const controller = (this.abort ??= new AbortController());
    if (this.ended !== undefined && !controller.signal.aborted) controller.abort(new StoppedError(this.id, 'has ended'));
    return controller.signal;
  }

  get stopping(): AbortSignal {
    return (this.graceful ??= new AbortController()).signal;
  }

  stop(timeoutMs: number): Promise<Exit> {
    if (this.ended !== undefined) return Promise.resolve(this.ended);
    const promise = new Promise<Exit>((resolve) => (this.waiters ??= []).push(resolve));
    if (!this.stopRequested) {
      this.stopRequested = true;
      // A task that never looked at `stopping` cannot be cooperating: like an OTP process that does
      // not trap exits, it is stopped at once rather than after a grace period it cannot use.
      if (timeoutMs <= 0 || this.graceful === undefined) this.kill();
      else {
        this.graceful?.abort(new StoppedError(this.id, 'is shutting down'));
        if (this.ended === undefined && timeoutMs !== Infinity) this.timer = setTimeout(() => this.kill(), timeoutMs);
      }
    }
    return promise;
  }

  kill(): void {
    if (this.ended !== undefined) return;
    this.end(KILLED);
  }

  /** An error after a stop was requested that is just the task honouring it counts as shutdown. */
  private classify(cause: unknown): Exit {
    if (this.stopRequested) {
      if (cause === this.graceful?.signal.reason || (cause instanceof Error && cause.name === 'AbortError')) return SHUTDOWN;
    }
    return failed(cause);
  }

  private end(exit: Exit): void {
    if (this.ended !== undefined) return;
    this.ended = exit;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const subscription = this.subscription;
    this.subscription = undefined;
    if (exit === KILLED) {
      const reason = new StoppedError(this.id, 'was aborted at its shutdown deadline');
      this.abort?.abort(reason);
      this.graceful?.abort(reason);
    }
    subscription?.unsubscribe();
    // The run is over either way: anything it started with our signal must stop now.
    if (this.abort !== undefined && !this.abort.signal.aborted) this.abort.abort(new StoppedError(this.id, 'has ended'));
    this.onExit(exit);
    const waiters = this.waiters;
    this.waiters = undefined;
    if (waiters !== undefined) for (const w of waiters) w(exit);
  }
}

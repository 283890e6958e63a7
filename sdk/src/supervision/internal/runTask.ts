// One run ("incarnation") of a task: calls the factory, watches the returned Observable or
// Promise, and reports how it ended exactly once. Stopping is RunLifecycle's two-phase stop:
// first the `stopping` signal (finish gracefully), then at the deadline `signal` is aborted, the
// Observable unsubscribed, and the run counts as killed.
import { from, isObservable, type Subscription } from 'rxjs';
import { failed, KILLED, NORMAL, SHUTDOWN, type Exit } from '../Exit.js';
import type { TaskContext, TaskFactory } from '../TaskContext.js';
import type { DeadLetter } from '../DeadLetter.js';
import type { Incarnation } from './Incarnation.js';
import { RunLifecycle } from './RunLifecycle.js';

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

class TaskRun extends RunLifecycle implements TaskContext {
  private subscription: Subscription | undefined;

  constructor(
    factory: TaskFactory,
    id: string,
    readonly slot: number,
    readonly attempt: number,
    onExit: (exit: Exit) => void,
    readonly deadLetter: DeadLetterSink,
  ) {
    super(id, onExit);
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

  protected stopGracefully(): void {
    // A task that never looked at `stopping` cannot be cooperating: like an OTP process that does
    // not trap exits, it is stopped at once rather than after a grace period it cannot use.
    if (this.graceful === undefined) this.end(KILLED);
  }

  protected teardown(): void {
    this.subscription?.unsubscribe();
  }

  /** An error after a stop was requested that is just the task honouring it counts as shutdown. */
  private classify(cause: unknown): Exit {
    if (this.stopRequested) {
      if (cause === this.graceful?.signal.reason || (cause instanceof Error && cause.name === 'AbortError')) return SHUTDOWN;
    }
    return failed(cause);
  }
}

// How one run of a supervised unit (a group's or supervisor's task, an actor) stops and ends: the
// run/stop protocol TaskRun and ActorRun share. Stopping is two-phase like OTP's shutdown: first
// the graceful phase (`stopping` aborts; the run finishes its current work), then at the deadline
// the run is killed. However it ends — on its own, failed, shut down or killed — it ends exactly
// once: the deadline timer is cleared, `signal` aborts, the run tears down, then `onExit` and every
// `stop()` caller get the same Exit.
import { KILLED, type Exit } from '../Exit.js';
import { StoppedError } from '../SupervisionError.js';
import type { Incarnation } from './Incarnation.js';

export abstract class RunLifecycle implements Incarnation {
  /** How the run ended, once it has. */
  protected ended: Exit | undefined;
  /** A stop was asked for: the graceful phase has begun. */
  protected stopRequested = false;
  private controller: AbortController | undefined; // made on first use, like `graceful`: most runs never look
  protected graceful: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private waiters: Array<(exit: Exit) => void> | undefined;

  constructor(
    readonly id: string,
    private readonly onExit: (exit: Exit) => void,
  ) {}

  /** Aborted when the run ends, however it ends: pass it to everything the run starts. */
  get signal(): AbortSignal {
    const controller = (this.controller ??= new AbortController());
    if (this.ended !== undefined && !controller.signal.aborted) controller.abort(this.endReason(this.ended));
    return controller.signal;
  }

  /** Aborted when the run is asked to finish gracefully (before its deadline). */
  get stopping(): AbortSignal {
    return (this.graceful ??= new AbortController()).signal;
  }

  /**
   * Asks the run to end: gracefully first, killed at `timeoutMs` (0: kill now; Infinity: no
   * deadline). Resolves with how it ended; once it has ended, with that same Exit.
   */
  stop(timeoutMs: number): Promise<Exit> {
    if (this.ended !== undefined) return Promise.resolve(this.ended);
    const promise = new Promise<Exit>((resolve) => (this.waiters ??= []).push(resolve));
    if (!this.stopRequested) {
      this.stopRequested = true;
      if (timeoutMs <= 0) this.end(KILLED);
      else {
        this.graceful?.abort(new StoppedError(this.id, 'is shutting down'));
        if (this.ended === undefined) this.stopGracefully();
        if (this.ended === undefined && timeoutMs !== Infinity) this.timer = setTimeout(() => this.end(KILLED), timeoutMs);
      }
    }
    return promise;
  }

  /** The graceful phase: what finishing means for this kind of run. It may end the run at once. */
  protected abstract stopGracefully(): void;

  /** Frees what the run holds, after `signal` aborted; a returned promise delays `onExit` until it settles. */
  protected abstract teardown(exit: Exit): PromiseLike<unknown> | void;

  /** Ends the run with `exit`; every later call is ignored. */
  protected end(exit: Exit): void {
    if (this.ended !== undefined) return;
    this.ended = exit;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const reason = this.endReason(exit);
    if (exit === KILLED) this.graceful?.abort(reason);
    this.controller?.abort(reason);
    const pending = this.teardown(exit);
    if (pending === undefined) this.report(exit);
    else void pending.then(() => this.report(exit));
  }

  private report(exit: Exit): void {
    this.onExit(exit);
    if (this.waiters !== undefined) for (const w of this.waiters) w(exit);
  }

  private endReason(exit: Exit): StoppedError {
    return new StoppedError(this.id, exit === KILLED ? 'was aborted at its shutdown deadline' : exit.reason === 'failed' ? 'crashed' : 'has ended');
  }
}

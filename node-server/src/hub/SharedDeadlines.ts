// Command deadlines as AbortSignals shared by every command started within one short slice of time. A signal per
// command (AbortSignal.timeout) cost each command a timer, a weak reference and listener bookkeeping: ~2.5% of the
// hub's CPU in the streams benchmark, more again in the garbage collector. Commands started in the same slice
// (a tenth of the deadline, at most 10 ms) share one signal, which fires `deadlineMs` after the slice ends, so a
// command is never cut off before its deadline and at most one slice after it.
import { setMaxListeners } from 'node:events';

export class SharedDeadlines {
  private readonly sliceMs: number;
  private current: AbortSignal | undefined;
  /** When the current slice ends (performance.now() time): a command started later gets a new signal. */
  private sliceEnd = 0;

  constructor(private readonly deadlineMs: number) {
    this.sliceMs = Math.max(0, Math.min(10, deadlineMs / 10));
  }

  /** A signal that aborts (with a TimeoutError, as AbortSignal.timeout) no sooner than `deadlineMs` from now. */
  next(): AbortSignal {
    const now = performance.now();
    if (this.current === undefined || now >= this.sliceEnd) {
      this.sliceEnd = now + this.sliceMs;
      this.current = AbortSignal.timeout(this.deadlineMs + this.sliceMs);
      // Every command of the slice may listen (the PostgreSQL store does, to drop its connection): not a leak.
      setMaxListeners(0, this.current);
    }
    return this.current;
  }
}

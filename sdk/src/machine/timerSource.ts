// The core's timer event source: an Observable that emits once after `delayMs` (or every
// `periodMs` after that). Unsubscribing clears the host timer, so a state that leaves never
// leaks one. Used by `me.timer(tag, ms)`.
import { Observable } from 'rxjs';

export interface TimerSourceConfig {
  /** Emit again every `periodMs` after the first emission. Default: emit once and complete. */
  readonly periodMs?: number | undefined;
}

export function timerSource(delayMs: number, config: TimerSourceConfig = {}): Observable<undefined> {
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new RangeError(`timerSource: delayMs must be a finite number >= 0, got ${delayMs}.`);
  }
  const { periodMs } = config;
  if (periodMs !== undefined && (!Number.isFinite(periodMs) || periodMs <= 0)) {
    throw new RangeError(`timerSource: periodMs must be a finite number > 0, got ${periodMs}.`);
  }
  return new Observable<undefined>((subscriber) => {
    let interval: ReturnType<typeof setInterval> | undefined;
    const timeout = setTimeout(() => {
      subscriber.next(undefined);
      if (periodMs === undefined) subscriber.complete();
      else interval = setInterval(() => subscriber.next(undefined), periodMs);
    }, delayMs);
    return () => {
      clearTimeout(timeout);
      if (interval !== undefined) clearInterval(interval);
    };
  });
}

// Collector sessions (seed 000): streaming input, one-shot result. The session decides when it
// is done from what it has collected (a quorum reached, a batch full) — no shutdown signal.
import { foldSession, type StepContext } from './foldSession.js';
import type { Session } from './Session.js';
import { SessionError } from './SessionError.js';
import type { Outcome, SessionInput } from './sessionInput.js';

export interface CollectorConfig<I, S, R = S> {
  /** A fresh state per run. */
  readonly seed: () => S;
  /** Folds one message into the state (may return a promise; messages are handled one at a time). */
  readonly step: (state: S, message: I, context: StepContext) => Outcome<S>;
  /** The collector's own termination rule, checked after each step. */
  readonly until: (state: S) => boolean;
  /** The result from the final state. Default: the state itself. */
  readonly result?: (state: S) => R;
  /**
   * If the input completes before `until` holds: 'error' (default) fails with SessionError
   * `input_ended`; 'result' emits the result of what was collected.
   */
  readonly onInputEnd?: 'error' | 'result' | undefined;
}

/**
 * `await collector(votes$, { seed: () => new Set(), step: (s, v) => s.add(v), until: (s) => s.size >= 3 }).result()`
 * — or subscribe to it, or spawn it into a scope. Emits one value and completes; unsubscribing
 * cancels it. Mailbox input is acked message by message once stepped.
 */
export function collector<I, S, R = S>(input: SessionInput<I>, config: CollectorConfig<I, S, R>): Session<R> {
  const result = config.result ?? ((state: S) => state as unknown as R);
  const onInputEnd = config.onInputEnd ?? 'error';
  return foldSession<I, S, R>(input, {
    seed: config.seed,
    step: config.step,
    result,
    stopAfterStep: config.until,
    onInputEnd: () =>
      onInputEnd === 'result'
        ? { ok: true }
        : { ok: false, error: new SessionError('input_ended', "the collector's input completed before its condition was met; use onInputEnd: 'result' to accept a partial result") },
  });
}

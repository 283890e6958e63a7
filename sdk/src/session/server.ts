// Server sessions (seed 000): like a collector, but it runs until it is told to stop — a shutdown
// signal, or a shutdown message arriving on its input — then returns a (usually small) result.
import { foldSession, type StepContext } from './foldSession.js';
import type { Session } from './Session.js';
import { type Shutdown, shutdownSignal } from './shutdownSignal.js';
import type { Outcome, SessionInput } from './sessionInput.js';

export interface ServerConfig<I, S, R = S> {
  readonly seed: () => S;
  /** Handles one message (may return a promise; messages are handled one at a time). */
  readonly step: (state: S, message: I, context: StepContext) => Outcome<S>;
  /** Stop when this fires: an AbortSignal, or the first value of any ObservableInput. */
  readonly shutdown?: Shutdown | undefined;
  /** A message that means "shut down" (it is not stepped). */
  readonly isShutdown?: (message: I) => boolean;
  /** The result from the final state (metrics, a summary). Default: the state itself. */
  readonly result?: (state: S) => R;
}

/**
 * Runs until `shutdown` fires, an `isShutdown` message arrives, or the input completes (its
 * source closed); then emits `result(state)` once and completes. Unsubscribing cancels it
 * without a result.
 */
export function server<I, S, R = S>(input: SessionInput<I>, config: ServerConfig<I, S, R>): Session<R> {
  const shutdown = shutdownSignal(config.shutdown);
  return foldSession<I, S, R>(input, {
    seed: config.seed,
    step: config.step,
    result: config.result ?? ((state: S) => state as unknown as R),
    ...(config.isShutdown !== undefined && { stopOnMessage: config.isShutdown }),
    ...(shutdown !== undefined && { shutdown }),
    onInputEnd: () => ({ ok: true }),
  });
}

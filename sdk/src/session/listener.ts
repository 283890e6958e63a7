// Listener sessions (seed 000): one-shot input, streaming output — a socket listener yielding
// connections. They loop forever, so they take an explicit shutdown signal when started.
import { type ObservableInput, from, takeUntil } from 'rxjs';
import { Session } from './Session.js';
import { type Shutdown, shutdownSignal } from './shutdownSignal.js';

export interface ListenerConfig {
  /** Required: the listener runs until this fires (or its source ends, or it is unsubscribed). */
  readonly shutdown: Shutdown;
}

export interface ListenerContext {
  /** Aborted when the listener ends, so the source can close what it opened. */
  readonly signal: AbortSignal;
}

/**
 * `listener((ctx) => acceptConnections(port, ctx.signal), { shutdown: scope.signal })` — starts
 * the source once and mirrors what it emits until shutdown, then completes.
 */
export function listener<O>(start: (context: ListenerContext) => ObservableInput<O>, config: ListenerConfig): Session<O> {
  const shutdown = shutdownSignal(config.shutdown)!;
  return new Session<O>((subscriber) => {
    const controller = new AbortController();
    let source;
    try {
      source = from(start({ signal: controller.signal }));
    } catch (error) {
      subscriber.error(error);
      return;
    }
    const subscription = source.pipe(takeUntil(shutdown)).subscribe(subscriber);
    return () => {
      subscription.unsubscribe();
      controller.abort();
    };
  });
}

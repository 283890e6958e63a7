// Turns the ways a session can be told to shut down (an AbortSignal, or anything observable)
// into one Observable that emits once. Internal to the pattern helpers.
import { Observable, type ObservableInput, from, take } from 'rxjs';

/** A shutdown trigger: an AbortSignal (abort = shut down) or any ObservableInput (first value = shut down). */
export type Shutdown = AbortSignal | ObservableInput<unknown>;

/** @internal */
export function shutdownSignal(shutdown: Shutdown | undefined): Observable<unknown> | undefined {
  if (shutdown === undefined) return undefined;
  if (isAbortSignal(shutdown)) {
    const signal = shutdown;
    return new Observable<unknown>((subscriber) => {
      const fire = (): void => {
        subscriber.next(signal.reason);
        subscriber.complete();
      };
      if (signal.aborted) return fire();
      signal.addEventListener('abort', fire, { once: true });
      return () => signal.removeEventListener('abort', fire);
    });
  }
  return from(shutdown).pipe(take(1));
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return typeof AbortSignal !== 'undefined' && value instanceof AbortSignal;
}

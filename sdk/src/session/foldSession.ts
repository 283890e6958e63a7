// The engine shared by collector and server: fold a streaming input into a state, one message at
// a time (a step may be async; the next message waits), and emit one result when a stop rule
// fires. Internal.
import { type Observable, type Subscription, isObservable, take } from 'rxjs';
import { SessionError } from './SessionError.js';
import { Deque } from '../internal/Deque.js';
import { Session } from './Session.js';
import { type InputItem, type Outcome, type SessionInput, handled, sessionInput } from './sessionInput.js';
import { isPromiseLike } from '../internal/isPromiseLike.js';

/** What a step gets besides the state and the message. */
export interface StepContext {
  /** Aborted when the session ends (result emitted, cancelled, unsubscribed). */
  readonly signal: AbortSignal;
}

export interface FoldRules<I, S, R> {
  readonly seed: () => S;
  readonly step: (state: S, message: I, context: StepContext) => Outcome<S>;
  readonly result: (state: S) => R;
  /** Checked before a message is stepped: true = stop now, with this state. */
  readonly stopOnMessage?: (message: I) => boolean;
  /** Checked after each step: true = stop with the new state. */
  readonly stopAfterStep?: (state: S) => boolean;
  /** What to do when the input completes first: emit the result, or fail with this error. */
  readonly onInputEnd: (state: S) => { ok: true } | { ok: false; error: unknown };
  /** Stops the session with the current state (the server's shutdown signal). */
  readonly shutdown?: Observable<unknown> | undefined;
}

/** @internal */
export function foldSession<I, S, R>(input: SessionInput<I>, rules: FoldRules<I, S, R>): Session<R> {
  return new Session<R>((subscriber) => {
    const controller = new AbortController();
    const context: StepContext = { signal: controller.signal };
    let state = rules.seed();
    let busy = false;
    let inputDone = false;
    const backlog = new Deque<InputItem<I>>();
    let inputSubscription: Subscription | undefined;
    let stepSubscription: Subscription | undefined;

    const stop = (): void => {
      if (subscriber.closed) return;
      subscriber.next(rules.result(state));
      subscriber.complete();
    };
    const fail = (error: unknown): void => subscriber.error(error);

    // Runs queued messages one at a time; a synchronous step keeps going without a tick.
    const drain = (): void => {
      while (!busy && !subscriber.closed) {
        const item = backlog.shift();
        if (item === undefined) {
          if (inputDone) {
            const end = rules.onInputEnd(state);
            if (end.ok) stop();
            else fail(end.error);
          }
          return;
        }
        if (rules.stopOnMessage?.(item.value)) {
          handled(item);
          return stop();
        }
        let next: Outcome<S>;
        try {
          next = rules.step(state, item.value, context);
        } catch (error) {
          return fail(error);
        }
        if (isObservable(next) || isPromiseLike(next)) {
          busy = true;
          const resume = (value: S): void => {
            if (subscriber.closed) return;
            busy = false;
            applied(item, value);
            drain();
          };
          if (isObservable(next)) {
            // Its first value is the new state; cancelled with the session.
            let got = false;
            stepSubscription = next.pipe(take(1)).subscribe({
              next: (value) => {
                got = true;
                resume(value);
              },
              error: fail,
              complete: () => {
                if (!got) fail(new SessionError('no_result', 'a step returned an Observable that completed without a new state'));
              },
            });
          } else next.then(resume, fail);
          return;
        }
        applied(item, next);
      }
    };
    const applied = (item: InputItem<I>, next: S): void => {
      state = next;
      handled(item);
      if (rules.stopAfterStep?.(state)) stop();
    };

    const shutdownSubscription = rules.shutdown?.subscribe({ next: stop, error: fail });
    if (!subscriber.closed) {
      inputSubscription = sessionInput(input).subscribe({
        next: (item) => {
          backlog.push(item);
          drain();
        },
        error: fail,
        complete: () => {
          inputDone = true;
          drain();
        },
      });
    }
    return () => {
      controller.abort();
      shutdownSubscription?.unsubscribe();
      stepSubscription?.unsubscribe();
      inputSubscription?.unsubscribe(); // unhandled mailbox leases go back to their mailbox
    };
  });
}

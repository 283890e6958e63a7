// Service sessions (seed 000): streaming input, correlated streaming output — exactly one reply
// per request, each carrying its request. The service ends when its input completes and the
// last reply is out.
import { type Subscription, isObservable, take } from 'rxjs';
import { Deque } from '../internal/Deque.js';
import { Session } from './Session.js';
import { SessionError } from './SessionError.js';
import { type InputItem, type Outcome, type SessionInput, handled, sessionInput } from './sessionInput.js';
import { isPromiseLike } from '../internal/isPromiseLike.js';

/** The one reply to one request: its value, or the error the handler failed with. */
export type Reply<Req, Res> =
  | { readonly index: number; readonly request: Req; readonly ok: true; readonly value: Res }
  | { readonly index: number; readonly request: Req; readonly ok: false; readonly error: unknown };

export interface ServiceConfig {
  /** Requests handled at once. Default 1. Replies always come out in request order. */
  readonly concurrency?: number | undefined;
}

export interface ServiceContext {
  /** 0-based position of the request in the input. */
  readonly index: number;
  /** Aborted if the service is cancelled while this request is being handled. */
  readonly signal: AbortSignal;
}

/**
 * `service(requests$, (req) => handle(req))` emits one Reply per request, in request order. A
 * handler that throws produces an `ok: false` reply (the service goes on); one that returns an
 * Observable replies with its first value (SessionError `no_reply` if it has none). Mailbox
 * input is acked once the reply to it has been emitted.
 */
export function service<Req, Res>(
  requests: SessionInput<Req>,
  handle: (request: Req, context: ServiceContext) => Outcome<Res>,
  config: ServiceConfig = {},
): Session<Reply<Req, Res>> {
  const concurrency = Math.max(1, config.concurrency ?? 1);
  return new Session<Reply<Req, Res>>((subscriber) => {
    const controller = new AbortController();
    interface Pending {
      readonly item: InputItem<Req>;
      reply: Reply<Req, Res> | undefined;
    }
    const waiting = new Deque<InputItem<Req>>(); // not started (over the concurrency limit)
    const inOrder = new Deque<Pending>(); // started, replies released in request order
    let nextIndex = 0;
    let running = 0;
    let inputDone = false;
    const handlers = new Set<Subscription>();

    const release = (): void => {
      for (let head = inOrder.peek(); head?.reply !== undefined; head = inOrder.peek()) {
        inOrder.shift();
        subscriber.next(head.reply);
        handled(head.item);
      }
      if (inputDone && running === 0 && waiting.length === 0 && inOrder.length === 0) subscriber.complete();
    };

    const startNext = (): void => {
      while (running < concurrency && waiting.length > 0 && !subscriber.closed) {
        const item = waiting.shift()!;
        const pending: Pending = { item, reply: undefined };
        const index = nextIndex++;
        inOrder.push(pending);
        running++;
        const settle = (reply: Reply<Req, Res>): void => {
          if (subscriber.closed) return;
          pending.reply = reply;
          running--;
          startNext();
          release();
        };
        const ok = (value: Res): void => settle({ index, request: item.value, ok: true, value });
        const failed = (error: unknown): void => settle({ index, request: item.value, ok: false, error });
        let outcome: Outcome<Res>;
        try {
          outcome = handle(item.value, { index, signal: controller.signal });
        } catch (error) {
          failed(error);
          continue;
        }
        if (isObservable(outcome)) {
          // Subscribed until its first value; cancelled with the service.
          let replied = false;
          let ended = false;
          const handler = outcome.pipe(take(1)).subscribe({
            next: (value) => {
              replied = true;
              ok(value);
            },
            error: (error: unknown) => {
              ended = true;
              failed(error);
            },
            complete: () => {
              ended = true;
              if (!replied) failed(new SessionError('no_reply', `the handler of request ${index} completed without a reply`));
            },
          });
          if (!ended) {
            handlers.add(handler);
            handler.add(() => handlers.delete(handler));
          }
        } else if (isPromiseLike(outcome)) {
          outcome.then(ok, failed);
        } else {
          ok(outcome);
        }
      }
    };

    const subscription: Subscription = sessionInput(requests).subscribe({
      next: (item) => {
        waiting.push(item);
        startNext();
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        inputDone = true;
        release();
      },
    });
    return () => {
      controller.abort();
      for (const handler of handlers) handler.unsubscribe();
      subscription.unsubscribe(); // requests not yet replied to go back to their mailbox
    };
  });
}


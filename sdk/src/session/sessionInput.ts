// What the pattern helpers accept as streaming input, turned into one shape: an Observable of
// items that say how to settle them. A mailbox receiver's leases are acked once the session has
// handled the message (and given back if the session dies first), so a crash loses nothing.
import { type Observable, type ObservableInput, from, isObservable, map } from 'rxjs';
import type { Lease } from '../mailbox/Lease.js';
import { MailboxReceiver } from '../mailbox/MailboxReceiver.js';

/** Streaming input of a session: an Observable, an async iterable (or any ObservableInput), or a mailbox receiver. */
export type SessionInput<I> = MailboxReceiver<I> | ObservableInput<I>;

/** @internal */
export interface InputItem<I> {
  readonly value: I;
  /** Set when the item came from a mailbox: ack it once handled. */
  readonly lease: Lease<I> | undefined;
}

/** @internal */
export function sessionInput<I>(input: SessionInput<I>): Observable<InputItem<I>> {
  if (input instanceof MailboxReceiver) {
    return input.leases().pipe(map((lease): InputItem<I> => ({ value: lease.value, lease })));
  }
  const source = isObservable(input) ? input : from(input);
  return source.pipe(map((value): InputItem<I> => ({ value, lease: undefined })));
}

/** @internal Acks a mailbox item once the session handled it. */
export function handled<I>(item: InputItem<I>): void {
  if (item.lease?.held) item.lease.ack();
}

/** @internal A value, a promise of one, or an Observable whose first value is it. */
export type Outcome<R> = Observable<R> | PromiseLike<R> | R;


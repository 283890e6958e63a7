// The messages a mailbox holds and has not delivered, in id (send) order. Two runs, head first:
// - `returned`: messages delivered before and given back (nack, consumer death) or recovered from a backing, as
//   Lease entries with their delivery counts;
// - `fresh`: messages never delivered, as bare values with consecutive ids (the head's id is kept; a mailbox without
//   a backing gives ids one by one as it accepts; a backing's failed write leaves a gap, and then the fresh run so
//   far is turned into Lease entries first).
// A fresh message costs no object until it is delivered: a backlog of a million tells to an actor is one array of
// pointers, not a million Lease objects that each survive two scavenges into the old generation (measured: that
// retention was ~90% of the time of a million tells; see sdk/README.md "Benchmarks").
//
// Every fresh id is greater than every returned id: a message is delivered only from the head, so when one is given
// back, every message still fresh was sent after it (and ids are given in send order; a backing's writes enter in
// id order). The merge in `returnToHead` therefore only ever reorders returned entries among themselves.
import { Deque } from '../internal/Deque.js';
import { Lease } from './Lease.js';
import type { MailboxCore } from './MailboxCore.js';

export class QueuedMessages<T> {
  private readonly returned = new Deque<Lease<T>>();
  private readonly fresh = new Deque<T>();
  /** The id of `fresh`'s head; the others follow one by one. */
  private freshHeadId = 0;

  constructor(private readonly core: MailboxCore<T>) {}

  get length(): number {
    return this.returned.length + this.fresh.length;
  }

  /** A message never delivered, at the tail. */
  pushFresh(id: number, value: T): void {
    if (this.fresh.length === 0) this.freshHeadId = id;
    else if (id !== this.freshHeadId + this.fresh.length) this.materializeFresh(id);
    this.fresh.push(value);
  }

  /** Ids no longer follow one by one: the fresh run so far becomes Lease entries, and a new run starts at `id`. */
  private materializeFresh(id: number): void {
    const n = this.fresh.length;
    for (let i = 0; i < n; i++) this.returned.push(new Lease(this.core, this.freshHeadId + i, this.fresh.shift() as T, 0));
    this.freshHeadId = id;
  }

  /** A message recovered from a backing (it may have been delivered before): queued before every fresh one. */
  pushRecovered(id: number, value: T, deliveries: number): void {
    this.returned.push(new Lease(this.core, id, value, deliveries));
  }

  /** The head as a queued Lease (made now for a fresh message), or undefined when empty. */
  shift(): Lease<T> | undefined {
    const returned = this.returned.shift();
    if (returned !== undefined) return returned;
    if (this.fresh.length === 0) return undefined;
    const value = this.fresh.shift() as T;
    return new Lease(this.core, this.freshHeadId++, value, 0);
  }

  /**
   * Puts given-back messages (sorted by id) at the head so the queue stays in id order. They are usually older than
   * every returned entry still queued, so this is normally a plain prepend.
   */
  returnToHead(back: Array<Lease<T>>): void {
    const newest = back[back.length - 1]!.id;
    const overtaken: Array<Lease<T>> = [];
    while (this.returned.length > 0 && this.returned.peek()!.id < newest) overtaken.push(this.returned.shift()!);
    const merged = overtaken.length === 0 ? back : back.concat(overtaken).sort(byId);
    for (let i = merged.length - 1; i >= 0; i--) this.returned.unshift(merged[i]!);
  }
}

export function byId<T>(a: Lease<T>, b: Lease<T>): number {
  return a.id - b.id;
}

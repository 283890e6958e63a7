// A lease: one delivery of one message to one consumer. The consumer acks when it is done; until
// then the message still belongs to the mailbox and comes back if the consumer dies or nacks.
// A message is queued as a bare value and becomes a Lease when delivered (QueuedMessages); a message
// given back is re-queued as a fresh Lease, so a stale handle stays stale.
import type { Consumer, MailboxCore } from './MailboxCore.js';

/** `held` until acked; `returned` once the mailbox took it back (nack, consumer death). */
export type LeaseState = 'held' | 'acked' | 'returned';

export class Lease<T> {
  /** @internal 'queued' before delivery; users only ever see the other states. */
  _state: LeaseState | 'queued' = 'queued';
  /** @internal */ _deliveries: number;
  /** @internal the consumer holding it (set on delivery) */
  _consumer: Consumer<T> | undefined = undefined;
  /** @internal links in the consumer's list of unacked leases (delivery order) */
  _prev: Lease<T> | undefined = undefined;
  /** @internal */ _next: Lease<T> | undefined = undefined;

  /** @internal Leases are made by the mailbox only. */
  constructor(
    /** @internal */ readonly _core: MailboxCore<T>,
    /** The message id: unique in its mailbox, increasing in send order, the same on redelivery. */
    readonly id: number,
    /** The message. */
    readonly value: T,
    deliveries: number,
  ) {
    this._deliveries = deliveries;
  }

  /** 1 the first time this message is delivered, 2 on its first redelivery, ... */
  get deliveries(): number {
    return this._deliveries;
  }

  get state(): LeaseState {
    return this._state as LeaseState;
  }

  /** True while this consumer still holds it (it may ack or nack). */
  get held(): boolean {
    return this._state === 'held';
  }

  /**
   * Done: the message leaves the mailbox (and its backing). Throws MailboxError `lease_not_held`
   * if the lease was already acked or taken back — then the message was, or will be, delivered
   * again, so a late ack from a dead consumer cannot ack someone else's delivery.
   */
  ack(): void {
    this._core.ack(this);
  }

  /**
   * Gives up: this lease AND every other unacked lease of the same consumer go back to the head
   * of the queue in send order, exactly as if the consumer had died. The receiver stays usable.
   * Throws MailboxError `lease_not_held` if the lease is no longer held.
   */
  nack(): void {
    this._core.nack(this);
  }
}

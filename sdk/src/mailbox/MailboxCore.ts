// The mailbox's state and algorithms, shared by its faces (Mailbox, MailboxReceiver, Lease).
// Internal: not exported from the package. The hot paths (room available / a receiver waiting)
// are synchronous; a queued message is a bare value until delivered, then one Lease (QueuedMessages).
import { Deque } from '../internal/Deque.js';
import { Lease } from './Lease.js';
import type { MailboxBacking, MailboxEntry } from './MailboxBacking.js';
import { MailboxClosedError, MailboxError } from './MailboxError.js';
import { QueuedMessages, byId } from './QueuedMessages.js';

/** One consumer: the unacked leases it holds, as a doubly linked list in delivery order. */
export class Consumer<T> {
  first: Lease<T> | undefined = undefined;
  last: Lease<T> | undefined = undefined;
  held = 0;
  released = false;
  /** Called after one of this consumer's leases was acked or given back: a prefetch-bounded stream may take more. */
  onSettled: (() => void) | undefined = undefined;
}

/** Someone blocked in receive. `deliver`/`fail` are called at most once per wait. */
export interface ReceiveWaiter<T> {
  readonly consumer: Consumer<T>;
  /** Set when the waiter was satisfied or cancelled; such waiters are skipped (lazy removal). */
  done: boolean;
  /**
   * True for a lease stream (RxJS face): it is handed a new message synchronously, on the
   * sender's stack, like a Subject. Promise receivers are woken in a microtask instead.
   */
  readonly synchronous: boolean;
  deliver(lease: Lease<T>): void;
  fail(error: Error): void;
}

interface SendWaiter<T> {
  readonly value: T;
  done: boolean;
  resolve(): void;
  reject(error: unknown): void;
  cleanup(): void;
}

/** A send whose backing write is in flight; messages enter the queue in id order. */
interface PersistSlot<T> {
  readonly id: number;
  readonly value: T;
  state: 'writing' | 'written' | 'failed';
}

const RESOLVED: Promise<void> = Promise.resolve();

export class MailboxCore<T> {
  readonly queue = new QueuedMessages<T>(this);
  private readonly senders = new Deque<SendWaiter<T>>();
  private readonly receivers = new Deque<ReceiveWaiter<T>>();
  private readonly persisting = new Deque<PersistSlot<T>>();
  private readonly backingOps = new Set<Promise<unknown>>();
  inFlight = 0;
  closed = false;
  nextId: number;
  /** Receivers blocked right now (entries of `receivers` not marked done). */
  waiting = 0;
  private wakeScheduled = false;
  private readonly wakeTask = (): void => this.wake();

  constructor(
    readonly name: string,
    readonly capacity: number,
    readonly backing: MailboxBacking<T> | undefined,
    private readonly onBackingError: (error: MailboxError) => void,
    recovered: ReadonlyArray<MailboxEntry<T>> = [],
  ) {
    let maxId = 0;
    for (const e of recovered) {
      this.queue.pushRecovered(e.id, e.value, e.deliveries);
      if (e.id > maxId) maxId = e.id;
    }
    this.nextId = maxId + 1;
  }

  /** Messages the mailbox holds and has not had acked: queued, leased, or being persisted. */
  get held(): number {
    return this.queue.length + this.inFlight + this.persisting.length;
  }

  get drained(): boolean {
    return this.closed && this.queue.length === 0 && this.inFlight === 0 && this.persisting.length === 0;
  }

  // ---- sending -------------------------------------------------------------------------------

  trySend(value: T): boolean {
    if (this.closed) throw new MailboxClosedError(this.name);
    if (this.senders.length > 0 || this.held >= this.capacity) return false;
    if (this.backing === undefined) this.accept(this.nextId++, value);
    else void this.persist(value).catch((error: MailboxError) => this.onBackingError(error));
    return true;
  }

  send(value: T, signal: AbortSignal | undefined): Promise<void> {
    if (this.closed) return Promise.reject(new MailboxClosedError(this.name));
    if (this.senders.length === 0 && this.held < this.capacity) {
      if (this.backing !== undefined) return this.persist(value);
      this.accept(this.nextId++, value);
      return RESOLVED;
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: SendWaiter<T> = {
        value,
        done: false,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      const onAbort = (): void => {
        if (waiter.done) return;
        waiter.done = true;
        reject(signal!.reason);
        // Withdrawn senders stay in the deque until skipped; don't let a polling sender grow it.
        if (this.senders.length > 64) this.compactSenders();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.senders.push(waiter);
    });
  }

  private compactSenders(): void {
    const live = this.senders.drain().filter((w) => !w.done);
    for (const w of live) this.senders.push(w);
  }

  /** Moves waiting senders into the mailbox while there is room. */
  private admitSenders(): void {
    while (this.senders.length > 0 && this.held < this.capacity) {
      const waiter = this.senders.shift()!;
      if (waiter.done) continue;
      waiter.done = true;
      waiter.cleanup();
      if (this.backing === undefined) {
        this.accept(this.nextId++, waiter.value);
        waiter.resolve();
      } else {
        this.persist(waiter.value).then(waiter.resolve, waiter.reject);
      }
    }
  }

  /** Writes a new message to the backing; it becomes receivable once written (in id order). */
  private persist(value: T): Promise<void> {
    const slot: PersistSlot<T> = { id: this.nextId++, value, state: 'writing' };
    this.persisting.push(slot);
    const write = this.backing!.put({ id: slot.id, value, deliveries: 0 });
    return this.track(write).then(
      () => {
        slot.state = 'written';
        this.flushPersisted();
      },
      (cause: unknown) => {
        slot.state = 'failed';
        this.flushPersisted();
        this.admitSenders();
        this.settleIfDrained();
        throw new MailboxError('backing_failed', `mailbox "${this.name}": the backing did not store the message; it was not sent`, { cause });
      },
    );
  }

  private flushPersisted(): void {
    for (let slot = this.persisting.peek(); slot !== undefined && slot.state !== 'writing'; slot = this.persisting.peek()) {
      this.persisting.shift();
      if (slot.state === 'written') this.accept(slot.id, slot.value);
    }
  }

  /**
   * A message enters the mailbox at the tail. Waiting receivers are woken in a microtask, never
   * inside send/ack: consumer code does not run on the sender's stack, and a producer that keeps
   * sending meanwhile finds the consumer busy, so both stay on their synchronous fast paths.
   */
  private accept(id: number, value: T): void {
    this.queue.pushFresh(id, value);
    if (this.waiting === 0) return;
    const head = this.firstReceiver();
    if (head !== undefined && head.synchronous) {
      this.nextReceiver();
      head.deliver(this.lease(this.queue.shift()!, head.consumer));
    } else this.scheduleWake();
  }

  /** The receiver waiting longest, without taking it off the list. */
  private firstReceiver(): ReceiveWaiter<T> | undefined {
    for (let w = this.receivers.peek(); w !== undefined; w = this.receivers.peek()) {
      if (!w.done) return w;
      this.receivers.shift();
    }
    return undefined;
  }

  private scheduleWake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    queueMicrotask(this.wakeTask);
  }

  /** Hands queued messages to waiting receivers in the order they started waiting. */
  private wake(): void {
    this.wakeScheduled = false;
    while (this.waiting > 0 && this.queue.length > 0) {
      const waiter = this.nextReceiver()!;
      waiter.deliver(this.lease(this.queue.shift()!, waiter.consumer));
    }
    if (this.waiting > 0 && this.drained) {
      for (let w = this.nextReceiver(); w !== undefined; w = this.nextReceiver()) w.fail(new MailboxClosedError(this.name));
    }
  }

  // ---- receiving -----------------------------------------------------------------------------

  /** Takes the head now, ignoring anyone waiting (tryReceive jumps the line by design). */
  tryReceive(consumer: Consumer<T>): Lease<T> | undefined {
    if (consumer.released) throw released(this.name);
    const message = this.queue.shift();
    return message === undefined ? undefined : this.lease(message, consumer);
  }

  /** Takes the head now unless earlier receivers are waiting for it (FIFO among receivers). */
  receiveNow(consumer: Consumer<T>): Lease<T> | undefined {
    if (this.waiting > 0) return undefined;
    const message = this.queue.shift();
    return message === undefined ? undefined : this.lease(message, consumer);
  }

  /** Registers a waiter behind those already waiting. */
  wait(waiter: ReceiveWaiter<T>): void {
    waiter.done = false;
    this.receivers.push(waiter);
    this.waiting++;
    if (this.queue.length > 0 || this.drained) this.scheduleWake();
  }

  /** Withdraws a waiter (its receive was aborted). */
  cancelWait(waiter: ReceiveWaiter<T>): void {
    if (waiter.done) return;
    waiter.done = true;
    this.waiting--;
    // Cancelled waits stay in the deque until skipped; a receiver polling with timeouts on an
    // empty mailbox must not grow it without bound.
    if (this.receivers.length > 64 && this.receivers.length > 2 * this.waiting) {
      const live = this.receivers.drain().filter((w) => !w.done);
      for (const w of live) this.receivers.push(w);
    }
  }

  private nextReceiver(): ReceiveWaiter<T> | undefined {
    while (this.receivers.length > 0) {
      const waiter = this.receivers.shift()!;
      if (waiter.done) continue;
      waiter.done = true;
      this.waiting--;
      return waiter;
    }
    return undefined;
  }

  /** Hands a queued entry to a consumer: the entry itself becomes the lease. */
  private lease(lease: Lease<T>, consumer: Consumer<T>): Lease<T> {
    lease._state = 'held';
    lease._deliveries++;
    lease._consumer = consumer;
    this.inFlight++;
    lease._prev = consumer.last;
    if (consumer.last === undefined) consumer.first = lease;
    else consumer.last._next = lease;
    consumer.last = lease;
    consumer.held++;
    return lease;
  }

  private unlink(lease: Lease<T>): void {
    const consumer = lease._consumer!;
    if (lease._prev === undefined) consumer.first = lease._next;
    else lease._prev._next = lease._next;
    if (lease._next === undefined) consumer.last = lease._prev;
    else lease._next._prev = lease._prev;
    lease._prev = lease._next = undefined;
    consumer.held--;
    this.inFlight--;
  }

  // ---- settling ------------------------------------------------------------------------------

  ack(lease: Lease<T>): void {
    if (lease._state !== 'held') throw notHeld(this.name, lease);
    lease._state = 'acked';
    const consumer = lease._consumer!;
    this.unlink(lease);
    if (this.backing !== undefined) this.backgroundWrite(this.backing.delete(lease.id));
    if (this.senders.length > 0) this.admitSenders();
    if (this.closed) this.settleIfDrained();
    consumer.onSettled?.();
  }

  nack(lease: Lease<T>): void {
    if (lease._state !== 'held') throw notHeld(this.name, lease);
    const consumer = lease._consumer!;
    this.giveBack(consumer);
    // Later, not now: a nack is usually followed by the stream's error, and a lease taken in between would be
    // given back again with one more delivery counted.
    if (consumer.onSettled !== undefined) queueMicrotask(() => consumer.onSettled?.());
  }

  /** The consumer is dead: fail its waits and give back its leases. Idempotent. */
  release(consumer: Consumer<T>): void {
    if (consumer.released) return;
    consumer.released = true;
    for (let i = 0; i < this.receivers.length; i++) {
      const waiter = this.receivers.at(i)!;
      if (!waiter.done && waiter.consumer === consumer) {
        waiter.done = true;
        this.waiting--;
        waiter.fail(released(this.name));
      }
    }
    this.giveBack(consumer);
  }

  /** Every unacked lease of the consumer goes back to the head of the queue, in send order. */
  private giveBack(consumer: Consumer<T>): void {
    if (consumer.held === 0) return;
    const back: Array<Lease<T>> = [];
    for (let lease = consumer.first; lease !== undefined; ) {
      const next = lease._next;
      lease._state = 'returned';
      lease._prev = lease._next = undefined;
      back.push(new Lease(this, lease.id, lease.value, lease._deliveries)); // a fresh entry: the old handle stays stale
      lease = next;
    }
    this.inFlight -= consumer.held;
    consumer.first = consumer.last = undefined;
    consumer.held = 0;
    back.sort(byId);
    this.queue.returnToHead(back);
    if (this.backing !== undefined) {
      for (const m of back) this.backgroundWrite(this.backing.put({ id: m.id, value: m.value, deliveries: m.deliveries }));
    }
    if (this.waiting > 0) this.scheduleWake();
  }

  // ---- closing -------------------------------------------------------------------------------

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let w = this.senders.shift(); w !== undefined; w = this.senders.shift()) {
      if (w.done) continue;
      w.done = true;
      w.cleanup();
      w.reject(new MailboxClosedError(this.name, `mailbox "${this.name}" was closed before this send found room`));
    }
    this.settleIfDrained();
  }

  /** Once closed and empty, every waiting receiver learns it (in the wake microtask). */
  settleIfDrained(): void {
    if (this.waiting > 0 && this.drained) this.scheduleWake();
  }

  // ---- backing bookkeeping -------------------------------------------------------------------

  private track<R>(op: Promise<R>): Promise<R> {
    this.backingOps.add(op);
    const done = (): void => void this.backingOps.delete(op);
    op.then(done, done);
    return op;
  }

  private backgroundWrite(op: Promise<void>): void {
    this.track(op).catch((cause: unknown) =>
      this.onBackingError(new MailboxError('backing_failed', `mailbox "${this.name}": a backing write failed`, { cause })),
    );
  }

  /** Resolves when every backing write issued so far has settled. */
  async flush(): Promise<void> {
    while (this.backingOps.size > 0) await Promise.allSettled([...this.backingOps]);
  }
}

function released(name: string): MailboxError {
  return new MailboxError('receiver_released', `this receiver of mailbox "${name}" was released; make a new one with mailbox.receiver()`);
}

function notHeld<T>(name: string, lease: Lease<T>): MailboxError {
  return new MailboxError(
    'lease_not_held',
    `lease of message ${lease.id} in mailbox "${name}" is ${lease._state}, not held: it can be acked or nacked only once, by the consumer holding it`,
  );
}

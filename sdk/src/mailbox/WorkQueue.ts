// A lean serial work queue: the SDK's queue for hot paths where a Mailbox (leases, acks, redelivery, a backing) is
// more than the job needs. Items are handled one at a time, in offer order, by the one handler given at
// construction. The handler runs only while items wait, so an idle queue holds no pending receive, no timer, no
// promise and no buffer (a hub holds a few per connection, thousands of them idle). A handler that returns
// synchronously costs no promise and no microtask hop: an item offered to an idle queue is handled on the offering
// caller's turn, and a burst of synchronous items in one loop.
//
// It replaced the hand-written queues of the hub's per-connection runtime (a connection's inbound commands, its
// writer's backlog while the socket drains, the SQLite store's job queue) and SessionHandler's per-session promise
// chain: one implementation of "in order, one at a time, bounded, drain on close".
import { capacityProblem } from '../internal/capacityProblem.js';
import { Deque } from '../internal/Deque.js';
import { isPromiseLike } from '../internal/isPromiseLike.js';

export interface WorkQueueConfig<T> {
  /** Items held at most, the one being handled included: `offer` returns false beyond it. Default: no bound. */
  capacity?: number | undefined;
  /** Called (synchronously) on every accepted offer, after the item is queued: a batching handler waiting for more. */
  onOffer?: (() => void) | undefined;
  /**
   * Called when the handler throws or rejects; the queue goes on with the next item. Without it the error is
   * rethrown from a microtask (an uncaught error): a handler is expected to handle its own failures.
   */
  onError?: ((error: unknown, item: T) => void) | undefined;
  /** Called each time the queue becomes idle: the last item is done and nothing waits (e.g. to drop the queue). */
  onIdle?: (() => void) | undefined;
}

/** The handler's result: nothing, or a promise-like the queue waits for before the next item. */
export type WorkResult = void | PromiseLike<unknown>;

export class WorkQueue<T> {
  /** Waiting items; created on the first item that has to wait (an item offered to an idle queue never does). */
  #items: Deque<T> | undefined;
  /** An item is in hand (handled, or its promise not settled yet). */
  #busy = false;
  #paused = false;
  #closed = false;
  #drained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;
  readonly #capacity: number;
  readonly #onOffer: (() => void) | undefined;
  readonly #onError: ((error: unknown, item: T) => void) | undefined;
  readonly #onIdle: (() => void) | undefined;
  /** The item whose promise is pending (for onError). */
  #inHand: T | undefined;
  readonly #next = (): void => {
    this.#inHand = undefined;
    this.#loop();
  };
  readonly #failed = (error: unknown): void => {
    const item = this.#inHand as T;
    this.#inHand = undefined;
    this.#fail(error, item);
    this.#loop();
  };

  constructor(
    private readonly handle: (item: T) => WorkResult,
    config: WorkQueueConfig<T> = {},
  ) {
    const capacity = config.capacity ?? Infinity;
    const problem = capacityProblem(capacity);
    if (problem !== undefined) throw new RangeError(`WorkQueue ${problem}`);
    this.#capacity = capacity;
    this.#onOffer = config.onOffer;
    this.#onError = config.onError;
    this.#onIdle = config.onIdle;
  }

  /** Items waiting, not counting the one in hand. */
  get length(): number {
    return this.#items?.length ?? 0;
  }

  /** Whether an item is in hand. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Items held: waiting plus the one in hand (what `capacity` bounds). */
  get size(): number {
    return this.length + (this.#busy ? 1 : 0);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues `item`; handles it at once, on this turn, when the queue is idle and not paused. False (and nothing
   * queued) when the queue is closed or holds `capacity` items.
   */
  offer(item: T): boolean {
    if (this.#closed || this.size >= this.#capacity) return false;
    if (!this.#busy && !this.#paused && this.length === 0) {
      // Idle: handled on this turn, without passing through the buffer.
      this.#onOffer?.();
      this.#busy = true;
      if (this.#handleOne(item)) this.#loop();
      return true;
    }
    (this.#items ??= new Deque<T>()).push(item);
    this.#onOffer?.();
    if (!this.#busy && !this.#paused) {
      this.#busy = true;
      this.#loop();
    }
    return true;
  }

  /** The next waiting item, left in place. */
  peek(): T | undefined {
    return this.#items?.peek();
  }

  /** Removes and returns the next waiting item without handing it to the handler (a handler taking a batch). */
  take(): T | undefined {
    return this.#items?.shift();
  }

  /** Removes and returns every waiting item (the one in hand is not affected). */
  clear(): T[] {
    const items = this.#items?.drain() ?? [];
    this.#settleIfDrained();
    return items;
  }

  /** The handler gets no further item until `resume()`; the one in hand finishes. Offers are still queued. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (!this.#busy && this.length > 0) {
      this.#busy = true;
      this.#loop();
    }
  }

  /** No more offers; the waiting items are still handled. See `drained`. */
  close(): void {
    this.#closed = true;
    this.#settleIfDrained();
  }

  /** Resolves once the queue is closed, nothing waits and nothing is in hand. */
  get drained(): Promise<void> {
    if (this.#isDrained()) return Promise.resolve();
    return (this.#drained ??= new Promise<void>((resolve) => (this.#resolveDrained = resolve)));
  }

  /** Hands out items until the queue is empty, paused, or a handler returns a promise (then resumes when it settles). */
  #loop(): void {
    for (;;) {
      const items = this.#items;
      if (this.#paused || items === undefined || items.length === 0) break;
      if (!this.#handleOne(items.shift() as T)) return;
    }
    this.#busy = false;
    if (this.length === 0) this.#onIdle?.();
    this.#settleIfDrained();
  }

  /** Hands `item` to the handler: true when it is done; false when its promise is pending (then #loop goes on). */
  #handleOne(item: T): boolean {
    let result: WorkResult;
    try {
      result = this.handle(item);
    } catch (error) {
      this.#fail(error, item);
      return true;
    }
    if (!isPromiseLike(result)) return true;
    this.#inHand = item;
    result.then(this.#next, this.#failed);
    return false;
  }

  #fail(error: unknown, item: T): void {
    if (this.#onError) this.#onError(error, item);
    else
      queueMicrotask(() => {
        throw error;
      });
  }

  #isDrained(): boolean {
    return this.#closed && !this.#busy && this.length === 0;
  }

  #settleIfDrained(): void {
    if (this.#resolveDrained && this.#isDrained()) {
      this.#resolveDrained();
      this.#resolveDrained = undefined;
    }
  }
}

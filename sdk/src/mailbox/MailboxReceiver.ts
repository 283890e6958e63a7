// A consumer's handle on a mailbox. Each receiver is one consumer: it holds its own leases, and
// when it dies (release, abort of its signal, unsubscription of its lease stream) every lease it
// has not acked goes back to the head of the queue. Receivers are cheap; clone one per worker.
import { Observable } from 'rxjs';
import type { Lease } from './Lease.js';
import { Consumer, type MailboxCore, type ReceiveWaiter } from './MailboxCore.js';
import { MailboxClosedError, MailboxError } from './MailboxError.js';

export interface ReceiveOptions {
  /** Aborting cancels this wait only (no lease is taken); the receiver stays alive. */
  readonly signal?: AbortSignal | undefined;
}

export interface LeasesOptions {
  /**
   * How many unacked leases the stream may hold at once (as AMQP's prefetch). It takes the next message only when
   * one of its leases is acked or given back, so workers on a pre-filled mailbox share it instead of the first
   * subscriber taking everything. Default 1; `Infinity` takes whatever is queued.
   */
  readonly prefetch?: number | undefined;
}

export interface ReceiverConfig {
  /** Aborting kills this consumer: like `release()`. */
  readonly signal?: AbortSignal | undefined;
}

export class MailboxReceiver<T> {
  private readonly consumer = new Consumer<T>();
  private readonly onAbort: (() => void) | undefined;

  /** @internal Made by `mailbox.receiver()` or `receiver.clone()`. */
  constructor(
    private readonly core: MailboxCore<T>,
    private readonly config: ReceiverConfig = {},
  ) {
    const signal = config.signal;
    if (signal !== undefined) {
      if (signal.aborted) this.consumer.released = true;
      else {
        this.onAbort = () => this.release();
        signal.addEventListener('abort', this.onAbort, { once: true });
      }
    }
  }

  /** Unacked leases this consumer holds. */
  get held(): number {
    return this.consumer.held;
  }

  /** True once released: receive rejects, leases were given back. */
  get released(): boolean {
    return this.consumer.released;
  }

  /**
   * The next message as a lease; waits while the mailbox is empty. Rejects MailboxClosedError once
   * the mailbox is closed AND drained (nothing queued, nothing leased that could come back),
   * MailboxError `receiver_released` if this receiver is released, or the signal's reason.
   */
  receive(options?: ReceiveOptions): Promise<Lease<T>> {
    const core = this.core;
    if (this.consumer.released) return Promise.reject(releasedError(core.name));
    const lease = core.receiveNow(this.consumer);
    if (lease !== undefined) return Promise.resolve(lease);
    if (core.drained) return Promise.reject(new MailboxClosedError(core.name));
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Lease<T>>((resolve, reject) => {
      const consumer = this.consumer;
      const onAbort = (): void => {
        if (waiter.done) return;
        core.cancelWait(waiter);
        reject(signal!.reason);
      };
      const waiter: ReceiveWaiter<T> = {
        consumer,
        done: false,
        synchronous: false,
        deliver(lease) {
          signal?.removeEventListener('abort', onAbort);
          resolve(lease);
        },
        fail(error) {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      core.wait(waiter);
    });
  }

  /** A lease if a message is queued now, else undefined. Never waits. */
  tryReceive(): Lease<T> | undefined {
    return this.core.tryReceive(this.consumer);
  }

  /**
   * Receives one message, runs `work` on it, acks when `work` resolves and nacks when it throws
   * (then rethrows). The promise face of "a consumer that throws gives its leases back".
   */
  async process<R>(work: (value: T, lease: Lease<T>) => R | PromiseLike<R>, options?: ReceiveOptions): Promise<R> {
    const lease = await this.receive(options);
    let result: R;
    try {
      result = await work(lease.value, lease);
    } catch (error) {
      if (lease.held) lease.nack();
      throw error;
    }
    if (lease.held) lease.ack();
    return result;
  }

  /**
   * The RxJS face: a stream of leases. Each subscription is a consumer of its own (a clone of this
   * receiver): unsubscribing from it, or an error downstream, gives back its unacked leases. It
   * completes when the mailbox is closed and drained. Leases are delivered synchronously when
   * available, so `ack()` inside `subscribe`/`tap` keeps the pipeline tight.
   */
  leases(options: LeasesOptions = {}): Observable<Lease<T>> {
    const core = this.core;
    const signal = this.config.signal;
    const prefetch = options.prefetch ?? 1;
    if (!(prefetch >= 1)) throw new RangeError(`mailbox "${core.name}": leases({ prefetch }) must be at least 1, got ${String(prefetch)}`);
    return new Observable<Lease<T>>((subscriber) => {
      if (this.consumer.released) return subscriber.error(releasedError(core.name));
      const consumer = new Consumer<T>();
      let pumping = false;
      let waiting = false;
      const pump = (): void => {
        if (pumping) return; // re-entered from our own next(): the outer loop picks it up
        pumping = true;
        try {
          while (!subscriber.closed) {
            if (consumer.held >= prefetch) return; // full: an ack or nack (onSettled) pumps again
            if (waiting) return; // a registered wait delivers the next one
            const lease = core.receiveNow(consumer);
            if (lease !== undefined) {
              subscriber.next(lease);
              continue;
            }
            if (core.drained) subscriber.complete();
            else {
              waiting = true;
              core.wait(waiter);
            }
            return;
          }
        } finally {
          pumping = false;
        }
      };
      const waiter: ReceiveWaiter<T> = {
        consumer,
        // Not registered until `core.wait` (which clears it): the teardown's `cancelWait` must not count a wait
        // that never was (a stream that found its leases queued never waits).
        done: true,
        synchronous: true,
        deliver(lease) {
          waiting = false;
          subscriber.next(lease);
          pump();
        },
        fail(error) {
          waiting = false;
          if (error instanceof MailboxClosedError) subscriber.complete();
          else subscriber.error(error);
        },
      };
      const onAbort = (): void => subscriber.error(signal!.reason);
      if (signal?.aborted) {
        subscriber.error(signal.reason);
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      consumer.onSettled = () => {
        // A settled lease frees a slot; a mailbox drained by this ack completes the stream too.
        if (subscriber.closed || waiting) return;
        if (consumer.held === 0 && core.drained) subscriber.complete();
        else pump();
      };
      pump();
      return () => {
        consumer.onSettled = undefined;
        signal?.removeEventListener('abort', onAbort);
        core.cancelWait(waiter); // a registered wait is dropped, not failed
        core.release(consumer);
      };
    });
  }

  /** Another consumer on the same mailbox, with the same config. */
  clone(): MailboxReceiver<T> {
    return new MailboxReceiver(this.core, this.config);
  }

  /**
   * This consumer is done (or dead): pending receives reject with `receiver_released`, and every
   * unacked lease goes back to the head of the queue in send order. Idempotent.
   */
  release(): void {
    if (this.onAbort !== undefined) this.config.signal?.removeEventListener('abort', this.onAbort);
    this.core.release(this.consumer);
  }
}

function releasedError(name: string): MailboxError {
  return new MailboxError('receiver_released', `this receiver of mailbox "${name}" was released; make a new one with mailbox.receiver()`);
}

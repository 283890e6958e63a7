// A consumer's handle on a mailbox. Each receiver is one consumer: it holds its own leases, and
// when it dies (release, abort of its signal, unsubscription of its lease stream) every lease it
// has not acked goes back to the head of the queue. Receivers are cheap; clone one per worker.
import { Observable } from 'rxjs';
import type { Lease } from './Lease.js';
import { Consumer, type MailboxCore, type ReceiveWaiter } from './MailboxCore.js';
import { MailboxClosedError, MailboxError } from './MailboxError.js';

export interface ReceiveOptions {
  /** Aborting cancels this wait only (no lease is taken); the receiver stays alive. */
  readonly signal?: AbortSignal;
}

export interface ReceiverConfig {
  /** Aborting kills this consumer: like `release()`. */
  readonly signal?: AbortSignal;
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
  leases(): Observable<Lease<T>> {
    const core = this.core;
    const signal = this.config.signal;
    return new Observable<Lease<T>>((subscriber) => {
      if (this.consumer.released) return subscriber.error(releasedError(core.name));
      const consumer = new Consumer<T>();
      let pumping = false;
      const pump = (): void => {
        if (pumping) return; // re-entered from our own next(): the outer loop picks it up
        pumping = true;
        try {
          while (!subscriber.closed) {
            const lease = core.receiveNow(consumer);
            if (lease !== undefined) {
              subscriber.next(lease);
              continue;
            }
            if (core.drained) subscriber.complete();
            else core.wait(waiter);
            return;
          }
        } finally {
          pumping = false;
        }
      };
      const waiter: ReceiveWaiter<T> = {
        consumer,
        done: false,
        synchronous: true,
        deliver(lease) {
          subscriber.next(lease);
          pump();
        },
        fail(error) {
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
      pump();
      return () => {
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

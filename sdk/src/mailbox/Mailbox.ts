// A mailbox: a queue owned by neither side (seed 001). Senders never see it break because a
// consumer died; receiving takes a lease that comes back to the head of the queue unless acked.
import { capacityProblem } from '../internal/capacityProblem.js';
import type { MailboxBacking, MailboxEntry } from './MailboxBacking.js';
import { MailboxCore } from './MailboxCore.js';
import { MailboxError } from './MailboxError.js';
import { MailboxReceiver, type ReceiverConfig } from './MailboxReceiver.js';

export interface MailboxConfig<T> {
  /**
   * Most messages held at once — queued plus leased-and-unacked. `send` waits and `trySend`
   * returns false beyond it. Default 1024; `Infinity` for unbounded.
   */
  readonly capacity?: number | undefined;
  /** Persistence: `send` resolves only once the backing stored the message. */
  readonly backing?: MailboxBacking<T> | undefined;
  /** Shown in errors and traces. Default "mailbox". */
  readonly name?: string | undefined;
  /**
   * Called when a background backing write (delete on ack, put on redelivery) fails.
   * Default: console.error. Failed sends reject instead.
   */
  readonly onBackingError?: (error: MailboxError) => void;
}

export interface SendOptions {
  /** Aborting a send that is waiting for room withdraws it: the message is not sent. */
  readonly signal?: AbortSignal | undefined;
}

export class Mailbox<T> {
  private readonly core: MailboxCore<T>;

  constructor(config: MailboxConfig<T> = {}, /** @internal used by `open` */ recovered: ReadonlyArray<MailboxEntry<T>> = []) {
    this.core = makeCore(config, recovered);
  }

  /**
   * Opens a mailbox over a backing that may already hold messages from an earlier life: those
   * come first, in id order, with their delivery counts. Use this rather than `new` when the
   * backing is persistent.
   */
  static async open<T>(config: MailboxConfig<T> & { readonly backing: MailboxBacking<T> }): Promise<Mailbox<T>> {
    const recovered = await config.backing.load();
    return new Mailbox(config, [...recovered].sort((a, b) => a.id - b.id));
  }

  get name(): string {
    return this.core.name;
  }

  get capacity(): number {
    return this.core.capacity;
  }

  /** Messages waiting to be received (not counting leased ones). */
  get size(): number {
    return this.core.queue.length;
  }

  /** Leases handed out and not yet acked. */
  get inFlight(): number {
    return this.core.inFlight;
  }

  get closed(): boolean {
    return this.core.closed;
  }

  /** Closed, nothing queued, nothing leased: receivers have seen the last message. */
  get drained(): boolean {
    return this.core.drained;
  }

  /**
   * Sends, waiting for room while the mailbox is full. Rejects MailboxClosedError if the mailbox
   * is (or gets) closed before the message is in, the signal's reason if aborted while waiting,
   * MailboxError `backing_failed` if the backing refused it. Resolved = the message is in the
   * mailbox (and in the backing, if any) and will be delivered.
   */
  send(value: T, options?: SendOptions): Promise<void> {
    return this.core.send(value, options?.signal);
  }

  /**
   * Sends if there is room now; false when full (or other senders are already waiting). Throws
   * MailboxClosedError after close. With a backing the write completes in the background; use
   * `send` to know it is stored.
   */
  trySend(value: T): boolean {
    return this.core.trySend(value);
  }

  /** A new consumer handle. Aborting `config.signal` releases it. */
  receiver(config?: ReceiverConfig): MailboxReceiver<T> {
    return new MailboxReceiver(this.core, config);
  }

  /**
   * No more sends (they reject MailboxClosedError, waiting ones too). Receivers keep getting what
   * is queued — and what leased consumers give back — and then see MailboxClosedError /
   * completion. Idempotent.
   */
  close(): void {
    this.core.close();
  }

  /** Resolves once every backing write issued so far (deletes on ack included) has settled. */
  flush(): Promise<void> {
    return this.core.flush();
  }
}

function makeCore<T>(config: MailboxConfig<T>, recovered: ReadonlyArray<MailboxEntry<T>>): MailboxCore<T> {
  const capacity = config.capacity ?? 1024;
  const name = config.name ?? 'mailbox';
  const problem = capacityProblem(capacity);
  if (problem !== undefined) throw new MailboxError('invalid_config', `mailbox "${name}": ${problem}`);
  const onBackingError = config.onBackingError ?? ((error: MailboxError) => console.error(error));
  return new MailboxCore<T>(name, capacity, config.backing, onBackingError, recovered);
}

// Fan-out carries committed outcomes from the hub that executed a command to every hub holding a recipient's
// devices. The outcome is already durable (in the store, with its per-user id) before it is published, so a lost
// fan-out message only delays delivery until the device's next replay or retransmit; it never loses an outcome.
import type { Observable } from 'rxjs';

/** One recipient's copy of a committed outcome. */
export interface FanoutEntry {
  userId: string;
  outcomeId: number;
  /** The outcome JSON value (same object for every recipient of one outcome). */
  outcome: unknown;
}

export interface Fanout {
  /** Which implementation this is ("in-process", "redis"), for logs. */
  readonly kind: string;
  /** Publishes committed outcomes; resolves when handed to the transport. */
  publish(entries: FanoutEntry[]): Promise<void>;
  /** Every published batch, from this hub and (for a shared transport) from the others. */
  readonly entries$: Observable<FanoutEntry[]>;
  /**
   * Emits when batches from other hubs may have been missed (the transport came back after an outage). The hub
   * then reads the newest outcome id of every user it holds devices for and sends what they lack.
   */
  readonly missed$: Observable<void>;
  close(): Promise<void>;
}

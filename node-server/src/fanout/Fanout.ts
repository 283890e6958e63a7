// Fan-out carries committed outcomes from the hub that executed a command to every hub holding a recipient's
// devices. The outcome is already durable (in the store, with its per-user id) before it is published, so a lost
// fan-out message only delays delivery: every hub periodically compares its connected users' newest ids with the
// store (OutcomeReconciler) and sends what it never heard of, so a committed outcome reaches every connected device
// within about two reconcile periods even when the transport lost it.
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
  /**
   * How often a hub should ask the store for outcomes the transport may have lost without noticing (a publish
   * that failed or timed out, a publisher that died after its commit, a lost COMMIT answer). Absent: nothing can
   * be lost (in-process). See OutcomeReconciler.
   */
  readonly reconcileMs?: number;
  /** Optional cheap health check for readiness: resolves when the transport answers within `timeoutMs`. */
  ping?(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

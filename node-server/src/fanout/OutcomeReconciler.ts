// Makes "committed means delivered" hold whatever the fan-out transport loses. Every `everyMs` the hub reads, in
// one query, the newest outcome id of each user it holds devices for and hands the registry the ids that were
// already committed at the PREVIOUS read: those had a whole period to arrive over the fan-out, so if the registry
// still has not heard of them the transport lost them (a publish that failed or timed out, a hub that died or
// lost its COMMIT answer between commit and publish). The registry reads them from the store and sends them.
// So a committed outcome reaches every connected device within about two periods, never "with the next message".
// `now()` (after the transport reports a gap, Fanout.missed$) hands over every id at once, without waiting.
import { latestOutcomeIds } from '../store/latestOutcomeIds.js';
import type { Store } from '../store/Store.js';
import type { Logger } from '../hub/Logger.js';

export interface OutcomeReconcilerConfig {
  store: Store;
  /** Users with devices on this hub. */
  users(): readonly string[];
  /** Newest ids the registry should know of (it ignores the ones it already has). */
  deliver(latest: ReadonlyMap<string, number>): void;
  log: Logger;
}

/** Users per query: one round trip for a typical hub, bounded for a very large one. */
const chunk = 2000;

export class OutcomeReconciler {
  private previous = new Map<string, number>();
  private polling: Promise<void> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private failing = false;

  constructor(private readonly config: OutcomeReconcilerConfig) {}

  start(everyMs: number): void {
    this.timer ??= setInterval(() => void this.poll(true), everyMs);
    this.timer.unref();
  }

  /** Reads now and hands over every id the store has (the transport said it may have lost some). */
  now(): Promise<void> {
    return this.poll(false);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private poll(settledOnly: boolean): Promise<void> {
    // One read at a time: on a slow store the next tick is skipped rather than queued.
    this.polling ??= this.read(settledOnly).finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async read(settledOnly: boolean): Promise<void> {
    const users = this.config.users();
    const latest = new Map<string, number>();
    try {
      for (let i = 0; i < users.length; i += chunk) {
        for (const [u, id] of await latestOutcomeIds(this.config.store.outcomes, users.slice(i, i + chunk))) latest.set(u, id);
      }
      if (this.failing) this.config.log.info('outcome reconciliation works again');
      this.failing = false;
    } catch (err) {
      // The store is unreachable: commands fail too, and nothing new can commit meanwhile. Said once.
      if (!this.failing) this.config.log.warn('outcome reconciliation cannot read the store', { err });
      this.failing = true;
      return;
    }
    const previous = this.previous;
    this.previous = latest;
    const due = new Map<string, number>();
    for (const [u, id] of latest) {
      const settled = settledOnly ? Math.min(id, previous.get(u) ?? 0) : id;
      if (settled > 0) due.set(u, settled);
    }
    if (due.size > 0) this.config.deliver(due);
  }
}

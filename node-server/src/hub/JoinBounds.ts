// Joining devices' outcome bounds, read for many users in one store query. A reconnect storm (a hub restart or a
// network blip: thousands of devices saying hello within seconds) read them one query per device on the
// background lanes; on a loaded PostgreSQL hub 5,000 reconnecting devices waited 7–10 s there for their bounds
// (measured with throwaway counters in bench:hub's `hubs` shape), and a joining device's live outcomes wait for
// its bounds. Now the joins that arrive while the batches in flight are read queue for the next one, as a group
// commit gathers transactions: a storm costs a few queries, a single join one.
import type { OutcomeBounds } from '../store/Store.js';

/** Users per query: a storm of 5,000 joins is ten reads; a query's parameter and answer stay small. */
const maxBatch = 500;
/**
 * Reads in flight at once. With one, a storm's welcomes waited their turn behind the replay reads on PostgreSQL's
 * read pool one batch at a time (5,000 reconnections took twice as long); as many as the replay lanes
 * (BackgroundReads) share the pool evenly with them.
 */
const maxReads = 4;

interface Waiter {
  resolve(bounds: OutcomeBounds): void;
  reject(error: unknown): void;
}

export class JoinBounds {
  /** Users whose bounds are wanted and not yet being read, in arrival order, with who waits for each. */
  private readonly waiting = new Map<string, Waiter[]>();
  private reading = 0;

  /** `read` answers the bounds of every user it is given (outcomeBoundsOf). */
  constructor(private readonly read: (userIds: string[]) => Promise<Map<string, OutcomeBounds>>) {}

  /** The user's bounds, read with the other users asked for meanwhile. */
  of(userId: string): Promise<OutcomeBounds> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(userId);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(userId, [{ resolve, reject }]);
      if (this.reading < maxReads) void this.readAll();
    });
  }

  /** One reader: reads batches until nothing waits. Up to maxReads of them run at once. */
  private async readAll(): Promise<void> {
    this.reading++;
    while (this.waiting.size > 0) {
      const batch: Array<[string, Waiter[]]> = [];
      for (const entry of this.waiting) {
        batch.push(entry);
        if (batch.length === maxBatch) break;
      }
      for (const [userId] of batch) this.waiting.delete(userId);
      try {
        const bounds = await this.read(batch.map(([userId]) => userId));
        for (const [userId, waiters] of batch) {
          const found = bounds.get(userId);
          for (const w of waiters) {
            if (found) w.resolve(found);
            else w.reject(new Error(`the store answered no outcome bounds for user "${userId}"`));
          }
        }
      } catch (error) {
        for (const [, waiters] of batch) for (const w of waiters) w.reject(error);
      }
    }
    this.reading--;
  }
}

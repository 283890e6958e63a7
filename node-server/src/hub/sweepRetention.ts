// The retention window: keeps the last `retain` outcomes of every user. A device further behind gets a typed
// resync (never a silent gap) when it reconnects or while it is being pumped.
import { outcomeBoundsOf } from '../store/outcomeBoundsOf.js';
import type { Store } from '../store/Store.js';

/** Users whose bounds one read asks for: a sweep of 5,000 users is ten reads on PostgreSQL, not 5,000. */
const boundsBatch = 500;

/** One pass over every user with outcomes. Returns early, between two steps, once `signal` is aborted. */
export async function sweepRetention(store: Store, retain: number, signal?: AbortSignal): Promise<void> {
  const users = await store.outcomes.usersWithOutcomes();
  for (let i = 0; i < users.length; i += boundsBatch) {
    if (signal?.aborted) return;
    const bounds = await outcomeBoundsOf(store.outcomes, users.slice(i, i + boundsBatch));
    for (const [userId, { first, last }] of bounds) {
      if (signal?.aborted) return;
      if (last - retain + 1 > first) await store.outcomes.pruneOutcomes(userId, last - retain + 1);
    }
  }
}

// The retention window: keeps the last `retain` outcomes of every user. A device further behind gets a typed
// resync (never a silent gap) when it reconnects or while it is being pumped.
import type { Store } from '../store/Store.js';

/** One pass over every user with outcomes. Returns early, between two users, once `signal` is aborted. */
export async function sweepRetention(store: Store, retain: number, signal?: AbortSignal): Promise<void> {
  for (const userId of await store.outcomes.usersWithOutcomes()) {
    if (signal?.aborted) return;
    const { first, last } = await store.outcomes.outcomeBounds(userId);
    if (signal?.aborted) return;
    if (last - retain + 1 > first) await store.outcomes.pruneOutcomes(userId, last - retain + 1);
  }
}

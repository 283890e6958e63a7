// The newest outcome id of several users: one round trip where the store offers it, else one bounds read each.
import type { Store } from './Store.js';

export async function latestOutcomeIds(store: Store, userIds: readonly string[]): Promise<Map<string, number>> {
  if (store.latestOutcomeIds) return store.latestOutcomeIds(userIds);
  const latest = new Map<string, number>();
  for (const userId of userIds) {
    const { last } = await store.outcomeBounds(userId);
    if (last > 0) latest.set(userId, last);
  }
  return latest;
}

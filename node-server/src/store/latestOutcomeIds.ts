// The newest outcome id of several users: one round trip where the store offers it, else one bounds read each.
import type { OutcomeLog } from './Store.js';

export async function latestOutcomeIds(log: OutcomeLog, userIds: readonly string[]): Promise<Map<string, number>> {
  if (log.latestOutcomeIds) return log.latestOutcomeIds(userIds);
  const latest = new Map<string, number>();
  for (const userId of userIds) {
    const { last } = await log.outcomeBounds(userId);
    if (last > 0) latest.set(userId, last);
  }
  return latest;
}

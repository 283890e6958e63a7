// The outcome bounds of several users: one round trip where the store offers it, else one bounds read each.
import type { OutcomeBounds, OutcomeLog } from './Store.js';

export async function outcomeBoundsOf(log: OutcomeLog, userIds: readonly string[]): Promise<Map<string, OutcomeBounds>> {
  if (log.outcomeBoundsOf) return log.outcomeBoundsOf(userIds);
  const bounds = new Map<string, OutcomeBounds>();
  for (const userId of userIds) if (!bounds.has(userId)) bounds.set(userId, await log.outcomeBounds(userId));
  return bounds;
}

// Appends every pushed outcome of one command: in one call (one global lock order) where the store offers it,
// otherwise one `appendOutcomes` per push (SQLite, whose transactions are serialized, cannot deadlock).
import type { OutcomeLog, OutcomePush } from './Store.js';

export async function appendPushes(log: OutcomeLog, pushes: readonly OutcomePush[]): Promise<number[][]> {
  if (pushes.length === 0) return [];
  if (log.appendPushes) return log.appendPushes(pushes);
  const ids: number[][] = [];
  for (const push of pushes) ids.push(await log.appendOutcomes(push.userIds, push.body));
  return ids;
}

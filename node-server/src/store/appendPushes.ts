// Appends every pushed outcome of one command: in one call (one global lock order) where the store offers it,
// otherwise one `appendOutcomes` per push (SQLite, whose transactions are serialized, cannot deadlock).
import type { OutcomePush, StoreTx } from './Store.js';

export async function appendPushes(tx: StoreTx, pushes: readonly OutcomePush[]): Promise<number[][]> {
  if (pushes.length === 0) return [];
  if (tx.appendPushes) return tx.appendPushes(pushes);
  const ids: number[][] = [];
  for (const push of pushes) ids.push(await tx.appendOutcomes(push.userIds, push.body));
  return ids;
}

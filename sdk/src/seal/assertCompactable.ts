// Shared by every store that compacts: a checkpoint may only move forward, and not past the end of the log.
import { ChainError } from './ChainError.js';
import type { SealedCheckpoint } from './SealedCheckpoint.js';

/** Throws ChainError unless `checkpoint` lies after `kept` (if any) and at most at `length` (the next seq). */
export function assertCompactable(length: number, kept: SealedCheckpoint | undefined, checkpoint: SealedCheckpoint, where = 'log store'): void {
  if (checkpoint.seq > length) {
    throw new ChainError('gap', `${where}: cannot keep checkpoint ${checkpoint.seq}, the log ends at seq ${length - 1}`, { seq: checkpoint.seq });
  }
  if (kept !== undefined && checkpoint.seq <= kept.seq) {
    throw new ChainError('duplicate', `${where}: checkpoint ${checkpoint.seq} is not after the one kept (${kept.seq})`, { seq: checkpoint.seq });
  }
}

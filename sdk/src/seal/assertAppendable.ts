// Shared by every store: a batch may only continue the log, contiguously, or nothing is written.
import { ChainError } from './ChainError.js';
import type { SealedEntry } from './SealedEntry.js';

/** Throws ChainError 'gap' or 'fork' unless `entries` are seqs `nextSeq`, `nextSeq + 1`, … */
export function assertAppendable(nextSeq: number, entries: readonly SealedEntry<unknown>[], where = 'log store'): void {
  for (let i = 0; i < entries.length; i++) {
    const seq = entries[i]!.seq;
    const expected = nextSeq + i;
    if (seq === expected) continue;
    if (typeof seq === 'number' && seq > expected) {
      throw new ChainError('gap', `${where}: cannot append seq ${seq}, the next seq is ${expected}`, { seq: expected });
    }
    throw new ChainError('fork', `${where}: cannot append seq ${String(seq)}, the log already has it (next seq is ${expected})`, {
      seq: typeof seq === 'number' ? seq : undefined,
    });
  }
}

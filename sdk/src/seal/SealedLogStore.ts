// Where a client keeps every entry it sealed (the server keeps nothing): memory here, IndexedDB
// in @stage/sdk/idb, an append-only file in @stage/sdk/node. One contract, one test suite
// (test-support/logStoreContract.ts) run against each.
import type { SealedCheckpoint } from './SealedCheckpoint.js';
import type { SealedEntry } from './SealedEntry.js';

export interface SealedLogStore<B = unknown> {
  /**
   * Appends already sealed entries, atomically: all of them or none. They must continue the log
   * (first seq = length(), contiguous), else ChainError 'gap' / 'fork' and nothing is written.
   * Resolves once the entries are committed (durably, for persistent stores).
   */
  append(entries: readonly SealedEntry<B>[]): Promise<void>;
  /**
   * Up to `limit` entries from `fromSeq` on, in order (fewer at the end of the log). Seqs are absolute: after a
   * compaction the entries below the checkpoint are gone, and a read from below it starts at the checkpoint.
   */
  read(fromSeq: number, limit: number): Promise<SealedEntry<B>[]>;
  /** The next seq (entries appended since genesis, including those compacted away). */
  length(): Promise<number>;
  /** The last entry; undefined when the log is empty, or when a checkpoint replaced every entry (see checkpoint()). */
  last(): Promise<SealedEntry<B> | undefined>;
  close(): Promise<void>;
  /**
   * Optional, with `compact`: a store that can keep a sealed checkpoint instead of the entries before it. A client
   * over a store without them ignores checkpoints (and does not ask a hub for them): its log grows as before.
   * The checkpoint kept, if any.
   */
  checkpoint?(): Promise<SealedCheckpoint | undefined>;
  /**
   * Keeps `checkpoint` and drops the entries before its seq, atomically: after a crash the store holds either the
   * old checkpoint and every entry, or the new checkpoint and the entries from its seq on, never neither. The
   * caller has verified it (seal, and prevSeal = the seal of entry seq-1). Refuses with ChainError a checkpoint past
   * the end of the log ('gap') or not after the one kept ('duplicate'); nothing changes then.
   */
  compact?(checkpoint: SealedCheckpoint): Promise<void>;
}

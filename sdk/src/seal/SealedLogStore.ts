// Where a client keeps every entry it sealed (the server keeps nothing): memory here, IndexedDB
// in @stage/sdk/idb, an append-only file in @stage/sdk/node. One contract, one test suite
// (test-support/logStoreContract.ts) run against each.
import type { SealedEntry } from './SealedEntry.js';

export interface SealedLogStore<B = unknown> {
  /**
   * Appends already sealed entries, atomically: all of them or none. They must continue the log
   * (first seq = length(), contiguous), else ChainError 'gap' / 'fork' and nothing is written.
   * Resolves once the entries are committed (durably, for persistent stores).
   */
  append(entries: readonly SealedEntry<B>[]): Promise<void>;
  /** Up to `limit` entries from `fromSeq` on, in order (fewer at the end of the log). */
  read(fromSeq: number, limit: number): Promise<SealedEntry<B>[]>;
  /** Number of entries = next seq. */
  length(): Promise<number>;
  last(): Promise<SealedEntry<B> | undefined>;
  close(): Promise<void>;
}

// The in-memory sealed log: for tests, for servers that only need a client in-process, and as the
// reference the persistent stores are measured against. Entries are kept as given (not copied).
// Compaction keeps a sealed checkpoint and drops the entries before it; seqs stay absolute (`#base`).
import { assertAppendable } from './assertAppendable.js';
import { assertCompactable } from './assertCompactable.js';
import { LogStoreError } from './LogStoreError.js';
import type { SealedCheckpoint } from './SealedCheckpoint.js';
import type { SealedEntry } from './SealedEntry.js';
import type { SealedLogStore } from './SealedLogStore.js';

export class MemoryLogStore<B = unknown> implements SealedLogStore<B> {
  #entries: SealedEntry<B>[] = [];
  /** Seq of #entries[0]: the kept checkpoint's seq, 0 without one. */
  #base = 0;
  #checkpoint: SealedCheckpoint | undefined;
  #closed = false;

  constructor(entries: readonly SealedEntry<B>[] = []) {
    assertAppendable(0, entries, 'MemoryLogStore');
    this.#entries.push(...entries);
  }

  async append(entries: readonly SealedEntry<B>[]): Promise<void> {
    this.#assertOpen();
    assertAppendable(this.#base + this.#entries.length, entries, 'MemoryLogStore');
    for (const entry of entries) this.#entries.push(entry);
  }

  async read(fromSeq: number, limit: number): Promise<SealedEntry<B>[]> {
    this.#assertOpen();
    const from = Math.max(0, fromSeq - this.#base);
    return this.#entries.slice(from, from + Math.max(0, limit));
  }

  async length(): Promise<number> {
    this.#assertOpen();
    return this.#base + this.#entries.length;
  }

  async last(): Promise<SealedEntry<B> | undefined> {
    this.#assertOpen();
    return this.#entries[this.#entries.length - 1];
  }

  async checkpoint(): Promise<SealedCheckpoint | undefined> {
    this.#assertOpen();
    return this.#checkpoint;
  }

  async compact(checkpoint: SealedCheckpoint): Promise<void> {
    this.#assertOpen();
    assertCompactable(this.#base + this.#entries.length, this.#checkpoint, checkpoint, 'MemoryLogStore');
    this.#entries = this.#entries.slice(checkpoint.seq - this.#base);
    this.#base = checkpoint.seq;
    this.#checkpoint = checkpoint;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LogStoreError('closed', 'MemoryLogStore is closed; open a new store');
  }
}

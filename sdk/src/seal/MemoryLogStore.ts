// The in-memory sealed log: for tests, for servers that only need a client in-process, and as the
// reference the persistent stores are measured against. Entries are kept as given (not copied).
import { assertAppendable } from './assertAppendable.js';
import { LogStoreError } from './LogStoreError.js';
import type { SealedEntry } from './SealedEntry.js';
import type { SealedLogStore } from './SealedLogStore.js';

export class MemoryLogStore<B = unknown> implements SealedLogStore<B> {
  readonly #entries: SealedEntry<B>[] = [];
  #closed = false;

  constructor(entries: readonly SealedEntry<B>[] = []) {
    assertAppendable(0, entries, 'MemoryLogStore');
    this.#entries.push(...entries);
  }

  async append(entries: readonly SealedEntry<B>[]): Promise<void> {
    this.#assertOpen();
    assertAppendable(this.#entries.length, entries, 'MemoryLogStore');
    for (const entry of entries) this.#entries.push(entry);
  }

  async read(fromSeq: number, limit: number): Promise<SealedEntry<B>[]> {
    this.#assertOpen();
    return this.#entries.slice(Math.max(0, fromSeq), Math.max(0, fromSeq) + Math.max(0, limit));
  }

  async length(): Promise<number> {
    this.#assertOpen();
    return this.#entries.length;
  }

  async last(): Promise<SealedEntry<B> | undefined> {
    this.#assertOpen();
    return this.#entries[this.#entries.length - 1];
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LogStoreError('closed', 'MemoryLogStore is closed; open a new store');
  }
}

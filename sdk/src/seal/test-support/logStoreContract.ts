// The one contract every SealedLogStore must meet, as a Vitest suite. Run it against each store
// (memory, file, fake-indexeddb, real IndexedDB) with a factory that opens a fresh, empty store.
import { describe, expect, it } from 'vitest';
import { ChainError } from '../ChainError.js';
import { LogStoreError } from '../LogStoreError.js';
import { sealCheckpoint, type SealedCheckpoint } from '../SealedCheckpoint.js';
import { Sealer } from '../Sealer.js';
import { jsSealing } from '../jsSealing.js';
import { fromHex } from '../../internal/hex.js';
import type { SealedEntry } from '../SealedEntry.js';
import type { SealedLogStore } from '../SealedLogStore.js';

export interface OpenedStore {
  readonly store: SealedLogStore<Body>;
  /** Closes and opens the same log again (a reload or restart); omitted for stores that do not persist. */
  readonly reopen?: () => Promise<SealedLogStore<Body>>;
}

export interface Body {
  readonly n: number;
  readonly text: string;
  readonly nested: { readonly list: readonly number[]; readonly flag: boolean | null };
}

export function sealedEntries(count: number, from = 0, key = '11'.repeat(32)): SealedEntry<Body>[] {
  const sealer = new Sealer({ key });
  const all: SealedEntry<Body>[] = [];
  for (let n = 0; n < from + count; n++) {
    all.push(sealer.seal<Body>({ n, text: `entry ${n} · é 😀`, nested: { list: [n, n * 2], flag: n % 3 === 0 ? null : n % 2 === 0 } }));
  }
  return all.slice(from);
}

/** A checkpoint at `seq` over `entries` (sealed with the entries' default key), with a small state. */
export function checkpointOf(entries: readonly SealedEntry<Body>[], seq: number, key = '11'.repeat(32)): SealedCheckpoint {
  return sealCheckpoint(jsSealing, fromHex(key), seq, entries[seq - 1]!.seal, { upTo: seq, topics: [['general', 'é 😀', seq]] });
}

export function describeLogStoreContract(name: string, open: () => Promise<OpenedStore>, options: { persistent: boolean }): void {
  describe(`${name} meets the SealedLogStore contract`, () => {
    it('starts empty', async () => {
      const { store } = await open();
      expect(await store.length()).toBe(0);
      expect(await store.last()).toBeUndefined();
      expect(await store.read(0, 10)).toEqual([]);
      await store.close();
    });

    it('reads back appended batches in order, page by page', async () => {
      const { store } = await open();
      const entries = sealedEntries(25);
      await store.append(entries.slice(0, 10));
      await store.append(entries.slice(10, 11));
      await store.append(entries.slice(11));
      expect(await store.length()).toBe(25);
      expect(await store.last()).toEqual(entries[24]);
      expect(await store.read(0, 10)).toEqual(entries.slice(0, 10));
      expect(await store.read(10, 10)).toEqual(entries.slice(10, 20));
      expect(await store.read(20, 10)).toEqual(entries.slice(20));
      expect(await store.read(25, 10)).toEqual([]);
      expect(await store.read(3, 0)).toEqual([]);
      await store.close();
    });

    it('keeps appends made without awaiting in call order', async () => {
      const { store } = await open();
      const entries = sealedEntries(12);
      await Promise.all([store.append(entries.slice(0, 4)), store.append(entries.slice(4, 8)), store.append(entries.slice(8))]);
      expect(await store.read(0, 100)).toEqual(entries);
      await store.close();
    });

    it('refuses a batch that leaves a gap, and writes none of it', async () => {
      const { store } = await open();
      const entries = sealedEntries(10);
      await store.append(entries.slice(0, 3));
      const error = await store.append(entries.slice(4, 6)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChainError);
      expect((error as ChainError).code).toBe('gap');
      expect((error as ChainError).seq).toBe(3);
      expect(await store.length()).toBe(3);
      await store.close();
    });

    it('refuses a batch that rewrites existing seqs or is not contiguous inside, and writes none of it', async () => {
      const { store } = await open();
      const entries = sealedEntries(10);
      await store.append(entries.slice(0, 3));
      const rewrite = await store.append(entries.slice(2, 5)).catch((e: unknown) => e);
      expect((rewrite as ChainError).code).toBe('fork');
      const holey = await store.append([entries[3]!, entries[4]!, entries[6]!]).catch((e: unknown) => e);
      expect((holey as ChainError).code).toBe('gap');
      expect(await store.length()).toBe(3);
      expect(await store.read(0, 10)).toEqual(entries.slice(0, 3));
      await store.append(entries.slice(3));
      expect(await store.read(0, 10)).toEqual(entries);
      await store.close();
    });

    it('refuses use after close with LogStoreError closed', async () => {
      const { store } = await open();
      await store.append(sealedEntries(1));
      await store.close();
      const error = await store.append(sealedEntries(1, 1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LogStoreError);
      expect((error as LogStoreError).code).toBe('closed');
    });

    it('compacts: keeps the checkpoint, drops the entries before it, keeps seqs absolute and goes on appending', async () => {
      const { store } = await open();
      if (store.compact === undefined || store.checkpoint === undefined) return;
      const entries = sealedEntries(40);
      await store.append(entries.slice(0, 30));
      expect(await store.checkpoint()).toBeUndefined();
      const checkpoint = checkpointOf(entries, 20);
      await store.compact(checkpoint);
      expect(await store.checkpoint()).toEqual(checkpoint);
      expect(await store.length()).toBe(30);
      expect(await store.last()).toEqual(entries[29]);
      expect(await store.read(20, 5)).toEqual(entries.slice(20, 25));
      // A read from below the checkpoint starts at it.
      expect(await store.read(0, 100)).toEqual(entries.slice(20, 30));
      await store.append(entries.slice(30));
      expect(await store.read(20, 100)).toEqual(entries.slice(20));
      // Only forward, and not past the end.
      expect(await store.compact(checkpointOf(entries, 20)).catch((e: unknown) => (e as ChainError).code)).toBe('duplicate');
      expect(await store.compact(checkpointOf(entries, 10)).catch((e: unknown) => (e as ChainError).code)).toBe('duplicate');
      const past = sealCheckpoint(jsSealing, fromHex('11'.repeat(32)), 41, entries[39]!.seal, {});
      expect(await store.compact(past).catch((e: unknown) => (e as ChainError).code)).toBe('gap');
      expect(await store.checkpoint()).toEqual(checkpoint);
      // Up to the end: no entry left, the length stays.
      const all = checkpointOf(entries, 40);
      await store.compact(all);
      expect(await store.read(0, 100)).toEqual([]);
      expect(await store.length()).toBe(40);
      expect(await store.checkpoint()).toEqual(all);
      const more = sealedEntries(2, 40);
      await store.append(more);
      expect(await store.read(0, 100)).toEqual(more);
      await store.close();
    });

    if (!options.persistent) return;
    it('keeps a compacted log across a reopen: the checkpoint, the entries after it, the length', async () => {
      const opened = await open();
      if (opened.reopen === undefined) throw new Error(`${name}: a persistent store's factory must provide reopen()`);
      if (opened.store.compact === undefined) return;
      const entries = sealedEntries(30);
      await opened.store.append(entries.slice(0, 25));
      const checkpoint = checkpointOf(entries, 25);
      await opened.store.compact(checkpointOf(entries, 10));
      await opened.store.compact(checkpoint);
      const again = await opened.reopen();
      expect(await again.checkpoint!()).toEqual(checkpoint);
      expect(await again.length()).toBe(25);
      expect(await again.last()).toBeUndefined();
      expect(await again.read(0, 100)).toEqual([]);
      await again.append(entries.slice(25));
      expect(await again.read(0, 100)).toEqual(entries.slice(25));
      await again.close();
    });

    it('keeps a log across a reopen and continues it', async () => {
      const opened = await open();
      if (opened.reopen === undefined) throw new Error(`${name}: a persistent store's factory must provide reopen()`);
      const entries = sealedEntries(30);
      await opened.store.append(entries.slice(0, 20));
      const again = await opened.reopen();
      expect(await again.length()).toBe(20);
      expect(await again.last()).toEqual(entries[19]);
      await again.append(entries.slice(20));
      expect(await again.read(0, 100)).toEqual(entries);
      await again.close();
    });
  });
}

// The SQLite store copies its write-ahead log into the database on a worker thread (store/WalCheckpointer.ts): the
// COMMIT on the event loop never runs a checkpoint of thousands of pages, and the WAL still starts over instead of
// growing without bound. What a user relies on: the data survives a reopen, the WAL stays bounded, and the copying
// happens while the store's own connection does nothing.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/store/SqliteStore.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function open(config: { checkpointPages?: number; checkpointOnWorker?: boolean } = {}): { store: SqliteStore; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stage-wal-'));
  dirs.push(dir);
  const file = join(dir, 'hub.sqlite');
  const store = new SqliteStore({ file, ...config });
  stores.push(store);
  return { store, file };
}

/** `count` transactions of one ~3 KB record each: about one WAL page per transaction. */
async function write(store: SqliteStore, from: number, count: number): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      store.transaction(async (tx) => tx.putExtensionRecord('test', `k${from + i}`, { text: 'x'.repeat(3000), n: from + i }, 1)),
    ),
  );
}

describe('WAL checkpoints on a worker thread', () => {
  it('copies the WAL into the database while the store commits nothing, and the WAL starts over', async () => {
    // 60 records take ~135 WAL pages: past the worker's 100, short of the store's own automatic checkpoint (400).
    const { store, file } = open({ checkpointPages: 100 });
    const empty = statSync(file).size;
    await write(store, 0, 60);
    expect(statSync(file).size).toBe(empty);
    // Nothing is written from here on: only the worker can copy the WAL into the database file.
    await vi.waitFor(() => expect(store.checkpointStats.restarts).toBe(1), { timeout: 10_000, interval: 20 });
    expect(statSync(file).size).toBeGreaterThan(empty + 60 * 3000);
    expect(store.checkpointStats.failure).toBeUndefined();
  });

  it('keeps the WAL bounded under steady writes and loses nothing across a reopen', async () => {
    const { store, file } = open({ checkpointPages: 100 });
    // Frames in the WAL not yet copied, as a reader beside the store sees them.
    const peek = new Database(file, { readonly: true });
    const uncopied = () => {
      const [r] = peek.pragma('wal_checkpoint(NOOP)') as { log: number; checkpointed: number }[];
      return r!.log - r!.checkpointed;
    };
    try {
      for (let round = 0; round < 10; round++) {
        const restarts = store.checkpointStats.restarts;
        await write(store, round * 60, 60);
        // Past the threshold the worker copies the WAL, and it starts over (a round that reused pages may stay short).
        if (uncopied() >= 100) await vi.waitFor(() => expect(store.checkpointStats.restarts).toBe(restarts + 1), { timeout: 10_000, interval: 20 });
      }
    } finally {
      peek.close();
    }
    expect(store.checkpointStats.restarts).toBeGreaterThanOrEqual(3);
    await write(store, 600, 10);
    // ~1,350 pages were written; the WAL started over each round instead (the store's own automatic checkpoint,
    // at 400 pages, never had to run).
    expect(statSync(`${file}-wal`).size).toBeLessThan(300 * 4120);
    await store.close();
    stores.splice(stores.indexOf(store), 1);

    const reopened = new SqliteStore({ file, readonly: true });
    stores.push(reopened);
    const records = await reopened.extensionRecords('test', '', 10_000);
    expect(records).toHaveLength(610);
    expect(new Set(records.map((r) => (r.value as { n: number }).n)).size).toBe(610);
  });

  it('never starts a thread for a store that writes little', async () => {
    const { store } = open();
    await write(store, 0, 20);
    expect(store.checkpointStats.running).toBe(false);
  });

  it('leaves the checkpoints to SQLite inside the COMMIT when asked to', async () => {
    const { store, file } = open({ checkpointPages: 64, checkpointOnWorker: false });
    const empty = statSync(file).size;
    await write(store, 0, 150);
    expect(store.checkpointStats.running).toBe(false);
    // SQLite's automatic checkpoint ran in a COMMIT past 64 pages.
    expect(statSync(file).size).toBeGreaterThan(empty + 64 * 3000);
  });
});

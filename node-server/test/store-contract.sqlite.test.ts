// The Store contract against the embedded SQLite store, each test on a fresh database file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/SqliteStore.js';
import type { Store } from '../src/store/Store.js';
import { describeStoreContract } from './store-contract.js';

let dir: string | undefined;
let opened: Store[] = [];

describeStoreContract('SQLite', {
  async open() {
    dir = mkdtempSync(join(tmpdir(), 'stage-store-'));
    const store = new SqliteStore({ file: join(dir, 'stage.db') });
    opened.push(store);
    return store;
  },
  async dispose() {
    for (const s of opened) await s.close();
    opened = [];
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  },
});

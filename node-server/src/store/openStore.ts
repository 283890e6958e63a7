// Chooses the store by configuration: PostgreSQL when `STAGE_DATABASE_URL` (or `databaseUrl`) starts with
// "postgres" (implementation owned by the scale-out work, loaded lazily so SQLite-only installs never load pg),
// otherwise SQLite in `<dataDir>/stage.db`.
import { join } from 'node:path';
import { chmodSync, mkdirSync } from 'node:fs';
import type { Store } from './Store.js';
import { SqliteStore } from './SqliteStore.js';

export interface OpenStoreConfig {
  dataDir: string;
  /** Overrides `STAGE_DATABASE_URL`. */
  databaseUrl?: string;
}

export async function openStore(config: OpenStoreConfig): Promise<Store> {
  const url = config.databaseUrl ?? process.env.STAGE_DATABASE_URL;
  if (url?.startsWith('postgres')) {
    // A variable specifier keeps TypeScript from requiring the module before it lands.
    const modulePath = './postgres/PostgresStore.js';
    const mod = (await import(modulePath)) as { PostgresStore: { open(url: string): Promise<Store> } };
    return mod.PostgresStore.open(url);
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const file = join(config.dataDir, 'stage.db');
  const store = new SqliteStore({ file });
  // Password hashes and messages: owner-only, like the WAL and shared-memory files beside the database.
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(f, 0o600);
    } catch {
      // not created (yet): SQLite creates -wal/-shm with the database file's mode
    }
  }
  return store;
}

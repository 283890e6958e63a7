// The IndexedDB database behind Stage's browser stores: one object store for sealed logs and one
// for mailbox backings. A connection closes itself when another tab asks to upgrade the database
// (versionchange), so a newer tab is never blocked by an older one; the store that owned the
// connection then refuses further use with LogStoreError('closed') and says to reload.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export interface StageDbSchema extends DBSchema {
  sealedLog: {
    key: [string, number];
    value: { log: string; seq: number; seal: string; body: unknown };
  };
  mailbox: {
    key: [string, number];
    value: { mailbox: string; id: number; deliveries: number; value: unknown };
  };
}

export type StageDb = IDBPDatabase<StageDbSchema>;

/** Schema version of the Stage database. */
export const STAGE_DB_VERSION = 1;
export const DEFAULT_STAGE_DB_NAME = 'stage';

export interface OpenStageDbConfig {
  readonly dbName?: string;
  /** Called once when the connection was closed for another tab's upgrade, or by the browser. */
  readonly onClose?: (reason: 'versionchange' | 'terminated') => void;
}

export async function openStageDb(config: OpenStageDbConfig = {}): Promise<StageDb> {
  let db: StageDb | undefined;
  // eslint-disable-next-line prefer-const -- read by a callback that can run before the assignment; const would throw there
  db = await openDB<StageDbSchema>(config.dbName ?? DEFAULT_STAGE_DB_NAME, STAGE_DB_VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) {
        database.createObjectStore('sealedLog', { keyPath: ['log', 'seq'] });
        database.createObjectStore('mailbox', { keyPath: ['mailbox', 'id'] });
      }
    },
    blocking() {
      db?.close();
      config.onClose?.('versionchange');
    },
    terminated() {
      config.onClose?.('terminated');
    },
  });
  return db;
}

// ImClient storage in IndexedDB (browser): the outbox, the device record and the last state as IdbMailboxBacking mailboxes and
// each session's sealed log as an IdbLogStore, all in the Stage database, so a page reload loses nothing.
// Everything is keyed by user and device: two people signing in on one browser never see (or send) each
// other's queued commands, chain or cursors, and wipe() removes one user's data without touching the other's.
import type { DeviceRecord, ImClientStorage, OutboxItem } from '../im/client/ImClientStorage.js';
import type { ImStateSnapshot } from '../im/client/stateSnapshot.js';
import type { Command } from '../im/protocol/commands.js';
import { IdbLogStore } from './IdbLogStore.js';
import { IdbMailboxBacking } from './IdbMailboxBacking.js';
import { openStageDb } from './openStageDb.js';

export interface IdbImStorageConfig {
  /** The signed-in user whose data this is. An ImClient over this storage refuses a token of any other user. */
  readonly userId: string;
  /** The device id: several devices (e.g. test users) can share one database. */
  readonly deviceId: string;
  /** Default 'stage'. */
  readonly dbName?: string;
  /** Default 'relaxed' (survives a reload or tab crash). */
  readonly durability?: 'relaxed' | 'strict' | 'default';
}

/** The key prefix of one user's data on one device; user ids are the hub's (no ':' is assumed: it is escaped). */
function ownerKey(config: IdbImStorageConfig): string {
  return `${encodeURIComponent(config.userId)}:${config.deviceId}`;
}

export async function idbImStorage(config: IdbImStorageConfig): Promise<ImClientStorage> {
  if (typeof config.userId !== 'string' || config.userId.length === 0) throw new TypeError('idbImStorage: userId must be the signed-in user\'s id');
  const common = { ...(config.dbName ? { dbName: config.dbName } : {}), ...(config.durability ? { durability: config.durability } : {}) };
  const owner = ownerKey(config);
  const outbox = await IdbMailboxBacking.open<OutboxItem>({ ...common, mailbox: `im-outbox:${owner}` });
  const device = await IdbMailboxBacking.open<DeviceRecord>({ ...common, mailbox: `im-device:${owner}` });
  const snapshot = await IdbMailboxBacking.open<ImStateSnapshot>({ ...common, mailbox: `im-state:${owner}` });
  const logPrefix = `im:${owner}:`;
  return {
    userId: config.userId,
    outbox,
    device,
    snapshot,
    openLog: (sessionId) => IdbLogStore.open<Command>({ ...common, logId: `${logPrefix}${sessionId}` }),
    close: () => {
      outbox.close();
      device.close();
      snapshot.close();
    },
    async wipe() {
      // One transaction over both stores: the user's outbox, device record, last state and every session log go together.
      const db = await openStageDb(config.dbName ? { dbName: config.dbName } : {});
      try {
        const tx = db.transaction(['mailbox', 'sealedLog'], 'readwrite');
        const mailboxes = tx.objectStore('mailbox');
        const requests = [`im-outbox:${owner}`, `im-device:${owner}`, `im-state:${owner}`].map((name) => mailboxes.delete(IDBKeyRange.bound([name, -Infinity], [name, Infinity])));
        // Array keys compare element by element: [prefix] sorts before every [prefix + sessionId, seq].
        requests.push(tx.objectStore('sealedLog').delete(IDBKeyRange.bound([logPrefix], [`${logPrefix}\uffff`])));
        await Promise.all([...requests, tx.done]);
      } finally {
        db.close();
      }
    },
  };
}

// ImClient storage in IndexedDB (browser): the outbox and the device record as IdbMailboxBacking mailboxes and
// each session's sealed log as an IdbLogStore, all in the Stage database, so a page reload loses nothing.
import type { DeviceRecord, ImClientStorage, OutboxItem } from '../im/client/ImClientStorage.js';
import type { Command } from '../im/protocol/commands.js';
import { IdbLogStore } from './IdbLogStore.js';
import { IdbMailboxBacking } from './IdbMailboxBacking.js';

export interface IdbImStorageConfig {
  /** The device id: several devices (e.g. test users) can share one database. */
  readonly deviceId: string;
  /** Default 'stage'. */
  readonly dbName?: string;
  /** Default 'relaxed' (survives a reload or tab crash). */
  readonly durability?: 'relaxed' | 'strict' | 'default';
}

export async function idbImStorage(config: IdbImStorageConfig): Promise<ImClientStorage> {
  const common = { ...(config.dbName ? { dbName: config.dbName } : {}), ...(config.durability ? { durability: config.durability } : {}) };
  const outbox = await IdbMailboxBacking.open<OutboxItem>({ ...common, mailbox: `im-outbox:${config.deviceId}` });
  const device = await IdbMailboxBacking.open<DeviceRecord>({ ...common, mailbox: `im-device:${config.deviceId}` });
  return {
    outbox,
    device,
    openLog: (sessionId) => IdbLogStore.open<Command>({ ...common, logId: `im:${config.deviceId}:${sessionId}` }),
    close: () => {
      outbox.close();
      device.close();
    },
  };
}

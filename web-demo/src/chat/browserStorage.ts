// Where this browser profile's device keeps what must survive a reload: its sealed session logs
// (IdbLogStore), the outbox of unanswered commands and the device record (session id, key, last
// outcome id), all in one IndexedDB database per device.
import * as idb from '@stage/sdk/idb';
import { IdbLogStore } from '@stage/sdk/idb';
import type { Command, DeviceRecord, ImClientStorage, OutboxItem } from '@stage/sdk/im';
import { MemoryMailboxBacking, type MailboxBacking } from '@stage/sdk';

/** The database of one device: the e2e tests open it by this name to tamper with the log. */
export function deviceDbName(deviceId: string): string {
  return `stage-${deviceId}`;
}

interface IdbMailboxBackingApi {
  open<T>(config: { mailbox: string; dbName?: string }): Promise<MailboxBacking<T>>;
}

export async function browserStorage(deviceId: string): Promise<ImClientStorage> {
  const dbName = deviceDbName(deviceId);
  // IdbMailboxBacking keeps the outbox and the device record across reloads; without it (an older
  // SDK) they fall back to memory and a reload starts a fresh session.
  const backing = (idb as { IdbMailboxBacking?: IdbMailboxBackingApi }).IdbMailboxBacking;
  const outbox: MailboxBacking<OutboxItem> = backing ? await backing.open<OutboxItem>({ mailbox: 'outbox', dbName }) : new MemoryMailboxBacking<OutboxItem>();
  const device: MailboxBacking<DeviceRecord> = backing ? await backing.open<DeviceRecord>({ mailbox: 'device', dbName }) : new MemoryMailboxBacking<DeviceRecord>();
  return {
    outbox,
    device,
    openLog: (sessionId) => IdbLogStore.open<Command>({ logId: sessionId, dbName }),
  };
}

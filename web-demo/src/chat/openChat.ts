// Opens the ImClient of this browser profile's device for a signed-in account. Its outbox, device
// record and sealed session logs live in IndexedDB (database "stage"), so a reload loses nothing.
import { idbImStorage } from '@stage/sdk/idb';
import { ImClient } from '@stage/sdk/im';
import type { Account } from '../auth/account.js';

export async function openClient(account: Account, deviceId: string): Promise<ImClient> {
  return ImClient.open({
    url: location.origin,
    deviceId,
    token: account.token,
    storage: await idbImStorage({ deviceId }),
    reconnect: { initialDelayMs: 250, maxDelayMs: 5_000 },
  });
}

// Opens the ImClient of this browser profile's device for a signed-in account. Its outbox, device
// record and sealed session logs live in IndexedDB (database "stage"), keyed by the account's user,
// so a reload loses nothing and the next person to sign in on this browser never sees or sends them.
import { idbImStorage } from '@stage/sdk/idb';
import { ImClient } from '@stage/sdk/im';
import type { Account } from '../auth/account.js';

export async function openClient(account: Account, deviceId: string): Promise<ImClient> {
  return ImClient.open({
    url: location.origin,
    deviceId,
    userId: account.userId,
    token: account.token,
    storage: await idbImStorage({ userId: account.userId, deviceId }),
    reconnect: { initialDelayMs: 250, maxDelayMs: 5_000 },
  });
}

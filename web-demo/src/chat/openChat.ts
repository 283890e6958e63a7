// Opens the ImClient of this browser profile's device for a signed-in account, over IndexedDB.
import { ImClient } from '@stage/sdk/im';
import type { Account } from '../auth/account.js';
import { browserStorage } from './browserStorage.js';

export async function openClient(account: Account, deviceId: string): Promise<ImClient> {
  return ImClient.open({
    url: location.origin,
    deviceId,
    token: account.token,
    storage: await browserStorage(deviceId),
    reconnect: { initialDelayMs: 250, maxDelayMs: 5_000 },
  });
}

// Opens the ImClient of this browser profile's device for a signed-in account. Its outbox, device
// record and sealed session logs live in IndexedDB (database "stage"), keyed by the account's user,
// so a reload loses nothing and the next person to sign in on this browser never sees or sends them.
import { idbImStorage } from '@stage/sdk/idb';
import { ImClient } from '@stage/sdk/im';
import { rememberAccount, type Account } from '../auth/account.js';

export async function openClient(account: Account, deviceId: string): Promise<ImClient> {
  const client = await ImClient.open({
    url: location.origin,
    deviceId,
    userId: account.userId,
    token: account.token,
    // The client refreshes the token while it is in use; the fresh one is kept for the next visit.
    tokenExpiresAt: account.expiresAt,
    storage: await idbImStorage({ userId: account.userId, deviceId }),
    reconnect: { initialDelayMs: 250, maxDelayMs: 5_000 },
  });
  client.token$.subscribe((fresh) => rememberAccount({ token: fresh.token, userId: fresh.userId, username: fresh.username, expiresAt: fresh.expiresAt }));
  return client;
}

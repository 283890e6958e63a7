// idbImStorage: an ImClient reloaded over the same IndexedDB database keeps its outbox and its sealed session;
// two users of one browser have storages of their own, and wiping one leaves the other's intact.
import { describe, expect, it } from 'vitest';
import { clientRestartScenario } from '../im/test-support/clientRestartScenario.js';
import { userKeyedStorageScenario } from '../im/test-support/userKeyedStorageScenario.js';
import { idbImStorage } from './idbImStorage.js';

const freshDb = () => `stage-im-${Math.random().toString(36).slice(2)}`;

describe('idbImStorage', () => {
  it('lets a reloaded client send its queued commands once, in order, in the same sealed session', async () => {
    const dbName = freshDb();
    const result = await clientRestartScenario(() => idbImStorage({ userId: 'u1', deviceId: 'd1', dbName }));
    expect(result.recoveredPending).toEqual(['offline-1', 'offline-2']);
    expect(result.executed).toEqual(['online', 'offline-1', 'offline-2']);
    expect(result.secondSessionId).toBe(result.firstSessionId);
    expect(result.helloSessionIds).toEqual([undefined, result.firstSessionId]);
    expect(result).toMatchObject({ logLength: 3, verified: true });
  });

  it("keeps each user's outbox, device record and logs apart on one device, and wipes only one user's", async () => {
    const dbName = freshDb();
    const result = await userKeyedStorageScenario((userId) => idbImStorage({ userId, deviceId: 'browser-1', dbName }));
    expect(result).toEqual({
      aliceBefore: ['from alice'],
      bobBefore: ['from bob'],
      aliceAfterWipe: [],
      aliceDeviceAfterWipe: 0,
      aliceLogAfterWipe: 0,
      bobAfterWipe: ['from bob'],
      bobLogAfterWipe: 1,
    });
  });
});

// idbImStorage: an ImClient reloaded over the same IndexedDB database keeps its outbox and its sealed session.
import { describe, expect, it } from 'vitest';
import { clientRestartScenario } from '../im/test-support/clientRestartScenario.js';
import { idbImStorage } from './idbImStorage.js';

describe('idbImStorage', () => {
  it('lets a reloaded client send its queued commands once, in order, in the same sealed session', async () => {
    const dbName = `stage-im-${Math.random().toString(36).slice(2)}`;
    const result = await clientRestartScenario(() => idbImStorage({ deviceId: 'd1', dbName }));
    expect(result.recoveredPending).toEqual(['offline-1', 'offline-2']);
    expect(result.executed).toEqual(['online', 'offline-1', 'offline-2']);
    expect(result.secondSessionId).toBe(result.firstSessionId);
    expect(result.helloSessionIds).toEqual([undefined, result.firstSessionId]);
    expect(result).toMatchObject({ logLength: 3, verified: true });
  });
});

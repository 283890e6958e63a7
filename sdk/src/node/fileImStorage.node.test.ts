// fileImStorage: an ImClient restarted over the same directory keeps its outbox and its sealed session.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clientRestartScenario } from '../im/test-support/clientRestartScenario.js';
import { userKeyedStorageScenario } from '../im/test-support/userKeyedStorageScenario.js';
import { fileImStorage } from './fileImStorage.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('fileImStorage', () => {
  it('lets a restarted client send its queued commands once, in order, in the same sealed session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stage-im-storage-'));
    dirs.push(dir);
    const result = await clientRestartScenario(() => fileImStorage({ dir, durability: 'relaxed' }));
    expect(result.recoveredPending).toEqual(['offline-1', 'offline-2']);
    expect(result.executed).toEqual(['online', 'offline-1', 'offline-2']);
    expect(result.secondSessionId).toBe(result.firstSessionId);
    expect(result.helloSessionIds).toEqual([undefined, result.firstSessionId]);
    expect(result).toMatchObject({ logLength: 3, verified: true });
  });

  it("keeps each user's files apart in one directory, and wipes only one user's", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stage-im-users-'));
    dirs.push(dir);
    const result = await userKeyedStorageScenario((userId) => fileImStorage({ dir, userId, durability: 'relaxed' }));
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

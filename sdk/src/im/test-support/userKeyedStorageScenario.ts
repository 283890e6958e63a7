// Two users of one device over a user-keyed storage (shared by the file and IndexedDB storage tests): each user's
// outbox is their own, and wiping one user's storage leaves the other's untouched.
import type { ImClientStorage, OutboxItem } from '../client/ImClientStorage.js';
import type { Command } from '../protocol/commands.js';

export interface UserKeyedResult {
  /** What a reopened storage of each user holds, before and after alice's is wiped. */
  aliceBefore: string[];
  bobBefore: string[];
  aliceAfterWipe: string[];
  aliceDeviceAfterWipe: number;
  aliceLogAfterWipe: number;
  bobAfterWipe: string[];
  bobLogAfterWipe: number;
}

function item(content: string): OutboxItem {
  return { command: { type: 'SendMessage', traceId: `t-${content}`, stream: 's', topic: 't', content } as Command, issuedAt: 1 };
}

async function contents(storage: ImClientStorage): Promise<string[]> {
  return (await storage.outbox.load()).map((e) => (e.value.command as Extract<Command, { type: 'SendMessage' }>).content);
}

async function logLength(storage: ImClientStorage, sessionId: string): Promise<number> {
  const log = await storage.openLog(sessionId);
  const length = await log.length();
  await log.close();
  return length;
}

export async function userKeyedStorageScenario(open: (userId: string) => Promise<ImClientStorage>): Promise<UserKeyedResult> {
  const alice = await open('alice-id');
  const bob = await open('bob-id');
  await alice.outbox.put({ id: 1, value: item('from alice'), deliveries: 0 });
  await alice.device.put({ id: 1, value: { userId: 'alice-id', sessionId: 'sa', key: '00', lastOutcomeId: 3 }, deliveries: 0 });
  const aliceLog = await alice.openLog('sa');
  await aliceLog.append([{ seq: 0, seal: 'a'.repeat(64), body: item('sealed').command }]);
  await aliceLog.close();
  await bob.outbox.put({ id: 1, value: item('from bob'), deliveries: 0 });
  const bobLog = await bob.openLog('sb');
  await bobLog.append([{ seq: 0, seal: 'b'.repeat(64), body: item('sealed').command }]);
  await bobLog.close();
  await alice.close?.();
  await bob.close?.();

  const alice2 = await open('alice-id');
  const bob2 = await open('bob-id');
  const aliceBefore = await contents(alice2);
  const bobBefore = await contents(bob2);
  await alice2.close?.();
  await alice2.wipe?.();
  const alice3 = await open('alice-id');
  const result: UserKeyedResult = {
    aliceBefore,
    bobBefore,
    aliceAfterWipe: await contents(alice3),
    aliceDeviceAfterWipe: (await alice3.device.load()).length,
    aliceLogAfterWipe: await logLength(alice3, 'sa'),
    bobAfterWipe: await contents(bob2),
    bobLogAfterWipe: await logLength(bob2, 'sb'),
  };
  await alice3.close?.();
  await bob2.close?.();
  return result;
}

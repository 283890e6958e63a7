// Joining devices' outcome bounds are read many users at a time (hub/JoinBounds.ts): a reconnect storm on
// PostgreSQL read them one query per device, twice per device (the welcome's newest id, then the registry's
// bounds), and on a loaded hub joins waited seconds for their turn.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JoinBounds } from '../src/hub/JoinBounds.js';
import { SqliteStore } from '../src/store/SqliteStore.js';
import type { OutcomeBounds } from '../src/store/Store.js';
import { startTestHub } from './support/startTestHub.js';
import { withOutcomeLog } from './support/withOutcomeLog.js';
import { registerUser, TestClient } from './support/TestClient.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const none: OutcomeBounds = { first: 0, last: 0 };

describe('JoinBounds', () => {
  /** A reader whose first `held` reads wait until `release()`; every read's users are recorded. */
  function heldReader(held: number, answer: (userIds: string[]) => Map<string, OutcomeBounds> = (userIds) => new Map(userIds.map((u) => [u, none]))) {
    const reads: string[][] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const bounds = new JoinBounds(async (userIds) => {
      reads.push(userIds);
      if (reads.length <= held) await released;
      return answer(userIds);
    });
    return { bounds, reads, release };
  }

  it('reads the users asked for while four reads are in flight together in the next read', async () => {
    const { bounds, reads, release } = heldReader(4, (userIds) => new Map(userIds.map((u, i) => [u, { first: 0, last: i + 1 }])));
    const first = ['a', 'b', 'c', 'd'].map((u) => bounds.of(u));
    const later = ['e', 'f', 'e'].map((u) => bounds.of(u));
    // Up to four reads run at once (a single one queued welcomes behind replay reads); the rest wait for a turn.
    expect(reads).toEqual([['a'], ['b'], ['c'], ['d']]);
    release();
    await Promise.all(first);
    // One read for e and f; both of e's waiters get its answer.
    expect(await Promise.all(later)).toEqual([
      { first: 0, last: 1 },
      { first: 0, last: 2 },
      { first: 0, last: 1 },
    ]);
    expect(reads.slice(4)).toEqual([['e', 'f']]);
  });

  it('fails only the waiters of a failed read, and goes on reading', async () => {
    const bounds = new JoinBounds(async (userIds) => {
      if (userIds.includes('broken')) throw new Error('store down');
      return new Map(userIds.map((u) => [u, none]));
    });
    await expect(bounds.of('broken')).rejects.toThrow('store down');
    expect(await bounds.of('d')).toEqual(none);
  });

  it('reads at most 500 users at once', async () => {
    const { bounds, reads, release } = heldReader(4);
    const all = [...['a', 'b', 'c', 'd'].map((u) => bounds.of(u)), ...Array.from({ length: 1_200 }, (_, i) => bounds.of(`u${i}`))];
    release();
    await Promise.all(all);
    expect(reads.map((r) => r.length)).toEqual([1, 1, 1, 1, 500, 500, 200]);
  });
});

describe('a hub reading joins', () => {
  it('reads the welcome and the registry bounds through the batched read, never one query per device', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stage-joins-'));
    const sqlite = new SqliteStore({ file: join(dir, 'stage.db') });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => sqlite.close());
    const single: string[] = [];
    const batched: string[][] = [];
    // The SQLite store with a batched read (as PostgreSQL has): what the hub asks each one is recorded.
    const store = withOutcomeLog(sqlite, {
      outcomeBounds: (userId: string) => {
        single.push(userId);
        return sqlite.outcomes.outcomeBounds(userId);
      },
      outcomeBoundsOf: async (userIds: readonly string[]) => {
        batched.push([...userIds]);
        return new Map(await Promise.all(userIds.map(async (u) => [u, await sqlite.outcomes.outcomeBounds(u)] as const)));
      },
    });
    const hub = await startTestHub({ store });
    cleanups.push(() => hub.stop());
    const users = await Promise.all(['ann', 'bob', 'cyd'].map((name) => registerUser(hub.url, name)));
    const clients = users.map((u) => new TestClient({ baseUrl: hub.url, token: u.token, deviceId: 'phone' }));
    for (const c of clients) cleanups.push(() => c.close());
    await Promise.all(clients.map((c) => c.connect()));
    // Each device is live: the registry has its bounds (a command's reply and its own push arrive).
    const { group } = await clients[0]!.ok('CreateGroup', { name: 'team' });
    expect(group.name).toBe('team');

    expect(single).toEqual([]);
    const asked = batched.flat();
    for (const u of users) expect(asked.filter((id) => id === u.userId)).toHaveLength(2);
  });
});

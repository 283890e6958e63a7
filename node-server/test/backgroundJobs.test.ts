// The hub's periodic jobs and its shutdown: a retention sweep in flight when the hub is closed ends before close()
// resolves (so before an owned store is closed under it) and writes nothing more, instead of going on against a closed store
// (which every PostgreSQL hub stopped during a sweep logged as "retention sweep failed: Cannot use a pool after
// calling end on the pool"). The revocation check runs through the same BackgroundJobs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepRetention } from '../src/hub/sweepRetention.js';
import { SqliteStore } from '../src/store/SqliteStore.js';
import type { OutcomeBounds, OutcomeLog, Store } from '../src/store/Store.js';
import { startTestHub } from './support/startTestHub.js';
import { withOutcomeLog } from './support/withOutcomeLog.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * The store, with two users to sweep, each far beyond the retention window (a sweep prunes both); reading the first
 * one's bounds waits until `release()`. Prunes are recorded, not run.
 */
function sweepHeldAtFirstUser(store: Store) {
  const boundsRead: string[] = [];
  const pruned: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inFlight = new Promise<void>((resolve) => (entered = resolve));
  const wrapped = withOutcomeLog(store, {
    usersWithOutcomes: () => Promise.resolve(['u1', 'u2']),
    outcomeBounds: async (userId: string) => {
      boundsRead.push(userId);
      if (userId === 'u1') {
        entered();
        await released;
      }
      return { first: 1, last: 1_000_000 };
    },
    pruneOutcomes: async (userId: string) => {
      pruned.push(userId);
    },
  });
  return { store: wrapped, boundsRead, pruned, inFlight, release };
}

describe('the hub shutdown and its background jobs', () => {
  it('waits for a retention sweep in flight, which prunes nothing once the hub is stopping', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stage-jobs-'));
    const sqlite = new SqliteStore({ file: join(dir, 'stage.db') });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => sqlite.close());
    const { store, boundsRead, pruned, inFlight, release } = sweepHeldAtFirstUser(sqlite);
    const hub = await startTestHub({ store, retentionSweepMs: 20 });
    await inFlight;

    const closing = hub.stop();
    // Nothing else holds this hub's shutdown (no connection, no command): only the sweep it must wait for. There is
    // no event for "has not resolved", so the check gives close() half a second.
    const first = await Promise.race([closing.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still closing'), 500))]);
    expect(first).toBe('still closing');

    release();
    await closing;
    // The sweep saw the shutdown after its read: it wrote nothing more (both users were due a prune).
    expect(boundsRead[0]).toBe('u1');
    expect(pruned).toEqual([]);
  });
});

describe('the retention sweep', () => {
  it('reads the users\' bounds 500 at a time where the store can (PostgreSQL: 10 queries for 5,000 users, not 5,000) and prunes the ones beyond the window', async () => {
    const users = Array.from({ length: 1_200 }, (_, i) => `u${i}`);
    // Even users have 150 outcomes (beyond a window of 100), odd ones 50.
    const boundsOf = (userId: string): OutcomeBounds => ({ first: 1, last: Number(userId.slice(1)) % 2 === 0 ? 150 : 50 });
    const single: string[] = [];
    const batches: number[] = [];
    const pruned: Array<[string, number]> = [];
    const outcomes = {
      usersWithOutcomes: async () => users,
      outcomeBounds: async (userId: string) => {
        single.push(userId);
        return boundsOf(userId);
      },
      outcomeBoundsOf: async (userIds: readonly string[]) => {
        batches.push(userIds.length);
        return new Map(userIds.map((u) => [u, boundsOf(u)]));
      },
      pruneOutcomes: async (userId: string, keepFrom: number) => {
        pruned.push([userId, keepFrom]);
      },
    } as unknown as OutcomeLog;
    await sweepRetention({ outcomes } as unknown as Store, 100);
    expect(single).toEqual([]);
    expect(batches).toEqual([500, 500, 200]);
    expect(pruned).toEqual(users.filter((_, i) => i % 2 === 0).map((u) => [u, 51]));
  });
});

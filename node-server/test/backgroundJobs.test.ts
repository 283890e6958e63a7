// The hub's periodic jobs and its shutdown: a retention sweep in flight when the hub is closed ends before close()
// resolves (so before an owned store is closed under it) and stops there, instead of going on against a closed store
// (which every PostgreSQL hub stopped during a sweep logged as "retention sweep failed: Cannot use a pool after
// calling end on the pool"). The revocation check runs through the same BackgroundJobs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/SqliteStore.js';
import type { OutcomeLog, Store } from '../src/store/Store.js';
import { startTestHub } from './support/startTestHub.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The store, with two users to sweep; reading the first one's bounds waits until `release()`. */
function sweepHeldAtFirstUser(store: Store) {
  const boundsRead: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inFlight = new Promise<void>((resolve) => (entered = resolve));
  const outcomes = new Proxy(store.outcomes, {
    get(target, prop) {
      if (prop === 'usersWithOutcomes') return () => Promise.resolve(['u1', 'u2']);
      if (prop === 'outcomeBounds') {
        return async (userId: string) => {
          boundsRead.push(userId);
          if (userId === 'u1') {
            entered();
            await released;
          }
          return { first: 1, last: 1 };
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as OutcomeLog;
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === 'outcomes') return outcomes;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, boundsRead, inFlight, release };
}

describe('the hub shutdown and its background jobs', () => {
  it('waits for a retention sweep in flight, which stops before the next user', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stage-jobs-'));
    const sqlite = new SqliteStore({ file: join(dir, 'stage.db') });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => sqlite.close());
    const { store, boundsRead, inFlight, release } = sweepHeldAtFirstUser(sqlite);
    const hub = await startTestHub({ store, retentionSweepMs: 20 });
    await inFlight;

    const closing = hub.stop();
    // Nothing else holds this hub's shutdown (no connection, no command): only the sweep it must wait for. There is
    // no event for "has not resolved", so the check gives close() half a second.
    const first = await Promise.race([closing.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still closing'), 500))]);
    expect(first).toBe('still closing');

    release();
    await closing;
    // The sweep saw the shutdown after its read and went no further: nothing read or pruned for u2.
    expect(boundsRead).toEqual(['u1']);
  });
});

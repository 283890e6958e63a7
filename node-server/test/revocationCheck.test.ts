// The periodic revocation check (sign-outs and password changes taken by other hubs) reads every open login from the
// store: on SQLite with 5,000 connections that is ~17 ms of event loop every revocationCheckMs, a stall every device
// feels. A store no other process can write (SQLite holds a lock on its file) needs no such check: every revocation
// went through this hub, which closed the connections at once (signOut.test.ts). A store that others write
// (PostgreSQL, or any store that does not say it is the only writer) is still checked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { ImClient, register } from '@stage/sdk/im';
import { SqliteStore } from '../src/store/SqliteStore.js';
import type { LoginRef, Store } from '../src/store/Store.js';
import { startTestHub } from './support/startTestHub.js';

const checkEveryMs = 20;
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A hub on `store` checking revocations every 20 ms, with one device online; resolves once it is. */
async function hubWithDevice(store: Store): Promise<void> {
  const hub = await startTestHub({ store, hubLimits: { revocationCheckMs: checkEveryMs } });
  cleanup.push(() => hub.stop());
  const { token } = await register(hub.url, { username: 'ann', password: 'password-ann' });
  const client = await ImClient.open({ url: hub.url, deviceId: 'laptop', token, WebSocket: WebSocket as never, autoSync: false });
  cleanup.push(() => client.close());
  client.connect();
  await client.whenConnection((s) => s === 'online');
}

function sqliteStore(): SqliteStore {
  const dir = mkdtempSync(join(tmpdir(), 'stage-revocation-'));
  const store = new SqliteStore({ file: join(dir, 'stage.db') });
  cleanup.push(async () => {
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

describe('the periodic revocation check', () => {
  it('does not run on a store only this hub writes (SQLite): no read of every open login per period', async () => {
    const store = sqliteStore();
    expect(store.singleWriter).toBe(true);
    const checked = vi.spyOn(store, 'revokedAmong');
    await hubWithDevice(store);
    // The device's own connect checked its token once.
    const atConnect = checked.mock.calls.length;
    expect(atConnect).toBeGreaterThanOrEqual(1);
    // Ten periods: the old hub read the open logins about ten times here. Nothing to await: this is an absence.
    await new Promise((resolve) => setTimeout(resolve, 10 * checkEveryMs));
    expect(checked.mock.calls.length).toBe(atConnect);
  });

  it('runs on a store other processes may write, and reads the open logins each period', async () => {
    const sqlite = sqliteStore();
    // The same store, not claiming to be the only writer (as PostgreSQL does not).
    let periodic!: (logins: readonly LoginRef[]) => void;
    const checkedAll = new Promise<readonly LoginRef[]>((resolve) => (periodic = resolve));
    let calls = 0;
    const shared = new Proxy(sqlite, {
      get(target, property, receiver) {
        if (property === 'singleWriter') return false;
        if (property === 'revokedAmong') {
          return (logins: readonly LoginRef[]) => {
            // The first call is the device's connect; the ones after it are the periodic check.
            if (++calls > 1) periodic(logins);
            return target.revokedAmong(logins);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    await hubWithDevice(shared);
    const logins = await checkedAll;
    expect(logins).toHaveLength(1);
  });
});

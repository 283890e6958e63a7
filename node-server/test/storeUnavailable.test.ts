// A store that cannot write (full disk) answers commands Err `unavailable` with a retry-after, logs the condition
// once (not once per command), and the hub recovers by itself when space returns. The full disk is injected at
// the store boundary (the error SQLite raises, SQLITE_FULL; PostgreSQL's 53100 and ENOSPC map the same way): a
// real full disk is impractical on a shared machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Logger } from '../src/hub/Logger.js';
import { SqliteStore } from '../src/store/SqliteStore.js';
import type { Store } from '../src/store/Store.js';
import { startTestHub } from './support/startTestHub.js';
import { registerUser, TestClient } from './support/TestClient.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The store, whose transactions fail as on a full disk while `full.on` is set. */
function fillable(store: Store): { store: Store; full: { on: boolean } } {
  const full = { on: false };
  const wrapped = new Proxy(store, {
    get(target, prop) {
      const diskFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      if (prop === 'transaction') {
        return (...args: Parameters<Store['transaction']>) => (full.on ? Promise.reject(diskFull()) : target.transaction(...args));
      }
      if (prop === 'startTransaction') {
        return (...args: Parameters<Store['startTransaction']>) =>
          full.on ? { ordered: Promise.resolve(), committed: Promise.reject(diskFull()) } : target.startTransaction(...args);
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, full };
}

describe('a full disk', () => {
  it('answers Err unavailable with a retry-after, logs it once, and recovers when space returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stage-full-'));
    const sqlite = new SqliteStore({ file: join(dir, 'stage.db') });
    const { store, full } = fillable(sqlite);
    const lines: Array<{ level: string; msg: string }> = [];
    const logger = new Logger('info', (line) => lines.push(JSON.parse(line) as { level: string; msg: string }));
    const hub = await startTestHub({ store, logger });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => sqlite.close(), () => hub.stop());
    const alice = await registerUser(hub.url, 'alice');
    const client = new TestClient({ baseUrl: hub.url, token: alice.token, deviceId: 'laptop' });
    cleanups.push(() => client.close());
    await client.connect();
    const { group } = await client.ok('CreateGroup', { name: 'team' });
    await client.ok('CreateStream', { stream: 'general', groups: [group.groupId] });

    full.on = true;
    const errs = [];
    for (let i = 0; i < 20; i++) errs.push(await client.err('SendMessage', { stream: 'general', topic: 'plan', content: `m${i}` }));
    for (const e of errs) {
      expect(e.code).toBe('unavailable');
      expect(e.retryAfterMs).toBeGreaterThanOrEqual(1000);
    }
    expect(lines.filter((l) => l.level === 'error' || l.level === 'warn'), 'the condition is logged once').toHaveLength(1);

    full.on = false;
    await client.ok('SendMessage', { stream: 'general', topic: 'plan', content: 'space is back' });
    expect(lines.some((l) => l.msg === 'the store is available again')).toBe(true);
  });
});

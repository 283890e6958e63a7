// A device's commands form one sealed chain and are applied in its order: the hub starts a device's next command
// only once the previous one's writes are ordered in the store (Store.startTransaction's `ordered`; SQLite: when its
// work is done inside the group commit; PostgreSQL: when it committed), never while the previous one still runs, even
// with many command workers free. A mutant that started the next command at once survived the suite (issue 16):
// on PostgreSQL the two transactions then run side by side and may commit in either order.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/SqliteStore.js';
import { PostgresStore } from '../src/store/postgres/PostgresStore.js';
import type { Store, StoreTx, TransactionHandle, TransactionOptions } from '../src/store/Store.js';
import { uniqueName } from './store-contract.js';
import { requireService, testDatabaseUrl } from './scaleOutServices.js';
import { startTestHub } from './support/startTestHub.js';
import { registerUser, TestClient } from './support/TestClient.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const schemas: string[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
});

const engines: Array<{ name: string; open(): Promise<Store> }> = [
  {
    name: 'SQLite',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stage-order-'));
      dirs.push(dir);
      return new SqliteStore({ file: join(dir, 'hub.db') });
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      await requireService('postgres');
      const schema = uniqueName('order');
      schemas.push(schema);
      return PostgresStore.open({ url: testDatabaseUrl, schema, poolSize: 8 });
    },
  },
];

/**
 * The store, with its transactions logged once `armed`: `start n` when the hub asks for one, `ordered n` / `done n`
 * as the store reports them. The first armed transaction's work waits for `release`.
 */
function observed(store: Store) {
  const events: string[] = [];
  let armed = false;
  let count = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const wrapped = Object.create(store) as Store;
  const gate = <T>(n: number, work: (tx: StoreTx) => Promise<T>) => async (tx: StoreTx): Promise<T> => {
    if (n === 1) await released;
    return work(tx);
  };
  wrapped.transaction = <T>(work: (tx: StoreTx) => Promise<T>, options?: TransactionOptions): Promise<T> => {
    if (!armed) return store.transaction(work, options);
    const n = ++count;
    events.push(`start ${n}`);
    return store.transaction(gate(n, work), options).then((result) => (events.push(`done ${n}`), result));
  };
  wrapped.startTransaction = <T>(work: (tx: StoreTx) => Promise<T>, options?: TransactionOptions): TransactionHandle<T> => {
    if (!armed) return store.startTransaction(work, options);
    const n = ++count;
    events.push(`start ${n}`);
    const handle = store.startTransaction(gate(n, work), options);
    return {
      ordered: handle.ordered.then(() => void events.push(`ordered ${n}`)),
      committed: handle.committed.then((result) => (events.push(`done ${n}`), result)),
    };
  };
  return { wrapped, events, arm: () => (armed = true), release };
}

describe.each(engines)("a device's next command waits for the previous one's writes ($name)", (engine) => {
  it('starts command 2 only after command 1 is ordered, with 8 workers free', async () => {
    const store = await engine.open();
    const { wrapped, events, arm, release } = observed(store);
    const hub = await startTestHub({ store: wrapped, commandWorkers: 8 });
    const creds = await registerUser(hub.url, 'ann');
    const ann = new TestClient({ baseUrl: hub.url, token: creds.token, deviceId: 'd1' });
    try {
      await ann.connect();
      arm();
      const first = ann.send('CreateGroup', { name: 'one' });
      const second = ann.send('CreateGroup', { name: 'two' });
      // The ping is answered as it is read, after both commands were queued: once the pong is here (the hub runs
      // in this process), everything the two frames set off without waiting on the store has run.
      ann.rawSend(JSON.stringify({ kind: 'ping' }));
      await ann.until(() => ann.frames.some((f) => f.kind === 'pong'));
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(events).toEqual(['start 1']);
      release();
      const replies = await Promise.all([first, second]);
      expect(replies.map((r) => r.ok)).toEqual([true, true]);
      const start2 = events.indexOf('start 2');
      const previousSettled = Math.min(...['ordered 1', 'done 1'].map((e) => events.indexOf(e)).filter((i) => i >= 0));
      expect(previousSettled).toBeLessThan(start2);
      const groups = await store.groupsOf(ann.userId);
      expect(groups.map((g) => g.name).sort()).toEqual(['one', 'two']);
    } finally {
      release(); // a failed expectation must not leave the hub draining a command that waits forever
      await ann.close();
      await hub.stop();
      await store.close();
    }
  });
});

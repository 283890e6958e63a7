// The PostgreSQL outcome log's storage (migration 5): a fan-out's body is stored once and referred to by each
// recipient's row; pruning deletes a body exactly when the last log referring to it lets it go; logs written
// before migration 5 (a body per row) read the same after it. And the pipelined reply: a reply that fails to
// store fails its transaction, so nothing of the command commits.
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/store/postgres/PostgresStore.js';
import { postgresMigrations } from '../src/store/postgres/migrations.js';
import { uniqueName } from './store-contract.js';
import { countRows, requireService, testDatabaseUrl } from './scaleOutServices.js';

beforeAll(async () => {
  await requireService('postgres');
});

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function openStore(schema = uniqueName('test')): Promise<PostgresStore> {
  const store = await PostgresStore.open({ url: testDatabaseUrl, schema, poolSize: 2 });
  cleanup.push(() => store.dropSchemaAndClose());
  return store;
}

const count = (store: PostgresStore, table: string): Promise<number> => countRows(store.schema, table);

describe('PostgreSQL outcome log', () => {
  it('stores a fan-out’s body once, however many recipients, and each reads it back', async () => {
    const store = await openStore();
    const body = { type: 'NewMessage', message: { content: 'x'.repeat(500) } };
    const users = Array.from({ length: 50 }, (_, i) => `u${String(i).padStart(2, '0')}`);
    const ids = await store.transaction((tx) => tx.outcomes.appendPushes!([{ userIds: users, body }, { userIds: ['u00', 'u01'], body: { second: true } }]));
    expect(ids[0]).toEqual(users.map(() => 1));
    expect(ids[1]).toEqual([2, 2]);
    expect(await count(store, 'outcome_bodies')).toBe(2);
    expect(await count(store, 'outcomes')).toBe(52);
    expect(await store.outcomes.outcomesAfter('u49', 0, 10)).toEqual([{ id: 1, body }]);
    expect(await store.outcomes.outcomesAfter('u01', 0, 10)).toEqual([
      { id: 1, body },
      { id: 2, body: { second: true } },
    ]);
  });

  it('pruning deletes a body only once no user’s log refers to it', async () => {
    const store = await openStore();
    await store.outcomes.appendOutcomes(['ann', 'bob'], { shared: 1 });
    await store.outcomes.appendOutcome('ann', { own: 2 });
    await store.outcomes.pruneOutcomes('ann', 3); // ann lets both go; bob still refers to the shared body
    expect(await count(store, 'outcome_bodies')).toBe(1);
    expect(await store.outcomes.outcomesAfter('bob', 0, 10)).toEqual([{ id: 1, body: { shared: 1 } }]);
    await store.outcomes.pruneOutcomes('bob', 2);
    expect(await count(store, 'outcome_bodies')).toBe(0);
    expect(await count(store, 'outcome_body_refs')).toBe(0);
    expect(await store.outcomes.outcomeBounds('ann')).toEqual({ first: 0, last: 2 });
    expect(await store.outcomes.appendOutcome('ann', { next: 3 })).toBe(3);
  });

  it('hubs pruning the same bodies at once keep the counts exact (no body lost, none left behind)', async () => {
    const store = await openStore();
    const peer = await PostgresStore.open({ url: testDatabaseUrl, schema: store.schema, poolSize: 2 });
    cleanup.push(() => peer.close());
    const users = Array.from({ length: 20 }, (_, i) => `u${i}`);
    for (let i = 0; i < 10; i++) await store.outcomes.appendOutcomes(users, { i });
    // Every user keeps its last 5: the first 5 bodies lose every reference, split over two hubs' sweeps.
    await Promise.all(users.map((u, i) => (i % 2 === 0 ? store : peer).outcomes.pruneOutcomes(u, 6)));
    expect(await count(store, 'outcome_bodies')).toBe(5);
    for (const u of users) expect((await store.outcomes.outcomesAfter(u, 0, 10)).map((o) => o.body)).toEqual([5, 6, 7, 8, 9].map((i) => ({ i })));
  });

  it('logs written before migration 5 (a body in every row) read the same after it', async () => {
    const schema = uniqueName('test');
    const client = new pg.Client({ connectionString: testDatabaseUrl, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query('CREATE TABLE stage_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      for (const m of postgresMigrations.filter((x) => x.version <= 4)) {
        await client.query(m.sql);
        await client.query('INSERT INTO stage_migrations VALUES ($1, $2, 0)', [m.version, m.description]);
      }
      await client.query(`INSERT INTO outcome_counters VALUES ('ann', 2), ('bob', 1)`);
      await client.query(`INSERT INTO outcomes (user_id, id, body) VALUES ('ann', 1, '{"a":1}'), ('ann', 2, '{"a":2}'), ('bob', 1, '{"b":1}')`);
    } finally {
      await client.end();
    }
    const store = await openStore(schema);
    expect(await store.outcomes.outcomesAfter('ann', 0, 10)).toEqual([
      { id: 1, body: { a: 1 } },
      { id: 2, body: { a: 2 } },
    ]);
    expect(await store.outcomes.appendOutcomes(['ann', 'bob'], { c: 3 })).toEqual([3, 2]);
    await store.outcomes.pruneOutcomes('ann', 3);
    expect(await store.outcomes.outcomesAfter('bob', 0, 10)).toEqual([
      { id: 1, body: { b: 1 } },
      { id: 2, body: { c: 3 } },
    ]);
    expect(await count(store, 'outcome_bodies')).toBe(2); // bob's old body and the shared one
  });

  it('a reply that fails to store (sent with the COMMIT) fails the transaction: nothing of it commits', async () => {
    const store = await openStore();
    // PostgreSQL text cannot hold NUL: the pipelined INSERT of this reply fails on the server, after the work
    // returned.
    await expect(
      store.transaction(async (tx) => {
        expect(await tx.replies.findReply('ann', 't1')).toBeUndefined();
        await tx.outcomes.appendOutcome('ann', { lost: true });
        await tx.replies.saveReply('ann', 'bad\u0000trace', { ok: true });
      }),
    ).rejects.toThrow();
    expect(await store.outcomes.outcomeBounds('ann')).toEqual({ first: 0, last: 0 });
    expect(await store.replies.findReply('ann', 't1')).toBeUndefined();
    // and the connection is usable afterwards
    await store.transaction(async (tx) => {
      await tx.replies.saveReply('ann', 't1', { ok: true });
    });
    expect(await store.replies.findReply('ann', 't1')).toEqual({ ok: true });
  });

  it('a statement refused because a pipelined write failed before it reports that write’s error, not its own', async () => {
    const store = await openStore();
    const failure = await store
      .transaction(async (tx) => {
        await tx.replies.saveReply('ann', 'bad\u0000trace', { ok: true }); // sent, not awaited; fails on the server
        await tx.userById('ann'); // refused: "current transaction is aborted" (25P02)
      })
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: '22021' }); // invalid byte sequence: the reply's INSERT
  });

  it('the registry\'s reads (replay pages, bounds, newest ids) answer while commands hold every pooled connection', async () => {
    // Under load the command pool has a queue; a replay read queued behind it held that device's deliveries back
    // for seconds (docs/SCALE-OUT.md, room-senders on one PG hub). The reads have connections of their own.
    const store = await openStore();
    const body = { type: 'Note' };
    await store.transaction((tx) => tx.outcomes.appendPushes!([{ userIds: ['ann'], body }]));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding = 0;
    let allHeld!: () => void;
    const held = new Promise<void>((resolve) => (allHeld = resolve));
    // poolSize 2: two transactions take both command connections and wait for the gate.
    const commands = [1, 2].map(() =>
      store.transaction(async () => {
        if (++holding === 2) allHeld();
        await gate;
      }),
    );
    try {
      await held;
      const reads = Promise.all([
        store.outcomes.outcomesAfter('ann', 0, 10),
        store.outcomes.outcomeBounds('ann'),
        store.outcomes.latestOutcomeIds!(['ann']),
        store.outcomes.outcomeBoundsOf!(['ann']),
      ]);
      // Bounded so that the old behaviour (waiting for a command connection) fails with a message instead of hanging.
      const answered = await Promise.race([reads, new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 3000))]);
      expect(answered).toEqual([[{ id: 1, body }], { first: 1, last: 1 }, new Map([['ann', 1]]), new Map([['ann', { first: 1, last: 1 }]])]);
    } finally {
      release();
      await Promise.all(commands);
    }
  });
});

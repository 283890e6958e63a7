// The Store contract against PostgreSQL (STAGE_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test),
// each test in a schema of its own that is dropped afterwards. Plus what only a shared database has: several hubs
// migrating at once, and outcome ids kept monotonic across hubs.
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/store/postgres/PostgresStore.js';
import { postgresMigrations } from '../src/store/postgres/migrations.js';
import { openStore } from '../src/store/openStore.js';
import { describeStoreContract, uniqueName } from './store-contract.js';
import { requireService, testDatabaseUrl } from './scaleOutServices.js';

beforeAll(async () => {
  await requireService('postgres');
});

let schema: string | undefined;
let opened: PostgresStore[] = [];

async function dropSchema(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
  }
}

describeStoreContract('PostgreSQL', {
  async open() {
    schema = uniqueName('test');
    const store = await PostgresStore.open({ url: testDatabaseUrl, schema, poolSize: 4 });
    opened.push(store);
    return store;
  },
  async openPeer() {
    const store = await PostgresStore.open({ url: testDatabaseUrl, schema: schema!, poolSize: 4 });
    opened.push(store);
    return store;
  },
  async dispose() {
    for (const s of opened) await s.close();
    opened = [];
    if (schema) await dropSchema(schema);
    schema = undefined;
  },
});

describe('PostgreSQL store: several hubs', () => {
  it('hubs starting at once on an empty schema apply each migration exactly once', async () => {
    const name = uniqueName('test');
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open({ url: testDatabaseUrl, schema: name, poolSize: 2 })));
    try {
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      const rows = (await client.query(`SELECT version FROM "${name}".stage_migrations ORDER BY version`)).rows as { version: number }[];
      await client.end();
      expect(rows.map((r) => r.version)).toEqual(postgresMigrations.map((m) => m.version));
      // and every hub can use the tables
      await stores[0]!.insertUser({ id: 'u1', username: 'ada', passwordHash: 'h', createdAt: 1 });
      expect((await stores[3]!.userById('u1'))?.username).toBe('ada');
    } finally {
      for (const s of stores) await s.close();
      await dropSchema(name);
    }
  });

  it('is what openStore returns for a postgres:// STAGE_DATABASE_URL, schema taken from the URL', async () => {
    const name = uniqueName('test');
    const url = new URL(testDatabaseUrl);
    url.searchParams.set('schema', name);
    const store = await openStore({ dataDir: '/nonexistent-unused', databaseUrl: url.toString() });
    try {
      expect(store.kind).toBe('postgres');
      expect(store).toBeInstanceOf(PostgresStore);
      expect((store as PostgresStore).schema).toBe(name);
    } finally {
      await store.close();
      await dropSchema(name);
    }
  });

  it('appends one outcome to a whole audience in one statement, ids per user in order', async () => {
    const name = uniqueName('test');
    const store = await PostgresStore.open({ url: testDatabaseUrl, schema: name, poolSize: 2 });
    try {
      await store.outcomes.appendOutcome('u2', { first: true });
      const ids = await store.transaction(() => store.outcomes.appendOutcomes(['u3', 'u1', 'u2'], { type: 'NewMessage' }));
      expect(ids).toEqual([1, 1, 2]);
      expect(await store.outcomes.outcomesAfter('u2', 0, 10)).toEqual([
        { id: 1, body: { first: true } },
        { id: 2, body: { type: 'NewMessage' } },
      ]);
    } finally {
      await store.dropSchemaAndClose();
    }
  });

  it('answers the readiness ping while every command connection is busy', async () => {
    const store = await PostgresStore.open({ url: testDatabaseUrl, schema: uniqueName('ping'), poolSize: 2 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    try {
      // Two transactions hold the whole command pool (as a hub under full load does), and a third waits for one.
      const busy = [0, 1, 2].map(() => store.transaction(async (tx) => {
        await tx.userById('nobody');
        await gate;
      }));
      await expect(store.ping(1_000)).resolves.toBeUndefined();
      release();
      await Promise.all(busy);
    } finally {
      release();
      await store.dropSchemaAndClose();
    }
  });

  it('says which server is unreachable and how to fix it', async () => {
    await expect(PostgresStore.open('postgres://postgres@127.0.0.1:1/test')).rejects.toThrow(
      /PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test is unavailable.*STAGE_DATABASE_URL/,
    );
  });
});

// A hub process on PostgreSQL + Redis whose connections are cut by a proxy we control, in the middle of a
// transaction and while it publishes: the process must stay up (an unhandled 'error' from a pg client or from
// ioredis would end it within milliseconds), answer the command caught by the cut, and serve again once the
// service is back. Whatever the cut command did is applied at most once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnHub, type HubProcess } from './support/hubProcess.js';
import { TcpProxy } from './support/TcpProxy.js';
import { TestClient, registerUser } from './support/TestClient.js';
import { requireService, testDatabaseUrl, testRedisUrl } from './scaleOutServices.js';
import { uniqueName } from './store-contract.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => Promise.all([requireService('postgres'), requireService('redis')]));

async function pendingCommands(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^stage_commands_pending (\d+)/m.exec(text)?.[1]);
}

async function sql<T>(schema: string, text: string): Promise<T[]> {
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`SET search_path TO "${schema}"`);
    return (await admin.query(text)).rows as T[];
  } finally {
    await admin.end();
  }
}

async function hubBehindProxies(): Promise<{ hub: HubProcess; pgProxy: TcpProxy; redisProxy: TcpProxy; schema: string; client: TestClient }> {
  const schema = uniqueName('cuts');
  const db = new URL(testDatabaseUrl);
  db.searchParams.set('schema', schema);
  const redis = new URL(testRedisUrl);
  redis.searchParams.set('channel', `stage-test-${schema}`);
  const pgProxy = await TcpProxy.forUrl(db.toString(), 5432);
  const redisProxy = await TcpProxy.forUrl(redis.toString(), 6379);
  cleanups.push(async () => {
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });
  cleanups.push(() => Promise.all([pgProxy.stop(), redisProxy.stop()]).then(() => undefined));
  const dataDir = mkdtempSync(join(tmpdir(), 'stage-cuts-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const hub = await spawnHub({ dataDir, env: { STAGE_DATABASE_URL: pgProxy.url, STAGE_REDIS_URL: redisProxy.url } });
  cleanups.push(async () => void (await hub.kill()));
  const { token } = await registerUser(hub.url, 'cut');
  const client = new TestClient({ baseUrl: hub.url, token, deviceId: 'cut-1' });
  cleanups.push(() => client.close());
  await client.connect();
  return { hub, pgProxy, redisProxy, schema, client };
}

/** The reply, or a failure naming the exit and the hub's last stderr lines if the process ends first. */
function replyOrExit<T>(hub: HubProcess, reply: Promise<T>): Promise<T> {
  return Promise.race([
    reply,
    hub.exited.then((code) => {
      throw new Error(`the hub exited (code ${code}, signal ${hub.child.signalCode}) before answering:\n${hub.stderr.join('\n')}`);
    }),
  ]);
}

async function alive(hub: HubProcess): Promise<boolean> {
  if (hub.child.exitCode !== null || hub.child.signalCode !== null) return false;
  return (await fetch(`${hub.url}/livez`)).status === 200;
}

describe('connections to PostgreSQL and Redis cut under a running hub process', () => {
  it('a PostgreSQL connection cut in the middle of a transaction: the hub stays up, answers, and applies the command at most once', async () => {
    const { hub, pgProxy, schema, client } = await hubBehindProxies();
    const { group } = await client.ok('CreateGroup', { name: 'team' });
    await client.ok('CreateStream', { stream: 'general', groups: [group.groupId] });

    pgProxy.hold();
    const caught = client.send('SendMessage', { stream: 'general', topic: 'plan', content: 'cut mid-transaction' });
    await expect.poll(() => pendingCommands(hub.url), { timeout: 10_000 }).toBeGreaterThan(0);
    // Reset both ends of every PostgreSQL connection while the command's transaction is open, then come back.
    await pgProxy.stop();
    await pgProxy.start();
    pgProxy.release();

    const reply = await replyOrExit(hub, caught);
    expect(reply.ok || reply.error.code === 'unavailable' || reply.error.code === 'timeout', JSON.stringify(reply)).toBe(true);
    expect(await alive(hub), hub.stderr.join('\n')).toBe(true);

    await expect.poll(async () => (await fetch(`${hub.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
    // A new command runs on fresh connections.
    const again = await client.ok('SendMessage', { stream: 'general', topic: 'plan', content: 'after the cut' });
    expect(again.message.content).toBe('after the cut');
    const stored = await sql<{ content: string }>(schema, "SELECT content FROM messages WHERE topic = 'plan' ORDER BY seq");
    expect(stored.filter((m) => m.content === 'cut mid-transaction').length).toBeLessThanOrEqual(1);
    expect(stored.map((m) => m.content)).toContain('after the cut');
    expect(await alive(hub)).toBe(true);
  });

  it('the Redis connections cut while the hub publishes: the hub stays up, commands keep being answered, and it is ready again', async () => {
    const { hub, redisProxy, client } = await hubBehindProxies();
    const { group } = await client.ok('CreateGroup', { name: 'team' });
    await client.ok('CreateStream', { stream: 'general', groups: [group.groupId] });

    const sends = Array.from({ length: 20 }, (_, i) => client.send('SendMessage', { stream: 'general', topic: 'plan', content: `m${i}` }));
    await redisProxy.stop();
    const replies = await replyOrExit(hub, Promise.all(sends));
    // The store is PostgreSQL: replies never wait for the fan-out, so every command is answered ok.
    expect(replies.every((r) => r.ok), JSON.stringify(replies.filter((r) => !r.ok))).toBe(true);
    expect(await alive(hub), hub.stderr.join('\n')).toBe(true);
    await expect.poll(async () => (await fetch(`${hub.url}/readyz`)).status, { timeout: 10_000 }).toBe(503);

    await redisProxy.start();
    await expect.poll(async () => (await fetch(`${hub.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
    expect((await client.send('SendMessage', { stream: 'general', topic: 'plan', content: 'after' })).ok).toBe(true);
    expect(await alive(hub)).toBe(true);
  });
});

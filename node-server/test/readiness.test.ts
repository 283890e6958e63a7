// Liveness and readiness as an orchestrator sees them, with PostgreSQL and Redis behind proxies this test stops,
// hangs and restarts: /livez stays 200 while the process runs; /readyz (and its older name /healthz) answers 503
// naming the dependency while it is down or hanging, 200 again once it is back; each outage is logged once, and
// its end once, however often /readyz is asked.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '../src/hub/Logger.js';
import { startTestHub } from './support/startTestHub.js';
import { TcpProxy } from './support/TcpProxy.js';
import { requireService, testDatabaseUrl, testRedisUrl } from './scaleOutServices.js';
import { uniqueName } from './store-contract.js';

interface Probe {
  status: number;
  body: { ok: boolean; store?: string; fanout?: string; checks?: { store: { ok: boolean; error?: string }; fanout: { ok: boolean; error?: string } } };
}

const schema = uniqueName('readiness');
const logs: Array<Record<string, unknown>> = [];
let pgProxy: TcpProxy & { url: string };
let redisProxy: TcpProxy & { url: string };
let hub: Awaited<ReturnType<typeof startTestHub>>;

beforeAll(async () => {
  await Promise.all([requireService('postgres'), requireService('redis')]);
  const db = new URL(testDatabaseUrl);
  db.searchParams.set('schema', schema);
  const redis = new URL(testRedisUrl);
  redis.searchParams.set('channel', `stage-test-${schema}`);
  pgProxy = await TcpProxy.forUrl(db.toString(), 5432);
  redisProxy = await TcpProxy.forUrl(redis.toString(), 6379);
  const logger = new Logger('info', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  hub = await startTestHub({ databaseUrl: pgProxy.url, redisUrl: redisProxy.url, logger, readinessTimeoutMs: 500, readinessIntervalMs: 200 });
});

afterAll(async () => {
  pgProxy?.release();
  await hub?.stop();
  await Promise.all([pgProxy?.stop(), redisProxy?.stop()]);
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

async function probe(path: string): Promise<Probe> {
  const res = await fetch(`${hub.url}${path}`);
  return { status: res.status, body: (await res.json()) as Probe['body'] };
}
const logged = (msg: string) => logs.filter((l) => l.msg === msg).length;

describe('liveness and readiness', () => {
  it('is ready with PostgreSQL and Redis reachable; /healthz is /readyz', async () => {
    expect(await probe('/livez')).toEqual({ status: 200, body: { ok: true } });
    const ready = await probe('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ok: true, store: 'postgres', fanout: 'redis', checks: { store: { ok: true }, fanout: { ok: true } } });
    expect((await probe('/healthz')).body).toMatchObject({ ok: true, checks: { store: { ok: true }, fanout: { ok: true } } });
  });

  it('is not ready while Redis is down, logs the outage once and its end once', async () => {
    await redisProxy.stop();
    await expect.poll(async () => (await probe('/readyz')).status, { timeout: 10_000 }).toBe(503);
    for (let i = 0; i < 5; i++) {
      const down = await probe('/readyz');
      expect(down).toMatchObject({ status: 503, body: { ok: false, checks: { store: { ok: true }, fanout: { ok: false } } } });
      expect(down.body.checks?.fanout.error).toBeTruthy();
    }
    expect((await probe('/healthz')).status).toBe(503);
    expect(await probe('/livez')).toEqual({ status: 200, body: { ok: true } });
    expect(logged('fan-out (redis) unreachable: hub not ready')).toBe(1);

    await redisProxy.start();
    await expect.poll(async () => (await probe('/readyz')).status, { timeout: 15_000 }).toBe(200);
    await expect.poll(() => logged('fan-out (redis) reachable again: hub ready')).toBe(1);
    expect(logged('fan-out (redis) unreachable: hub not ready')).toBe(1);
  });

  it('is not ready while PostgreSQL hangs (short timeout) or is down, and ready again after', async () => {
    pgProxy.hold();
    const started = Date.now();
    const hanging = await probe('/readyz');
    expect(hanging).toMatchObject({ status: 503, body: { ok: false, checks: { store: { ok: false }, fanout: { ok: true } } } });
    expect(hanging.body.checks?.store.error).toMatch(/no answer within 500 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    pgProxy.release();
    await expect.poll(async () => (await probe('/readyz')).status, { timeout: 10_000 }).toBe(200);

    await pgProxy.stop();
    await expect.poll(async () => (await probe('/readyz')).status, { timeout: 10_000 }).toBe(503);
    expect(await probe('/livez')).toEqual({ status: 200, body: { ok: true } });
    await pgProxy.start();
    await expect.poll(async () => (await probe('/readyz')).status, { timeout: 15_000 }).toBe(200);
    expect(logged('store (postgres) unreachable: hub not ready')).toBe(2);
    await expect.poll(() => logged('store (postgres) reachable again: hub ready')).toBe(2);
  });
});

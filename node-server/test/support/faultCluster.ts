// Hubs in this process sharing one PostgreSQL schema and one Redis channel, each reaching PostgreSQL and Redis
// through a FaultProxy of its own, so a test can slow, blackhole or cut one hub's link to one service. Devices
// are the SDK's ImClient, reaching a hub through a `front` proxy that can move them to another hub.
import { randomBytes } from 'node:crypto';
import { filter, firstValueFrom, take, timeout } from 'rxjs';
import pg from 'pg';
import { WebSocket } from 'ws';
import { ImClient, type Outcome } from '@stage/sdk/im';
import { RedisFanout } from '../../src/fanout/RedisFanout.js';
import { PostgresStore } from '../../src/store/postgres/PostgresStore.js';
import type { HubConfig } from '../../src/hub/HubConfig.js';
import type { Store } from '../../src/store/Store.js';
import { uniqueName } from '../store-contract.js';
import { testDatabaseUrl, testRedisUrl } from '../scaleOutServices.js';
import { FaultProxy } from './FaultProxy.js';
import { startTestHub } from './startTestHub.js';

export interface FaultHub {
  name: string;
  url: string;
  port: number;
  store: PostgresStore;
  fanout: RedisFanout;
  /** This hub's link to PostgreSQL. */
  pg: FaultProxy;
  /** This hub's link to Redis. */
  redis: FaultProxy;
  close(): Promise<void>;
}

export interface FaultCluster {
  schema: string;
  hubs: FaultHub[];
  /** A proxy in front of `hub` through which devices connect (retarget + cut moves them). */
  front(hub: FaultHub): Promise<FaultProxy>;
  /** A direct connection to the test database, in the cluster's schema. */
  sql<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  stop(): Promise<void>;
}

export interface FaultClusterOptions {
  /** Hub config for every hub (deadline, limits). */
  hub?: HubConfig;
  /** Wraps a hub's store (fault injection at the store boundary). */
  wrapStore?(name: string, store: PostgresStore): Store;
  /** PostgresStore statement bound (default: the store's). */
  queryTimeoutMs?: number;
}

export async function startFaultCluster(names: string[], options: FaultClusterOptions = {}): Promise<FaultCluster> {
  const schema = uniqueName('test');
  const channel = `stage-test-${schema}`;
  // Every hub in the cluster shares one secret (tokens and session ids verify on any hub); 32 random bytes as hex.
  const secret = randomBytes(32).toString('hex');
  const proxies: FaultProxy[] = [];
  const hubs: FaultHub[] = [];
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  for (const name of names) {
    const pgProxy = await FaultProxy.start(Number(new URL(testDatabaseUrl).port || 5432));
    const redisProxy = await FaultProxy.start(Number(new URL(testRedisUrl).port || 6379));
    proxies.push(pgProxy, redisProxy);
    const store = await PostgresStore.open({
      url: pgProxy.via(testDatabaseUrl),
      schema,
      poolSize: 8,
      ...(options.queryTimeoutMs ? { queryTimeoutMs: options.queryTimeoutMs } : {}),
    });
    const fanout = await RedisFanout.open({ url: redisProxy.via(testRedisUrl), channel });
    const hub = await startTestHub({
      secret,
      store: options.wrapStore?.(name, store) ?? store,
      fanout,
      limits: { commandsPerSecond: 10_000, commandBurst: 10_000 },
      ...options.hub,
    });
    hubs.push({
      name,
      url: hub.url,
      port: hub.port,
      store,
      fanout,
      pg: pgProxy,
      redis: redisProxy,
      async close() {
        pgProxy.resume();
        redisProxy.resume();
        await hub.stop();
        await fanout.close();
        await store.close();
      },
    });
  }
  return {
    schema,
    hubs,
    async front(hub) {
      const proxy = await FaultProxy.start(hub.port);
      proxies.push(proxy);
      return proxy;
    },
    async sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
      await admin.query(`SET search_path TO "${schema}"`);
      return (await admin.query<R>(text, values)).rows;
    },
    async stop() {
      for (const h of hubs) await h.close().catch(() => undefined);
      for (const p of proxies) await p.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

/** One device: the SDK's own client and every outcome it processed (after its dedupe), in order. */
export interface Device {
  name: string;
  client: ImClient;
  outcomes: Array<{ id: number; outcome: Outcome; at: number }>;
}

export async function openDevice(name: string, baseUrl: string, token: string): Promise<Device> {
  const client = await ImClient.open({
    url: baseUrl,
    deviceId: name,
    token,
    WebSocket: WebSocket as never,
    reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
    autoSync: false,
  });
  const d: Device = { name, client, outcomes: [] };
  client.outcomes$.subscribe(({ outcomeId, outcome }) => d.outcomes.push({ id: outcomeId, outcome, at: Date.now() }));
  client.connect();
  await client.whenConnection((s) => s === 'online');
  return d;
}

/** Resolves with the time the device processed a NewMessage with this content (throws after `ms`). */
export async function untilMessage(d: Device, content: string, ms = 10_000): Promise<number> {
  const has = () => d.outcomes.find((o) => o.outcome.type === 'NewMessage' && (o.outcome as { message: { content: string } }).message.content === content);
  if (has()) return has()!.at;
  await firstValueFrom(d.client.outcomes$.pipe(filter(() => has() !== undefined), take(1), timeout(ms))).catch(() => {
    throw new Error(`${d.name} did not get message "${content}" within ${ms} ms`);
  });
  return has()!.at;
}


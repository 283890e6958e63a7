// The Stage rows of the hub benchmark: (a) one hub on its embedded SQLite store, and the two-hub figure: two hubs
// on one PostgreSQL schema and one Redis channel, receivers split between them, the sender on the first.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { LatencyResult, MemoryResult, ThroughputResult } from './phases.js';
import { spawnServer, type ServerChild } from './serverChild.js';
import type { BenchAccount } from './stageServer.js';
import { StageTarget } from './stageTarget.js';
import type { LoadTarget } from './target.js';

interface Figures {
  memory?: MemoryResult;
  throughput?: ThroughputResult;
  latency?: LatencyResult;
  error?: string;
}
type Run = (label: string, servers: ServerChild[], targets: LoadTarget[], measureIdle: boolean, options?: { messages?: number }) => Promise<Figures>;

const log = (msg: string) => console.log(`[bench:hub] ${msg}`);
const accountsOf = (server: ServerChild) => (server.info.accounts ?? []) as BenchAccount[];

export async function stageRuns(config: { receivers: number; stage2Messages: number }, run: Run, only: string[]): Promise<Record<string, Figures>> {
  const out: Record<string, Figures> = {};
  if (only.includes('stage')) {
    log('--- stage (one hub, SQLite) ---');
    const server = await spawnServer('stage', { fixture: { receivers: config.receivers } });
    out.stage = await run('stage', [server], [new StageTarget({ port: server.port, accounts: accountsOf(server) })], true);
  }
  if (only.includes('stage2')) {
    log('--- stage2 (two hubs, PostgreSQL + Redis) ---');
    const databaseUrl = process.env.STAGE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const redisUrl = process.env.STAGE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
    const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const db = new URL(databaseUrl);
    db.searchParams.set('schema', schema);
    const redis = new URL(redisUrl);
    redis.searchParams.set('channel', `stage-bench-${schema}`);
    const options = { databaseUrl: db.toString(), redisUrl: redis.toString() };
    try {
      const servers = [await spawnServer('stage', { ...options, fixture: { receivers: config.receivers } }), await spawnServer('stage', options)];
      const accounts = accountsOf(servers[0]!);
      const first = new StageTarget({ port: servers[0]!.port, label: 'stage2', accounts });
      const second = new StageTarget({ port: servers[1]!.port, label: 'stage2', accounts });
      // Throughput only (the latency comparison is of the three single servers).
      out.stage2 = await run('stage2', servers, [first, second], false, { messages: config.stage2Messages });
    } catch (error) {
      out.stage2 = { error: `two-hub run needs PostgreSQL (${databaseUrl}) and Redis (${redisUrl}): ${(error as Error).message}` };
      log(out.stage2.error!);
    } finally {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect().then(
        async () => {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await client.end();
        },
        () => undefined,
      );
    }
  }
  return out;
}

// Where the scale-out tests find PostgreSQL and Redis, and the failure they give when a service is missing:
// these tests are not optional (CI starts both services), so a missing service FAILS with what to do, never skips.
import net from 'node:net';
import pg from 'pg';

export const testDatabaseUrl = process.env.STAGE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const testRedisUrl = process.env.STAGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const how = {
  postgres:
    `PostgreSQL is needed by the scale-out and store-contract tests and is unreachable at ${testDatabaseUrl}. ` +
    'Start it (Debian: `pg_ctlcluster 15 main start`; `.ci/run` does this) or point STAGE_TEST_DATABASE_URL at a ' +
    'server with trust auth and a database the user may create schemas in, e.g. postgres://postgres@127.0.0.1:5432/test.',
  redis:
    `Redis is needed by the scale-out tests and is unreachable at ${testRedisUrl}. ` +
    'Start it (`redis-server --daemonize yes --bind 127.0.0.1 --port 6379`; `.ci/run` does this) or point ' +
    'STAGE_TEST_REDIS_URL at one, e.g. redis://127.0.0.1:6379.',
};

function reachable(url: string, defaultPort: number): Promise<string | undefined> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname || '127.0.0.1', port: Number(u.port || defaultPort) });
    const done = (error?: string) => {
      socket.destroy();
      resolve(error);
    };
    socket.setTimeout(2000, () => done('timed out'));
    socket.once('connect', () => done());
    socket.once('error', (e) => done(e.message));
  });
}

/** Throws an Error naming the service, the env var and how to start it, if it does not accept connections. */
export async function requireService(service: 'postgres' | 'redis'): Promise<void> {
  const error = service === 'postgres' ? await reachable(testDatabaseUrl, 5432) : await reachable(testRedisUrl, 6379);
  if (error !== undefined) throw new Error(`${how[service]} (${error})`);
}

/** Rows of `table` in the test schema `schema`, read on a connection of its own (outside any store's pool). */
export async function countRows(schema: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    return Number((await client.query(`SELECT COUNT(*) AS n FROM "${schema}".${table}`)).rows[0].n);
  } finally {
    await client.end();
  }
}

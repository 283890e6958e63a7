// Shutdown under a supervisor, with the real CLI process: a second SIGTERM (or a SIGINT after it) while the hub
// drains must not cut the drain short; the command in flight is answered and the hub exits 0. The drain is held
// open by a PostgreSQL that stops answering mid-command (a proxy we control), then answers again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnHub, type HubProcess } from './support/hubProcess.js';
import { TcpProxy } from './support/TcpProxy.js';
import { TestClient, registerUser } from './support/TestClient.js';
import { requireService, testDatabaseUrl } from './scaleOutServices.js';
import { uniqueName } from './store-contract.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => requireService('postgres'));

async function pendingCommands(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^stage_commands_pending (\d+)/m.exec(text)?.[1]);
}

async function hubOnHeldDatabase(): Promise<{ hub: HubProcess; proxy: TcpProxy; client: TestClient }> {
  const schema = uniqueName('signals');
  const db = new URL(testDatabaseUrl);
  db.searchParams.set('schema', schema);
  const proxy = await TcpProxy.forUrl(db.toString(), 5432);
  cleanups.push(async () => {
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });
  cleanups.push(() => proxy.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'stage-signals-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const hub = await spawnHub({ dataDir, env: { STAGE_DATABASE_URL: proxy.url } });
  cleanups.push(async () => void (await hub.kill()));
  const { token } = await registerUser(hub.url, 'sig');
  const client = new TestClient({ baseUrl: hub.url, token, deviceId: 'sig-1' });
  cleanups.push(() => client.close());
  await client.connect();
  return { hub, proxy, client };
}

describe('signals', () => {
  it('a second SIGTERM during the drain neither kills the hub nor drops the command in flight', async () => {
    const { hub, proxy, client } = await hubOnHeldDatabase();
    proxy.hold();
    const reply = client.send('CreateGroup', { name: 'held' });
    await expect.poll(() => pendingCommands(hub.url), { timeout: 10_000 }).toBeGreaterThan(0);

    hub.child.kill('SIGTERM');
    await hub.line('"hub shutting down"');
    hub.child.kill('SIGTERM');
    hub.child.kill('SIGINT');
    // Both later signals are seen (logged) and the process is still there, draining.
    const outcome = await Promise.race([hub.line('"signal received during shutdown: still draining"').then(() => 'draining', () => 'exited'), hub.exited.then(() => 'exited')]);
    expect(outcome).toBe('draining');
    expect(hub.child.exitCode).toBeNull();

    proxy.release();
    expect(await reply).toMatchObject({ ok: true, type: 'CreateGroup' });
    expect(await hub.exited).toBe(0);
    expect(hub.child.signalCode).toBeNull();
    expect(hub.stdout.some((l) => l.includes('"hub stopped"'))).toBe(true);
  });
});

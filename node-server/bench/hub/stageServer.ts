// Server (a) of the hub benchmark: the real Stage hub (startHub) in this child process, on SQLite in a temporary
// data dir, or on PostgreSQL + Redis when the options say so (the two-hub figure). Bench-only settings, all of them
// hub configuration a deployment can set: the per-connection command rate limit is lifted (the one sender sends
// 1,000 messages as fast as the hub answers; Socket.IO has no limit either) and the scrypt cost is lowered so that
// registering the 1,000 bench accounts takes seconds, not minutes (login cost is not what is measured).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadSecret } from '../../src/auth/loadSecret.js';
import { TokenSigner } from '../../src/auth/TokenSigner.js';
import { startHub } from '../../src/hub/startHub.js';
import type { Store } from '../../src/store/Store.js';
import { ROOM, type BenchServer } from './protocol.js';

export interface StageServerOptions {
  databaseUrl?: string;
  redisUrl?: string;
  secret?: string;
  /** Load the bench fixture (accounts 0..receivers, one group with all of them, the stream) through the store. */
  fixture?: { receivers: number };
}

export interface BenchAccount {
  userId: string;
  token: string;
}

/**
 * The fixture, written through the hub's own Store interface (same for SQLite and PostgreSQL): loading it through
 * the protocol would make 1,000 AddGroupMember commands push O(n²) NewMember outcomes, which is setup, not load.
 * Tokens are signed with the hub's secret, as /api/login would sign them.
 */
async function loadFixture(store: Store, signer: TokenSigner, receivers: number): Promise<BenchAccount[]> {
  const run = randomUUID().slice(0, 8);
  const now = Date.now();
  const accounts: BenchAccount[] = [];
  await store.transaction(async (tx) => {
    for (let i = 0; i <= receivers; i++) {
      const userId = randomUUID();
      // Nobody logs in with a password here; the hash is well-formed but matches no password.
      await tx.insertUser({ id: userId, username: `b${run}u${i}`, passwordHash: 'scrypt$1024$8$1$AAAA$AAAA', createdAt: now });
      accounts.push({ userId, token: signer.sign(userId).token });
    }
    const groupId = randomUUID();
    await tx.insertGroup({ id: groupId, name: 'bench', description: '', ownerId: accounts[0]!.userId, createdAt: now });
    for (const a of accounts) await tx.addMember(groupId, a.userId);
    await tx.insertStream({ name: ROOM, description: '', creatorId: accounts[0]!.userId, createdAt: now, groups: [groupId] });
  });
  return accounts;
}

export async function startStageServer(options: StageServerOptions): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stage-bench-hub-'));
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const hub = await startHub({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    secret,
    logLevel: 'warn',
    limits: { commandsPerSecond: 1_000_000, commandBurst: 1_000_000 },
    scryptCost: { N: 1024, r: 8, p: 1 },
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
  });
  const accounts = options.fixture ? await loadFixture(hub.store, new TokenSigner({ secret: loadSecret(dataDir, secret) }), options.fixture.receivers) : undefined;
  return {
    port: hub.port,
    info: { accounts },
    stats: () => {
      const counters: Record<string, number> = {};
      for (const line of hub.metrics.render().split('\n')) {
        const m = /^(stage_[a-z_]+)(?:\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
        if (m) counters[m[1]!] = Number(m[2]);
      }
      return counters;
    },
    close: async () => {
      await hub.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

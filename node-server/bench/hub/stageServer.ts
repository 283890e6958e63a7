// The Stage hub in a benchmark child process: the real hub (startHub) with its DEFAULT limits (the per-connection
// command rate included: users run it that way), on SQLite in a temporary data dir or on PostgreSQL + Redis when
// the options say so. One bench-only setting, login cost: the scrypt cost is lowered (no password is hashed in the
// run anyway; the fixture's accounts get signed tokens).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadSecret } from '../../src/auth/loadSecret.js';
import { TokenSigner } from '../../src/auth/TokenSigner.js';
import { startHub } from '../../src/hub/startHub.js';
import type { LogLevel } from '../../src/hub/Logger.js';
import type { Store } from '../../src/store/Store.js';
import { connectionsOf, type BenchServer, type Layout } from './protocol.js';
import type { BenchAccount } from './stageTarget.js';

export interface StageServerOptions {
  databaseUrl?: string;
  redisUrl?: string;
  secret?: string;
  /** Load the fixture for this layout through the store (one hub of several sharing a database loads it once). */
  fixture?: Layout;
}

/**
 * The fixture, written through the hub's own Store interface (same for SQLite and PostgreSQL): one account per
 * connection, and per room a group of its members and a stream (named as the room) visible to that group. Loading
 * it through the protocol would push O(n²) NewMember outcomes, which is setup, not load. Tokens are signed with the
 * hub's secret, as /api/login would sign them.
 */
async function loadFixture(store: Store, signer: TokenSigner, layout: Layout): Promise<BenchAccount[]> {
  const run = randomUUID().slice(0, 8);
  const now = Date.now();
  const accounts: BenchAccount[] = [];
  // One transaction: on a machine shared with other work, 1,000 commits (one per room) took a minute.
  await store.transaction(async (tx) => {
    for (let r = 0; r < layout.rooms; r++) {
      const members: BenchAccount[] = [];
      for (let m = 0; m < layout.members; m++) {
        const userId = randomUUID();
        // Nobody logs in with a password here; the hash is well-formed but matches no password.
        await tx.insertUser({ id: userId, username: `b${run}u${accounts.length + m}`, passwordHash: 'scrypt$1024$8$1$AAAA$AAAA', createdAt: now });
        members.push({ userId, token: signer.sign(userId).token });
      }
      const groupId = randomUUID();
      await tx.insertGroup({ id: groupId, name: `bench-r${r}`, description: '', ownerId: members[0]!.userId, createdAt: now });
      for (const a of members) await tx.addMember(groupId, a.userId);
      await tx.insertStream({ name: `r${r}`, description: '', creatorId: members[0]!.userId, createdAt: now, groups: [groupId] });
      accounts.push(...members);
    }
  });
  if (accounts.length !== connectionsOf(layout)) throw new Error('fixture size mismatch');
  return accounts;
}

/** Commits and the transactions they held, if the store counts them (SqliteStore does). */
interface CommitCounts {
  commits: number;
  transactions: number;
}

export async function startStageServer(options: StageServerOptions): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stage-bench-hub-'));
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const hub = await startHub({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    secret,
    // STAGE_BENCH_HUB_LOG_LEVEL=info shows what the hub logs under load (e.g. outcomes the reconciler had to send).
    logLevel: (process.env.STAGE_BENCH_HUB_LOG_LEVEL ?? 'warn') as LogLevel,
    scryptCost: { N: 1024, r: 8, p: 1 },
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
  });
  const accounts = options.fixture ? await loadFixture(hub.store, new TokenSigner({ secret: loadSecret(dataDir, secret) }), options.fixture) : undefined;
  // How long the hub's event loop was held up (a stall delays every device at once), reset at every stats call: the
  // figures a window's closing call returns are the window's own (load.ts keeps `since_last_` keys as they are).
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  return {
    port: hub.port,
    info: { accounts },
    stats: () => {
      const counters: Record<string, number> = {};
      for (const line of hub.metrics.render().split('\n')) {
        const m = /^(stage_[a-z_]+)(?:\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
        if (m) counters[m[1]!] = Number(m[2]);
      }
      const commits = (hub.store as { commitStats?: CommitCounts }).commitStats;
      if (commits) {
        counters.store_commits = commits.commits;
        counters.store_committed_transactions = commits.transactions;
      }
      // PostgreSQL: transactions run again (deadlock, serialization failure, a speculative reply claim lost).
      const retried = (hub.store as { retried?: Record<string, number> }).retried;
      if (retried) for (const [why, n] of Object.entries(retried)) counters[`store_retried_${why}`] = n;
      counters.since_last_loop_delay_max_ms = loopDelay.max / 1e6;
      counters.since_last_loop_delay_p99_ms = loopDelay.percentile(99) / 1e6;
      loopDelay.reset();
      return counters;
    },
    close: async () => {
      await hub.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

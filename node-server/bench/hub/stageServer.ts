// Server (a) of the hub benchmark: the real Stage hub (startHub) in this child process, on SQLite in a temporary
// data dir, or on PostgreSQL + Redis when the options say so (the two-hub figure). Bench-only settings, all of them
// hub configuration a deployment can set: the per-connection command rate limit is lifted (the one sender sends
// 1,000 messages as fast as the hub answers; Socket.IO has no limit either) and the scrypt cost is lowered so that
// registering the 1,000 bench accounts takes seconds, not minutes (login cost is not what is measured).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub } from '../../src/hub/startHub.js';
import type { BenchServer } from './protocol.js';

export interface StageServerOptions {
  databaseUrl?: string;
  redisUrl?: string;
  secret?: string;
}

export async function startStageServer(options: StageServerOptions): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stage-bench-hub-'));
  const hub = await startHub({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    secret: options.secret ?? 'bench-secret-0123456789abcdef0123456789abcdef',
    logLevel: 'warn',
    limits: { commandsPerSecond: 1_000_000, commandBurst: 1_000_000 },
    scryptCost: { N: 1024, r: 8, p: 1 },
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
  });
  return {
    port: hub.port,
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

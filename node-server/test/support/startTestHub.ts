// Starts an in-process hub on an ephemeral 127.0.0.1 port with a fresh data dir and cheap password hashing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub, type RunningHub } from '../../src/hub/startHub.js';
import type { HubConfig } from '../../src/hub/HubConfig.js';

const testScrypt = { N: 1024, r: 8, p: 1 };

export async function startTestHub(config: HubConfig = {}): Promise<RunningHub & { dataDir: string; stop(): Promise<void> }> {
  const dataDir = config.dataDir ?? mkdtempSync(join(tmpdir(), 'stage-hub-'));
  const hub = await startHub({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'warn', scryptCost: testScrypt, authPerSecond: 1000, authBurst: 1000, ...config });
  return {
    ...hub,
    dataDir,
    async stop() {
      await hub.close();
      if (!config.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

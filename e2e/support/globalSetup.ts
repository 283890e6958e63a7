// Builds the web demo into node-server/public/ and starts a real hub on a free port with a fresh
// data dir; tests read its URL from the hub state file (see hubProcess.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, startHub, workspace } from './hubProcess.js';

export default async function globalSetup(): Promise<void> {
  if (process.env.STAGE_E2E_SKIP_BUILD !== '1') {
    execFileSync('npm', ['run', 'build', '--workspace', '@stage/web-demo'], { cwd: workspace, stdio: 'inherit' });
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'stage-e2e-'));
  const results = join(workspace, 'e2e', 'test-results');
  mkdirSync(results, { recursive: true });
  const hub = await startHub({ port: await freePort(), dataDir, secret: randomBytes(32).toString('hex'), logFile: join(results, 'hub.log') });
  process.env.STAGE_HUB_URL = hub.url;
}

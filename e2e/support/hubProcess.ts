// Starts and stops the real hub (node-server/src/main.ts) as a child process. Global setup starts
// it; the crash test SIGKILLs it and starts it again on the same port, data dir and secret. The
// running hub's pid and settings live in a state file so any test (and global teardown) finds it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const workspace = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the running hub is recorded; STAGE_HUB_STATE moves it (the README screenshot script runs its own hub). */
const stateFile = (): string => process.env.STAGE_HUB_STATE ?? join(workspace, 'e2e', 'test-results', '.hub.json');

/**
 * The hub's example extension (issue #17), loaded so the demo's `/poll` works end to end. The hub runs from its
 * TypeScript sources under tsx (below), so this is the extension's source module, not the built .js.
 */
export const pollExtensionModule = join(workspace, 'node-server', 'extensions', 'poll', 'index.ts');

export interface HubState {
  pid: number;
  port: number;
  dataDir: string;
  secret: string;
  url: string;
  logFile: string;
  /** STAGE_LIMITS of the hub (JSON overrides of the protocol limits), when a test set some. */
  limits?: string | undefined;
}

export function hubState(): HubState {
  if (!existsSync(stateFile())) throw new Error(`No hub state at ${stateFile()}: global setup did not start the hub`);
  return JSON.parse(readFileSync(stateFile(), 'utf8')) as HubState;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Starts the hub and waits until it answers HTTP; records it in the state file. */
export async function startHub(settings: Omit<HubState, 'pid' | 'url'>): Promise<HubState> {
  mkdirSync(dirname(stateFile()), { recursive: true });
  const log = openSync(settings.logFile, 'a');
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'node-server/src/main.ts', '--host', '127.0.0.1', '--port', String(settings.port), '--data-dir', settings.dataDir, '--extension', pollExtensionModule],
    {
      cwd: workspace,
      env: {
        ...process.env,
        PORT: String(settings.port),
        STAGE_DATA_DIR: settings.dataDir,
        STAGE_SECRET: settings.secret,
        STAGE_LOG_LEVEL: 'info',
        ...(settings.limits !== undefined ? { STAGE_LIMITS: settings.limits } : {}),
      },
      stdio: ['ignore', log, log],
      detached: false,
    },
  );
  child.unref();
  if (child.pid === undefined) throw new Error('could not spawn the hub process');
  const state: HubState = { ...settings, pid: child.pid, url: `http://127.0.0.1:${settings.port}` };
  writeFileSync(stateFile(), JSON.stringify(state, null, 2));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the hub exited with ${child.exitCode} while starting; see ${settings.logFile}`);
    try {
      const response = await fetch(`${state.url}/healthz`);
      if (response.ok) return state;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the hub did not answer on ${state.url} within 60 s; see ${settings.logFile}`);
    await new Promise((wait) => setTimeout(wait, 200));
  }
}

/** Kills the running hub with `signal` and waits until its process is gone. */
export async function stopHub(signal: NodeJS.Signals = 'SIGTERM'): Promise<HubState> {
  const state = hubState();
  try {
    process.kill(state.pid, signal);
  } catch {
    return state; // already gone
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      process.kill(state.pid, 0);
    } catch {
      return state;
    }
    await new Promise((wait) => setTimeout(wait, 50));
  }
  process.kill(state.pid, 'SIGKILL');
  return state;
}

/** SIGKILLs the hub (no graceful shutdown) and starts it again with the same port, data and secret. */
export async function crashAndRestartHub(): Promise<HubState> {
  const state = await stopHub('SIGKILL');
  return startHub({ port: state.port, dataDir: state.dataDir, secret: state.secret, logFile: state.logFile, limits: state.limits });
}

/** Stops the hub gracefully and starts it again on the same port, data and secret with these limit overrides (JSON, or none). */
export async function restartHubWithLimits(limits: string | undefined): Promise<HubState> {
  const state = await stopHub('SIGTERM');
  return startHub({ port: state.port, dataDir: state.dataDir, secret: state.secret, logFile: state.logFile, limits });
}

// Starts a real hub process (node-server/src/main.ts, fresh data dir, known secret) and runs the conformance kit
// against it, either with the Node runner or with an external client in any language:
//   npm run conformance                                   the Node runner
//   npm run conformance -- python3 conformance/python/stage_conformance.py
// An external client is started as `<command…> --hub <url> --kit <dir> --secret <hex>` and speaks JSON lines:
// it prints {"control":"restartHub"} when a step needs the hub restarted and reads {"control":"restarted"} back on
// stdin; it prints one {"result":{kind,name,ok,error?}} per item and exits 0 only if every item passed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { spawnHub, type HubProcess } from '../../node-server/test/support/hubProcess.js';
import type { HubControl } from './HubControl.js';
import { runKit, type KitResult } from './runKit.js';

export const kitDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// A fresh random secret per run (the hub refuses a non-random one); runners get it to check welcome.key.
const secretHex = randomBytes(32).toString('hex');
/** Short liveness limits, so the liveness conversation (silence for idleTimeoutMs + heartbeatMs) takes seconds. */
export const kitHubLimits = { heartbeatMs: 1000, idleTimeoutMs: 3000 };

export interface KitHub extends HubControl {
  stop(): Promise<void>;
  stderr(): string[];
}

/** A hub process for the kit; restart() stops it gracefully and starts it again on the same port. */
export async function startKitHub(): Promise<KitHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stage-conformance-'));
  let proc: HubProcess = await spawnHub({ dataDir, secret: secretHex, limits: kitHubLimits });
  const port = proc.port;
  return {
    get url() {
      return proc.url;
    },
    secretHex,
    async restart() {
      await proc.kill('SIGTERM');
      proc = await spawnHub({ dataDir, secret: secretHex, port, limits: kitHubLimits });
    },
    async stop() {
      await proc.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
    stderr: () => proc.stderr,
  };
}

/** Runs an external client over the JSON-lines protocol above; resolves with its results and exit code. */
export function runExternalClient(
  command: string[],
  hub: KitHub,
  log: (line: string) => void = () => undefined,
  timeoutMs = 300_000,
): Promise<{ results: KitResult[]; exitCode: number | null; output: string[] }> {
  const [exe, ...args] = command;
  const child = spawn(exe!, [...args, '--hub', hub.url, '--kit', kitDir, '--secret', hub.secretHex], { stdio: ['pipe', 'pipe', 'pipe'] });
  const results: KitResult[] = [];
  const output: string[] = [];
  const keep = (line: string) => {
    output.push(line);
    if (output.length > 200) output.shift();
  };
  createInterface({ input: child.stderr }).on('line', (line) => {
    keep(line);
    log(line);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message: { control?: string; result?: KitResult } | undefined;
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      keep(line);
      return log(line);
    }
    if (message?.control === 'restartHub') {
      void hub.restart().then(
        () => child.stdin.write(JSON.stringify({ control: 'restarted', url: hub.url }) + '\n'),
        (err: unknown) => child.stdin.write(JSON.stringify({ control: 'failed', error: String(err) }) + '\n'),
      );
    } else if (message?.result) {
      results.push(message.result);
      const r = message.result;
      log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.kind} ${r.name}${r.error ? `: ${r.error}` : ''}`);
    } else keep(line);
  });
  return new Promise((resolveRun, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (exitCode) => {
      clearTimeout(timer);
      resolveRun({ results, exitCode, output });
    });
  });
}

async function main(): Promise<void> {
  const command = process.argv.slice(2);
  const hub = await startKitHub();
  try {
    const results = command.length
      ? (await runExternalClient(command, hub, (l) => console.log(l))).results
      : await runKit(hub, kitDir, (l) => console.log(l));
    const failed = results.filter((r) => !r.ok).length;
    console.log(`${results.length - failed} passed, ${failed} failed`);
    process.exitCode = failed || results.length === 0 ? 1 : 0;
  } finally {
    await hub.stop();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();

// Parent side of a benchmark server process: spawns serverProcess.ts, waits for its port, and asks it for its
// settled RSS and counters over IPC. Every child is tracked, so that `killAllServers` (on exit, error or Ctrl-C)
// leaves none behind.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerKind } from './protocol.js';

const entry = join(dirname(fileURLToPath(import.meta.url)), 'serverProcess.ts');

export interface ServerChild {
  readonly kind: ServerKind;
  readonly port: number;
  readonly pid: number;
  readonly info: Record<string, unknown>;
  rss(): Promise<number>;
  stats(timeoutMs?: number): Promise<Record<string, number>>;
  /** Writes a V8 heap snapshot in the server process's cwd; resolves with its file name. */
  heapSnapshot(): Promise<string>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Kills every server process still running (the harness's last resort, e.g. on SIGINT). */
export function killAllServers(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  live.clear();
}

export async function spawnServer(kind: ServerKind, options: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): Promise<ServerChild> {
  const child: ChildProcess = fork(entry, [kind, JSON.stringify(options)], {
    // STAGE_BENCH_PROFILE=dir writes a V8 CPU profile of each server process there (where does the time go?).
    // STAGE_BENCH_NODE_ARGS adds V8/Node flags NODE_OPTIONS refuses (e.g. --trace-gc: which collections stall the hub?).
    execArgv: [
      '--conditions=source',
      '--import',
      'tsx',
      '--expose-gc',
      ...(process.env.STAGE_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.STAGE_BENCH_PROFILE}`] : []),
      ...(process.env.STAGE_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let nextId = 1;
  const waiting = new Map<number, (body: Record<string, unknown>) => void>();
  const ready = new Promise<{ port: number; info: Record<string, unknown> }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${kind} server process exited (${code}) before it was ready`)));
    // Bounded: a fixture of 5,000 accounts on PostgreSQL takes seconds, not minutes.
    setTimeout(() => reject(new Error(`${kind} server not ready after 180 s`)), 180_000).unref();
    child.on('message', (message: { id: number; ready?: boolean; port?: number; info?: Record<string, unknown> }) => {
      if (message.ready) resolve({ port: message.port!, info: message.info ?? {} });
      else waiting.get(message.id)?.(message as Record<string, unknown>);
    });
  });
  const ask = (type: string, timeoutMs = 30_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`${kind} server did not answer '${type}' in ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, (body) => { clearTimeout(timer); waiting.delete(id); resolve(body); });
      child.send({ type, id });
    });
  const { port, info } = await ready.catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    kind,
    port,
    pid: child.pid!,
    info,
    rss: async () => (await ask('rss')).rss as number,
    stats: async (timeoutMs?: number) => (await ask('stats', timeoutMs)).stats as Record<string, number>,
    heapSnapshot: async () => (await ask('heap', 120_000)).file as string,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        await ask('stop', 10_000);
      } catch {
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}

// Runs the hub CLI (src/main.ts) as a child process on 127.0.0.1, for tests where crashes matter (SIGKILL).
// Resolves once the hub logged "hub listening" and returns its URL; restart with the same port and data dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const mainPath = resolve(repoRoot, 'node-server/src/main.ts');

export interface HubProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** Last stderr lines, for failure messages. */
  stderr: string[];
  /** Every stdout line (the JSON log). */
  stdout: string[];
  /** Resolves with the first stdout line (past or future) containing `text`; rejects if the process exits first. */
  line(text: string): Promise<string>;
}

export interface HubProcessConfig {
  dataDir: string;
  port?: number;
  secret?: string;
  limits?: Record<string, number>;
  logLevel?: string;
  /** Extra environment (e.g. STAGE_DATABASE_URL). */
  env?: Record<string, string>;
}

export function spawnHub(config: HubProcessConfig): Promise<HubProcess> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      mainPath,
      '--port',
      String(config.port ?? 0),
      '--host',
      '127.0.0.1',
      '--data-dir',
      config.dataDir,
      '--log-level',
      config.logLevel ?? 'info',
    ],
    { cwd: repoRoot, env: { ...process.env, ...(config.secret ? { STAGE_SECRET: config.secret } : {}), STAGE_LIMITS: JSON.stringify(config.limits ?? {}), ...config.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > 50) stderr.shift();
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const stdout: string[] = [];
  const watchers: Array<{ text: string; found(line: string): void }> = [];
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    stdout.push(line);
    for (const w of watchers.filter((w) => line.includes(w.text))) {
      watchers.splice(watchers.indexOf(w), 1);
      w.found(line);
    }
  });
  const waitForLine = (text: string) =>
    new Promise<string>((found, reject) => {
      const seen = stdout.find((l) => l.includes(text));
      if (seen !== undefined) return found(seen);
      watchers.push({ text, found });
      void exited.then((code) => reject(new Error(`hub exited (${code}) before logging ${text}:\n${stdout.slice(-20).join('\n')}\n${stderr.join('\n')}`)));
    });
  return new Promise<HubProcess>((resolveStart, reject) => {
    lines.on('line', (line) => {
      if (!line.includes('"hub listening"')) return;
      const { url } = JSON.parse(line) as { url: string };
      resolveStart({
        url,
        port: Number(new URL(url).port),
        child,
        exited,
        stderr,
        stdout,
        line: waitForLine,
        kill: (signal = 'SIGKILL') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
    void exited.then((code) => reject(new Error(`hub exited (${code}) before listening:\n${stderr.join('\n')}`)));
  });
}

// The hub as an operator runs it: built to JavaScript by `npm run build` and started with plain `node` (no tsx, no
// `source` condition, so @stage/sdk resolves to its built dist), through its `stage-hub` bin, and through
// `npm start`, whose SIGTERM must reach the hub (exec, not a shell child that keeps serving after npm exits).
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, registerUser } from './support/TestClient.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const built = join(repoRoot, 'node-server/dist/main.js');
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** An environment without the test runner's loaders: what `node` sees under systemd. */
function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, STAGE_LIMITS: '' };
  delete env.NODE_OPTIONS;
  return env;
}

/** Starts `command args`, resolves with the child and its URL once the hub logged "hub listening". */
function start(command: string, args: string[]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'stage-built-'));
  const child = spawn(command, [...args, '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], { cwd: repoRoot, env: plainEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  // 'close': every process holding the child's stdout/stderr has ended (under npm, the hub too, which writes to
  // the same pipes), and every line they wrote has been read.
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  const log: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));
  const listening = new Promise<string>((resolveUrl, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      log.push(line);
      if (line.includes('"hub listening"')) resolveUrl((JSON.parse(line) as { url: string }).url);
    });
    void exited.then(({ code }) => reject(new Error(`exited ${code} before listening:\n${log.join('\n')}\n${stderr.join('\n')}`)));
  });
  return { child, exited, closed, log, listening };
}

const refused = (port: number) =>
  new Promise<boolean>((r) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), r(false)));
    socket.once('error', () => r(true));
  });

beforeAll(async () => {
  await promisify(execFile)('npm', ['run', 'build'], { cwd: repoRoot, env: plainEnv(), maxBuffer: 64 * 1024 * 1024 });
}, 600_000);

describe('the built hub', () => {
  it('runs on plain node with the built SDK: a client registers, connects and runs a command', async () => {
    const hub = start(process.execPath, [built]);
    const url = await hub.listening;
    expect(hub.child.spawnargs).not.toContain('--conditions=source');
    const { token } = await registerUser(url, 'built');
    const client = new TestClient({ baseUrl: url, token, deviceId: 'built-1' });
    await client.connect();
    expect(await client.send('CreateGroup', { name: 'plain-node' })).toMatchObject({ ok: true });
    await client.close();
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toEqual({ code: 0, signal: null });
  });

  it('loads the compiled poll extension given with --extension and runs its commands on plain node', async () => {
    const hub = start(process.execPath, [built, '--extension', join(repoRoot, 'node-server/dist/extensions/poll/index.js')]);
    const url = await hub.listening;
    expect(hub.log.some((line) => line.includes('"extensions loaded"') && line.includes('"poll"'))).toBe(true);
    const { token } = await registerUser(url, 'poller');
    const client = new TestClient({ baseUrl: url, token, deviceId: 'poller-1' });
    await client.connect();
    expect(await client.send('ExtQuery', { ext: 'poll', name: 'list', payload: { stream: 'nowhere' } })).toMatchObject({ ok: false, error: { code: 'not_found', path: ['command', 'payload', 'stream'] } });
    expect(await client.send('Ext', { ext: 'weather', name: 'forecast', payload: {} })).toMatchObject({ ok: false, error: { code: 'not_found', path: ['command', 'ext'] } });
    await client.close();
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toEqual({ code: 0, signal: null });
  });

  it('is the stage-hub bin: an executable script with a node shebang', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'node-server/package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(resolve(repoRoot, 'node-server', pkg.bin['stage-hub']!)).toBe(built);
    accessSync(built, constants.X_OK);
    expect(readFileSync(built, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const { stdout } = await promisify(execFile)(built, ['--help'], { env: plainEnv() });
    expect(stdout).toMatch(/^usage: stage-hub/);
  });

  it('npm start runs it with exec: SIGTERM to npm reaches the hub, which drains and exits; nothing is left serving', async () => {
    const hub = start('npm', ['start', '--workspace', '@stage/node-server', '--']);
    const port = Number(new URL(await hub.listening).port);
    hub.child.kill('SIGTERM'); // the npm process only, as a container runtime does
    // npm may exit as soon as it forwarded the signal: wait for the hub's own end (its pipes closing) and last lines.
    await hub.closed;
    expect(hub.log.some((l) => l.includes('"signal received"'))).toBe(true);
    expect(hub.log.some((l) => l.includes('"hub stopped"'))).toBe(true);
    expect(await refused(port)).toBe(true);
  });
});

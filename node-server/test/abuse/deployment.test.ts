// Careless deployments and the HTTP surface (issue #14, rows 8-10): security headers on every answer, JSON bodies
// only as application/json (no cross-site form posts), a malformed % escape answers 400 (no 500, no stack trace),
// a 413 says Connection: close, /metrics needs its token, registration can be closed, an open socket is closed
// 4001 when its token expires, the data dir and database are owner-only, the secret is refused on the command line
// and when weak or malformed, and token signing uses a key derived from the secret, not the secret itself.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, registerUser } from '../support/TestClient.js';
import { AttackHub } from './support/attackHub.js';
import { closeCodeOf } from './support/attackers.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function raw(url: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolveRaw, reject) => {
    const req = request(`${url}${path}`, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolveRaw({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('HTTP surface and tokens', () => {
  let hub: AttackHub;
  beforeAll(async () => {
    hub = await AttackHub.start({ env: { STAGE_METRICS_TOKEN: 'metrics-token-for-tests', STAGE_TOKEN_TTL_MS: '4000' } });
  });
  afterAll(async () => hub?.stop());

  it('sends the security headers on every answer', async () => {
    for (const [method, path] of [['GET', '/'], ['GET', '/healthz'], ['GET', '/api/nothing'], ['GET', '/metrics'], ['POST', '/api/login']] as const) {
      const res = await raw(hub.url, path, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      expect(res.headers['content-security-policy'], `${method} ${path}`).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options'], `${method} ${path}`).toBe('nosniff');
      expect(res.headers['referrer-policy'], `${method} ${path}`).toBe('no-referrer');
    }
  });

  it('takes JSON bodies only as application/json', async () => {
    const res = await raw(hub.url, '/api/register', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ username: 'formpost', password: 'password123' }) });
    expect(res.status).toBe(415);
    expect((await raw(hub.url, '/api/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=a&password=b' })).status).toBe(415);
  });

  it('answers a malformed % escape with 400, without a stack trace in the log', async () => {
    expect((await raw(hub.url, '/sse/%E0%A4%A')).status).toBe(400);
    expect((await raw(hub.url, '/sse/abc%zz')).status).toBe(400);
    expect(hub.lines.some((l) => l.level === 'error')).toBe(false);
  });

  it('answers an oversized body 413 with Connection: close', async () => {
    const res = await raw(hub.url, '/api/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'big', password: 'x'.repeat(20_000) }) });
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
  });

  it('serves /metrics only with its token', async () => {
    expect((await raw(hub.url, '/metrics')).status).toBe(403);
    expect((await raw(hub.url, '/metrics', { headers: { authorization: 'Bearer wrong' } })).status).toBe(403);
    const ok = await raw(hub.url, '/metrics', { headers: { authorization: 'Bearer metrics-token-for-tests' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('stage_connections');
  });

  it('closes an open socket with 4001 when its token expires', async () => {
    const creds = await registerUser(hub.url, 'shortlived');
    const client = new TestClient({ baseUrl: hub.url, token: creds.token, deviceId: 'd1' });
    await client.connect();
    const code = await Promise.race([closeCodeOf(client.ws!), new Promise((r) => setTimeout(() => r('still open'), 8_000))]);
    expect(code).toBe(4001);
  });

  it('keeps the data dir and the database owner-only', () => {
    expect(statSync(hub.dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(hub.dataDir, 'stage.db')).mode & 0o777).toBe(0o600);
  });
});

describe('operator switches and the secret', () => {
  it('closes registration when the operator says so', async () => {
    const hub = await AttackHub.start({ env: { STAGE_OPEN_REGISTRATION: 'false' } });
    try {
      const res = await raw(hub.url, '/api/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'walkin', password: 'password123' }) });
      expect(res.status).toBe(403);
    } finally {
      await hub.stop();
    }
  });

  /** Runs the CLI expecting it to refuse to start; returns its exit code and everything it printed. */
  function refusal(args: string[], env: Record<string, string>, dataDir: string): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'node-server/src/main.ts', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, ...args], {
      cwd: repoRoot,
      env: { ...process.env, STAGE_SECRET: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    return new Promise((r) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        r({ code, output });
      });
    });
  }

  it('refuses the secret on the command line, a weak one, and a secret file with a non-hex tail', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stage-secret-'));
    try {
      const strong = randomBytes(32).toString('hex');
      const flag = await refusal(['--secret', strong], {}, dataDir);
      expect(flag.code).not.toBe(null);
      expect(flag.code).not.toBe(0);
      expect(flag.output).toContain('STAGE_SECRET');
      expect(flag.output).not.toContain('hub listening');
      // A weak secret in the environment is a configuration error like any other: exit 2, value not echoed.
      const weak = await refusal([], { STAGE_SECRET: 'password123' }, dataDir);
      expect(weak.code).toBe(2);
      expect(weak.output).toContain('STAGE_SECRET: is not hexadecimal');
      expect(weak.output).not.toContain('password123');
      writeFileSync(join(dataDir, 'secret'), `${randomBytes(16).toString('hex')}-oops-not-hex`, { mode: 0o600 });
      const file = await refusal([], {}, dataDir);
      expect(file.code).toBe(1);
      expect(file.output).toContain('not hexadecimal');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('signs tokens with a key derived from the secret: a token MACed with the secret itself is refused', async () => {
    const secret = randomBytes(32).toString('hex');
    const hub = await AttackHub.start({ env: { STAGE_SECRET: secret } });
    try {
      const { userId } = await registerUser(hub.url, 'victim');
      const payload = Buffer.from(JSON.stringify({ uid: userId, exp: Date.now() + 3_600_000 })).toString('base64url');
      const forged = `${payload}.${createHmac('sha256', Buffer.from(secret, 'hex')).update(`stage-token:${payload}`).digest('base64url')}`;
      const status = await new TestClient({ baseUrl: hub.url, token: forged, deviceId: 'd1' }).connect().then(
        () => 101,
        (e: { status?: number }) => e.status,
      );
      expect(status).toBe(401);
    } finally {
      await hub.stop();
    }
  });
});

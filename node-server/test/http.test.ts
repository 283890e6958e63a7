// The hub's HTTP face: register/login with scrypt + signed tokens, the WebSocket upgrade refused BEFORE upgrading
// (401/403/400), health, Prometheus metrics, static files and the read-only SSE mirror.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { webSocketProtocols } from '@stage/sdk/im';
import { TokenSigner } from '../src/auth/TokenSigner.js';
import { startTestHub } from './support/startTestHub.js';
import { TestClient, registerUser } from './support/TestClient.js';

let hub: Awaited<ReturnType<typeof startTestHub>>;
let publicDir: string;

beforeAll(async () => {
  hub = await startTestHub();
  publicDir = join(hub.dataDir, 'public');
  mkdirSync(join(publicDir, 'assets'), { recursive: true });
  writeFileSync(join(publicDir, 'index.html'), '<!doctype html><title>demo</title>');
  writeFileSync(join(publicDir, 'assets', 'app.js'), 'console.log(1)');
  await hub.close();
  hub = await startTestHub({ dataDir: hub.dataDir, publicDir });
});
afterAll(async () => hub?.stop());

const post = (path: string, body: unknown) =>
  fetch(`${hub.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('register and login', () => {
  it('registers, refuses a taken name, logs in with the right password only', async () => {
    const reg = await post('/api/register', { username: 'dora', password: 'correct horse' });
    expect(reg.status).toBe(201);
    const session = (await reg.json()) as { token: string; userId: string; username: string; expiresAt: number };
    expect(session).toMatchObject({ username: 'dora' });
    expect(session.expiresAt).toBeGreaterThan(Date.now());
    expect((await post('/api/register', { username: 'dora', password: 'another one' })).status).toBe(409);
    const ok = await post('/api/login', { username: 'dora', password: 'correct horse' });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { userId: string }).userId).toBe(session.userId);
    const wrong = await post('/api/login', { username: 'dora', password: 'wrong password' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await post('/api/login', { username: 'nobody', password: 'whatever1' })).status).toBe(401);
  });

  it('slows down register/login floods from one address with 429 rate_limited', async () => {
    const strict = await startTestHub({ authPerSecond: 0.001, authBurst: 2 });
    try {
      const attempt = () =>
        fetch(`${strict.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'who', password: 'guessing1' }) });
      expect((await attempt()).status).toBe(401);
      expect((await attempt()).status).toBe(401);
      const limited = await attempt();
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBeTruthy();
      expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    } finally {
      await strict.stop();
    }
  });

  it('answers bad bodies with 400 and the failing path', async () => {
    const res = await post('/api/register', { username: 'Bad Name', password: 'long enough' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'bad_schema', path: ['username'] } });
    const notJson = await fetch(`${hub.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(notJson.status).toBe(400);
    // A body that is not declared JSON (a cross-origin form or text/plain POST) is refused before it is read.
    const plain = await fetch(`${hub.url}/api/login`, { method: 'POST', body: '{}' });
    expect(plain.status).toBe(415);
  });
});

describe('WebSocket upgrade', () => {
  it('is refused before the upgrade: 401 bad or expired token, 400 bad deviceId, 404 wrong path', async () => {
    const { token } = await registerUser(hub.url, 'eve');
    const status = async (tokenOrPath: string, deviceId = 'd1') => {
      const client = new TestClient({ baseUrl: hub.url, token: tokenOrPath, deviceId });
      return client.connect().then(
        () => 101,
        (e: { status?: number }) => e.status,
      );
    };
    expect(await status('garbage')).toBe(401);
    expect(await status(token.slice(0, -2) + 'xx')).toBe(401);
    const expired = new TokenSigner({ secret: new Uint8Array(32), ttlMs: -1 }).sign('x').token;
    expect(await status(expired)).toBe(401);
    expect(await status(token, 'bad device!')).toBe(400);
    expect(await status(token, 'good-device')).toBe(101);
  });

  it('answers 403 for a valid token whose user no longer exists', async () => {
    const secretFile = join(hub.dataDir, 'secret');
    const { readFileSync } = await import('node:fs');
    const signer = new TokenSigner({ secret: Buffer.from(readFileSync(secretFile, 'utf8').trim(), 'hex') });
    const client = new TestClient({ baseUrl: hub.url, token: signer.sign('ghost-user').token, deviceId: 'd1' });
    await expect(client.connect()).rejects.toMatchObject({ status: 403 });
  });
});

describe('health, metrics, static files', () => {
  it('serves /healthz and Prometheus /metrics', async () => {
    const health = await fetch(`${hub.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, store: 'sqlite', fanout: 'in-process' });
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    for (const name of ['stage_connections', 'stage_commands_total', 'stage_outcomes_pushed_total', 'stage_recalls_total', 'stage_outcomes_retransmitted_total']) {
      expect(metrics).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge)$`, 'm'));
    }
  });

  it('serves the web demo with SPA fallback and never escapes the public dir', async () => {
    expect(await (await fetch(`${hub.url}/`)).text()).toContain('<title>demo</title>');
    const js = await fetch(`${hub.url}/assets/app.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(await (await fetch(`${hub.url}/streams/general`)).text()).toContain('<title>demo</title>');
    expect((await fetch(`${hub.url}/..%2f..%2fsecret`)).status).toBe(404);
    expect((await fetch(`${hub.url}/api/nothing`)).status).toBe(404);
  });
});

describe('SSE', () => {
  it('mirrors the user pushes with ids, resumes after Last-Event-ID, refuses bad tokens', async () => {
    const creds = await registerUser(hub.url, 'fay');
    const client = new TestClient({ baseUrl: hub.url, token: creds.token, deviceId: 'fay-1' });
    await client.connect();
    await client.ok('CreateGroup', { name: 'one' });
    await client.ok('CreateGroup', { name: 'two' });
    expect((await fetch(`${hub.url}/sse/garbage`)).status).toBe(401);
    expect((await fetch(`${hub.url}/sse`, { headers: { authorization: 'Bearer garbage' } })).status).toBe(401);
    // A long-lived token is never accepted in the URL (URLs are logged): only a ticket is.
    expect((await fetch(`${hub.url}/sse/${creds.token}`)).status).toBe(401);

    const controller = new AbortController();
    const res = await fetch(`${hub.url}/sse`, { headers: { authorization: `Bearer ${creds.token}`, 'last-event-id': '1' }, signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await readUntil('id: 2\n');
    expect(text).not.toContain('id: 1\n');
    await client.ok('CreateGroup', { name: 'three' });
    await readUntil('id: 3\n');
    expect(text).toMatch(/id: 3\nevent: NewGroup\ndata: \{.*"three"/);
    controller.abort();
    await client.close();
  });

  it('an EventSource gets a single-use 60-second ticket for /sse/:ticket; a used, a signed-out or a token-as-ticket is refused', async () => {
    const creds = await registerUser(hub.url, 'gus');
    const bearer = { authorization: `Bearer ${creds.token}` };
    expect((await fetch(`${hub.url}/api/ticket`, { method: 'POST' })).status).toBe(401);
    const { ticket, expiresAt } = (await (await fetch(`${hub.url}/api/ticket`, { method: 'POST', headers: bearer })).json()) as { ticket: string; expiresAt: number };
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(60_000);
    const controller = new AbortController();
    const first = await fetch(`${hub.url}/sse/${ticket}`, { signal: controller.signal });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
    const again = await fetch(`${hub.url}/sse/${ticket}`);
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain('used already');
    // A ticket never opens a WebSocket (nor a token an SSE URL, see above).
    const refused = await new TestClient({ baseUrl: hub.url, token: ticket, deviceId: 'gus-1' }).connect().then(
      () => 101,
      (e: { status?: number }) => e.status,
    );
    expect(refused).toBe(401);
    // Signing the login out refuses its tickets too.
    const next = (await (await fetch(`${hub.url}/api/ticket`, { method: 'POST', headers: bearer })).json()) as { ticket: string };
    expect((await fetch(`${hub.url}/api/logout`, { method: 'POST', headers: bearer })).status).toBe(200);
    expect((await fetch(`${hub.url}/sse/${next.ticket}`)).status).toBe(401);
  });
});

describe('tokens stay out of URLs', () => {
  it('a WebSocket with the token in its path is refused 401 and told where the token goes', async () => {
    const creds = await registerUser(hub.url, 'hal');
    const answer = await new Promise<{ status: number; body: string }>((resolve) => {
      const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/ws/${creds.token}/hal-1`);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += String(c)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.once('error', () => undefined);
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toContain('stage.token.');
    // Without the token subprotocol: 401 as well; with it: the upgrade succeeds and the hub selects stage.v1.
    const bare = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/ws/hal-1`, ['stage.v1']);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => undefined);
    });
    expect(bare).toBe(401);
    const protocol = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/ws/hal-1`, webSocketProtocols(creds.token));
      ws.once('open', () => {
        resolve(ws.protocol);
        ws.close();
      });
      ws.once('error', reject);
    });
    expect(protocol).toBe('stage.v1');
  });
});

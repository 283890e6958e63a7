// The publish API against a real hub on a SQLite data dir: keys made with `stage-hub admin apikey …` post messages
// and run extension writes as their user through the hub's command path, so a connected device of a member gets
// the push like any message; the Idempotency-Key makes a retry answer the recorded reply (one message); a missing,
// wrong or revoked key is 401 and stores nothing, a deactivated key user 403, another method 405; an oversized body is 413; a bad body is 400 with the path; the
// per-key rate limit answers 429 with Retry-After.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdmin } from '../src/cli/admin.js';
import poll from '../extensions/poll/index.js';
import { startTestHub } from './support/startTestHub.js';
import { TestClient } from './support/TestClient.js';

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'stage-publish-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function admin(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAdmin([...args, '--data-dir', dataDir], { out: (t) => (out += t), err: (t) => (err += t), env: {} });
  return { code, out, err };
}

type Hub = Awaited<ReturnType<typeof startTestHub>>;
const hubOn = (config: Parameters<typeof startTestHub>[0] = {}) => startTestHub({ dataDir, extensions: [poll], ...config });

function publish(hub: Hub, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${hub.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function login(hub: Hub, username: string): Promise<TestClient> {
  const res = await fetch(`${hub.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'password123' }) });
  const { token } = (await res.json()) as { token: string };
  const client = new TestClient({ baseUrl: hub.url, token, deviceId: `${username}-1` });
  await client.connect();
  return client;
}

const messagesIn = async (hub: Hub, stream: string) => (await hub.store.history({ stream, limit: 100 })).map((m) => m.content);

describe('publish API', () => {
  let key: string;
  let keyId: string;

  it('admin apikey create / list: the key is printed once, only its hash is stored; mistakes are refused', async () => {
    for (const name of ['ci-bot', 'bob', 'carol']) expect(await admin('user', 'create', name, '--password', 'password123')).toMatchObject({ code: 0 });
    expect(await admin('group', 'create', 'team', '--owner', 'ci-bot', '--member', 'bob')).toMatchObject({ code: 0 });
    expect(await admin('stream', 'create', 'general', '--as', 'ci-bot', '--group', 'team')).toMatchObject({ code: 0 });
    const created = await admin('apikey', 'create', 'deploys', '--user', 'ci-bot');
    expect(created).toMatchObject({ code: 0, err: '' });
    const printed = JSON.parse(created.out) as { id: string; name: string; user: string; key: string };
    expect(printed).toMatchObject({ name: 'deploys', user: 'ci-bot' });
    expect(printed.key).toMatch(/^stg_[A-Za-z0-9_-]{43}$/);
    key = printed.key;
    keyId = printed.id;
    const listed = await admin('apikey', 'list');
    expect(listed.code).toBe(0);
    expect(listed.out).not.toContain(key);
    expect(JSON.parse(listed.out)).toEqual([{ id: keyId, name: 'deploys', user: 'ci-bot', createdAt: expect.any(String), revokedAt: null }]);
    expect(await admin('apikey', 'create', 'x', '--user', 'nobody')).toEqual({ code: 1, out: '', err: 'stage-hub admin: no user "nobody"\n' });
    expect((await admin('apikey', 'create', 'x')).code).toBe(2); // --user is required
    expect((await admin('apikey', 'create', 'bad name', '--user', 'bob')).code).toBe(2);
    expect((await admin('apikey', 'revoke', 'no-such-id')).err).toBe('stage-hub admin: no API key no-such-id\n');
  });

  it('posts a message as the key user: a connected member receives the push; the same Idempotency-Key posts once, same reply', async () => {
    const hub = await hubOn();
    try {
      const bob = await login(hub, 'bob');
      const auth = { authorization: `Bearer ${key}`, 'idempotency-key': 'deploy-42' };
      const first = await publish(hub, '/api/v1/messages', { stream: 'general', topic: 'deploys', body: 'v1.2.3 is live' }, auth);
      expect(first.status).toBe(200);
      const reply = (await first.json()) as { traceId: string; type: string; data: unknown };
      expect(reply).toMatchObject({ traceId: 'deploy-42', type: 'SendMessage' });
      await bob.until(() => bob.pushes.some((p) => p.outcome.type === 'NewMessage'));
      const pushed = bob.outcomesOf('NewMessage');
      expect(pushed.map((o) => o.message.content)).toEqual(['v1.2.3 is live']);
      const users = await hub.store.userByName('ci-bot');
      expect(pushed[0]!.message.senderId).toBe(users!.id);
      // A retry (the first reply was lost) answers the recorded reply and posts nothing more.
      const again = await publish(hub, '/api/v1/messages', { stream: 'general', topic: 'deploys', body: 'v1.2.3 is live' }, auth);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual(reply);
      // The idempotency key may come in the body instead of the header.
      const inBody = await publish(hub, '/api/v1/messages', { stream: 'general', topic: 'deploys', body: 'second', idempotencyKey: 'deploy-43' }, { authorization: `Bearer ${key}` });
      expect(inBody.status).toBe(200);
      expect(await messagesIn(hub, 'general')).toEqual(['v1.2.3 is live', 'second']);
      await bob.close();
    } finally {
      await hub.close();
    }
  });

  it('refuses bad requests with a typed error and stores nothing', async () => {
    const hub = await hubOn();
    try {
      const before = await messagesIn(hub, 'general');
      const message = { stream: 'general', topic: 'deploys', body: 'nope' };
      const bearer = { authorization: `Bearer ${key}` };
      for (const authorization of [undefined, 'Bearer stg_wrong', `Basic ${key}`, key]) {
        const res = await publish(hub, '/api/v1/messages', message, { 'idempotency-key': 'k1', ...(authorization ? { authorization } : {}) });
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
      }
      const oversized = await publish(hub, '/api/v1/messages', { ...message, body: 'x'.repeat(65 * 1024) }, { ...bearer, 'idempotency-key': 'k2' });
      expect(oversized.status).toBe(413);
      expect(await oversized.json()).toMatchObject({ error: { code: 'payload_too_large' } });
      const badBody = await publish(hub, '/api/v1/messages', { stream: 'general', topic: 'deploys', body: '' }, { ...bearer, 'idempotency-key': 'k3' });
      expect(badBody.status).toBe(400);
      expect(await badBody.json()).toMatchObject({ error: { code: 'bad_schema', path: ['body'] } });
      const noKey = await publish(hub, '/api/v1/messages', message, bearer);
      expect(noKey.status).toBe(400);
      expect(await noKey.json()).toMatchObject({ error: { code: 'bad_schema', path: ['idempotencyKey'] } });
      const invisible = await publish(hub, '/api/v1/messages', { ...message, stream: 'secret' }, { ...bearer, 'idempotency-key': 'k4' });
      expect(invisible.status).toBe(404);
      expect(await invisible.json()).toMatchObject({ traceId: 'k4', error: { code: 'not_found', path: ['stream'] } });
      const unknownExt = await publish(hub, '/api/v1/extensions/nope/create', { payload: {} }, { ...bearer, 'idempotency-key': 'k5' });
      expect(unknownExt.status).toBe(404);
      expect(await unknownExt.json()).toMatchObject({ error: { code: 'not_found' } });
      expect((await publish(hub, '/api/v1/extensions/poll/frobnicate', { payload: {} }, { ...bearer, 'idempotency-key': 'k6' })).status).toBe(404);
      expect((await publish(hub, '/api/v1/extensions/poll/list', { payload: { stream: 'general' } }, { ...bearer, 'idempotency-key': 'k7' })).status).toBe(404);
      expect(await messagesIn(hub, 'general')).toEqual(before);
    } finally {
      await hub.close();
    }
  });

  it('runs an extension write (poll.create) as the key user: pushed to the members, bad payload 400 with its path', async () => {
    const hub = await hubOn();
    try {
      const bob = await login(hub, 'bob');
      const headers = { authorization: `Bearer ${key}`, 'idempotency-key': 'poll-1' };
      const payload = { stream: 'general', topic: 'lunch', question: 'Where?', options: ['Pizza', 'Sushi'] };
      const res = await publish(hub, '/api/v1/extensions/poll/create', { payload }, headers);
      expect(res.status).toBe(200);
      const reply = (await res.json()) as { type: string; data: { ext: string; name: string; result: { poll: { question: string } } } };
      expect(reply).toMatchObject({ type: 'Ext', data: { ext: 'poll', name: 'create', result: { poll: { question: 'Where?' } } } });
      await bob.until(() => bob.outcomesOf('ExtEvent').length > 0);
      expect(bob.outcomesOf('ExtEvent')).toEqual([expect.objectContaining({ ext: 'poll', event: 'pollUpdated' })]);
      const retried = await publish(hub, '/api/v1/extensions/poll/create', { payload }, headers);
      expect(await retried.json()).toEqual(reply);
      const bad = await publish(hub, '/api/v1/extensions/poll/create', { payload: { ...payload, options: ['only one'] } }, { ...headers, 'idempotency-key': 'poll-2' });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { code: 'bad_schema', path: ['payload', 'options'] } });
      await bob.close();
    } finally {
      await hub.close();
    }
  });

  it('limits each key: over the burst answers 429 with Retry-After', async () => {
    const hub = await hubOn({ publishPerSecond: 1, publishBurst: 2 });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 3; i++) {
        const res = await publish(hub, '/api/v1/messages', { stream: 'general', topic: 'rate', body: `n${i}` }, { authorization: `Bearer ${key}`, 'idempotency-key': `rate-${i}` });
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await hub.close();
    }
  });

  it("refuses another method (405, Allow: POST) and a deactivated key user's requests (403) until reactivated", async () => {
    let hub = await hubOn();
    try {
      const get = await fetch(`${hub.url}/api/v1/messages`, { headers: { authorization: `Bearer ${key}` } });
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
    } finally {
      await hub.close();
    }
    expect(await admin('user', 'deactivate', 'ci-bot')).toMatchObject({ code: 0 });
    hub = await hubOn();
    try {
      const before = await messagesIn(hub, 'general');
      const res = await publish(hub, '/api/v1/messages', { stream: 'general', topic: 'deploys', body: 'while deactivated' }, { authorization: `Bearer ${key}`, 'idempotency-key': 'deact-1' });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'forbidden' } });
      expect(await messagesIn(hub, 'general')).toEqual(before);
    } finally {
      await hub.close();
    }
    expect(await admin('user', 'reactivate', 'ci-bot')).toMatchObject({ code: 0 });
    hub = await hubOn();
    try {
      const res = await publish(hub, '/api/v1/messages', { stream: 'general', topic: 'deploys', body: 'back' }, { authorization: `Bearer ${key}`, 'idempotency-key': 'deact-2' });
      expect(res.status).toBe(200);
    } finally {
      await hub.close();
    }
  });

  it('admin apikey revoke: the key is refused 401 from then on, nothing stored; revoking twice is refused', async () => {
    expect(await admin('apikey', 'revoke', keyId)).toEqual({ code: 0, out: JSON.stringify({ id: keyId, revoked: true }) + '\n', err: '' });
    expect((await admin('apikey', 'revoke', keyId)).err).toBe(`stage-hub admin: API key ${keyId} is already revoked\n`);
    expect((JSON.parse((await admin('apikey', 'list')).out) as Array<{ revokedAt: string | null }>)[0]!.revokedAt).toEqual(expect.any(String));
    const hub = await hubOn();
    try {
      const before = await messagesIn(hub, 'general');
      const res = await publish(hub, '/api/v1/messages', { stream: 'general', topic: 'deploys', body: 'after revoke' }, { authorization: `Bearer ${key}`, 'idempotency-key': 'late' });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'unauthorized', message: 'unknown or revoked API key' } });
      expect(await messagesIn(hub, 'general')).toEqual(before);
    } finally {
      await hub.close();
    }
  });
});

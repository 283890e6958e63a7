// The SDK's ImClient against the real hub (in-process, ephemeral loopback port, `ws` as the WebSocket): login,
// groups, streams, messages and unread counts reaching another user, a review concluding, commands issued offline
// applied once and in order on reconnect, and a hub restart on the same data dir recalled transparently from the
// client's sealed log (file-backed storage, as a Node app would use).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, filter } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ImClient, login, register, type ImClientConfig, type SessionToken } from '@stage/sdk/im';
import { fileImStorage } from '@stage/sdk/node';
import { startTestHub } from './support/startTestHub.js';

type Hub = Awaited<ReturnType<typeof startTestHub>>;
const hubs: Hub[] = [];
const clients: ImClient[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const hub of hubs.splice(0).reverse()) await hub.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const limits = { commandsPerSecond: 10_000, commandBurst: 10_000 };

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function client(url: string, token: SessionToken, deviceId: string, config: Partial<ImClientConfig> = {}): Promise<ImClient> {
  const im = await ImClient.open({
    url,
    deviceId,
    token: token.token,
    WebSocket,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    ...config,
  });
  clients.push(im);
  im.connect();
  await im.whenConnection((s) => s === 'online');
  return im;
}

describe('ImClient against the hub', () => {
  it('carries groups, streams, messages, unread counts and a review between two users', async () => {
    const hub = await startTestHub({ limits });
    hubs.push(hub);
    const aliceToken = await register(hub.url, { username: 'alice', password: 'password123' });
    await register(hub.url, { username: 'bob', password: 'password123' });
    const bobToken = await login(hub.url, { username: 'bob', password: 'password123' });
    await expect(login(hub.url, { username: 'bob', password: 'wrong-password' })).rejects.toMatchObject({ code: 'unauthorized' });

    const alice = await client(hub.url, aliceToken, 'alice-laptop');
    const bob = await client(hub.url, bobToken, 'bob-phone');

    const { group } = await alice.createGroup({ name: 'core' });
    const { user } = await alice.findUser({ username: 'bob' });
    await alice.addGroupMember({ groupId: group.groupId, userId: user.userId });
    await alice.createStream({ stream: 'general', groups: [group.groupId] });
    await alice.sendMessage({ stream: 'general', topic: 'hello', content: 'hi bob' });

    const bobStreams = await firstValueFrom(bob.streams$.pipe(filter((s) => s.length === 1)));
    expect(bobStreams[0]!.name).toBe('general');
    expect((await firstValueFrom(bob.groups$.pipe(filter((g) => g.length === 1))))[0]!.groupId).toBe(group.groupId);
    const messages = await firstValueFrom(bob.messages$('general', 'hello').pipe(filter((m) => m.length === 1)));
    expect(messages[0]).toMatchObject({ content: 'hi bob', senderName: 'alice' });
    await firstValueFrom(bob.unreadCount$('general', 'hello').pipe(filter((n) => n === 1)));
    const read = await bob.markTopicRead('general', 'hello');
    expect(read.unread).toBe(0);
    expect(await firstValueFrom(bob.unreadCount$('general', 'hello'))).toBe(0);

    // A review with bob as the only reviewer concludes on his vote.
    await alice.appointReviewer({ stream: 'general', reviewer: user.userId });
    await alice.setTopicStatus({ stream: 'general', topic: 'hello', status: 'under_review' });
    await firstValueFrom(bob.review$('general', 'hello').pipe(filter((r) => r?.status === 'under_review')));
    await bob.vote({ stream: 'general', topic: 'hello', vote: 'yes' });
    const concluded = await firstValueFrom(alice.review$('general', 'hello').pipe(filter((r) => r?.status === 'complete')));
    expect(concluded?.conclusion).toMatchObject({ result: 'complete', votes: { [user.userId]: 'yes' } });

    // A user outside the stream's groups gets not_found, as a typed ImError.
    const carolToken = await register(hub.url, { username: 'carol', password: 'password123' });
    const carol = await client(hub.url, carolToken, 'carol-1');
    await expect(carol.sendMessage({ stream: 'general', topic: 'hello', content: 'let me in' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('sends commands issued while disconnected once, in order, after reconnecting', async () => {
    const hub = await startTestHub({ limits });
    hubs.push(hub);
    const token = await register(hub.url, { username: 'dana', password: 'password123' });
    const dana = await client(hub.url, token, 'dana-1');
    const { group } = await dana.createGroup({ name: 'solo' });
    await dana.createStream({ stream: 'notes', groups: [group.groupId] });

    dana.disconnect();
    const replies = Array.from({ length: 20 }, (_, i) => dana.sendMessage({ stream: 'notes', topic: 'log', content: `n${i}` }));
    expect((await firstValueFrom(dana.pending$)).filter((p) => p.status === 'queued')).toHaveLength(20);
    dana.connect();
    const sent = await Promise.all(replies);
    expect(sent.map((r) => r.message.content)).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`));
    const history = await dana.getHistory({ stream: 'notes', topic: 'log', limit: 100 });
    expect(history.messages.map((m) => m.content)).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`));
  });

  it('paces itself through the hub\'s rate limit: every command applied once, in order', async () => {
    const hub = await startTestHub({ limits: { commandsPerSecond: 20, commandBurst: 3 } });
    hubs.push(hub);
    const token = await register(hub.url, { username: 'fred', password: 'password123' });
    const fred = await client(hub.url, token, 'fred-1', { maxInFlight: 8 });
    const { group } = await fred.createGroup({ name: 'g' });
    await fred.createStream({ stream: 's', groups: [group.groupId] });
    let resent = 0;
    fred.pending$.subscribe((pending) => (resent = Math.max(resent, ...pending.map((p) => p.attempts))));
    const contents = Array.from({ length: 12 }, (_, i) => `r${i}`);
    const sent = await Promise.all(contents.map((content) => fred.sendMessage({ stream: 's', topic: 't', content })));
    expect(sent.map((r) => r.message.content)).toEqual(contents);
    const history = await fred.getHistory({ stream: 's', topic: 't' });
    expect(history.messages.map((m) => m.content)).toEqual(contents);
    expect(resent).toBeGreaterThan(1); // some were refused with rate_limited and sent again
  });

  it('survives a hub restart: reconnects, answers the recall from its file log, keeps its mutes and cursors', async () => {
    const dataDir = tempDir('stage-e2e-hub-');
    let hub = await startTestHub({ dataDir, limits });
    const port = hub.port;
    const token = await register(hub.url, { username: 'erin', password: 'password123' });
    const storage = await fileImStorage({ dir: tempDir('stage-e2e-client-') });
    const erin = await client(hub.url, token, 'erin-1', { storage });
    const { group } = await erin.createGroup({ name: 'g' });
    await erin.createStream({ stream: 's', groups: [group.groupId] });
    const { message } = await erin.sendMessage({ stream: 's', topic: 't', content: 'first' });
    await erin.markRead({ stream: 's', topic: 't', upTo: message.seq });
    await erin.muteTopic({ stream: 's', topic: 'quiet' });
    const sessionId = erin.logInfo!.sessionId;

    await hub.close();
    await firstValueFrom(erin.connectionState$.pipe(filter((s) => s === 'reconnecting')));
    hub = await startTestHub({ dataDir, port, limits });
    hubs.push(hub);
    await erin.whenConnection((s) => s === 'online');

    const state = await erin.getSessionState();
    expect(state.muted).toEqual([{ stream: 's', topic: 'quiet' }]);
    expect(state.cursors).toEqual([{ stream: 's', topic: 't', upTo: message.seq }]);
    expect(erin.logInfo).toMatchObject({ sessionId, recalls: 1 });
    expect(await erin.verifyLog()).toMatchObject({ ok: true });
  });
});

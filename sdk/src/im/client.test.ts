// ImClient against an in-memory hub (FakeHub): replies, push dedupe and acks, the persistent outbox across
// drops and restarts, recall answering after a hub restart, fresh chains, rate limiting and resync.
import { firstValueFrom, filter } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChainVerifier } from '../seal/ChainVerifier.js';
import { ImClient, type ImClientConfig } from './client/ImClient.js';
import { memoryStorage, type ImClientStorage } from './client/ImClientStorage.js';
import { chainPages } from './client/chainPages.js';
import { reconnectDelay } from './client/ReconnectConfig.js';
import { ImError, defaultLimits, type Command, type Message, type Outcome } from './index.js';
import { FakeHub, defaultExecute } from '../testing/FakeHub.js';
import type { SealedEntry } from '../seal/SealedEntry.js';

const clients: ImClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function openClient(hub: FakeHub, config: Partial<ImClientConfig> & { storage?: ImClientStorage } = {}): Promise<ImClient> {
  const client = await ImClient.open({
    url: 'http://hub.test',
    deviceId: 'laptop',
    token: 'tok',
    WebSocket: hub.WebSocket,
    autoSync: false,
    reconnect: { initialDelayMs: 1, maxDelayMs: 5, jitter: 0 },
    ...config,
  });
  clients.push(client);
  return client;
}

const online = (client: ImClient) => client.whenConnection((s) => s === 'online');

function message(seq: number, senderId = 'u2', topic = 't'): Message {
  return { messageId: `x${seq}`, seq, stream: 's', topic, senderId, senderName: 'bob', content: `m${seq}`, createdAt: 1, editedAt: null, deleted: false };
}

function executedTraceIds(hub: FakeHub): string[] {
  return hub.executed.map((c) => c.traceId);
}

describe('ImClient', () => {
  it('resolves a command with its typed reply and shows the message locally', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub);
    client.connect();
    const reply = await client.sendMessage({ stream: 's', topic: 't', content: 'hello' });
    expect(reply.message).toMatchObject({ stream: 's', topic: 't', content: 'hello', senderId: 'u1' });
    const list = await firstValueFrom(client.messages$('s', 't').pipe(filter((l) => l.length > 0)));
    expect(list.map((m) => m.content)).toEqual(['hello']);
    expect(hub.executed).toHaveLength(1);
  });

  it('rejects invalid input at once with the failing path and queues nothing', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub);
    const error = await client.sendMessage({ stream: 's', topic: 't', content: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImError);
    expect(error).toMatchObject({ code: 'bad_schema', path: ['content'] });
    // In English, though zod/mini (the protocol's schemas) ships no locale.
    expect((error as ImError).message).toBe('SendMessage: content: Too small: expected string to have >=1 characters');
    const typo = await client.command('GetHistory', { stream: 's', limit: 0, colour: 'red' } as never).catch((e: unknown) => e);
    expect(typo).toMatchObject({ code: 'bad_schema', message: 'GetHistory: limit: Too small: expected number to be >=1', path: ['limit'] });
    const big = await client.sendMessage({ stream: 's', topic: 't', content: '\u0001'.repeat(10_000), recipients: Array.from({ length: 256 }, (_, i) => `user-${'y'.repeat(100)}-${i}`) }).catch((e: unknown) => e);
    expect(big).toMatchObject({ code: 'payload_too_large' });
    expect(await firstValueFrom(client.pending$)).toEqual([]);
  });

  it('dedupes pushes by outcome id, applies each once and acks cumulatively', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub, { ackEvery: 1000, ackDelayMs: 1 });
    const seen: number[] = [];
    client.outcomes$.subscribe(({ outcomeId }) => seen.push(outcomeId));
    client.connect();
    await online(client);
    hub.push({ type: 'NewMessage', message: message(1) });
    hub.push({ type: 'NewMessage', message: message(2) });
    hub.retransmit(0);
    await firstValueFrom(client.unreadCount$('s', 't').pipe(filter((n) => n === 2)));
    await waitFor(() => hub.acked === 2);
    expect(seen).toEqual([1, 2]);
    expect(client.lastOutcomeId).toBe(2);
    expect(client.state.messages.get('s\u0000t')).toHaveLength(2);
  });

  it('by default acks the pushes of a busy stream together: one ack 250 ms after the first unacked push', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub);
    client.connect();
    await online(client);
    const acks = () => hub.received.flatMap((f) => (f.kind === 'ack' ? [f.outcomeId] : []));
    // Only the ack timer is faked: the connection's own timers were set up before.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      hub.push({ type: 'NewMessage', message: message(1) });
      await vi.advanceTimersByTimeAsync(100);
      hub.push({ type: 'NewMessage', message: message(2) });
      await vi.advanceTimersByTimeAsync(100);
      hub.push({ type: 'NewMessage', message: message(3) });
      await vi.advanceTimersByTimeAsync(40);
      expect(client.lastOutcomeId).toBe(3);
      expect(acks()).toEqual([]);
      await vi.advanceTimersByTimeAsync(10);
      expect(acks()).toEqual([3]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('replays from the last processed outcome on reconnect', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub, { ackDelayMs: 1 });
    const seen: number[] = [];
    client.outcomes$.subscribe(({ outcomeId }) => seen.push(outcomeId));
    client.connect();
    await online(client);
    hub.push({ type: 'NewMessage', message: message(1) });
    await waitFor(() => hub.acked === 1);
    hub.accepting = false;
    hub.drop();
    hub.push({ type: 'NewMessage', message: message(2) });
    hub.push({ type: 'NewMessage', message: message(3) });
    hub.accepting = true;
    await waitFor(() => hub.acked === 3);
    expect(seen).toEqual([1, 2, 3]);
    const hellos = hub.received.filter((f) => f.kind === 'hello');
    expect(hellos.map((h) => h.lastOutcomeId)).toEqual([0, 1]);
  });

  it('sends commands issued while offline on connect, in order, exactly once', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub, { maxInFlight: 2 });
    const replies = Array.from({ length: 6 }, (_, i) => client.sendMessage({ stream: 's', topic: 't', content: `c${i}` }));
    const pending = await firstValueFrom(client.pending$);
    expect(pending.map((p) => p.status)).toEqual(Array(6).fill('queued'));
    client.connect();
    const results = await Promise.all(replies);
    expect(results.map((r) => r.message.content)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
    expect(hub.executed.map((c) => (c as Extract<Command, { type: 'SendMessage' }>).content)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
    expect(await firstValueFrom(client.pending$)).toEqual([]);
  });

  it('resends an unanswered command after a drop and the hub answers it from its record: applied once', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub);
    client.connect();
    await online(client);
    hub.loseRepliesNext = 1;
    const reply = await client.sendMessage({ stream: 's', topic: 't', content: 'once' });
    expect(reply.message.content).toBe('once');
    expect(executedTraceIds(hub)).toHaveLength(1);
    const commandFrames = hub.received.filter((f) => f.kind === 'command');
    expect(commandFrames).toHaveLength(2);
    // The same sealed entry went out twice: same seq, same seal.
    expect(commandFrames[0]).toEqual(commandFrames[1]);
  });

  it('keeps its outbox across a client restart and sends the recovered commands once', async () => {
    const hub = new FakeHub();
    const storage = memoryStorage();
    const first = await openClient(hub, { storage });
    void first.sendMessage({ stream: 's', topic: 't', content: 'a' }).catch(() => undefined);
    void first.sendMessage({ stream: 's', topic: 't', content: 'b' }).catch(() => undefined);
    await waitFor(async () => (await storage.outbox.load()).length === 2);
    await first.close();

    const second = await openClient(hub, { storage });
    expect((await firstValueFrom(second.pending$)).map((p) => p.type)).toEqual(['SendMessage', 'SendMessage']);
    second.connect();
    await firstValueFrom(second.pending$.pipe(filter((p) => p.length === 0)));
    expect(hub.executed.map((c) => (c as Extract<Command, { type: 'SendMessage' }>).content)).toEqual(['a', 'b']);
    expect(await storage.outbox.load()).toEqual([]);
  });

  it('answers a recall after the hub lost its session; the hub rebuilds the read cursors and mutes', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub);
    client.connect();
    await online(client);
    await client.markRead({ stream: 's', topic: 't', upTo: 5 });
    await client.muteTopic({ stream: 's', topic: 'noise' });
    await client.sendMessage({ stream: 's', topic: 't', content: 'before' });
    const sessionId = client.logInfo!.sessionId;

    hub.restart({ keepSockets: true });
    expect(hub.sessionState(sessionId)).toBeUndefined();
    const states: string[] = [];
    client.connectionState$.subscribe((s) => states.push(s));
    await client.sendMessage({ stream: 's', topic: 't', content: 'after' });

    expect(hub.recallsServed).toBe(1);
    const rebuilt = hub.sessionState(sessionId)!;
    expect([...rebuilt.cursors]).toEqual([['s\u0000t', 5]]);
    expect([...rebuilt.muted]).toEqual(['s\u0000noise']);
    expect(client.logInfo).toMatchObject({ sessionId, length: 4, recalls: 1 });
    expect(states).toContain('recalling');
    expect(await client.verifyLog()).toEqual({ ok: true, length: 4 });
  });

  it('reconnects to a restarted hub with the same session and recalls lazily on the next command', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub);
    client.connect();
    await online(client);
    await client.markRead({ stream: 's', topic: 't', upTo: 9 });
    const sessionId = client.logInfo!.sessionId;
    hub.restart();
    await client.sendMessage({ stream: 's', topic: 't', content: 'after restart' });
    expect(client.logInfo?.sessionId).toBe(sessionId);
    expect(hub.recallsServed).toBe(1);
    expect([...hub.sessionState(sessionId)!.cursors]).toEqual([['s\u0000t', 9]]);
  });

  it('starts a fresh chain when the hub refuses the old one, and still applies the command once', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub);
    client.connect();
    await online(client);
    await client.markRead({ stream: 's', topic: 't', upTo: 1 });
    const oldSession = client.logInfo!.sessionId;
    // A hub with another secret cannot verify the old seals: the recall fails, the chain is refused.
    hub.restart({ keepSockets: true, secret: new Uint8Array(32).fill(9) });
    const reply = await client.sendMessage({ stream: 's', topic: 't', content: 'survives' });
    expect(reply.message.content).toBe('survives');
    expect(client.logInfo!.sessionId).not.toBe(oldSession);
    expect(client.logInfo!.length).toBe(1);
    expect(hub.executed.filter((c) => c.type === 'SendMessage')).toHaveLength(1);
    expect(await client.verifyLog()).toEqual({ ok: true, length: 1 });
  });

  it('after rate_limited resends the same entries in order once allowed', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub, { maxInFlight: 4 });
    client.connect();
    await online(client);
    hub.rateLimitNext = 1;
    const replies = await Promise.all(['a', 'b', 'c'].map((content) => client.sendMessage({ stream: 's', topic: 't', content })));
    expect(replies.map((r) => r.message.content)).toEqual(['a', 'b', 'c']);
    expect(hub.executed.map((c) => (c as Extract<Command, { type: 'SendMessage' }>).content)).toEqual(['a', 'b', 'c']);
    const seqs = hub.received.flatMap((f) => (f.kind === 'command' ? [f.seq] : []));
    expect(new Set(seqs)).toEqual(new Set([0, 1, 2]));
  });

  it('on resync drops local state, refetches and moves its cursor', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub, { autoSync: true, ackDelayMs: 1 });
    client.connect();
    await online(client);
    hub.push({ type: 'NewMessage', message: message(1) });
    await waitFor(() => hub.acked === 1);
    hub.accepting = false;
    hub.drop();
    for (let seq = 2; seq <= 5; seq++) hub.push({ type: 'NewMessage', message: message(seq) });
    hub.retainedFrom = 4;
    const resync = firstValueFrom(client.resyncs$);
    hub.accepting = true;
    expect(await resync).toEqual({ reason: 'beyond_retention', lastOutcomeId: 5 });
    await waitFor(() => hub.acked === 5);
    expect(client.state.messages.size).toBe(0);
    await waitFor(() => hub.received.filter((f) => f.kind === 'command' && f.command.type === 'GetStreams').length === 2);
  });

  it('stops reconnecting after a terminal close and says why', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub);
    client.connect();
    await online(client);
    hub.drop(4001, 'token expired');
    const info = await firstValueFrom(client.connection$.pipe(filter((c) => c.state === 'offline')));
    expect(info.stoppedBy).toBe(4001);
  });

  it('pings a quiet hub and drops a silent connection after the idle timeout, then reconnects', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      const hub = new FakeHub();
      const client = await openClient(hub);
      client.connect();
      await online(client);
      await vi.advanceTimersByTimeAsync(81_000);
      expect(hub.received.some((f) => f.kind === 'ping')).toBe(true);
      expect(client.connection.state).toBe('online');
      hub.silence();
      await vi.advanceTimersByTimeAsync(200_000);
      expect(client.connection.lastClose?.code).toBe(4010);
      expect(client.connection.state).toBe('online');
      expect(hub.received.filter((f) => f.kind === 'hello')).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a command the hub answers Err failed is rejected once and never resent; an internal one is resent', async () => {
    let internalOnce = true;
    const hub = new FakeHub({
      execute: (command, fake) => {
        if (command.type === 'SendMessage' && command.content === 'crashes the hub') return { error: { code: 'failed', message: 'the hub failed 3 times' } };
        if (command.type === 'SendMessage' && command.content === 'hiccup' && internalOnce) {
          internalOnce = false;
          return { error: { code: 'internal', message: 'a crash' } };
        }
        return defaultExecute(command, fake);
      },
    });
    const client = await openClient(hub);
    client.connect();
    await online(client);
    await expect(client.sendMessage({ stream: 's', topic: 't', content: 'crashes the hub' })).rejects.toMatchObject({ code: 'failed' });
    await client.sendMessage({ stream: 's', topic: 't', content: 'hiccup' });
    const sent = (content: string) => hub.received.filter((f) => f.kind === 'command' && f.command.type === 'SendMessage' && f.command.content === content).length;
    expect(sent('crashes the hub')).toBe(1);
    expect(sent('hiccup')).toBe(2);
    expect(await firstValueFrom(client.pending$)).toHaveLength(0);
  });

  it('refreshes its token at half its life, moves the connection to the new one and emits it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      const hub = new FakeHub();
      const calls: Array<{ url: string; authorization: string | undefined }> = [];
      const fetch = async (url: string, init: { headers: Record<string, string> }) => {
        calls.push({ url, authorization: init.headers.authorization });
        return { status: 200, json: async () => ({ token: 'tok2', userId: 'u1', username: 'alice', expiresAt: Date.now() + 60_000 }) };
      };
      const client = await openClient(hub, { tokenExpiresAt: Date.now() + 20_000, fetch });
      const tokens: string[] = [];
      client.token$.subscribe((t) => tokens.push(t.token));
      client.connect();
      await online(client);
      await vi.advanceTimersByTimeAsync(9_000);
      expect(calls).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1_500);
      expect(calls).toEqual([{ url: 'http://hub.test/api/refresh', authorization: 'Bearer tok' }]);
      expect(tokens).toEqual(['tok2']);
      await vi.advanceTimersByTimeAsync(50);
      expect(client.connection.state).toBe('online');
      const last = [...hub.sockets].at(-1)!;
      expect(last.protocols).toEqual(['stage.v1', 'stage.token.tok2']);
      expect(hub.received.filter((f) => f.kind === 'hello')).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends its token in the WebSocket subprotocols, never in the URL', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub);
    client.connect();
    await online(client);
    const [socket] = [...hub.sockets];
    expect(socket!.url).toBe('ws://hub.test/ws/laptop');
    expect(socket!.url).not.toContain('tok');
    expect(socket!.protocols).toEqual(['stage.v1', 'stage.token.tok']);
  });

  it('issue() says when a command is durable: stored resolves after the outbox write, and not before', async () => {
    const hub = new FakeHub();
    const storage = memoryStorage();
    const writes: Array<() => void> = [];
    const put = storage.outbox.put.bind(storage.outbox);
    // The outbox's storage writes only when the test lets it (a slow disk).
    storage.outbox.put = (entry) => new Promise<void>((resolve, reject) => writes.push(() => put(entry).then(resolve, reject)));
    const client = await openClient(hub, { storage });
    let stored = false;
    const issued = client.issue('SendMessage', { stream: 's', topic: 't', content: 'durable?' });
    void issued.stored.then(() => (stored = true));
    let allStored = false;
    void client.whenStored().then(() => (allStored = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(stored).toBe(false);
    expect(allStored).toBe(false);
    expect(await storage.outbox.load()).toHaveLength(0);
    writes.shift()!();
    await issued.stored;
    await client.whenStored();
    expect(await storage.outbox.load()).toHaveLength(1);
    expect(issued.traceId).toMatch(/./);
    // A read is never stored; a refused command's stored rejects like its reply.
    await client.issue('GetStreams', {}).stored;
    const refused = client.issue('SendMessage', { stream: '', topic: 't', content: 'x' });
    await expect(refused.stored).rejects.toMatchObject({ code: 'bad_schema' });
    await expect(refused.reply).rejects.toMatchObject({ code: 'bad_schema' });
    client.connect();
    expect((await issued.reply).message.content).toBe('durable?');
  });

  it('with the default limits, notices a silent hub within 13 s of its last frame and is back online', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      const hub = new FakeHub({ liveness: { heartbeatMs: defaultLimits.heartbeatMs, idleTimeoutMs: defaultLimits.idleTimeoutMs } });
      const client = await openClient(hub);
      client.connect();
      await online(client);
      // An answering hub is never dropped, however long the quiet.
      await vi.advanceTimersByTimeAsync(120_000);
      expect(hub.received.filter((f) => f.kind === 'hello')).toHaveLength(1);
      hub.silence();
      const silencedAt = Date.now();
      const dropped = firstValueFrom(client.connection$.pipe(filter((c) => c.lastClose?.code === 4010)));
      let droppedAt = 0;
      void dropped.then(() => (droppedAt = Date.now()));
      await vi.advanceTimersByTimeAsync(13_000);
      expect(droppedAt, 'closed 4010 within 13 s').toBeGreaterThan(0);
      expect(droppedAt - silencedAt).toBeLessThanOrEqual(13_000);
      await vi.advanceTimersByTimeAsync(100);
      expect(client.connection.state).toBe('online');
      expect(hub.received.filter((f) => f.kind === 'hello')).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a late heartbeat tick (throttled timers of a hidden tab) pings instead of dropping a healthy connection', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      const hub = new FakeHub({ liveness: { heartbeatMs: defaultLimits.heartbeatMs, idleTimeoutMs: defaultLimits.idleTimeoutMs } });
      const client = await openClient(hub);
      client.connect();
      await online(client);
      await vi.advanceTimersByTimeAsync(1_000);
      // The clock moves a minute while no timer runs, then the timers catch up one tick at a time.
      vi.setSystemTime(Date.now() + 60_000);
      const pings = hub.received.filter((f) => f.kind === 'ping').length;
      await vi.advanceTimersByTimeAsync(3_000);
      expect(hub.received.filter((f) => f.kind === 'ping').length).toBeGreaterThan(pings);
      expect(client.connection.lastClose).toBeUndefined();
      expect(hub.received.filter((f) => f.kind === 'hello')).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('applies pushed reviews: votes map, conclusion and status', async () => {
    const hub = new FakeHub();
    const client = await openClient(hub);
    client.connect();
    await online(client);
    const outcomes: Outcome[] = [
      { type: 'StreamCreated', stream: { name: 's', description: '', creatorId: 'u1', createdAt: 1, groups: ['g'], reviewers: [] } },
      { type: 'NewReviewer', stream: 's', reviewer: 'u2' },
      { type: 'TopicStatusChanged', stream: 's', topic: 't', status: 'under_review', changedBy: 'u1' },
      { type: 'VoteUpdated', stream: 's', topic: 't', votes: { u2: 'yes' } },
    ];
    for (const outcome of outcomes) hub.push(outcome);
    const review = await firstValueFrom(client.review$('s', 't').pipe(filter((r) => r !== undefined && Object.keys(r.votes).length === 1)));
    expect(review).toMatchObject({ status: 'under_review', votes: { u2: 'yes' }, reviewers: ['u2'] });
    hub.push({ type: 'ReviewConcluded', stream: 's', topic: 't', result: 'complete', votes: { u2: 'yes' } });
    hub.push({ type: 'TopicStatusChanged', stream: 's', topic: 't', status: 'complete', changedBy: null });
    const done = await firstValueFrom(client.review$('s', 't').pipe(filter((r) => r?.status === 'complete')));
    expect(done?.conclusion?.result).toBe('complete');
  });
});

describe('chainPages', () => {
  it('packs a chain into frames under the size limit, in order, the last one done', async () => {
    const entries: SealedEntry<Command>[] = Array.from({ length: 40 }, (_, seq) => ({
      seq,
      body: { type: 'SendMessage', traceId: `t${seq}`, stream: 's', topic: 't', content: 'z'.repeat(1000) },
      seal: 'a'.repeat(64),
    }));
    async function* pages() {
      yield entries.slice(0, 25);
      yield entries.slice(25);
    }
    const frames = [];
    for await (const frame of chainPages(pages(), { recallId: 'r', sessionId: 's', fromSeq: 0, toSeq: 40, maxFrameBytes: 8_000 })) frames.push(frame);
    expect(frames.length).toBeGreaterThan(5);
    expect(frames.flatMap((f) => f.entries.map((e) => e.seq))).toEqual(entries.map((e) => e.seq));
    for (const frame of frames) expect(new TextEncoder().encode(JSON.stringify(frame)).byteLength).toBeLessThanOrEqual(8_000);
    expect(frames.map((f) => f.done)).toEqual([...Array(frames.length - 1).fill(false), true]);
  });

  it('says missing when the log is shorter than the recall asks', async () => {
    async function* pages() {
      yield [{ seq: 0, body: { type: 'GetStreams', traceId: 'a' } as Command, seal: 'b'.repeat(64) }];
    }
    const frames = [];
    for await (const frame of chainPages(pages(), { recallId: 'r', sessionId: 's', fromSeq: 0, toSeq: 3 })) frames.push(frame);
    expect(frames.at(-1)).toMatchObject({ done: true, missing: true });
  });
});

describe('reconnectDelay', () => {
  it('grows by the factor up to the maximum, spread by jitter', () => {
    const config = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0 };
    expect([0, 1, 2, 3, 4, 10].map((a) => reconnectDelay(config, a))).toEqual([100, 200, 400, 800, 1000, 1000]);
    const jittered = reconnectDelay({ ...config, jitter: 0.5 }, 0, () => 0);
    expect(jittered).toBe(50);
  });
});

describe('verifyLog', () => {
  it('matches an independent ChainVerifier over the stored chain', async () => {
    const hub = new FakeHub();
    const storage = memoryStorage();
    const client = await openClient(hub, { storage });
    client.connect();
    await online(client);
    await client.markRead({ stream: 's', topic: 't', upTo: 2 });
    await client.sendMessage({ stream: 's', topic: 't', content: 'x' });
    const { sessionId } = client.logInfo!;
    const device = (await storage.device.load())[0]!.value;
    const stored = await (await storage.openLog(sessionId)).read(0, 10);
    expect(new ChainVerifier({ key: device.key }).verify(stored)).toHaveLength(2);
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

// Delivery and connection rules: replay on reconnect, retransmit on ack timeout, slow consumers (4008) resuming
// without loss, resync beyond retention, recall of sealed sessions after a hub restart, forged seals (4005),
// replaced devices (4004), dead peers (4010), graceful shutdown draining in-flight commands.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteStore } from '../src/store/SqliteStore.js';
import { sweepRetention } from '../src/hub/sweepRetention.js';
import { startTestHub } from './support/startTestHub.js';
import { TestClient, registerUser } from './support/TestClient.js';
import { join } from 'node:path';
import type { HubConfig } from '../src/hub/HubConfig.js';
import { Subject } from 'rxjs';
import type { Fanout } from '../src/fanout/Fanout.js';
import { InProcessFanout } from '../src/fanout/InProcessFanout.js';

type Hub = Awaited<ReturnType<typeof startTestHub>>;
const hubs: Hub[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const h of hubs.splice(0).reverse()) await h.stop();
});

const limits = { commandsPerSecond: 10_000, commandBurst: 10_000 };

/** A hub with ann and bob in one group and a stream they both see. */
async function scene(config: HubConfig = {}, bobConfig: Partial<ConstructorParameters<typeof TestClient>[0]> = {}) {
  const hub = await startTestHub({ ...config, limits: { ...limits, ...config.limits } });
  hubs.push(hub);
  const [a, b] = await Promise.all([registerUser(hub.url, 'ann'), registerUser(hub.url, 'bob')]);
  const ann = new TestClient({ baseUrl: hub.url, token: a.token, deviceId: 'ann-1' });
  const bob = new TestClient({ baseUrl: hub.url, token: b.token, deviceId: 'bob-1', ...bobConfig });
  clients.push(ann, bob);
  await Promise.all([ann.connect(), bob.connect()]);
  const team = (await ann.ok('CreateGroup', { name: 'team' })).group.groupId;
  await ann.ok('AddGroupMember', { groupId: team, userId: b.userId });
  await ann.ok('CreateStream', { stream: 'general', groups: [team] });
  return { hub, ann, bob, bobUserId: b.userId, bobToken: b.token };
}

function metric(hub: Hub, name: string): number {
  const line = hub.metrics.render().split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

const closeCodes = (c: TestClient) => c.closes.map((x) => x.code);

describe('delivery', () => {
  it('sends what the fan-out missed once it reports a gap (another hub’s batch lost while Redis was away)', async () => {
    const missed = new Subject<void>();
    const local = new InProcessFanout();
    const fanout: Fanout = {
      kind: 'test',
      entries$: local.entries$,
      missed$: missed.asObservable(),
      publish: (entries) => local.publish(entries),
      close: () => local.close(),
    };
    const { hub, bob, bobUserId } = await scene({ fanout });
    await bob.until(() => bob.outcomesOf('StreamCreated').length === 1);
    // Committed by "another hub": in the store, never published here.
    const lost = { type: 'TimeOut', traceId: 'elsewhere', command: 'SendMessage', afterMs: 1 } as const;
    const id = await hub.store.outcomes.appendOutcome(bobUserId, lost);
    missed.next();
    await bob.until(() => bob.lastOutcomeId === id);
    expect(bob.pushes.at(-1)).toEqual({ id, outcome: lost });
    expect(bob.duplicatesDropped).toBe(0);
  });

  it('replays what a device missed while offline, from its last acked id, exactly once and in order', async () => {
    const { ann, bob } = await scene();
    await bob.until(() => bob.outcomesOf('StreamCreated').length === 1);
    await bob.close();
    for (let i = 0; i < 5; i++) await ann.ok('SendMessage', { stream: 'general', topic: 't', content: `m${i}` });
    await bob.connect();
    await bob.until(() => bob.outcomesOf('NewMessage').length === 5);
    expect(bob.outcomesOf('NewMessage').map((o) => o.message.content)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(bob.pushes.map((p) => p.id)).toEqual(bob.pushes.map((_, i) => i + 1));
    expect(bob.duplicatesDropped).toBe(0);
  });

  it('retransmits unacked outcomes after retransmitAfterMs (the seed TimeOut), then stops once acked', async () => {
    const { hub, ann, bob } = await scene({ limits: { retransmitAfterMs: 150 } }, { autoAck: false });
    await ann.ok('SendMessage', { stream: 'general', topic: 't', content: 'hello' });
    await bob.until(() => bob.duplicatesDropped >= 2);
    expect(metric(hub, 'stage_outcomes_retransmitted_total')).toBeGreaterThanOrEqual(2);
    bob.ack();
    const before = bob.duplicatesDropped;
    // After the ack the next push is the only new frame: no more retransmits of acked ids.
    await ann.ok('SendMessage', { stream: 'general', topic: 't', content: 'again' });
    await bob.until(() => bob.outcomesOf('NewMessage').length === 2);
    bob.ack();
    expect(bob.duplicatesDropped).toBe(before);
  });

  it('disconnects a device whose ack window stays full (4008); it resumes later without loss', async () => {
    const { hub, ann, bob } = await scene({ limits: { ackWindow: 4, retransmitAfterMs: 100 }, windowStallMs: 300 }, { autoAck: false });
    for (let i = 0; i < 10; i++) await ann.ok('SendMessage', { stream: 'general', topic: 't', content: `m${i}` });
    await bob.until(() => closeCodes(bob).includes(4008));
    expect(bob.pushes.length).toBeLessThanOrEqual(4 + bob.pushes.filter((p) => p.outcome.type !== 'NewMessage').length);
    expect(metric(hub, 'stage_slow_consumer_disconnects_total')).toBe(1);
    (bob.config as { autoAck?: boolean }).autoAck = true;
    await bob.connect();
    bob.ack();
    await bob.until(() => bob.outcomesOf('NewMessage').length === 10);
    expect(bob.outcomesOf('NewMessage').map((o) => o.message.content)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
  });

  it('sends a typed resync to a device behind the retention window, then continues after it', async () => {
    const { hub, ann, bob } = await scene({ limits: { retainOutcomes: 3 } });
    await bob.until(() => bob.outcomesOf('StreamCreated').length === 1);
    await bob.close();
    for (let i = 0; i < 6; i++) await ann.ok('SendMessage', { stream: 'general', topic: 't', content: `m${i}` });
    await sweepRetention(hub.store, 3);
    await bob.connect();
    await bob.until(() => bob.frames.some((f) => f.kind === 'resync'));
    const resync = bob.frames.find((f) => f.kind === 'resync')!;
    expect(resync).toMatchObject({ reason: 'beyond_retention' });
    await ann.ok('SendMessage', { stream: 'general', topic: 't', content: 'after' });
    await bob.until(() => bob.outcomesOf('NewMessage').some((o) => o.message.content === 'after'));
    expect(bob.pushes.at(-1)!.id).toBe((resync.lastOutcomeId as number) + 1);
  });

  it('sends resync ahead_of_hub to a device that claims ids the hub never issued', async () => {
    const { bob } = await scene();
    await bob.close();
    bob.lastOutcomeId = 999;
    await bob.connect();
    await bob.until(() => bob.frames.some((f) => f.kind === 'resync'));
    expect(bob.frames.find((f) => f.kind === 'resync')).toMatchObject({ reason: 'ahead_of_hub' });
    expect(bob.lastOutcomeId).toBeLessThan(999);
  });
});

describe('sealed sessions', () => {
  it('recalls a device session after a hub restart, transparently, with its session state intact', async () => {
    const { hub, bob, ann } = await scene();
    const { message } = await ann.ok('SendMessage', { stream: 'general', topic: 't', content: 'x' });
    await bob.ok('MuteTopic', { stream: 'general', topic: 't' });
    await bob.ok('MarkRead', { stream: 'general', topic: 't', upTo: message.seq });
    const before = await bob.ok('GetSessionState', {});
    await Promise.all([ann.close(), bob.close()]);
    await hub.close();
    const again = await startTestHub({ dataDir: hub.dataDir, limits });
    hubs.push(again);
    (bob.config as { baseUrl: string }).baseUrl = again.url;
    await bob.connect();
    expect(bob.welcome).toMatchObject({ resumed: true });
    expect(await bob.ok('GetSessionState', {})).toEqual(before);
    expect(bob.recallsAnswered).toBe(1);
    expect(metric(again, 'stage_recalls_total')).toBe(1);
  });

  it('refuses a forged seal with Err broken_chain and closes 4005; nothing changes', async () => {
    const { ann, bob, hub } = await scene();
    const store = hub.store;
    const history = await store.history({ stream: 'general', limit: 100 });
    const seq = bob.chain.length;
    bob.rawSend(
      JSON.stringify({
        kind: 'command',
        sessionId: bob.sessionId,
        seq,
        seal: 'ab'.repeat(32),
        command: { type: 'SendMessage', traceId: 'forged-1', stream: 'general', topic: 't', content: 'forged' },
      }),
    );
    await bob.until(() => closeCodes(bob).includes(4005));
    const reply = bob.frames.find((f) => f.kind === 'reply' && f.traceId === 'forged-1');
    expect(reply).toMatchObject({ ok: false, error: { code: 'broken_chain' } });
    expect(await store.history({ stream: 'general', limit: 100 })).toEqual(history);
    expect(await store.replies.findReply(bob.userId, 'forged-1')).toBeUndefined();
    expect(ann.outcomesOf('NewMessage')).toHaveLength(0);
  });

  it('answers a resent older entry (same seq and seal) from the record without applying it twice', async () => {
    const { bob } = await scene();
    const first = await bob.send('MuteTopic', { stream: 'general', topic: 'a' }, 'mute-a');
    await bob.ok('UnmuteTopic', { stream: 'general', topic: 'a' });
    const old = bob.chain.find((e) => e.body.traceId === 'mute-a')!;
    bob.rawSend(JSON.stringify({ kind: 'command', sessionId: bob.sessionId, seq: old.seq, seal: old.seal, command: old.body }));
    await bob.until(() => bob.frames.filter((f) => f.kind === 'reply' && f.traceId === 'mute-a').length === 2);
    expect(first.ok).toBe(true);
    // Still unmuted: the duplicate was not applied again.
    expect((await bob.ok('GetSessionState', {})).muted).toEqual([]);
  });

  it('recognises resent entries already applied on an earlier connection of the device as duplicates', async () => {
    const { bob } = await scene();
    const first = [];
    for (let i = 0; i < 3; i++) first.push(await bob.send('SendMessage', { stream: 'general', topic: 'dup', content: `m${i}` }));
    await bob.close();
    await bob.connect();
    expect(bob.welcome).toMatchObject({ resumed: true });
    for (const entry of bob.chain.slice(-3)) {
      bob.rawSend(JSON.stringify({ kind: 'command', sessionId: bob.sessionId, seq: entry.seq, seal: entry.seal, command: entry.body }));
    }
    const traces = first.map((r) => r.traceId);
    await bob.until(() => traces.every((t) => bob.frames.filter((f) => f.kind === 'reply' && f.traceId === t).length === 2));
    for (const reply of first) expect(bob.frames.filter((f) => f.kind === 'reply' && f.traceId === reply.traceId).at(-1)).toEqual(reply);
    expect(closeCodes(bob)).not.toContain(4005);
    expect((await bob.ok('GetHistory', { stream: 'general', topic: 'dup' })).messages).toHaveLength(3);
  });
});

describe('connections', () => {
  it('a second connection of the same device replaces the first (4004)', async () => {
    const { ann, bob, bobToken, hub } = await scene();
    const second = new TestClient({ baseUrl: hub.url, token: bobToken, deviceId: 'bob-1' });
    clients.push(second);
    await second.connect();
    await bob.until(() => closeCodes(bob).includes(4004));
    await second.ok('GetGroups', {});
    // The new connection is the device now: it receives the pushes.
    await ann.ok('SendMessage', { stream: 'general', topic: 't', content: 'to the new connection' });
    await second.until(() => second.outcomesOf('NewMessage').some((o) => o.message.content === 'to the new connection'));
  });

  it('closes a connection that stops answering pings (4010) and cleans it up', async () => {
    const { hub, bob } = await scene({ limits: { heartbeatMs: 50, idleTimeoutMs: 300 } }, { autoPong: false });
    await bob.until(() => closeCodes(bob).includes(4010));
    await vi.waitFor(() => expect(metric(hub, 'stage_connections')).toBe(1)); // the server sees the close a moment later
  });

  it('answers Err rate_limited beyond the burst, and refuses later seqs until the refused one comes again', async () => {
    const { bob } = await scene({ limits: { commandsPerSecond: 1, commandBurst: 3 } });
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => bob.send('MuteTopic', { stream: 'general', topic: `t${i}` })));
    expect(replies.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'ok', 'ok', 'rate_limited', 'rate_limited', 'rate_limited']);
    const limited = replies[3]!;
    const retryAfterMs = limited.ok ? 0 : (limited.error.retryAfterMs ?? 0);
    expect(retryAfterMs).toBeGreaterThan(0);
    // Resend the first refused entry when told to (as a client does): accepted, the chain has no hole.
    await new Promise((r) => setTimeout(r, retryAfterMs));
    const entry = bob.chain[3]!;
    bob.rawSend(JSON.stringify({ kind: 'command', sessionId: bob.sessionId, seq: entry.seq, seal: entry.seal, command: entry.body }));
    await bob.until(() => bob.frames.filter((f) => f.kind === 'reply' && f.traceId === entry.body.traceId).length === 2);
    expect(bob.frames.filter((f) => f.kind === 'reply' && f.traceId === entry.body.traceId).at(-1)).toMatchObject({ ok: true });
  });

  it('graceful shutdown answers every command already received, then closes with 1001', async () => {
    const { hub, bob } = await scene();
    const replies = Array.from({ length: 30 }, (_, i) => bob.send('SendMessage', { stream: 'general', topic: 'drain', content: `m${i}` }));
    await bob.until(() => bob.frames.some((f) => f.kind === 'reply' && f.ok === true && (f.type as string) === 'SendMessage'));
    await hub.close();
    const settled = await Promise.all(replies);
    await bob.until(() => closeCodes(bob).includes(1001));
    const ok = settled.filter((r) => r.ok).length;
    expect(settled.every((r) => r.ok || r.error.code === 'unavailable')).toBe(true);
    const store = new SqliteStore({ file: join(hub.dataDir, 'stage.db') });
    expect(await store.history({ stream: 'general', topic: 'drain', limit: 100 })).toHaveLength(ok);
    await store.close();
  });
});

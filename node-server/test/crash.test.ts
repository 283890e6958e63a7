// Crash test: 3 clients (one user on two devices, another user on one) send 2,000 commands in total while the hub
// process is SIGKILLed twice and restarted on the same data dir. Every command must be applied exactly once,
// every device must end with every outcome exactly once and in order, and the per-device session state (read
// cursors, unread counts, mutes — rebuilt only by recall) must equal that of the same scripts run without crashes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deviceSession, mutedTopicsOf, readCursorsOf, topicKey, type SessionState } from '@stage/sdk/im';
import { SqliteStore } from '../src/store/SqliteStore.js';
import { spawnHub, type HubProcess } from './support/hubProcess.js';
import { seededRandom } from './support/seededRandom.js';
import { TestClient, registerUser } from './support/TestClient.js';

const TOTAL = 2000;
const SHARE = { 'alice-1': 700, 'alice-2': 650, 'bob-1': 650 } as const;
type DeviceName = keyof typeof SHARE;
const STREAMS = ['main', 'side'] as const;
const TOPICS = ['t1', 't2', 't3'] as const;
const limits = { commandsPerSecond: 100_000, commandBurst: 100_000, retransmitAfterMs: 2_000 };

interface Sent {
  messageId: string;
  content: string;
  deleted: boolean;
}

interface RunResult {
  dataDir: string;
  clients: Record<DeviceName, TestClient>;
  users: Record<'alice' | 'bob', string>;
  /** Expected final messages (by id) from the replies the clients got. */
  expected: Map<string, Sent>;
  sendCount: number;
  finalStates: Record<DeviceName, SessionState>;
  restarts: number;
}

/** Runs the three scripts; `onProgress(done)` after every reply (the crash driver kills the hub from there). */
async function runScripts(baseUrl: () => string, setup: { alice: string; bob: string }, onProgress: (done: number) => void) {
  const clients = {
    'alice-1': new TestClient({ baseUrl: baseUrl(), token: setup.alice, deviceId: 'alice-1', reconnect: true }),
    'alice-2': new TestClient({ baseUrl: baseUrl(), token: setup.alice, deviceId: 'alice-2', reconnect: true }),
    'bob-1': new TestClient({ baseUrl: baseUrl(), token: setup.bob, deviceId: 'bob-1', reconnect: true }),
  } satisfies Record<DeviceName, TestClient>;
  await Promise.all(Object.values(clients).map((c) => c.connect()));
  const expected = new Map<string, Sent>();
  let done = 0;
  let sendCount = 0;
  const script = async (name: DeviceName, seed: number) => {
    const c = clients[name];
    const random = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const mine: Sent[] = [];
    let lastSeq = 0;
    for (let i = 0; i < SHARE[name]; i++) {
      const roll = random();
      const stream = pick(STREAMS);
      const topic = pick(TOPICS);
      const live = mine.filter((m) => !m.deleted);
      const target = live.length > 0 ? live[Math.floor(random() * live.length)]! : undefined;
      if (roll < 0.6 || !target) {
        sendCount++;
        const { message } = await c.ok('SendMessage', { stream, topic, content: `${name}-${i}` });
        const sent = { messageId: message.messageId, content: message.content, deleted: false };
        mine.push(sent);
        expected.set(sent.messageId, sent);
        lastSeq = message.seq;
      } else if (roll < 0.7) {
        const content = `${name}-${i}-edit`;
        await c.ok('EditMessage', { messageId: target.messageId, content });
        target.content = content;
      } else if (roll < 0.74) {
        await c.ok('DeleteMessage', { messageId: target.messageId });
        target.deleted = true;
        target.content = '';
      } else if (roll < 0.84) {
        await c.ok('MarkRead', { stream, topic, upTo: lastSeq });
      } else if (roll < 0.9) {
        await c.ok('MuteTopic', { stream, topic });
      } else if (roll < 0.95) {
        await c.ok('UnmuteTopic', { stream, topic });
      } else {
        await c.ok('GetSessionState', {});
      }
      onProgress(++done);
    }
  };
  await Promise.all([script('alice-1', 1), script('alice-2', 2), script('bob-1', 3)]);
  // After everyone finished: read 'main'/'t1' to its end on every device, then take the session states.
  const finalStates = {} as Record<DeviceName, SessionState>;
  for (const [name, c] of Object.entries(clients) as [DeviceName, TestClient][]) {
    const { topics } = await c.ok('GetStreams', {});
    const t1 = topics.find((t) => t.stream === 'main' && t.topic === 't1')!;
    await c.ok('MarkRead', { stream: 'main', topic: 't1', upTo: t1.lastSeq });
    finalStates[name] = await c.ok('GetSessionState', {});
  }
  return { clients, expected, sendCount, finalStates };
}

async function run(crashes: number[]): Promise<RunResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stage-crash-'));
  const secret = randomBytes(32).toString('hex');
  let hub: HubProcess = await spawnHub({ dataDir, secret, limits });
  const port = hub.port;
  const alice = await registerUser(hub.url, 'alice');
  const bob = await registerUser(hub.url, 'bob');
  // Setup (before the clients' scripts): one group with both users and two streams it sees.
  const admin = new TestClient({ baseUrl: hub.url, token: alice.token, deviceId: 'setup' });
  await admin.connect();
  const team = (await admin.ok('CreateGroup', { name: 'team' })).group.groupId;
  await admin.ok('AddGroupMember', { groupId: team, userId: bob.userId });
  for (const stream of STREAMS) await admin.ok('CreateStream', { stream, groups: [team] });
  await admin.close();

  let restarts = 0;
  let crashing: Promise<void> = Promise.resolve();
  const pendingCrashes = [...crashes];
  const { clients, expected, sendCount, finalStates } = await runScripts(() => hub.url, { alice: alice.token, bob: bob.token }, (done) => {
    if (pendingCrashes.length > 0 && done >= pendingCrashes[0]!) {
      pendingCrashes.shift();
      crashing = crashing.then(async () => {
        await hub.kill('SIGKILL');
        hub = await spawnHub({ dataDir, secret, limits, port });
        restarts++;
      });
    }
  });
  await crashing;
  // Let every device receive and ack everything, then stop.
  const store = new SqliteStore({ file: join(dataDir, 'stage.db'), readonly: true });
  const lastOf = async (userId: string) => (await store.outcomes.outcomeBounds(userId)).last;
  const aliceLast = await lastOf(alice.userId);
  const bobLast = await lastOf(bob.userId);
  await store.close();
  await Promise.all([
    clients['alice-1'].until(() => clients['alice-1'].lastOutcomeId === aliceLast, 60_000),
    clients['alice-2'].until(() => clients['alice-2'].lastOutcomeId === aliceLast, 60_000),
    clients['bob-1'].until(() => clients['bob-1'].lastOutcomeId === bobLast, 60_000),
  ]);
  await Promise.all(Object.values(clients).map((c) => c.close()));
  // Graceful shutdown on SIGTERM: drains and exits 0.
  expect(await hub.kill('SIGTERM')).toBe(0);
  return { dataDir, clients, users: { alice: alice.userId, bob: bob.userId }, expected, sendCount, finalStates, restarts };
}

/** The parts of a session state that do not depend on how the clients' commands interleaved. */
function comparable(state: SessionState) {
  return { muted: state.muted, cursorTopics: state.cursors.map((c) => `${c.stream}/${c.topic}`) };
}

/**
 * The state a hub that never crashed would report for this device: its chain folded with the session definition
 * (cursors, mutes), unread counts computed from the messages in the store.
 */
async function stateFromChain(client: TestClient, userId: string, store: SqliteStore): Promise<SessionState> {
  const state = client.chain.reduce((s, entry) => deviceSession.apply(s, entry.body), deviceSession.initial());
  const unread = [];
  for (const stream of STREAMS) {
    for (const t of await store.topicsOf(stream)) {
      const count = await store.countUnread({ stream, topic: t.topic, afterSeq: state.cursors.get(topicKey(stream, t.topic)) ?? 0, excludeSender: userId });
      if (count > 0) unread.push({ stream, topic: t.topic, count });
    }
  }
  return { cursors: readCursorsOf(state), muted: mutedTopicsOf(state), unread };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('crash test', () => {
  it(
    'applies 2,000 commands exactly once and delivers every outcome once and in order across two SIGKILLs',
    async () => {
      const started = Date.now();
      const crashed = await run([Math.floor(TOTAL * 0.3), Math.floor(TOTAL * 0.65)]);
      const crashedMs = Date.now() - started;
      const calm = await run([]);
      dirs.push(crashed.dataDir, calm.dataDir);
      expect(crashed.restarts).toBe(2);

      // Every command applied exactly once: the store holds exactly the messages the replies named, as edited.
      const store = new SqliteStore({ file: join(crashed.dataDir, 'stage.db'), readonly: true });
      const inStore = new Map<string, { content: string; deleted: boolean }>();
      for (const stream of STREAMS) {
        for (const m of await store.history({ stream, limit: 100_000 })) inStore.set(m.id, { content: m.content, deleted: m.deleted });
      }
      expect(inStore.size).toBe(crashed.sendCount);
      for (const [id, sent] of crashed.expected) expect(inStore.get(id), id).toEqual({ content: sent.content, deleted: sent.deleted });

      // Every device: every outcome of its user exactly once, in id order, equal to the user's log.
      const figures: Record<string, unknown> = {};
      for (const [name, client] of Object.entries(crashed.clients)) {
        const userId = name.startsWith('alice') ? crashed.users.alice : crashed.users.bob;
        const log = await store.outcomes.outcomesAfter(userId, 0, 1_000_000);
        expect(client.pushes.map((p) => p.id)).toEqual(log.map((o) => o.id));
        expect(client.pushes.map((p) => p.outcome)).toEqual(log.map((o) => o.body));
        const newMessages = client.outcomesOf('NewMessage').map((o) => o.message.messageId);
        expect(new Set(newMessages).size).toBe(newMessages.length);
        expect(newMessages.length).toBe(crashed.sendCount);
        figures[name] = { outcomes: client.pushes.length, duplicatesDropped: client.duplicatesDropped, recalls: client.recallsAnswered, resentAfterReconnect: client.resent, connectionCloses: client.closes.length };
        // Recall counted: each device's session was rebuilt from its chain after each restart.
        expect(client.recallsAnswered).toBe(2);
        // Session state rebuilt by recall: exactly what the device's chain implies (cursors, mutes, unread).
        expect(crashed.finalStates[name as DeviceName]).toEqual(await stateFromChain(client, userId, store));
      }
      await store.close();

      // And equal to the run without crashes wherever the interleaving of the clients cannot matter.
      for (const name of Object.keys(SHARE) as DeviceName[]) {
        expect(comparable(crashed.finalStates[name]), name).toEqual(comparable(calm.finalStates[name]));
        expect(crashed.finalStates[name].unread.find((u) => u.stream === 'main' && u.topic === 't1')).toBeUndefined();
        expect(calm.clients[name].recallsAnswered).toBe(0);
      }
      console.log(JSON.stringify({ crashTest: { commands: TOTAL, kills: crashed.restarts, crashedRunMs: crashedMs, devices: figures } }));
    },
    600_000,
  );
});

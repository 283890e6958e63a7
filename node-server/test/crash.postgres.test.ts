// The crash test on PostgreSQL + Redis with several hubs: four devices (two users, each with one device on hub A and
// one on hub B) run scripted commands while hub A is SIGKILLed, a hub C is started, and then hub B is SIGKILLed,
// each kill while devices on both hubs are sending. Every command must be applied exactly once, and every
// device must end with every outcome of its user exactly once and in order, equal to the user's log in
// PostgreSQL, its session recalled on the hub it moved to. Needs PostgreSQL and Redis (see scaleOutServices.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceSession, mutedTopicsOf, readCursorsOf, topicKey, type SessionState } from '@stage/sdk/im';
import { PostgresStore } from '../src/store/postgres/PostgresStore.js';
import { requireService, testDatabaseUrl } from './scaleOutServices.js';
import { startCluster, type Cluster, type ClusterHub } from './scaleOutCluster.js';
import { seededRandom } from './support/seededRandom.js';
import { TestClient, registerUser } from './support/TestClient.js';

const PER_DEVICE = 150;
const DEVICES = ['alice-a', 'alice-b', 'bob-a', 'bob-b'] as const;
type DeviceName = (typeof DEVICES)[number];
const TOTAL = PER_DEVICE * DEVICES.length;
const STREAMS = ['main', 'side'] as const;
const TOPICS = ['t1', 't2'] as const;

interface Sent {
  messageId: string;
  content: string;
  deleted: boolean;
}

let cluster: Cluster | undefined;

/**
 * The state a hub that never crashed would report for this device: its chain folded with the session definition
 * (cursors, mutes), unread counts computed from the messages in the store.
 */
async function stateFromChain(client: TestClient, userId: string, store: PostgresStore): Promise<SessionState> {
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

beforeAll(async () => {
  await requireService('postgres');
  await requireService('redis');
});

afterAll(async () => {
  await cluster?.stop();
});

describe('crash test on PostgreSQL with several hubs', () => {
  it(
    'applies every command once and delivers every outcome once and in order while hubs are SIGKILLed under load',
    async () => {
      cluster = await startCluster();
      const [hubA, hubB] = await Promise.all([cluster.startHub('A'), cluster.startHub('B')]);
      // Devices "on A" connect through a balancer preferring A, then B; hub C is appended to both when started.
      const preferA: ClusterHub[] = [hubA!, hubB!];
      const preferB: ClusterHub[] = [hubB!, hubA!];
      const viaA = await cluster.balancer(preferA);
      const viaB = await cluster.balancer(preferB);

      const alice = await registerUser(viaA, 'alice');
      const bob = await registerUser(viaB, 'bob');
      const admin = new TestClient({ baseUrl: viaA, token: alice.token, deviceId: 'setup' });
      await admin.connect();
      const team = (await admin.ok('CreateGroup', { name: 'team' })).group.groupId;
      await admin.ok('AddGroupMember', { groupId: team, userId: bob.userId });
      for (const stream of STREAMS) await admin.ok('CreateStream', { stream, groups: [team] });
      await admin.close();

      const clients: Record<DeviceName, TestClient> = {
        'alice-a': new TestClient({ baseUrl: viaA, token: alice.token, deviceId: 'alice-a', reconnect: true }),
        'alice-b': new TestClient({ baseUrl: viaB, token: alice.token, deviceId: 'alice-b', reconnect: true }),
        'bob-a': new TestClient({ baseUrl: viaA, token: bob.token, deviceId: 'bob-a', reconnect: true }),
        'bob-b': new TestClient({ baseUrl: viaB, token: bob.token, deviceId: 'bob-b', reconnect: true }),
      };
      await Promise.all(Object.values(clients).map((c) => c.connect()));

      // The crash driver: kills from the progress callback, so each kill lands while every device is mid-script.
      let done = 0;
      let crashing: Promise<void> = Promise.resolve();
      const kills: string[] = [];
      const crashAt = [Math.floor(TOTAL * 0.3), Math.floor(TOTAL * 0.65)];
      const progress = () => {
        done++;
        if (crashAt.length > 0 && done >= crashAt[0]!) {
          const second = crashAt.length === 1;
          crashAt.shift();
          crashing = crashing.then(async () => {
            if (!second) {
              await hubA!.kill();
              kills.push('A');
              const hubC = await cluster!.startHub('C');
              preferA.push(hubC);
              preferB.push(hubC);
            } else {
              await hubB!.kill();
              kills.push('B');
            }
          });
        }
      };

      const expected = new Map<string, Sent>();
      let sendCount = 0;
      const script = async (name: DeviceName, seed: number) => {
        const c = clients[name];
        const random = seededRandom(seed);
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
        const mine: Sent[] = [];
        let lastSeq = 0;
        for (let i = 0; i < PER_DEVICE; i++) {
          const roll = random();
          const stream = pick(STREAMS);
          const topic = pick(TOPICS);
          const live = mine.filter((m) => !m.deleted);
          const target = live.length > 0 ? live[Math.floor(random() * live.length)]! : undefined;
          if (roll < 0.65 || !target) {
            sendCount++;
            const { message } = await c.ok('SendMessage', { stream, topic, content: `${name}-${i}` });
            const sent = { messageId: message.messageId, content: message.content, deleted: false };
            mine.push(sent);
            expected.set(sent.messageId, sent);
            lastSeq = message.seq;
          } else if (roll < 0.8) {
            const content = `${name}-${i}-edit`;
            await c.ok('EditMessage', { messageId: target.messageId, content });
            target.content = content;
          } else if (roll < 0.85) {
            await c.ok('DeleteMessage', { messageId: target.messageId });
            target.deleted = true;
            target.content = '';
          } else if (roll < 0.95) {
            await c.ok('MarkRead', { stream, topic, upTo: lastSeq });
          } else {
            await c.ok(random() < 0.5 ? 'MuteTopic' : 'UnmuteTopic', { stream, topic });
          }
          progress();
        }
      };
      await Promise.all(DEVICES.map((name, i) => script(name, i + 1)));
      await crashing;
      expect(kills).toEqual(['A', 'B']);
      // Every device now asks the hub it ended on (C) for its session state: C never held it and recalls it.
      const finalStates = {} as Record<DeviceName, SessionState>;
      for (const name of DEVICES) finalStates[name] = await clients[name].ok('GetSessionState', {});

      const store = await PostgresStore.open({ url: testDatabaseUrl, schema: cluster.schema, poolSize: 2 });
      try {
        // Every command applied exactly once: the store holds exactly the messages the replies named, as edited.
        const inStore = new Map<string, { content: string; deleted: boolean }>();
        for (const stream of STREAMS) {
          for (const m of await store.history({ stream, limit: 100_000 })) inStore.set(m.id, { content: m.content, deleted: m.deleted });
        }
        expect(inStore.size).toBe(sendCount);
        for (const [id, sent] of expected) expect(inStore.get(id), id).toEqual({ content: sent.content, deleted: sent.deleted });

        // Every device: every outcome of its user exactly once, in id order, equal to the user's log.
        const figures: Record<string, unknown> = {};
        for (const name of DEVICES) {
          const client = clients[name];
          const userId = name.startsWith('alice') ? alice.userId : bob.userId;
          const log = await store.outcomes.outcomesAfter(userId, 0, 1_000_000);
          await client.until(() => client.lastOutcomeId === log.at(-1)!.id, 60_000);
          expect(client.pushes.map((p) => p.id), name).toEqual(log.map((o) => o.id));
          expect(client.pushes.map((p) => p.outcome), name).toEqual(log.map((o) => o.body));
          const newMessages = client.outcomesOf('NewMessage').map((o) => o.message.messageId);
          expect(new Set(newMessages).size).toBe(newMessages.length);
          expect(newMessages.length).toBe(sendCount);
          // Its hub was killed (A's devices twice, B's once): its session was recalled from its chain, and the
          // state the hub reports is exactly what the chain implies.
          expect(client.recallsAnswered, name).toBeGreaterThanOrEqual(name.endsWith('-a') ? 2 : 1);
          expect(finalStates[name], name).toEqual(await stateFromChain(client, userId, store));
          figures[name] = { outcomes: client.pushes.length, duplicatesDropped: client.duplicatesDropped, recalls: client.recallsAnswered, resent: client.resent };
        }
        console.log(JSON.stringify({ crashTestPostgres: { commands: TOTAL, kills, devices: figures } }));
      } finally {
        await store.close();
        await Promise.all(Object.values(clients).map((c) => c.close()));
      }
    },
    300_000,
  );
});

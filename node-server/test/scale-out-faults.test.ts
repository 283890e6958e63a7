// Two hubs on PostgreSQL + Redis under partial failures (issues #18, #20), against the real services: each hub
// reaches PostgreSQL and Redis through a TCP proxy the test controls (slow, blackhole = stop forwarding without
// closing, cut), devices through a proxy that can move them to the other hub.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ImClient, register } from '@stage/sdk/im';
import { WebSocket } from 'ws';
import { requireService } from './scaleOutServices.js';
import { Redis } from 'ioredis';
import type { PostgresStore } from '../src/store/postgres/PostgresStore.js';
import type { Store } from '../src/store/Store.js';
import { testRedisUrl } from './scaleOutServices.js';
import { openDevice, startFaultCluster, untilMessage, type Device, type FaultCluster, type FaultHub } from './support/faultCluster.js';
import { registerUser, TestClient } from './support/TestClient.js';

/** Figures printed when STAGE_FAULT_FIGURES is set (the numbers docs/SCALE-OUT.md quotes). */
function figure(name: string, values: number[]): void {
  if (!process.env.STAGE_FAULT_FIGURES) return;
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  console.log(`[fault figure] ${name}: n=${values.length} p50=${at(0.5)} ms p99=${at(0.99)} ms max=${Math.round(sorted.at(-1)!)} ms`);
}

/** Alice with a laptop on hub A and a phone on hub B, in a group with a stream. */
async function aliceOnTwoHubs(a: FaultHub, b: FaultHub): Promise<{ laptop: Device; phone: Device }> {
  const alice = await register(a.url, { username: 'alice', password: 'password-alice' });
  const laptop = await openDevice('alice-laptop', a.url, alice.token);
  const phone = await openDevice('alice-phone', b.url, alice.token);
  devices.push(laptop, phone);
  const { group } = await laptop.client.createGroup({ name: 'team' });
  await laptop.client.createStream({ stream: 'general', groups: [group.groupId] });
  await laptop.client.sendMessage({ stream: 'general', topic: 'plan', content: 'warm-up' });
  await untilMessage(phone, 'warm-up');
  return { laptop, phone };
}

/** Sends `n` messages one after another; returns each ack's latency and the time each reply arrived. */
async function sendSeries(d: Device, prefix: string, n: number): Promise<{ acks: number[]; repliedAt: number[] }> {
  const acks: number[] = [];
  const repliedAt: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await d.client.sendMessage({ stream: 'general', topic: 'plan', content: `${prefix}${i}` });
    acks.push(performance.now() - t0);
    repliedAt.push(Date.now());
  }
  return { acks, repliedAt };
}

/** Waits for each message on the device and returns how long after its reply it arrived. */
async function deliveryDelays(d: Device, prefix: string, repliedAt: number[], ms = 5000): Promise<number[]> {
  const delays: number[] = [];
  for (let i = 0; i < repliedAt.length; i++) delays.push(Math.max(0, (await untilMessage(d, `${prefix}${i}`, ms)) - repliedAt[i]!));
  return delays;
}

beforeAll(async () => {
  await requireService('postgres');
  await requireService('redis');
});

let cluster: FaultCluster | undefined;
const devices: Device[] = [];
afterEach(async () => {
  for (const d of devices.splice(0)) await d.client.close().catch(() => undefined);
  await cluster?.stop();
  cluster = undefined;
});

describe('exactly once across hubs', () => {
  it('a command resent to a second hub while the first still runs it is executed once, and both hubs answer alike', async () => {
    cluster = await startFaultCluster(['A', 'B']);
    const [a, b] = cluster.hubs as [(typeof cluster.hubs)[0], (typeof cluster.hubs)[0]];
    const front = await cluster.front(a);
    const base = `http://127.0.0.1:${front.port}`;
    const alice = await register(base, { username: 'alice', password: 'password-alice' });
    const laptop = await openDevice('alice-laptop', base, alice.token);
    devices.push(laptop);
    const { group } = await laptop.client.createGroup({ name: 'team' });
    await laptop.client.createStream({ stream: 'general', groups: [group.groupId] });

    // Hub A's database round trips take 600 ms: the command is still running on A when the device, cut off from
    // A, reconnects to B and resends it.
    a.pg.slow(300);
    const sent = laptop.client.sendMessage({ stream: 'general', topic: 'plan', content: 'only once' });
    await a.pg.untilForwardedUp(2); // A's transaction has begun and its first statement is on the way
    front.retarget(b.port);
    front.cut();
    const reply = await sent;
    // A finishes its run (graceful close drains the commands it received), then its link is healthy again.
    a.pg.resume();
    await a.close();

    const stored = await cluster.sql<{ id: string; content: string }>('SELECT id, content FROM messages ORDER BY seq');
    expect(stored, 'the message is stored once').toEqual([{ id: reply.message.messageId, content: 'only once' }]);
    const recorded = await cluster.sql<{ reply: string }>('SELECT reply FROM replies WHERE reply LIKE $1', ['%only once%']);
    expect(recorded).toHaveLength(1);
    expect((JSON.parse(recorded[0]!.reply) as { data: { message: { messageId: string } } }).data.message.messageId).toBe(reply.message.messageId);
  });
});

describe('no deadlocks between hubs', () => {
  it('commands pushing several outcomes to crossing audiences, run at once on two hubs, never deadlock', async () => {
    cluster = await startFaultCluster(['A', 'B']);
    const [a, b] = cluster.hubs as [(typeof cluster.hubs)[0], (typeof cluster.hubs)[0]];
    const [fa, fb] = [await cluster.front(a), await cluster.front(b)];
    const [ownerA, ownerB, p, q] = await Promise.all(
      ['owner-a', 'owner-b', 'pat', 'quinn'].map((name) => register(`http://127.0.0.1:${fa.port}`, { username: name, password: `password-${name}` })),
    );
    const onA = await openDevice('owner-a', `http://127.0.0.1:${fa.port}`, ownerA!.token);
    const onB = await openDevice('owner-b', `http://127.0.0.1:${fb.port}`, ownerB!.token);
    devices.push(onA, onB);
    // G1 (on A) holds quinn, G2 (on B) holds pat. Adding pat to G1 pushes NewGroup to pat, then NewMember to
    // {owner-a, pat, quinn}; adding quinn to G2 pushes NewGroup to quinn, then NewMember to {owner-b, pat, quinn}:
    // one-push-at-a-time locking takes pat then quinn on A and quinn then pat on B.
    const { group: g1 } = await onA.client.createGroup({ name: 'g1' });
    const { group: g2 } = await onB.client.createGroup({ name: 'g2' });
    await onA.client.addGroupMember({ groupId: g1.groupId, userId: q!.userId });
    await onB.client.addGroupMember({ groupId: g2.groupId, userId: p!.userId });
    // Each statement's round trip takes ~10 ms, so the two transactions overlap on every round.
    a.pg.slow(5);
    b.pg.slow(5);
    for (let round = 0; round < 8; round++) {
      await Promise.all([
        onA.client.addGroupMember({ groupId: g1.groupId, userId: p!.userId }),
        onB.client.addGroupMember({ groupId: g2.groupId, userId: q!.userId }),
      ]);
      await Promise.all([
        onA.client.command('DismissMember', { groupId: g1.groupId, userId: p!.userId }),
        onB.client.command('DismissMember', { groupId: g2.groupId, userId: q!.userId }),
      ]);
    }
    expect(a.store.retried.deadlock + b.store.retried.deadlock, 'transactions PostgreSQL aborted as deadlocked').toBe(0);
  });
});

describe('Redis faults', () => {
  it('during a silent cut of one hub from Redis its replies stay fast and the other hub still gets every message within about a second', async () => {
    cluster = await startFaultCluster(['A', 'B']);
    const [a, b] = cluster.hubs as [FaultHub, FaultHub];
    const { laptop, phone } = await aliceOnTwoHubs(a, b);

    a.redis.blackhole(); // A's publishes and subscription go nowhere; nothing is closed
    const { acks, repliedAt } = await sendSeries(laptop, 'cut', 20);
    const delays = await deliveryDelays(phone, 'cut', repliedAt);
    figure('Redis silent cut: ack on the cut hub', acks);
    figure('Redis silent cut: delivery to the other hub after the reply', delays);
    expect(Math.max(...acks), 'no reply waits for Redis').toBeLessThan(1000);
    expect(Math.max(...delays), 'committed outcomes reach the other hub without the next message').toBeLessThan(2500);

    // Redis comes back: the fast path resumes, nothing is delivered twice.
    a.redis.resume();
    const after = await sendSeries(laptop, 'back', 5);
    await deliveryDelays(phone, 'back', after.repliedAt);
    const ids = phone.outcomes.map((o) => o.id);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => ids[0]! + i));
  });

  it('a killed publishing connection loses nothing: the other hub gets the message within about a second', async () => {
    cluster = await startFaultCluster(['A', 'B']);
    const [a, b] = cluster.hubs as [FaultHub, FaultHub];
    const { laptop, phone } = await aliceOnTwoHubs(a, b);
    const admin = new Redis(testRedisUrl);
    try {
      const delays: number[] = [];
      for (let round = 0; round < 3; round++) {
        const clients = (await admin.client('LIST')) as string;
        const line = clients.split('\n').find((l) => l.includes(` name=stage-fanout-pub-${a.fanout.hubId} `));
        expect(line, 'the publishing connection is named after its hub').toBeDefined();
        await admin.client('KILL', 'ID', /^id=(\d+)/.exec(line!)![1]!);
        const { repliedAt } = await sendSeries(laptop, `killed${round}-`, 1);
        delays.push(...(await deliveryDelays(phone, `killed${round}-`, repliedAt)));
      }
      figure('publishing connection killed: delivery to the other hub after the reply', delays);
      expect(Math.max(...delays)).toBeLessThan(2500);
    } finally {
      admin.disconnect();
    }
  });
});

describe('PostgreSQL faults', () => {
  it('a lost COMMIT answer still delivers the committed outcomes to every device on every hub within about a second', async () => {
    let loseNext = false;
    const loseCommitAnswer = (store: PostgresStore): Store =>
      new Proxy(store, {
        get(target, prop) {
          // A command's transaction (CommandRunner uses startTransaction).
          if (prop === 'startTransaction') {
            return (...args: Parameters<Store['startTransaction']>) => {
              const handle = target.startTransaction(...args);
              const committed = handle.committed.then((result) => {
                if (loseNext) {
                  loseNext = false;
                  // What pg reports when the connection dies after the server committed, before its answer arrived.
                  throw new Error('Connection terminated unexpectedly');
                }
                return result;
              });
              return { ordered: handle.ordered, committed };
            };
          }
          const value = Reflect.get(target, prop, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    cluster = await startFaultCluster(['A', 'B'], { wrapStore: (name, store) => (name === 'A' ? loseCommitAnswer(store) : store) });
    const [a, b] = cluster.hubs as [FaultHub, FaultHub];
    const { laptop, phone } = await aliceOnTwoHubs(a, b);

    loseNext = true;
    const sentAt = Date.now();
    const reply = await laptop.client.sendMessage({ stream: 'general', topic: 'plan', content: 'committed' });
    const [onLaptop, onPhone] = await Promise.all([untilMessage(laptop, 'committed', 5000), untilMessage(phone, 'committed', 5000)]);
    figure('lost COMMIT answer: delivery after the send (laptop on the same hub, phone on the other)', [onLaptop - sentAt, onPhone - sentAt]);
    expect(Math.max(onLaptop, onPhone) - sentAt).toBeLessThan(2500);
    const stored = await cluster.sql<{ id: string }>("SELECT id FROM messages WHERE content = 'committed'");
    expect(stored).toEqual([{ id: reply.message.messageId }]);
  });

  it('during a silent cut of one hub from PostgreSQL every command is answered within the deadline, and the hub recovers', async () => {
    const deadlineMs = 2000;
    cluster = await startFaultCluster(['A'], { hub: { commandDeadlineMs: deadlineMs } });
    const [a] = cluster.hubs as [FaultHub];
    const bob = await registerUser(a.url, 'bob');
    const client = new TestClient({ baseUrl: a.url, token: bob.token, deviceId: 'bob-desk' });
    await client.connect();
    const { group } = await client.ok('CreateGroup', { name: 'team' });
    await client.ok('CreateStream', { stream: 'general', groups: [group.groupId] });

    a.pg.blackhole();
    const acks: number[] = [];
    const codes: string[] = [];
    for (const [type, args] of [
      ['SendMessage', { stream: 'general', topic: 'plan', content: 'into the void' }],
      ['GetGroups', {}],
      ['SendMessage', { stream: 'general', topic: 'plan', content: 'again' }],
    ] as const) {
      const t0 = performance.now();
      const reply = await client.send(type as 'SendMessage', args as { stream: string; topic: string; content: string });
      acks.push(performance.now() - t0);
      codes.push(reply.ok ? 'ok' : reply.error.code);
    }
    figure(`PostgreSQL silent cut: answer time (deadline ${deadlineMs} ms)`, acks);
    expect(codes.every((c) => c === 'timeout' || c === 'unavailable'), codes.join()).toBe(true);
    expect(Math.max(...acks)).toBeLessThan(deadlineMs + 1000);
    await expect(a.store.ping(500)).rejects.toThrow();

    a.pg.resume();
    a.pg.cut(); // the connections the hub gave up on are gone; fresh ones work
    await a.store.ping(2000);
    expect((await client.send('SendMessage', { stream: 'general', topic: 'plan', content: 'recovered' })).ok).toBe(true);
    const stored = await cluster.sql<{ content: string }>('SELECT content FROM messages ORDER BY seq');
    expect(stored.map((m) => m.content)).toEqual(['recovered']);
    await client.close();
  });
});

describe('silent cut between a device and its hub', () => {
  it('with the default limits and reconnect settings, the device is online on the other hub within 15 s and its command runs once', async () => {
    cluster = await startFaultCluster(['A', 'B'], { hub: { limits: {} } });
    const [a, b] = cluster.hubs as [FaultHub, FaultHub];
    const front = await cluster.front(a);
    const base = `http://127.0.0.1:${front.port}`;
    const alice = await register(base, { username: 'alice', password: 'password-alice' });
    // The SDK's defaults: the hub's announced liveness limits and the client's own reconnect backoff.
    const client = await ImClient.open({ url: base, deviceId: 'alice-laptop', token: alice.token, WebSocket: WebSocket as never, autoSync: false });
    client.connect();
    await client.whenConnection((s) => s === 'online');
    const { group } = await client.createGroup({ name: 'team' });
    await client.createStream({ stream: 'general', groups: [group.groupId] });

    // Packets between the device and hub A vanish (no FIN, no RST); the balancer sends new connections to B.
    front.silenceCurrent();
    front.retarget(b.port);
    const cutAt = performance.now();
    const sent = client.sendMessage({ stream: 'general', topic: 'plan', content: 'after the cut' });
    await client.whenConnection((s) => s === 'reconnecting');
    await client.whenConnection((s) => s === 'online');
    const failover = performance.now() - cutAt;
    const reply = await sent;
    const answered = performance.now() - cutAt;
    figure('device ↔ hub silent cut: back online on the other hub', [failover]);
    figure('device ↔ hub silent cut: command sent at the cut answered', [answered]);
    expect(failover).toBeLessThan(15_000);
    expect(answered).toBeLessThan(15_000);
    const stored = await cluster.sql<{ id: string }>("SELECT id FROM messages WHERE content = 'after the cut'");
    expect(stored).toEqual([{ id: reply.message.messageId }]);
    await client.close();
  }, 30_000);
});

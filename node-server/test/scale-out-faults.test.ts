// Two hubs on PostgreSQL + Redis under partial failures (issues #18, #20), against the real services: each hub
// reaches PostgreSQL and Redis through a TCP proxy the test controls (slow, blackhole = stop forwarding without
// closing, cut), devices through a proxy that can move them to the other hub.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { register } from '@stage/sdk/im';
import { requireService } from './scaleOutServices.js';
import { openDevice, startFaultCluster, type Device, type FaultCluster } from './support/faultCluster.js';

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

// Several hubs on PostgreSQL + Redis (real processes, real services): a user's devices connected to different
// hubs get every outcome, in order, exactly once; when a hub is killed its devices reconnect through the load
// balancer to another hub, their sealed sessions are recalled there from the clients' logs (keys derive from the
// shared secret), and nothing is lost. Needs STAGE_TEST_DATABASE_URL / STAGE_TEST_REDIS_URL (defaults: local).
import { firstValueFrom, filter, take, timeout } from 'rxjs';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImClient, register, type Outcome } from '@stage/sdk/im';
import { requireService } from './scaleOutServices.js';
import { startCluster, type Cluster, type ClusterHub } from './scaleOutCluster.js';

/** One device: the SDK's own client, plus every outcome it processed (after its dedupe), in order. */
interface Device {
  name: string;
  client: ImClient;
  outcomes: Array<{ id: number; outcome: Outcome }>;
}

async function device(name: string, url: string, token: string): Promise<Device> {
  const client = await ImClient.open({
    url,
    deviceId: name,
    token,
    WebSocket: WebSocket as never,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    autoSync: false,
  });
  const d: Device = { name, client, outcomes: [] };
  client.outcomes$.subscribe(({ outcomeId, outcome }) => d.outcomes.push({ id: outcomeId, outcome }));
  client.connect();
  await client.whenConnection((s) => s === 'online');
  return d;
}

/** Resolves when the device processed outcome `id` (or throws after `ms`). */
async function until(d: Device, id: number, ms = 30_000): Promise<void> {
  if (d.outcomes.at(-1)?.id !== undefined && d.outcomes.at(-1)!.id >= id) return;
  await firstValueFrom(d.client.outcomes$.pipe(filter((o) => o.outcomeId >= id), take(1), timeout(ms))).catch(() => {
    throw new Error(`${d.name} reached outcome ${d.outcomes.at(-1)?.id ?? 0}, expected ${id}`);
  });
}

/** Resolves when the device holds `count` message contents (or throws after `ms`). */
async function untilContents(d: Device, count: number, ms = 30_000): Promise<void> {
  if (contents(d).length >= count) return;
  await firstValueFrom(d.client.outcomes$.pipe(filter(() => contents(d).length >= count), take(1), timeout(ms))).catch(() => {
    throw new Error(`${d.name} holds ${contents(d).length} messages, expected ${count}`);
  });
}

/** Ids 1..n exactly once, in order: what "every outcome, in order, exactly once" means on the wire. */
function expectGapFree(d: Device, from = 1): void {
  const ids = d.outcomes.map((o) => o.id);
  expect(ids, `${d.name}'s outcome ids`).toEqual(Array.from({ length: ids.length }, (_, i) => from + i));
}

const contents = (d: Device) =>
  d.outcomes.flatMap((o) => (o.outcome.type === 'NewMessage' ? [(o.outcome as Extract<Outcome, { type: 'NewMessage' }>).message.content] : []));

let cluster: Cluster;
let hubA: ClusterHub;
let hubB: ClusterHub;
const devices: Device[] = [];

beforeAll(async () => {
  await requireService('postgres');
  await requireService('redis');
  cluster = await startCluster();
  // Both at once: the migrations must cope with hubs starting together.
  [hubA, hubB] = await Promise.all([cluster.startHub('A'), cluster.startHub('B')]);
});

afterAll(async () => {
  for (const d of devices) await d.client.close().catch(() => undefined);
  await cluster?.stop();
});

describe('several hubs on PostgreSQL and Redis', () => {
  it('hubs report the shared store and fan-out', async () => {
    for (const hub of [hubA, hubB]) {
      const health = (await (await fetch(`${hub.url}/healthz`)).json()) as { store: string; fanout: string };
      expect(health).toMatchObject({ store: 'postgres', fanout: 'redis' });
    }
  });

  it('a user’s devices on different hubs get every outcome in order exactly once; a hub killed loses nothing', async () => {
    const viaA = await cluster.balancer([hubA, hubB]); // clients land on A while it lives
    const viaB = await cluster.balancer([hubB, hubA]);
    const alice = await register(viaA, { username: 'alice', password: 'password-alice' });
    const bob = await register(viaB, { username: 'bob', password: 'password-bob' });

    const laptop = await device('alice-laptop', viaA, alice.token); // on hub A
    const phone = await device('alice-phone', viaB, alice.token); // on hub B
    const bobDesk = await device('bob-desk', viaB, bob.token); // on hub B
    devices.push(laptop, phone, bobDesk);

    const { group } = await laptop.client.createGroup({ name: 'team' });
    await laptop.client.addGroupMember({ groupId: group.groupId, userId: bob.userId });
    await laptop.client.createStream({ stream: 'general', groups: [group.groupId] });

    // Both users post at once from different hubs.
    const N = 60;
    await Promise.all([
      Promise.all(Array.from({ length: N }, (_, i) => laptop.client.sendMessage({ stream: 'general', topic: 'plan', content: `a${i}` }))),
      Promise.all(Array.from({ length: N }, (_, i) => bobDesk.client.sendMessage({ stream: 'general', topic: 'plan', content: `b${i}` }))),
    ]);
    // Alice's log: NewGroup, NewMember, StreamCreated (or similar), then 2N NewMessage. Both her devices, on two
    // hubs, end with the same gap-free ids and the same contents in the same order.
    // The replies came back, but the other hub's pushes may still be on their way over Redis: wait until the
    // laptop holds all 2N messages before taking its last id as the one both devices must reach.
    await untilContents(laptop, 2 * N);
    const aliceLast = laptop.outcomes.at(-1)!.id;
    await until(phone, aliceLast);
    await until(laptop, aliceLast);
    expectGapFree(laptop);
    expectGapFree(phone);
    expect(phone.outcomes.map((o) => o.id)).toEqual(laptop.outcomes.map((o) => o.id));
    expect(contents(phone)).toEqual(contents(laptop));
    expect(contents(laptop).sort()).toEqual([...Array.from({ length: N }, (_, i) => `a${i}`), ...Array.from({ length: N }, (_, i) => `b${i}`)].sort());
    expect(contents(bobDesk).length).toBeLessThanOrEqual(2 * N);

    // Per-device session state that lives only in hub memory: the laptop marks the topic read on hub A.
    const lastSeq = (await laptop.client.getHistory({ stream: 'general', topic: 'plan', limit: 1 })).messages[0]!.seq;
    await laptop.client.command('MarkRead', { stream: 'general', topic: 'plan', upTo: lastSeq });
    const stateOnA = await laptop.client.command('GetSessionState', {});
    expect(stateOnA.cursors).toEqual([expect.objectContaining({ stream: 'general', topic: 'plan', upTo: lastSeq })]);
    const recallsBefore = laptop.client.logInfo?.recalls ?? 0;

    // Kill hub A while the laptop has commands in flight. The balancer now sends it to hub B.
    const inFlight = Array.from({ length: 20 }, (_, i) => laptop.client.sendMessage({ stream: 'general', topic: 'plan', content: `c${i}` }));
    await hubA.kill();
    const replies = await Promise.all(inFlight);
    expect(new Set(replies.map((r) => r.message.messageId)).size).toBe(20);
    expect(laptop.client.connection.state).toBe('online');

    // B never held the laptop's session: it recalled it from the laptop's sealed log, so the cursor survived.
    const stateOnB = await laptop.client.command('GetSessionState', {});
    expect(stateOnB.cursors).toEqual(stateOnA.cursors);
    expect(laptop.client.logInfo!.recalls).toBeGreaterThan(recallsBefore);

    // Nothing lost, nothing twice: every message once in history, every device has every outcome once, in order.
    const history = await bobDesk.client.getHistory({ stream: 'general', topic: 'plan', limit: 200 });
    const all = history.messages.map((m) => m.content);
    expect(all).toHaveLength(2 * N + 20);
    expect(new Set(all).size).toBe(all.length);
    const finalLast = Math.max(laptop.outcomes.at(-1)!.id, phone.outcomes.at(-1)!.id);
    await until(laptop, finalLast);
    await until(phone, finalLast);
    expectGapFree(laptop);
    expectGapFree(phone);
    expect(contents(phone)).toEqual(contents(laptop));
    expect(contents(laptop).filter((c) => c.startsWith('c'))).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`));
    const bobMessages = contents(bobDesk);
    await until(bobDesk, bobDesk.outcomes.at(-1)!.id);
    expect(new Set(bobMessages).size).toBe(bobMessages.length);
  });
});

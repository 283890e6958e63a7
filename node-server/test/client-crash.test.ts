// The SDK's ImClient through hub crashes: three devices (alice on two, bob on one) with file-backed storage issue
// 300 commands while the hub process is SIGKILLed twice and restarted on the same data dir. Every command must be
// answered and applied exactly once, every device must see every outcome of its user exactly once and in order,
// each device's session state (mutes — rebuilt only by recall) must be its user's state: what the user's devices
// asked for, in the order the hub applied it (read state is the user's and synced into every device's session),
// and the recalls must show in the clients' sealed-log info.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ImClient, register, topicKey, type Outcome } from '@stage/sdk/im';
import { fileImStorage } from '@stage/sdk/node';
import { spawnHub, type HubProcess } from './support/hubProcess.js';
import { seededRandom } from './support/seededRandom.js';

const PER_DEVICE = 100;
const CRASH_AT = [90, 200];
const limits = { commandsPerSecond: 100_000, commandBurst: 100_000, retransmitAfterMs: 2_000 };
const TOPICS = ['t1', 't2', 't3'] as const;

const dirs: string[] = [];
let hub: HubProcess | undefined;
afterAll(async () => {
  await hub?.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

describe('ImClient through hub crashes', () => {
  it('applies every command once and delivers every outcome once, in order, across two SIGKILLs', async () => {
    const dataDir = tempDir('stage-client-crash-hub-');
    const secret = randomBytes(32).toString('hex');
    hub = await spawnHub({ dataDir, secret, limits });
    const port = hub.port;
    const url = hub.url;
    const alice = await register(url, { username: 'alice', password: 'password123' });
    const bob = await register(url, { username: 'bob', password: 'password123' });

    const open = async (token: string, deviceId: string) => {
      const im = await ImClient.open({
        url,
        deviceId,
        token,
        WebSocket,
        storage: await fileImStorage({ dir: tempDir(`stage-client-crash-${deviceId}-`), durability: 'relaxed' }),
        reconnect: { initialDelayMs: 20, maxDelayMs: 250 },
        autoSync: false,
      });
      im.connect();
      await im.whenConnection((s) => s === 'online');
      return im;
    };
    const devices = {
      'alice-1': await open(alice.token, 'alice-1'),
      'alice-2': await open(alice.token, 'alice-2'),
      'bob-1': await open(bob.token, 'bob-1'),
    };
    const received = new Map<string, Array<{ id: number; outcome: Outcome }>>();
    for (const [name, im] of Object.entries(devices)) {
      const list: Array<{ id: number; outcome: Outcome }> = [];
      received.set(name, list);
      im.outcomes$.subscribe(({ outcomeId, outcome }) => list.push({ id: outcomeId, outcome }));
    }

    const setup = devices['alice-1'];
    const { group } = await setup.createGroup({ name: 'team' });
    await setup.addGroupMember({ groupId: group.groupId, userId: bob.userId });
    await setup.createStream({ stream: 'main', groups: [group.groupId] });

    let done = 0;
    let restarts = 0;
    let crashing: Promise<void> = Promise.resolve();
    const crashes = [...CRASH_AT];
    const progress = () => {
      done++;
      if (crashes.length > 0 && done >= crashes[0]!) {
        crashes.shift();
        crashing = crashing.then(async () => {
          await hub!.kill('SIGKILL');
          hub = await spawnHub({ dataDir, secret, limits, port });
          restarts++;
        });
      }
    };

    const sentContents: string[] = [];
    const expectedMutes = new Map<string, Set<string>>();
    const script = async (name: keyof typeof devices, seed: number) => {
      const im = devices[name];
      const random = seededRandom(seed);
      const mutes = new Set<string>();
      expectedMutes.set(name, mutes);
      for (let i = 0; i < PER_DEVICE; i++) {
        const topic = TOPICS[Math.floor(random() * TOPICS.length)]!;
        const roll = random();
        if (roll < 0.7) {
          const content = `${name}-${i}`;
          sentContents.push(content);
          const { message } = await im.sendMessage({ stream: 'main', topic, content });
          expect(message.content).toBe(content);
        } else if (roll < 0.85) {
          await im.muteTopic({ stream: 'main', topic });
          mutes.add(topic);
        } else {
          await im.unmuteTopic({ stream: 'main', topic });
          mutes.delete(topic);
        }
        progress();
      }
    };
    await Promise.all([script('alice-1', 11), script('alice-2', 22), script('bob-1', 33)]);
    await crashing;
    expect(restarts).toBe(2);

    // Exactly once: every content in the hub's history once.
    const reader = devices['bob-1'];
    const history: string[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await reader.getHistory({ stream: 'main', limit: 200, ...(before !== undefined ? { before } : {}) });
      history.unshift(...page.messages.map((m) => m.content));
      if (!page.hasMore) break;
      before = page.messages[0]!.seq;
    }
    expect(history.length).toBe(sentContents.length);
    expect([...history].sort()).toEqual([...sentContents].sort());

    // Every outcome once and in order on every device: ids 1..n without gaps or repeats, n = the user's latest.
    const newMessages = (name: string) => received.get(name)!.filter((r) => r.outcome.type === 'NewMessage').length;
    await waitFor(() => [...received.keys()].every((name) => newMessages(name) >= sentContents.length));
    const aliceLatest = received.get('alice-1')!.length;
    expect(received.get('alice-2')!.length).toBe(aliceLatest);
    for (const [name, list] of received) {
      expect(list.map((r) => r.id), name).toEqual(list.map((_, i) => i + 1));
      const messages = list.filter((r) => r.outcome.type === 'NewMessage').length;
      expect(messages, name).toBe(sentContents.length);
    }

    // Session state rebuilt by recall equals the user's mutes: the last TopicMuteChanged per topic in the order the
    // hub applied them (every device of a user receives the same outcomes, checked in order above). A device folds
    // its other devices' changes into its own sealed session with SyncReadState, so that part may still be in flight.
    const userMutes = (name: string) => {
      const muted = new Set<string>();
      for (const { outcome } of received.get(name)!) {
        if (outcome.type !== 'TopicMuteChanged') continue;
        if (outcome.muted) muted.add(outcome.topic);
        else muted.delete(outcome.topic);
      }
      return [...muted].sort();
    };
    expect(userMutes('alice-1')).toEqual(userMutes('alice-2'));
    expect(userMutes('bob-1')).toEqual([...expectedMutes.get('bob-1')!].sort());
    for (const [name, im] of Object.entries(devices)) {
      const expected = userMutes(name);
      expect([...im.state.muted].sort(), name).toEqual(expected.map((topic) => topicKey('main', topic)));
      let sessionMutes: string[] = [];
      await waitForAsync(async () => {
        sessionMutes = (await im.getSessionState()).muted.map((m) => m.topic).sort();
        return sessionMutes.join() === expected.join();
      });
      expect(sessionMutes, name).toEqual(expected);
      expect(await im.verifyLog(), name).toMatchObject({ ok: true });
    }
    const recalls = Object.values(devices).reduce((sum, im) => sum + (im.logInfo?.recalls ?? 0), 0);
    expect(recalls).toBeGreaterThanOrEqual(3); // each device recalled at least once after the crashes
    console.log(`client crash test: ${sentContents.length} messages, ${3 * PER_DEVICE} commands, ${restarts} SIGKILLs, ${recalls} recalls, alice outcomes ${aliceLatest}`);
    await Promise.all(Object.values(devices).map((im) => im.close()));
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function waitForAsync(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// ImClient and sealed checkpoints, against the in-memory hub (FakeHub with checkpointEvery): the client asks for
// them, keeps them and drops its older entries, answers a recall with the checkpoint and the tail only; it refuses
// (and reports) a checkpoint that does not verify, and skips one past a command still unanswered.
import { afterEach, describe, expect, it } from 'vitest';
import { sealCheckpoint } from '../seal/SealedCheckpoint.js';
import { jsSealing } from '../seal/jsSealing.js';
import { FakeHub, defaultExecute } from '../testing/FakeHub.js';
import { ImClient } from './client/ImClient.js';
import { memoryStorage, type ImClientStorage } from './client/ImClientStorage.js';
import type { ChainFrame, Command } from './index.js';

const every = 8;
const clients: ImClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function openClient(hub: FakeHub, storage: ImClientStorage): Promise<ImClient> {
  const client = await ImClient.open({ url: 'http://hub.test', deviceId: 'laptop', token: 'tok', WebSocket: hub.WebSocket, autoSync: false, storage, reconnect: { initialDelayMs: 1, maxDelayMs: 5, jitter: 0 } });
  clients.push(client);
  client.connect();
  await client.whenConnection((s) => s === 'online');
  return client;
}

async function logOf(client: ImClient, storage: ImClientStorage) {
  const log = await storage.openLog(client.logInfo!.sessionId);
  return { log, entries: await log.read(0, 10_000), checkpoint: await log.checkpoint!() };
}

describe('ImClient with sealed checkpoints', () => {
  it('keeps the hub checkpoints, bounds its log, and answers a recall with the checkpoint and the tail', async () => {
    const hub = new FakeHub({ checkpointEvery: every });
    const storage = memoryStorage();
    const client = await openClient(hub, storage);
    expect(hub.received.find((f) => f.kind === 'hello')).toMatchObject({ checkpoints: true });
    for (let n = 0; n < 29; n++) await client.markRead({ stream: 's', topic: `t${n % 5}`, upTo: n });
    await client.muteTopic({ stream: 's', topic: 'quiet' });
    expect(hub.checkpointsSent.map((f) => f.checkpoint.seq)).toEqual([8, 16, 24]);
    const { entries, checkpoint } = await logOf(client, storage);
    expect(checkpoint?.seq).toBe(24);
    expect(entries.map((e) => e.seq)).toEqual([24, 25, 26, 27, 28, 29]);
    expect(client.logInfo?.length).toBe(30);
    expect(await client.verifyLog()).toEqual({ ok: true, length: 6 });
    const live = hub.sessionState(client.logInfo!.sessionId);

    hub.restart({ keepSockets: true });
    await client.getGroups();
    expect(hub.recallsServed).toBe(1);
    const chain = hub.received.filter((f): f is ChainFrame => f.kind === 'chain');
    expect(chain[0]?.checkpoint?.seq).toBe(24);
    expect(chain.flatMap((f) => f.entries.map((e) => e.seq))).toEqual([24, 25, 26, 27, 28, 29]);
    expect(hub.sessionState(client.logInfo!.sessionId)).toEqual(live);
  });

  it('refuses a checkpoint that does not verify and keeps every entry; reports it on failures$', async () => {
    const hub = new FakeHub({ checkpointEvery: 1000 });
    const storage = memoryStorage();
    const client = await openClient(hub, storage);
    for (let n = 0; n < 5; n++) await client.markRead({ stream: 's', topic: 't', upTo: n });
    const sessionId = client.logInfo!.sessionId;
    const honest = hub.handler.checkpoint(sessionId)!;
    const failures: string[] = [];
    client.failures$.subscribe((e) => failures.push(e.code));
    // A forged state; a checkpoint sealed with another key; one bound to a seal that is not this chain's.
    const forged = [
      { ...honest, state: { cursors: [['s', 't', 99]], muted: [] } },
      sealCheckpoint(jsSealing, new Uint8Array(32).fill(9), honest.seq, honest.prevSeal, honest.state),
      sealCheckpoint(jsSealing, hub.handler.keyOf(sessionId), honest.seq, 'ab'.repeat(32), honest.state),
    ];
    for (const checkpoint of forged) hub.sendToDevices({ kind: 'checkpoint', sessionId, checkpoint });
    await client.getGroups(); // frames are handled one after the other: the checkpoints were, before this reply
    expect(failures).toEqual(['broken_chain', 'broken_chain', 'broken_chain']);
    const { entries, checkpoint } = await logOf(client, storage);
    expect(checkpoint).toBeUndefined();
    expect(entries).toHaveLength(6);
    // The honest one is kept.
    const kept = hub.handler.checkpoint(sessionId)!;
    hub.sendToDevices({ kind: 'checkpoint', sessionId, checkpoint: kept });
    await client.getGroups();
    const after = await logOf(client, storage);
    expect(after.checkpoint).toEqual(kept);
    expect(after.entries.map((e) => e.seq)).toEqual([kept.seq]); // only the GetGroups sealed after it
  });

  it('connects to a hub from before checkpoints (which refuses the hello field) by leaving the field out', async () => {
    const hub = new FakeHub();
    // As an older hub: its strict hello schema refuses the unknown field and closes 1007, naming it.
    const receive = hub.receive.bind(hub);
    hub.receive = async (socket, text) => {
      const frame = JSON.parse(text) as { kind?: string; checkpoints?: unknown };
      if (frame.kind === 'hello' && 'checkpoints' in frame) return socket.closeFromHub(1007, 'frame: Unrecognized key: "checkpoints"');
      return receive(socket, text);
    };
    const storage = memoryStorage();
    const client = await openClient(hub, storage);
    await client.sendMessage({ stream: 's', topic: 't', content: 'hello, old hub' });
    const hellos = hub.received.filter((f) => f.kind === 'hello');
    expect(hellos).toHaveLength(1);
    expect(hellos[0]).not.toHaveProperty('checkpoints');
  });

  it('skips a checkpoint past a command still unanswered, so its resend is the same sealed entry', async () => {
    let sent = 0;
    const hub = new FakeHub({
      checkpointEvery: 1000,
      execute: (command: Command, h: FakeHub) => {
        // Before this command's reply: a checkpoint at the entry after it (the command is sealed but unanswered).
        if (command.type === 'MuteTopic') {
          const sessionId = [...h.sockets][0]!.sessionId!;
          h.sendToDevices({ kind: 'checkpoint', sessionId, checkpoint: h.handler.checkpoint(sessionId)! });
          sent++;
        }
        return defaultExecute(command, h);
      },
    });
    const storage = memoryStorage();
    const client = await openClient(hub, storage);
    for (let n = 0; n < 3; n++) await client.markRead({ stream: 's', topic: 't', upTo: n });
    await client.muteTopic({ stream: 's', topic: 'quiet' });
    await client.getGroups();
    expect(sent).toBe(1);
    const { entries, checkpoint } = await logOf(client, storage);
    expect(checkpoint).toBeUndefined();
    expect(entries).toHaveLength(5);
  });
});

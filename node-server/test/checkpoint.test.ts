// Sealed checkpoints end to end (PROTOCOL.md §5 "Checkpoints"): the SDK's ImClient on a compacting storage sends
// more than limits.checkpointEvery commands to a real hub, receives checkpoints and keeps its log bounded; after a
// hub restart the recall uploads the checkpoint and only the tail, and the rebuilt session state is right. A client
// that did not ask for checkpoints (hello without `checkpoints`) never gets a checkpoint frame.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, filter } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ImClient, memoryStorage, register, type Command, type SessionToken, type WebSocketConstructor } from '@stage/sdk/im';
import type { SealedLogStore } from '@stage/sdk';
import { fileImStorage } from '@stage/sdk/node';
import { startTestHub } from './support/startTestHub.js';
import { TestClient } from './support/TestClient.js';

type Hub = Awaited<ReturnType<typeof startTestHub>>;
const hubs: Hub[] = [];
const clients: ImClient[] = [];
const testClients: TestClient[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(testClients.splice(0).map((c) => c.close()));
  for (const hub of hubs.splice(0).reverse()) await hub.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const every = 16;
const limits = { commandsPerSecond: 10_000, commandBurst: 10_000, checkpointEvery: every };

/** Every text frame the client sent and received, parsed. */
function spyingWebSocket(sent: Array<Record<string, unknown>>, received: Array<Record<string, unknown>>): WebSocketConstructor {
  return class SpyWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.on('message', (data) => received.push(JSON.parse(String(data)) as Record<string, unknown>));
    }
    override send(data: unknown, ...rest: unknown[]): void {
      if (typeof data === 'string') sent.push(JSON.parse(data) as Record<string, unknown>);
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  };
}

describe('sealed checkpoints against the hub', () => {
  it.each(['memory', 'file'] as const)('bound the device log (%s storage) and the recall after a hub restart, and the recalled state is right', async (kind) => {
    const dir = mkdtempSync(join(tmpdir(), 'stage-checkpoint-hub-'));
    dirs.push(dir);
    const clientDir = mkdtempSync(join(tmpdir(), 'stage-checkpoint-client-'));
    dirs.push(clientDir);
    let hub = await startTestHub({ dataDir: dir, limits });
    const port = hub.port;
    const token: SessionToken = await register(hub.url, { username: 'cara', password: 'password123' });
    const storage = kind === 'memory' ? memoryStorage() : await fileImStorage({ dir: clientDir });
    const sent: Array<Record<string, unknown>> = [];
    const received: Array<Record<string, unknown>> = [];
    const cara = await ImClient.open({ url: hub.url, deviceId: 'cara-1', token: token.token, WebSocket: spyingWebSocket(sent, received), storage, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
    clients.push(cara);
    cara.connect();
    await cara.whenConnection((s) => s === 'online');
    expect(sent.find((f) => f.kind === 'hello')).toMatchObject({ checkpoints: true });

    const { group } = await cara.createGroup({ name: 'g' });
    await cara.createStream({ stream: 's', groups: [group.groupId] });
    // Session updates spread over topics (the state the checkpoint must carry), then plain commands.
    for (let n = 0; n < 20; n++) await cara.markRead({ stream: 's', topic: `t${n % 7}`, upTo: n + 1 });
    await cara.muteTopic({ stream: 's', topic: 'quiet' });
    for (let n = 0; n < 40; n++) await cara.sendMessage({ stream: 's', topic: 'chat', content: `m${n}` });
    const sessionId = cara.logInfo!.sessionId;
    const length = cara.logInfo!.length;
    expect(length).toBeGreaterThan(3 * every);

    const checkpoints = received.filter((f) => f.kind === 'checkpoint');
    expect(checkpoints.length).toBeGreaterThanOrEqual(3);
    // What the storage holds, read through a store of its own (closed again: one writer per file).
    const inspect = async () => {
      const log: SealedLogStore<Command> = await storage.openLog(sessionId);
      const held = { checkpoint: await log.checkpoint!(), entries: await log.read(0, 10_000), length: await log.length() };
      if (kind === 'file') await log.close();
      return held;
    };
    const { checkpoint: kept, entries, length: stored } = await inspect();
    expect(kept!.seq % every).toBe(0);
    expect(kept!.seq).toBeGreaterThan(length - 2 * every);
    expect(entries[0]!.seq).toBe(kept!.seq);
    // Bounded: fewer entries than the checkpoint interval and the commands that came after it.
    expect(entries.length).toBeLessThan(every + 2);
    expect(stored).toBe(length);
    expect(await cara.verifyLog()).toMatchObject({ ok: true, length: entries.length });

    await hub.close();
    await firstValueFrom(cara.connectionState$.pipe(filter((s) => s === 'reconnecting')));
    hub = await startTestHub({ dataDir: dir, port, limits });
    hubs.push(hub);
    await cara.whenConnection((s) => s === 'online');
    const before = sent.length;

    const state = await cara.getSessionState();
    expect(state.muted).toEqual([{ stream: 's', topic: 'quiet' }]);
    expect(state.cursors).toEqual(
      Array.from({ length: 7 }, (_, t) => ({ stream: 's', topic: `t${t}`, upTo: Math.max(...Array.from({ length: 20 }, (_, n) => n).filter((n) => n % 7 === t)) + 1 })),
    );
    expect(cara.logInfo).toMatchObject({ sessionId, recalls: 1 });
    // The recall's answer: the checkpoint with the first page, and only the entries after it.
    const chain = sent.slice(before - 10).filter((f) => f.kind === 'chain');
    expect(chain.length).toBeGreaterThan(0);
    expect(chain[0]!.checkpoint).toMatchObject({ seq: kept!.seq, seal: kept!.seal });
    const uploaded = chain.flatMap((f) => f.entries as Array<{ seq: number }>);
    expect(uploaded.length).toBeLessThan(every + 2);
    expect(uploaded[0]?.seq ?? kept!.seq).toBe(kept!.seq);

    // The chain goes on from the recalled state: more commands, more checkpoints, still bounded.
    for (let n = 40; n < 40 + 2 * every; n++) await cara.sendMessage({ stream: 's', topic: 'chat', content: `m${n}` });
    const later = await inspect();
    expect(later.checkpoint!.seq).toBeGreaterThan(kept!.seq);
    expect(later.entries.length).toBeLessThan(every + 2);
    expect(await cara.verifyLog()).toMatchObject({ ok: true });
  });

  it('are never sent to a client that did not ask for them (an older client)', async () => {
    const hub = await startTestHub({ limits });
    hubs.push(hub);
    const token = await register(hub.url, { username: 'otto', password: 'password123' });
    const otto = new TestClient({ baseUrl: hub.url, token: token.token, deviceId: 'old' });
    testClients.push(otto);
    await otto.connect();
    for (let n = 0; n < 2 * every + 1; n++) await otto.ok('GetGroups', {});
    expect(otto.frames.filter((f) => f.kind === 'checkpoint')).toEqual([]);
    expect(otto.closes).toEqual([]);
  });
});

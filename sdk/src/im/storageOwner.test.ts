// Client storage belongs to one user: a client over it never sends that user's queued commands under another
// user's token, and signing out sends or drops the unsent commands, then wipes the user's data.
import { firstValueFrom, filter } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ImClient, type ImClientConfig } from './client/ImClient.js';
import { memoryStorage, type ImClientStorage } from './client/ImClientStorage.js';
import { ImError, type Command } from './index.js';
import { FakeHub } from '../testing/FakeHub.js';

const clients: ImClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function openClient(hub: FakeHub, storage: ImClientStorage, config: Partial<ImClientConfig> = {}): Promise<ImClient> {
  const client = await ImClient.open({
    url: 'http://hub.test',
    deviceId: 'shared-browser',
    token: 'tok',
    WebSocket: hub.WebSocket,
    autoSync: false,
    reconnect: { initialDelayMs: 1, maxDelayMs: 5, jitter: 0 },
    storage,
    ...config,
  });
  clients.push(client);
  return client;
}

const contents = (commands: readonly Command[]) => commands.flatMap((c) => (c.type === 'SendMessage' ? [c.content] : []));

/** Alice is welcomed once, then queues `drafts` offline and closes: her outbox holds them. */
async function aliceLeavesDrafts(storage: ImClientStorage, drafts: string[]): Promise<void> {
  const hub = new FakeHub({ userId: 'alice-id', username: 'alice' });
  const alice = await openClient(hub, storage);
  alice.connect();
  await alice.whenConnection((s) => s === 'online');
  alice.disconnect();
  for (const content of drafts) void alice.sendMessage({ stream: 's', topic: 't', content }).catch(() => undefined);
  await firstValueFrom(alice.pending$.pipe(filter((p) => p.length === drafts.length)));
  await alice.close();
}

describe('ImClient storage belongs to one user', () => {
  it("never sends one user's offline drafts under the next user's token", async () => {
    const storage = memoryStorage(); // not keyed: the device record says whose it is
    await aliceLeavesDrafts(storage, ['alice draft 1', 'alice draft 2']);

    const bobsHub = new FakeHub({ userId: 'bob-id', username: 'bob' });
    const bob = await openClient(bobsHub, storage, { token: 'bob-token' });
    const failure = firstValueFrom(bob.failures$);
    bob.connect();
    const stopped = await firstValueFrom(bob.connection$.pipe(filter((c) => c.stoppedBy !== undefined)));
    expect(stopped.stoppedBy).toBe(4001);
    expect((await failure).message).toMatch(/belongs to user alice-id.*nothing was sent/);
    expect(bobsHub.executed).toEqual([]);
    expect(bobsHub.received.filter((f) => f.kind === 'command')).toEqual([]);
    expect(contents(bob.unsent.map((p) => p.command))).toEqual(['alice draft 1', 'alice draft 2']);
  });

  it("refuses to open over another user's stored data when told who signed in", async () => {
    const storage = memoryStorage();
    await aliceLeavesDrafts(storage, ['alice draft']);
    await expect(openClient(new FakeHub({ userId: 'bob-id' }), storage, { userId: 'bob-id' })).rejects.toThrow(/holds the data of user alice-id/);
    await expect(openClient(new FakeHub({ userId: 'bob-id' }), memoryStorage('alice-id'), { userId: 'bob-id' })).rejects.toBeInstanceOf(ImError);
  });

  it('signOut discarding unsent commands returns them and leaves the storage empty', async () => {
    const storage = memoryStorage('alice-id');
    await aliceLeavesDrafts(storage, ['never mind']);
    const alice = await openClient(new FakeHub({ userId: 'alice-id' }), storage);
    const discarded = await alice.signOut({ unsent: 'discard', revokeToken: false });
    expect(contents(discarded.map((p) => p.command))).toEqual(['never mind']);
    expect(await storage.outbox.load()).toEqual([]);
    expect(await storage.device.load()).toEqual([]);

    // The next sign-in on this storage starts from nothing: no session to resume, nothing to send.
    const hub = new FakeHub({ userId: 'alice-id' });
    const again = await openClient(hub, storage);
    expect(again.unsent).toEqual([]);
    again.connect();
    await again.whenConnection((s) => s === 'online');
    expect(hub.received.find((f) => f.kind === 'hello')).not.toHaveProperty('sessionId');
  });

  it('signOut sending unsent commands waits until the hub answered them, then wipes', async () => {
    const storage = memoryStorage('alice-id');
    await aliceLeavesDrafts(storage, ['send me first', 'and me']);
    const hub = new FakeHub({ userId: 'alice-id' });
    const alice = await openClient(hub, storage);
    const signedOut = alice.signOut({ unsent: 'send', revokeToken: false });
    alice.connect();
    expect(await signedOut).toEqual([]);
    expect(contents(hub.executed)).toEqual(['send me first', 'and me']);
    expect(await storage.outbox.load()).toEqual([]);
    expect(await storage.device.load()).toEqual([]);
  });

  it('signOut sending, when aborted, wipes nothing', async () => {
    const storage = memoryStorage('alice-id');
    await aliceLeavesDrafts(storage, ['still here']);
    const alice = await openClient(new FakeHub({ userId: 'alice-id' }), storage);
    const abort = new AbortController();
    const signedOut = alice.signOut({ unsent: 'send', signal: abort.signal, revokeToken: false });
    abort.abort(new Error('user cancelled'));
    await expect(signedOut).rejects.toThrow('user cancelled');
    expect(contents((await storage.outbox.load()).map((e) => e.value.command))).toEqual(['still here']);
  });
});

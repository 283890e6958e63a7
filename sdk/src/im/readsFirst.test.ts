// Reads do not wait behind the outbox: a read issued while many writes are queued goes out first, and a read is
// never stored in the persistent outbox (it changes nothing, so a reload simply asks again).
import { firstValueFrom, filter } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ImClient } from './client/ImClient.js';
import { memoryStorage } from './client/ImClientStorage.js';
import { FakeHub } from '../testing/FakeHub.js';

const clients: ImClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe('ImClient reads', () => {
  it('go out before queued writes and never enter the outbox', async () => {
    const hub = new FakeHub();
    const storage = memoryStorage('u1');
    const client = await ImClient.open({ url: 'http://hub.test', deviceId: 'd1', token: 't', WebSocket: hub.WebSocket, storage, autoSync: false, maxInFlight: 4, reconnect: { initialDelayMs: 1, jitter: 0 } });
    clients.push(client);
    const writes = Array.from({ length: 40 }, (_, i) => client.sendMessage({ stream: 's', topic: 't', content: `queued ${i}` }));
    const streams = client.getStreams();
    await firstValueFrom(client.pending$.pipe(filter((p) => p.length === 41)));
    expect((await storage.outbox.load()).map((e) => e.value.command.type)).toEqual(Array(40).fill('SendMessage'));
    expect(client.unsent).toHaveLength(40);

    client.connect();
    await streams;
    await Promise.all(writes);
    const order = hub.received.flatMap((f) => (f.kind === 'command' ? [f.command.type] : []));
    expect(order.indexOf('GetStreams')).toBeLessThan(4);
    expect(order.filter((t) => t === 'SendMessage')).toHaveLength(40);
  });
});

// The Vue IM composables against a real ImClient and the in-memory FakeHub, in Chromium: refs follow
// the connection and a topic's messages (also when the topic ref changes), and disposing the scope
// leaves no subscription on the client.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { effectScope, nextTick, ref } from 'vue';
import { ImClient } from '../im/client/ImClient.js';
import { FakeHub } from '../testing/FakeHub.js';
import { useConnectionState, usePendingCommands, useTopicMessages } from './imComposables.js';

let hub: FakeHub;
let client: ImClient;
beforeEach(async () => {
  hub = new FakeHub({ username: 'alice' });
  client = await ImClient.open({ url: 'http://hub.test', deviceId: 'vue-test', token: 't', WebSocket: hub.WebSocket, autoSync: false, reconnect: { initialDelayMs: 1, jitter: 0 } });
});
afterEach(() => client.close());

describe('IM composables (vue)', () => {
  it('follow the connection and the chosen topic, and unsubscribe with their scope', async () => {
    const scope = effectScope();
    const topic = ref('launch');
    const refs = scope.run(() => ({
      state: useConnectionState(client),
      messages: useTopicMessages(client, 'team', topic),
      pending: usePendingCommands(client),
    }))!;
    expect(refs.state.value).toBe('offline');
    client.connect();
    await client.whenConnection((state) => state === 'online');
    expect(refs.state.value).toBe('online');

    await client.sendMessage({ stream: 'team', topic: 'launch', content: 'in launch' });
    await client.sendMessage({ stream: 'team', topic: 'retro', content: 'in retro' });
    expect(refs.messages.value.map((message) => message.content)).toEqual(['in launch']);
    topic.value = 'retro';
    await nextTick();
    expect(refs.messages.value.map((message) => message.content)).toEqual(['in retro']);
    expect(refs.pending.value).toEqual([]);

    scope.stop();
    const streams = [client.state$, client.connection$, client.pending$];
    expect(streams.map((stream) => (stream as unknown as { source?: { observed?: boolean } }).source?.observed)).toEqual([false, false, false]);
  });
});

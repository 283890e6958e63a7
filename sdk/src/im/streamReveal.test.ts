// A user added to a group sees the streams it reveals with their topics and unread counts, without a reload.
import { firstValueFrom, filter } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ImClient } from './client/ImClient.js';
import { topicKey, type Command, type StreamInfo } from './index.js';
import { FakeHub } from '../testing/FakeHub.js';

const clients: ImClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

const plans: StreamInfo = { name: 'plans', description: '', creatorId: 'u2', createdAt: 1, groups: ['g1'], reviewers: [] };

describe('ImClient after StreamRevealed', () => {
  it("fetches the revealed stream's topics and unread counts", async () => {
    let revealed = false;
    const hub = new FakeHub({
      execute: (command: Command) => {
        switch (command.type) {
          case 'GetStreams':
            return { data: revealed ? { streams: [plans], topics: [{ stream: 'plans', topic: 'launch', status: 'discussion', votes: {}, lastSeq: 7 }] } : { streams: [], topics: [] } };
          case 'GetGroups':
            return { data: { groups: [] } };
          case 'GetReadState':
            return { data: { cursors: [], muted: [], unread: revealed ? [{ stream: 'plans', topic: 'launch', count: 3 }] : [], fold: { cursors: [], mutes: [] } } };
          default:
            return { error: { code: 'internal', message: 'not in this test' } };
        }
      },
    });
    const client = await ImClient.open({ url: 'http://hub.test', deviceId: 'd1', token: 't', WebSocket: hub.WebSocket, reconnect: { initialDelayMs: 1, jitter: 0 } });
    clients.push(client);
    client.connect();
    await firstValueFrom(client.pending$.pipe(filter((p) => p.length === 0 && client.state.me !== undefined)));

    revealed = true;
    hub.push({ type: 'StreamRevealed', stream: plans });
    const state = await firstValueFrom(client.state$.pipe(filter((s) => s.topics.has(topicKey('plans', 'launch')) && s.unread.size > 0)));
    expect(state.streams.has('plans')).toBe(true);
    expect(state.topics.get(topicKey('plans', 'launch'))).toMatchObject({ lastSeq: 7 });
    expect(state.unread.get(topicKey('plans', 'launch'))).toBe(3);
  });
});

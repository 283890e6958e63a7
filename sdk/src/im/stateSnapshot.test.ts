// A reload with no hub (offline, hub down) shows the last state: the client keeps a snapshot of it in its storage
// and opens with it; the snapshot is the user's only and bounded per topic.
import { firstValueFrom, filter } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ImClient } from './client/ImClient.js';
import { memoryStorage } from './client/ImClientStorage.js';
import { restoreSnapshot, SNAPSHOT_MESSAGES_PER_TOPIC, snapshotOf } from './client/stateSnapshot.js';
import { emptyImState, topicKey } from './index.js';
import { FakeHub } from '../testing/FakeHub.js';

const clients: ImClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

const message = (seq: number) => ({ messageId: `m${seq}`, seq, stream: 'general', topic: 'hello', senderId: 'u2', senderName: 'bob', content: `hi ${seq}`, createdAt: 1, editedAt: null, deleted: false });

describe('the last state survives a reload without the hub', () => {
  it('a client reopened over its storage shows the streams, newest messages, unread counts and mutes at once', async () => {
    const hub = new FakeHub({ userId: 'u1', username: 'ann' });
    const storage = memoryStorage('u1');
    const first = await ImClient.open({ url: 'http://hub.test', deviceId: 'd1', token: 't', userId: 'u1', WebSocket: hub.WebSocket, storage });
    first.connect();
    await firstValueFrom(first.pending$.pipe(filter((p) => p.length === 0 && first.state.me !== undefined)));
    hub.push({ type: 'StreamCreated', stream: { name: 'general', description: '', creatorId: 'u2', createdAt: 1, groups: ['g1'], reviewers: [] } });
    for (let seq = 1; seq <= SNAPSHOT_MESSAGES_PER_TOPIC + 10; seq++) hub.push({ type: 'NewMessage', message: message(seq) });
    hub.push({ type: 'TopicMuteChanged', stream: 'general', topic: 'hello', muted: true });
    await firstValueFrom(first.state$.pipe(filter((s) => s.muted.size === 1 && (s.messages.get(topicKey('general', 'hello'))?.length ?? 0) === SNAPSHOT_MESSAGES_PER_TOPIC + 10)));
    await first.close();

    // No connect(): the hub is not reachable; the state is there anyway.
    const second = await ImClient.open({ url: 'http://hub.test', deviceId: 'd1', token: 't', userId: 'u1', WebSocket: hub.WebSocket, storage });
    clients.push(second);
    const state = second.state;
    expect(state.me).toEqual({ userId: hub.userId, username: hub.username });
    expect([...state.streams.keys()]).toEqual(['general']);
    const list = state.messages.get(topicKey('general', 'hello'))!;
    expect(list.map((m) => m.seq)).toEqual(Array.from({ length: SNAPSHOT_MESSAGES_PER_TOPIC }, (_, i) => i + 11));
    expect(state.unread.get(topicKey('general', 'hello'))).toBe(SNAPSHOT_MESSAGES_PER_TOPIC + 10);
    expect(state.muted.has(topicKey('general', 'hello'))).toBe(true);
  });

  it("a snapshot of another user, another version or a damaged one is not shown", () => {
    expect(restoreSnapshot(undefined, undefined)).toBeUndefined();
    const snapshot = snapshotOf({ ...emptyImState, me: { userId: 'u1', username: 'ann' } }, 1)!;
    expect(restoreSnapshot(snapshot, 'u1')?.me?.userId).toBe('u1');
    expect(restoreSnapshot(snapshot, 'u2')).toBeUndefined();
    expect(restoreSnapshot({ ...snapshot, version: 99 }, 'u1')).toBeUndefined();
    expect(restoreSnapshot({ ...snapshot, streams: 7 }, 'u1')).toBeUndefined();
    expect(restoreSnapshot('nonsense', 'u1')).toBeUndefined();
  });
});


// The Vue IM composables against a real ImClient and the in-memory FakeHub, in Chromium: refs follow
// the connection and a topic's messages (also when the topic ref changes), and disposing the scope
// leaves no subscription on the client.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { effectScope, nextTick, ref, shallowRef } from 'vue';
import { ImClient } from '../im/client/ImClient.js';
import type { Command } from '../im/protocol/commands.js';
import type { Message } from '../im/protocol/model.js';
import { defaultExecute, FakeHub, type Execution } from '../testing/FakeHub.js';
import {
  useConnectionState,
  useGroupMembers,
  usePendingCommands,
  usePendingMessages,
  useStreams,
  useTopicHistory,
  useTopicMessages,
  useTopicMuted,
  useTopics,
  useTotalUnread,
  useUserName,
} from './imComposables.js';

let hub: FakeHub;
let client: ImClient;
beforeEach(async () => {
  hub = new FakeHub({ username: 'alice', execute: chatHub });
  client = await ImClient.open({ url: 'http://hub.test', deviceId: 'vue-test', token: 't', WebSocket: hub.WebSocket, autoSync: false, reconnect: { initialDelayMs: 1, jitter: 0 } });
});
afterEach(() => client.close());

const at = 1_700_000_000_000;
const launch: Message[] = [1, 2, 3].map((seq) => ({ messageId: `l${seq}`, seq, stream: 'team', topic: 'launch', senderId: 'bob-id', senderName: 'bob', content: `launch ${seq}`, createdAt: at + seq, editedAt: null, deleted: false }));

/** Streams and topics, a group's members, and a topic of three messages paged two at a time. */
function chatHub(command: Command, fake: FakeHub): Execution {
  switch (command.type) {
    case 'GetStreams':
      return {
        data: {
          streams: [{ name: 'team', description: '', creatorId: 'carol-id', createdAt: at, groups: ['g1'], reviewers: [], admins: [] }],
          topics: [{ stream: 'team', topic: 'launch', status: 'discussion', votes: {}, lastSeq: 3 }],
        },
      };
    case 'GetGroupMembers':
      return { data: { groupId: command.groupId, members: [{ userId: 'carol-id', username: 'carol' }] } };
    case 'GetHistory': {
      const older = launch.filter((message) => command.before === undefined || message.seq < command.before);
      return { data: { stream: command.stream, topic: command.topic, messages: older.slice(-2), hasMore: older.length > 2 } };
    }
    case 'MuteTopic':
      return { data: { muted: [{ stream: command.stream, topic: command.topic }] } };
    default:
      return defaultExecute(command, fake);
  }
}

/** Waits for the client's pushes and replies to reach the refs. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(done()).toBe(true);
}

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

  it('follow a client that opens later: lists, mutes, names, members, pending messages and history pages', async () => {
    const scope = effectScope();
    const opened = shallowRef<ImClient>();
    const refs = scope.run(() => ({
      streams: useStreams(opened),
      topics: useTopics(opened, 'team'),
      muted: useTopicMuted(opened, 'team', 'launch'),
      total: useTotalUnread(opened),
      carol: useUserName(opened, 'carol-id'),
      members: useGroupMembers(opened, 'g1'),
      pending: usePendingMessages(opened, 'team', 'launch'),
      history: useTopicHistory(opened, 'team', 'launch'),
    }))!;
    // No client yet: the initial values.
    expect(refs.streams.value).toEqual([]);
    expect(refs.history.hasOlder.value).toBeUndefined();

    const sending = client.sendMessage({ stream: 'team', topic: 'launch', content: 'queued' });
    opened.value = client;
    await nextTick();
    expect(refs.pending.value.map((item) => item.content)).toEqual(['queued']);
    client.connect();
    await sending;
    await client.refresh();
    await until(() => refs.pending.value.length === 0 && refs.members.value !== undefined && refs.history.hasOlder.value !== undefined);
    expect(refs.streams.value.map((stream) => stream.name)).toEqual(['team']);
    expect(refs.topics.value.map((topic) => topic.topic)).toEqual(['launch']);
    expect(refs.members.value?.map((member) => member.username)).toEqual(['carol']);
    expect(refs.carol.value).toBe('carol');
    // The newest page loaded by itself (two of three, plus the message sent); one older page is left.
    expect(refs.history.hasOlder.value).toBe(true);
    await refs.history.loadOlder();
    await until(() => refs.history.hasOlder.value === false);
    expect(refs.history.messages.value.slice(0, 3).map((message) => message.seq)).toEqual([1, 2, 3]);

    await client.muteTopic({ stream: 'team', topic: 'launch' });
    await until(() => refs.muted.value);
    expect(refs.total.value).toBe(0);

    scope.stop();
    const streams = [client.state$, client.pending$];
    expect(streams.map((stream) => (stream as unknown as { source?: { observed?: boolean } }).source?.observed)).toEqual([false, false]);
  });
});

// The IM hooks against a real ImClient talking to the in-memory FakeHub, in a real React root in
// Chromium: connection state, streams, topics, groups and members, a topic's messages and history
// pages, unread counts, mutes, names and pending messages follow the client live, and unmounting
// leaves no subscription on the client's streams.
import { act, StrictMode, useRef } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImClient } from '../im/client/ImClient.js';
import type { Command } from '../im/protocol/commands.js';
import type { Message, TopicRef } from '../im/protocol/model.js';
import { defaultExecute, FakeHub, type Execution } from '../testing/FakeHub.js';
import {
  ImClientProvider,
  useConnectionState,
  useGroupMembers,
  useGroups,
  useMutedTopics,
  usePendingCommands,
  usePendingMessages,
  useSealedLog,
  useStream,
  useStreams,
  useStreamUnread,
  useTopic,
  useTopicHistory,
  useTopicMessages,
  useTopicMuted,
  useTopics,
  useTotalUnread,
  useUnreadCount,
  useUserName,
  useUserNames,
} from './imHooks.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;
let hub: FakeHub;
let client: ImClient;
/** GetGroupMembers requests the hub answered. */
let memberLoads: number;

const at = 1_700_000_000_000;
/** team › launch holds six messages from bob (seq 1–6); the hub pages them two at a time. */
const launch: Message[] = [1, 2, 3, 4, 5, 6].map((seq) => ({ messageId: `l${seq}`, seq, stream: 'team', topic: 'launch', senderId: 'bob-id', senderName: 'bob', content: `launch ${seq}`, createdAt: at + seq, editedAt: null, deleted: false }));
const team = { name: 'team', description: '', creatorId: 'carol-id', createdAt: at, groups: ['g1'], reviewers: ['carol-id'], admins: [] };

/** A hub with streams, topics, a group, members and paged history; the rest as the FakeHub's defaults. */
function chatHub(command: Command, fake: FakeHub): Execution {
  switch (command.type) {
    case 'GetStreams':
      return {
        data: {
          streams: [team, { ...team, name: 'design', groups: [] }],
          topics: [
            { stream: 'team', topic: 'launch', status: 'discussion', votes: {}, lastSeq: 6 },
            { stream: 'team', topic: 'retro', status: 'discussion', votes: {}, lastSeq: 0 },
            { stream: 'design', topic: 'colors', status: 'discussion', votes: {}, lastSeq: 0 },
          ],
        },
      };
    case 'GetGroups':
      return { data: { groups: [{ groupId: 'g1', name: 'crew', description: '', ownerId: 'carol-id', createdAt: at }] } };
    case 'GetGroupMembers':
      memberLoads++;
      return { data: { groupId: command.groupId, members: [{ userId: 'carol-id', username: 'carol' }, { userId: fake.userId, username: fake.username }] } };
    case 'GetHistory': {
      const older = launch.filter((message) => command.topic === 'launch' && (command.before === undefined || message.seq < command.before));
      return { data: { stream: command.stream, topic: command.topic, messages: older.slice(-2), hasMore: older.length > 2 } };
    }
    case 'MuteTopic':
      return { data: { muted: [{ stream: command.stream, topic: command.topic }] } };
    default:
      return defaultExecute(command, fake);
  }
}

beforeEach(async () => {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  memberLoads = 0;
  hub = new FakeHub({ username: 'alice', execute: chatHub });
  client = await ImClient.open({ url: 'http://hub.test', deviceId: 'react-test', token: 't', WebSocket: hub.WebSocket, autoSync: false, reconnect: { initialDelayMs: 1, jitter: 0 } });
});
afterEach(async () => {
  act(() => root.unmount());
  container.remove();
  await client.close();
});

/** Lets the client's microtasks and the fake hub's frames run, inside act so React sees the updates. */
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !until(); i++) {
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
  }
  expect(until()).toBe(true);
}

function Topic() {
  const state = useConnectionState();
  const messages = useTopicMessages('team', 'launch');
  const pending = usePendingCommands();
  const log = useSealedLog();
  return (
    <div>
      <p id="state">{state}</p>
      <ul id="messages">
        {messages.map((message) => (
          <li key={message.messageId}>{message.content}</li>
        ))}
      </ul>
      <p id="pending">{pending.length}</p>
      <p id="log">{log?.length ?? 0}</p>
    </div>
  );
}

function Unread() {
  return <b id="unread">{useUnreadCount('team', 'launch')}</b>;
}

const text = (selector: string) => container.querySelector(selector)?.textContent;

describe('IM hooks', () => {
  it('follow the connection, messages, pending commands and the sealed log live', async () => {
    act(() =>
      root.render(
        <StrictMode>
          <ImClientProvider client={client}>
            <Topic />
          </ImClientProvider>
        </StrictMode>,
      ),
    );
    expect(text('#state')).toBe('offline');
    client.connect();
    await settle(() => text('#state') === 'online');

    let sent!: Promise<unknown>;
    act(() => {
      sent = client.sendMessage({ stream: 'team', topic: 'launch', content: 'hello' });
    });
    expect(text('#pending')).toBe('1');
    await act(async () => {
      await sent;
    });
    await settle(() => text('#messages') === 'hello');
    expect(text('#pending')).toBe('0');
    expect(text('#log')).toBe('1');
  });

  it('counts unread messages pushed by someone else', async () => {
    act(() => root.render(<ImClientProvider client={client}><Unread /></ImClientProvider>));
    client.connect();
    await settle(() => client.connection.state === 'online');
    expect(text('#unread')).toBe('0');
    const message = { messageId: 'b1', seq: 50, stream: 'team', topic: 'launch', senderId: 'bob-id', senderName: 'bob', content: 'hi alice', createdAt: 1, editedAt: null, deleted: false };
    act(() => void hub.push({ type: 'NewMessage', message }));
    await settle(() => text('#unread') === '1');
    act(() => void hub.push({ type: 'NewMessage', message: { ...message, messageId: 'b2', seq: 51 } }));
    await settle(() => text('#unread') === '2');
  });

  it('leave no subscription on the client after unmount', async () => {
    // The client's public streams are asObservable() views of its subjects: `source` is the subject.
    const streams = [client.state$, client.connection$, client.pending$, client.log$];
    const observed = () => streams.map((stream) => (stream as unknown as { source?: { observed?: boolean } }).source?.observed);
    act(() => root.render(<ImClientProvider client={client}><Topic /><Unread /></ImClientProvider>));
    expect(observed()).toEqual([true, true, true, true]);
    act(() => root.render(<p>gone</p>));
    expect(observed()).toEqual([false, false, false, false]);
  });

  it('explain a missing client', () => {
    const original = console.error;
    console.error = () => {};
    try {
      expect(() => act(() => root.render(<Unread />))).toThrow(/No ImClient/);
    } finally {
      console.error = original;
    }
  });
});

describe('IM hooks for a chat UI', () => {
  async function online(): Promise<void> {
    client.connect();
    await act(async () => {
      await client.whenConnection((state) => state === 'online');
    });
  }

  it('list streams, topics and groups, and follow pushes', async () => {
    function Lists() {
      const streams = useStreams();
      const topics = useTopics('team');
      const all = useTopics();
      const launchTopic = useTopic('team', 'launch');
      const design = useStream('design');
      const groups = useGroups();
      return (
        <div>
          <p id="streams">{streams.map((stream) => stream.name).join(',')}</p>
          <p id="topics">{topics.map((topic) => topic.topic).join(',')}</p>
          <p id="all">{all.map((topic) => `${topic.stream}/${topic.topic}`).join(',')}</p>
          <p id="status">{launchTopic?.status ?? 'unknown'}</p>
          <p id="design">{design ? design.name : 'none'}</p>
          <p id="groups">{groups.map((group) => group.name).join(',')}</p>
        </div>
      );
    }
    act(() => root.render(<StrictMode><ImClientProvider client={client}><Lists /></ImClientProvider></StrictMode>));
    expect(text('#streams')).toBe('');
    expect(text('#status')).toBe('unknown');
    await online();
    await act(() => client.refresh());
    expect(text('#streams')).toBe('design,team');
    expect(text('#topics')).toBe('launch,retro');
    expect(text('#all')).toBe('design/colors,team/launch,team/retro');
    expect(text('#design')).toBe('design');
    expect(text('#groups')).toBe('crew');

    act(() => void hub.push({ type: 'TopicStatusChanged', stream: 'team', topic: 'launch', status: 'developing', changedBy: 'carol-id' }));
    await settle(() => text('#status') === 'developing');
    act(() => void hub.push({ type: 'StreamCreated', stream: { ...team, name: 'ops' } }));
    await settle(() => text('#streams') === 'design,ops,team');
  });

  it('load a group\'s members once for every component that asks, and name the people seen', async () => {
    function Members({ id }: { id: string }) {
      const members = useGroupMembers('g1');
      return <p id={id}>{members === undefined ? 'loading' : members.map((member) => member.username).join(',')}</p>;
    }
    function Names() {
      const carol = useUserName('carol-id');
      const names = useUserNames();
      return <p id="names">{`${carol ?? '?'} of ${[...names.values()].sort().join(',')}`}</p>;
    }
    await online();
    act(() =>
      root.render(
        <StrictMode>
          <ImClientProvider client={client}>
            <Members id="first" />
            <Members id="second" />
            <Names />
          </ImClientProvider>
        </StrictMode>,
      ),
    );
    expect(text('#first')).toBe('loading');
    await settle(() => text('#first') === 'carol,alice');
    expect(text('#second')).toBe('carol,alice');
    expect(memberLoads).toBe(1);
    expect(text('#names')).toBe('carol of alice,carol');

    // Mounting again later asks nothing: the members are known.
    act(() => root.render(<ImClientProvider client={client}><Members id="again" /></ImClientProvider>));
    expect(text('#again')).toBe('carol,alice');
    expect(memberLoads).toBe(1);
  });

  it('page through a topic\'s history: the newest page on mount, then older ones until there are none', async () => {
    let loadOlder!: () => Promise<unknown>;
    function History() {
      const history = useTopicHistory('team', 'launch');
      loadOlder = history.loadOlder;
      const sender = useUserName('bob-id');
      return (
        <div>
          <p id="seqs">{history.messages.map((message) => message.seq).join(',')}</p>
          <p id="older">{String(history.hasOlder)}</p>
          <p id="loading">{String(history.loading)}</p>
          <p id="sender">{sender ?? '?'}</p>
        </div>
      );
    }
    await online();
    act(() => root.render(<StrictMode><ImClientProvider client={client}><History /></ImClientProvider></StrictMode>));
    expect(text('#older')).toBe('undefined');
    await settle(() => text('#seqs') === '5,6');
    expect(text('#older')).toBe('true');
    expect(text('#loading')).toBe('false');
    expect(text('#sender')).toBe('bob');

    let page!: Promise<unknown>;
    act(() => {
      page = loadOlder();
    });
    expect(text('#loading')).toBe('true');
    await act(() => page);
    await settle(() => text('#seqs') === '3,4,5,6');
    expect(text('#older')).toBe('true');
    await act(() => loadOlder());
    await settle(() => text('#seqs') === '1,2,3,4,5,6');
    expect(text('#older')).toBe('false');
    expect(text('#loading')).toBe('false');
  });

  it('follow mutes and unread totals per stream', async () => {
    function Counts() {
      const muted = useTopicMuted('team', 'retro');
      const all = useMutedTopics();
      const perStream = useStreamUnread();
      const total = useTotalUnread();
      return (
        <div>
          <p id="muted">{String(muted)}</p>
          <p id="all-muted">{all.map((ref: TopicRef) => `${ref.stream}/${ref.topic}`).join(',')}</p>
          <p id="team-unread">{perStream.get('team') ?? 0}</p>
          <p id="total">{total}</p>
        </div>
      );
    }
    await online();
    act(() => root.render(<ImClientProvider client={client}><Counts /></ImClientProvider>));
    expect(text('#muted')).toBe('false');
    const message = { ...launch[0]!, messageId: 'r1', seq: 50, topic: 'retro' };
    act(() => void hub.push({ type: 'NewMessage', message }));
    act(() => void hub.push({ type: 'NewMessage', message: { ...message, messageId: 'l50', seq: 51, topic: 'launch' } }));
    await settle(() => text('#total') === '2');
    expect(text('#team-unread')).toBe('2');

    await act(() => client.muteTopic({ stream: 'team', topic: 'retro' }));
    await settle(() => text('#muted') === 'true');
    expect(text('#all-muted')).toBe('team/retro');
    // A muted topic's messages stay unread but no longer count in the totals.
    expect(text('#team-unread')).toBe('1');
    expect(text('#total')).toBe('1');
  });

  it('show a topic\'s pending messages until the hub answers, without re-rendering for other topics', async () => {
    const renders = { launch: 0 };
    function Pending() {
      const pending = usePendingMessages('team', 'launch');
      const count = useRef(0);
      count.current++;
      renders.launch = count.current;
      return <p id="pending">{pending.map((item) => item.content).join(',')}</p>;
    }
    function Everything() {
      return <p id="everything">{usePendingMessages().length}</p>;
    }
    act(() => root.render(<ImClientProvider client={client}><Pending /><Everything /></ImClientProvider>));
    expect(text('#pending')).toBe('');
    let sent!: Promise<unknown>[];
    act(() => {
      sent = [client.sendMessage({ stream: 'team', topic: 'launch', content: 'one' }), client.sendMessage({ stream: 'team', topic: 'retro', content: 'elsewhere' })];
    });
    expect(text('#pending')).toBe('one');
    expect(text('#everything')).toBe('2');
    const before = renders.launch;
    act(() => void client.sendMessage({ stream: 'team', topic: 'retro', content: 'more elsewhere' }));
    expect(text('#everything')).toBe('3');
    expect(renders.launch).toBe(before);

    await online();
    await act(() => Promise.all(sent));
    await settle(() => text('#everything') === '0');
    expect(text('#pending')).toBe('');
  });

  it('leave no subscription on the client after unmount', async () => {
    function All() {
      useStreams();
      useTopics('team');
      useTopic('team', 'launch');
      useGroups();
      useGroupMembers('g1');
      useStreamUnread();
      useTotalUnread();
      useMutedTopics();
      useTopicMuted('team', 'launch');
      useUserNames();
      useUserName('bob-id');
      useTopicHistory('team', 'launch', { loadNewest: false });
      usePendingMessages('team', 'launch');
      return null;
    }
    const streams = [client.state$, client.pending$];
    const observed = () => streams.map((stream) => (stream as unknown as { source?: { observed?: boolean } }).source?.observed);
    act(() => root.render(<ImClientProvider client={client}><All /></ImClientProvider>));
    expect(observed()).toEqual([true, true]);
    act(() => root.render(<p>gone</p>));
    expect(observed()).toEqual([false, false]);
  });
});

// What ImClient records about paging a topic's history (topicHistory$), and the selectors a chat UI reads
// beside it: whether older messages exist stays what the oldest page said when the newest page is loaded
// again (a reopen, a reconnect); a failed load says there is nothing older; group members load once.
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ImClient } from './client/ImClient.js';
import type { Command } from './protocol/commands.js';
import type { Message } from './protocol/model.js';
import { defaultExecute, FakeHub, type Execution } from '../testing/FakeHub.js';

const clients: ImClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

const messages: Message[] = [1, 2, 3, 4, 5].map((seq) => ({ messageId: `m${seq}`, seq, stream: 's', topic: 't', senderId: 'bob-id', senderName: 'bob', content: `m${seq}`, createdAt: seq, editedAt: null, deleted: false }));
let memberLoads = 0;

/** Topic s › t holds five messages, paged two at a time; topic s › missing fails; group g has one member. */
function execute(command: Command, hub: FakeHub): Execution {
  if (command.type === 'GetHistory') {
    if (command.topic === 'missing') return { error: { code: 'not_found', message: 'no such topic' } };
    const older = messages.filter((message) => command.before === undefined || message.seq < command.before);
    return { data: { stream: command.stream, topic: command.topic, messages: older.slice(-2), hasMore: older.length > 2 } };
  }
  if (command.type === 'GetGroupMembers') {
    memberLoads++;
    return { data: { groupId: command.groupId, members: [{ userId: 'carol-id', username: 'carol' }] } };
  }
  return defaultExecute(command, hub);
}

async function online(): Promise<ImClient> {
  const hub = new FakeHub({ username: 'alice', execute });
  const client = await ImClient.open({ url: 'http://hub.test', deviceId: 'd1', token: 't', WebSocket: hub.WebSocket, autoSync: false, reconnect: { initialDelayMs: 1, jitter: 0 } });
  clients.push(client);
  client.connect();
  await client.whenConnection((state) => state === 'online');
  return client;
}

const historyOf = (client: ImClient, topic = 't') => firstValueFrom(client.topicHistory$('s', topic));

describe('ImClient history paging', () => {
  it('knows nothing before a page, then whether older pages exist, page by page', async () => {
    const client = await online();
    expect(await historyOf(client)).toEqual({ loading: false, hasOlder: undefined });
    const newest = client.loadHistory('s', 't');
    expect(await historyOf(client)).toEqual({ loading: true, hasOlder: undefined });
    await newest;
    expect(await historyOf(client)).toEqual({ loading: false, hasOlder: true });
    await client.loadOlder('s', 't');
    expect(await historyOf(client)).toEqual({ loading: false, hasOlder: true });
    await client.loadOlder('s', 't');
    expect(await historyOf(client)).toEqual({ loading: false, hasOlder: false });
    expect((await firstValueFrom(client.messages$('s', 't'))).map((message) => message.seq)).toEqual([1, 2, 3, 4, 5]);

    // Loading the newest page again (a reopen) does not bring the button back: the first page was reached.
    await client.loadHistory('s', 't');
    expect(await historyOf(client)).toEqual({ loading: false, hasOlder: false });
  });

  it('says there is nothing older when the topic has no history to load', async () => {
    const client = await online();
    await expect(client.loadHistory('s', 'missing')).rejects.toThrow(/no such topic/);
    expect(await historyOf(client, 'missing')).toEqual({ loading: false, hasOlder: false });
  });

  it('loads a group\'s members once for concurrent callers, and names them', async () => {
    const client = await online();
    memberLoads = 0;
    expect(await firstValueFrom(client.groupMembers$('g'))).toBeUndefined();
    const [first, second] = await Promise.all([client.ensureGroupMembers('g'), client.ensureGroupMembers('g')]);
    expect(first).toEqual([{ userId: 'carol-id', username: 'carol' }]);
    expect(second).toEqual(first);
    await client.ensureGroupMembers('g');
    expect(memberLoads).toBe(1);
    expect((await firstValueFrom(client.userNames$)).get('carol-id')).toBe('carol');
  });
});

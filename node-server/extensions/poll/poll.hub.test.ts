// The poll extension end to end against a real hub (in-process, loopback, `ws`): typed calls through
// client.extension(pollExtension), events pushed to the stream's members only, exactly-once writes under a resent
// trace id, the polls listed again by a fresh client (a reload), and refusals before sending and on the hub.
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ImClient, ImError, register, type SessionToken } from '@stage/sdk/im';
import { startTestHub } from '../../test/support/startTestHub.js';
import poll, { pollExtension } from './index.js';

type Hub = Awaited<ReturnType<typeof startTestHub>>;
const hubs: Hub[] = [];
const clients: ImClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const hub of hubs.splice(0)) await hub.stop();
});

async function client(url: string, token: SessionToken, deviceId: string): Promise<ImClient> {
  const im = await ImClient.open({ url, deviceId, token: token.token, WebSocket, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
  clients.push(im);
  im.connect();
  await im.whenConnection((s) => s === 'online');
  return im;
}

/** alice and bob share the stream "general"; carol sees nothing of it. */
async function setUp() {
  const hub = await startTestHub({ extensions: [poll], limits: { commandsPerSecond: 10_000, commandBurst: 10_000 } });
  hubs.push(hub);
  const tokens = {
    alice: await register(hub.url, { username: 'alice', password: 'password123' }),
    bob: await register(hub.url, { username: 'bob', password: 'password123' }),
    carol: await register(hub.url, { username: 'carol', password: 'password123' }),
  };
  const alice = await client(hub.url, tokens.alice, 'alice-laptop');
  const bob = await client(hub.url, tokens.bob, 'bob-phone');
  const carol = await client(hub.url, tokens.carol, 'carol-phone');
  const { group } = await alice.createGroup({ name: 'core' });
  await alice.addGroupMember({ groupId: group.groupId, userId: tokens.bob.userId });
  await alice.createStream({ stream: 'general', groups: [group.groupId] });
  return { hub, tokens, alice, bob, carol };
}

describe('poll extension on a hub', () => {
  it('creates a poll and counts votes, pushing every change to the members of the stream and to nobody else', async () => {
    const { tokens, alice, bob, carol } = await setUp();
    const alicePolls = alice.extension(pollExtension);
    const bobPolls = bob.extension(pollExtension);
    const carolPolls = carol.extension(pollExtension);
    const bobEvents = firstValueFrom(bobPolls.events$.pipe(take(3), toArray()));
    let carolEvents = 0;
    carolPolls.events$.subscribe(() => carolEvents++);

    const { poll: created } = await alicePolls.create({ stream: 'general', topic: 'lunch', question: 'Where?', options: ['Pizza', 'Sushi'] });
    expect(created).toMatchObject({ stream: 'general', topic: 'lunch', question: 'Where?', options: ['Pizza', 'Sushi'], createdBy: tokens.alice.userId, votes: {}, counts: [0, 0] });
    await bobPolls.vote({ stream: 'general', topic: 'lunch', pollId: created.pollId, option: 1 });
    const { poll: after } = await alicePolls.vote({ stream: 'general', topic: 'lunch', pollId: created.pollId, option: 1 });
    expect(after.counts).toEqual([0, 2]);

    const events = await bobEvents;
    expect(events.map((e) => e.event)).toEqual(['pollUpdated', 'pollUpdated', 'pollUpdated']);
    expect(events.map((e) => e.data.poll.counts)).toEqual([[0, 0], [0, 1], [0, 2]]);
    // Pushed with outcome ids, increasing, like every outcome.
    expect(events[1]!.outcomeId).toBeGreaterThan(events[0]!.outcomeId);

    // carol cannot see the stream: no event, and the hub answers as if it did not exist.
    await expect(carolPolls.list({ stream: 'general' })).rejects.toMatchObject({ code: 'not_found', path: ['command', 'payload', 'stream'] });
    await expect(carolPolls.vote({ stream: 'general', topic: 'lunch', pollId: created.pollId, option: 0 })).rejects.toMatchObject({ code: 'not_found' });
    expect(carolEvents).toBe(0);

    // A vote for an option that does not exist, or a poll that does not exist, is refused and changes nothing.
    await expect(bobPolls.vote({ stream: 'general', topic: 'lunch', pollId: created.pollId, option: 5 })).rejects.toMatchObject({ code: 'bad_schema', path: ['command', 'payload', 'option'] });
    await expect(bobPolls.vote({ stream: 'general', topic: 'other', pollId: created.pollId, option: 0 })).rejects.toMatchObject({ code: 'not_found' });
    expect((await bobPolls.list({ stream: 'general', topic: 'lunch' })).polls[0]!.counts).toEqual([0, 2]);
  });

  it('executes a write once per trace id: a resend answers the first result and pushes nothing more', async () => {
    const { alice, bob } = await setUp();
    const polls = alice.extension(pollExtension);
    const bobPolls = bob.extension(pollExtension);
    const seen: string[] = [];
    bobPolls.events$.subscribe((e) => seen.push(e.data.poll.pollId));
    const payload = { stream: 'general', topic: 'lunch', question: 'Where?', options: ['Pizza', 'Sushi'] };
    const first = await polls.create(payload, { traceId: 'poll-create-1' });
    const again = await polls.create(payload, { traceId: 'poll-create-1' });
    expect(again.poll.pollId).toBe(first.poll.pollId);
    const { polls: listed } = await polls.list({ stream: 'general' });
    expect(listed.map((p) => p.pollId)).toEqual([first.poll.pollId]);
    // Bob's outcomes arrive in id order: once the event of a later poll is here, so is anything the first pushed.
    const later = firstValueFrom(bobPolls.events$.pipe(filter((e) => e.data.poll.question === 'When?')));
    await bobPolls.create({ ...payload, question: 'When?' });
    await later;
    expect(seen.filter((id) => id === first.poll.pollId)).toHaveLength(1);
  });

  it('lists the polls of a stream or a topic again after a reload (a fresh client, nothing cached)', async () => {
    const { hub, tokens, alice } = await setUp();
    const polls = alice.extension(pollExtension);
    const lunch = await polls.create({ stream: 'general', topic: 'lunch', question: 'Where?', options: ['Pizza', 'Sushi'] });
    await polls.create({ stream: 'general', topic: 'offsite', question: 'When?', options: ['May', 'June', 'July'] });
    await polls.vote({ stream: 'general', topic: 'lunch', pollId: lunch.poll.pollId, option: 0 });
    await alice.close();

    const reloaded = (await client(hub.url, tokens.alice, 'alice-laptop-2')).extension(pollExtension);
    const all = await reloaded.list({ stream: 'general' });
    expect(all.polls.map((p) => [p.topic, p.question, p.counts])).toEqual([
      ['lunch', 'Where?', [1, 0]],
      ['offsite', 'When?', [0, 0, 0]],
    ]);
    expect((await reloaded.list({ stream: 'general', topic: 'offsite' })).polls.map((p) => p.question)).toEqual(['When?']);
  });

  it('refuses before sending a payload its schema refuses and a command of an extension not bound to the client', async () => {
    const { alice } = await setUp();
    const polls = alice.extension(pollExtension);
    // @ts-expect-error one option is not a poll: the type says so, and so does the schema at run time
    const bad = polls.create({ stream: 'general', topic: 'lunch', question: 'Where?', options: 'Pizza' });
    await expect(bad).rejects.toMatchObject({ code: 'bad_schema', path: ['payload', 'options'] });
    await expect(polls.create({ stream: 'general', topic: 'lunch', question: 'Where?', options: ['only one'] })).rejects.toBeInstanceOf(ImError);
    await expect(alice.command('Ext', { ext: 'weather', name: 'forecast', payload: {} })).rejects.toMatchObject({ code: 'not_found', path: ['ext'] });
    await expect(alice.command('Ext', { ext: 'poll', name: 'close', payload: {} })).rejects.toMatchObject({ code: 'not_found', path: ['name'] });
    await expect(alice.command('Ext', { ext: 'poll', name: 'list', payload: { stream: 'general' } })).rejects.toMatchObject({ code: 'bad_schema', path: ['type'] });
    expect(alice.unsent).toHaveLength(0);
  });
});

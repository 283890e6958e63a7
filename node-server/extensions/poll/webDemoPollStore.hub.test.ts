// The web demo's PollStore (web-demo/src/chat/PollStore.ts) against a real hub running the poll extension: a poll
// one member creates reaches the other's store through pollUpdated alone, votes move both stores, a fresh device
// gets the polls back with load (the list query), refusals are reported; a hub without the extension makes opening
// a topic quiet and a /poll reported.
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ImClient, register, type SessionToken } from '@stage/sdk/im';
import { startTestHub } from '../../test/support/startTestHub.js';
import { PollStore } from '../../../web-demo/src/chat/PollStore.js';
import poll from './index.js';

type Hub = Awaited<ReturnType<typeof startTestHub>>;
const hubs: Hub[] = [];
const clients: ImClient[] = [];
const stores: PollStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) store.dispose();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const hub of hubs.splice(0)) await hub.stop();
});

/** A connected client and its PollStore; what the store reports (the demo's error toasts) lands in `reported`. */
async function device(url: string, token: SessionToken, deviceId: string) {
  const client = await ImClient.open({ url, deviceId, token: token.token, WebSocket, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
  clients.push(client);
  const reported: string[] = [];
  const store = new PollStore(client, (text) => reported.push(text));
  stores.push(store);
  client.connect();
  await client.whenConnection((s) => s === 'online');
  return { client, store, reported };
}

/** alice and bob share the stream "general" on a hub started with `extensions`. */
async function setUp(extensions: (typeof poll)[]) {
  const hub = await startTestHub({ extensions, limits: { commandsPerSecond: 10_000, commandBurst: 10_000 } });
  hubs.push(hub);
  const tokens = {
    alice: await register(hub.url, { username: 'alice', password: 'password123' }),
    bob: await register(hub.url, { username: 'bob', password: 'password123' }),
  };
  const alice = await device(hub.url, tokens.alice, 'alice-laptop');
  const bob = await device(hub.url, tokens.bob, 'bob-phone');
  const { group } = await alice.client.createGroup({ name: 'core' });
  await alice.client.addGroupMember({ groupId: group.groupId, userId: tokens.bob.userId });
  await alice.client.createStream({ stream: 'general', groups: [group.groupId] });
  return { hub, tokens, alice, bob };
}

/** The first value of a store's polls in general › lunch that `accept` takes. */
function lunchPolls(store: PollStore, accept: (counts: number[][]) => boolean) {
  return firstValueFrom(store.pollsOf$('general', 'lunch').pipe(filter((polls) => accept(polls.map((p) => p.counts)))));
}

describe("the web demo's PollStore on a hub", () => {
  it('shows a poll to every member live, moves the counts with each vote, and loads it again on a fresh device', async () => {
    const { hub, tokens, alice, bob } = await setUp([poll]);
    const bobSeesIt = lunchPolls(bob.store, (counts) => counts.length === 1);
    expect(await alice.store.create('general', 'lunch', 'Where?', ['Pizza', 'Sushi'])).toBe(true);
    const [created] = await bobSeesIt; // bob never asked: the pollUpdated event brought it
    expect(created).toMatchObject({ question: 'Where?', options: ['Pizza', 'Sushi'], createdBy: tokens.alice.userId, counts: [0, 0] });

    const aliceSeesVote = lunchPolls(alice.store, (counts) => counts[0]?.[1] === 1);
    expect(await bob.store.vote(created!, 1)).toBe(true);
    expect((await aliceSeesVote)[0]!.votes).toEqual({ [tokens.bob.userId]: 1 });
    // Another topic's polls are kept apart.
    expect(await alice.store.create('general', 'dinner', 'When?', ['7', '8'])).toBe(true);
    expect(await firstValueFrom(alice.store.pollsOf$('general', 'lunch'))).toHaveLength(1);
    expect((await firstValueFrom(alice.store.pollsOf$('general', 'dinner'))).map((p) => p.question)).toEqual(['When?']);

    // A reload: a new device of alice's with an empty store gets the topic's polls with their votes from list.
    const again = await device(hub.url, tokens.alice, 'alice-tablet');
    expect(await firstValueFrom(again.store.pollsOf$('general', 'lunch'))).toEqual([]);
    await again.store.load('general', 'lunch');
    const [listed] = await firstValueFrom(again.store.pollsOf$('general', 'lunch'));
    expect(listed).toMatchObject({ pollId: created!.pollId, counts: [0, 1], votes: { [tokens.bob.userId]: 1 } });

    // A vote for an option the poll does not have is refused by the hub, reported, and changes nothing.
    expect(await bob.store.vote({ ...created!, options: ['Pizza', 'Sushi', 'Tacos'] }, 2)).toBe(false);
    expect(bob.reported).toEqual([expect.stringMatching(/^Could not vote: option 2 does not exist/)]);
    expect([...alice.reported, ...again.reported]).toEqual([]);
  });

  it('on a hub without the extension, opening a topic is quiet and a /poll is reported', async () => {
    const { alice } = await setUp([]);
    await alice.store.load('general', 'lunch');
    expect(alice.reported).toEqual([]);
    expect(await alice.store.create('general', 'lunch', 'Where?', ['Pizza', 'Sushi'])).toBe(false);
    expect(alice.reported).toEqual([expect.stringMatching(/^Could not create the poll: unknown extension "poll"/)]);
    expect(alice.store.polls$.value.size).toBe(0);
  });
});

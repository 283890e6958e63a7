// Read state and mutes are the user's (issue #15, point 3): reading or muting on one device reaches the user's other
// devices (TopicRead, TopicMuteChanged), which fold it into their own sealed sessions (SyncReadState); a new device
// starts with its user's state (GetReadState), not with every message unread. Hostile folds and marks on streams the
// user cannot see change nothing of the user's state. On SQLite and PostgreSQL.
import { BehaviorSubject, filter, firstValueFrom } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ImClient, register, topicKey, type ImState } from '@stage/sdk/im';
import { startHubOn, storeKinds } from './support/startHubOn.js';

const clients: ImClient[] = [];
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
});

/** Per client, how many of its SyncReadState commands (folds) the hub has answered: watched from before connect. */
const foldsAnswered = new WeakMap<ImClient, BehaviorSubject<number>>();

async function device(url: string, token: string, deviceId: string): Promise<ImClient> {
  const client = await ImClient.open({ url, deviceId, token, WebSocket: WebSocket as never, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
  clients.push(client);
  const answered = new BehaviorSubject(0);
  foldsAnswered.set(client, answered);
  let open = new Set<string>();
  client.pending$.subscribe((pending) => {
    const now = new Set(pending.filter((c) => c.type === 'SyncReadState').map((c) => c.traceId));
    for (const traceId of open) if (!now.has(traceId)) answered.next(answered.value + 1);
    open = now;
  });
  client.connect();
  await client.whenConnection((s) => s === 'online');
  return client;
}

function until(client: ImClient, predicate: (state: ImState) => boolean): Promise<ImState> {
  return firstValueFrom(client.state$.pipe(filter(predicate)));
}

const hello = topicKey('general', 'hello');
const news = topicKey('general', 'news');

for (const kind of storeKinds) {
  describe(`the user's read state (${kind})`, () => {
    it('read and mute on one device reach the other, which folds them into its session; a new device starts clean', async () => {
      const hub = await startHubOn(kind);
      try {
        const ann = await register(hub.url, { username: 'ann', password: 'password-ann' });
        const bob = await register(hub.url, { username: 'bob', password: 'password-bob' });
        const laptop = await device(hub.url, ann.token, 'laptop');
        const writer = await device(hub.url, bob.token, 'bob-laptop');
        const { group } = await laptop.createGroup({ name: 'core' });
        await laptop.addGroupMember({ groupId: group.groupId, userId: bob.userId });
        await laptop.createStream({ stream: 'general', groups: [group.groupId] });
        await until(writer, (s) => s.streams.has('general'));
        for (let i = 0; i < 5; i++) await writer.sendMessage({ stream: 'general', topic: 'hello', content: `hello ${i}` });
        for (let i = 0; i < 3; i++) await writer.sendMessage({ stream: 'general', topic: 'news', content: `news ${i}` });
        const phone = await device(hub.url, ann.token, 'phone');
        await until(phone, (s) => s.unread.get(hello) === 5 && s.unread.get(news) === 3);
        await until(laptop, (s) => s.unread.get(hello) === 5);

        // Read on the laptop: the phone clears, and its own session (recalled from its chain) has the cursor.
        await laptop.markTopicRead('general', 'hello');
        await until(phone, (s) => !s.unread.has(hello));
        const phoneSession = await folded(phone, 1);
        expect(phoneSession.unread.find((u) => u.topic === 'hello')).toBeUndefined();
        expect(phoneSession.cursors.find((c) => c.topic === 'hello')?.upTo).toBe(laptop.state.cursors.get(hello));

        // Mute on the phone, unmute on the laptop: each reaches the other and each session ends unmuted.
        await phone.muteTopic({ stream: 'general', topic: 'news' });
        await until(laptop, (s) => s.muted.has(news));
        expect((await folded(laptop, 1)).muted).toEqual([{ stream: 'general', topic: 'news' }]);
        await laptop.unmuteTopic({ stream: 'general', topic: 'news' });
        await until(phone, (s) => !s.muted.has(news));
        expect((await folded(phone, 2)).muted).toEqual([]);
        await phone.muteTopic({ stream: 'general', topic: 'news' });
        await until(laptop, (s) => s.muted.has(news));

        // A new device: the user's state at once (hello read, news muted with 3 unread), then folded into its session.
        const tablet = await device(hub.url, ann.token, 'tablet');
        const first = await until(tablet, (s) => s.streams.has('general') && s.unread.size > 0);
        expect(first.unread.has(hello)).toBe(false);
        expect(first.unread.get(news)).toBe(3);
        expect(first.muted.has(news)).toBe(true);
        const tabletSession = await folded(tablet, 1);
        expect(tabletSession.cursors.find((c) => c.topic === 'hello')?.upTo).toBe(laptop.state.cursors.get(hello));
        expect(tabletSession.muted).toEqual([{ stream: 'general', topic: 'news' }]);
        expect(tabletSession.unread.map((u) => u.topic)).toEqual(['news']);

        // New messages count as unread on every device again.
        await writer.sendMessage({ stream: 'general', topic: 'hello', content: 'again' });
        await Promise.all([laptop, phone, tablet].map((c) => until(c, (s) => s.unread.get(hello) === 1)));
      } finally {
        await hub.stop();
      }
    });

    it('marks, mutes and folds on streams the user cannot see change nothing of the user state', async () => {
      const hub = await startHubOn(kind);
      try {
        const ann = await register(hub.url, { username: 'ann', password: 'password-ann' });
        const eve = await register(hub.url, { username: 'eve', password: 'password-eve' });
        const annLaptop = await device(hub.url, ann.token, 'ann-laptop');
        const { group } = await annLaptop.createGroup({ name: 'private' });
        await annLaptop.createStream({ stream: 'secret', groups: [group.groupId] });
        await annLaptop.sendMessage({ stream: 'secret', topic: 'plans', content: 'not for eve' });
        const evil = await device(hub.url, eve.token, 'eve-laptop');
        const pushes: string[] = [];
        evil.outcomes$.subscribe(({ outcome }) => pushes.push(outcome.type));
        await expect(evil.markRead({ stream: 'secret', topic: 'plans', upTo: 99 })).rejects.toMatchObject({ code: 'not_found' });
        await expect(evil.muteTopic({ stream: 'secret', topic: 'plans' })).rejects.toMatchObject({ code: 'not_found' });
        const folded = await evil.syncReadState({ cursors: [{ stream: 'secret', topic: 'plans', upTo: 99 }], mutes: [{ stream: 'secret', topic: 'plans', muted: true }] });
        expect(folded).toEqual({ cursors: [], unread: [] });
        // A fold of a bad shape is refused before it reaches the hub, as every command.
        await expect(evil.syncReadState({ cursors: [{ stream: 'secret', topic: 'plans', upTo: -1 }], mutes: [] })).rejects.toMatchObject({ code: 'bad_schema' });
        const state = await evil.getReadState();
        expect(state).toMatchObject({ cursors: [], muted: [], unread: [], fold: { cursors: [], mutes: [] } });
        expect(pushes.filter((t) => t === 'TopicRead' || t === 'TopicMuteChanged')).toEqual([]);
        // Ann's state is hers alone.
        expect((await annLaptop.getReadState()).muted).toEqual([]);
      } finally {
        await hub.stop();
      }
    });
  });
}

/** The device's own session state (GetSessionState) once the hub has answered its `count`-th fold. */
async function folded(client: ImClient, count: number) {
  await firstValueFrom(foldsAnswered.get(client)!.pipe(filter((n) => n >= count)));
  return client.getSessionState();
}

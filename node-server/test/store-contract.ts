// The Store contract: behaviour every implementation of `src/store/Store.ts` must show, written once and run
// against SQLite (store-contract.sqlite.test.ts) and PostgreSQL (store-contract.postgres.test.ts). Each test gets
// a fresh, empty store from the factory (a new SQLite file / a new PostgreSQL schema) and disposes of it after.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { appendPushes } from '../src/store/appendPushes.js';
import { outcomeBoundsOf } from '../src/store/outcomeBoundsOf.js';
import { postMessage } from '../src/store/postMessage.js';
import { StoreConflictError, type HistoryQuery, type MessagePost, type NewMessage, type Store } from '../src/store/Store.js';

export interface StoreFactory {
  /** A fresh, migrated, empty store. */
  open(): Promise<Store>;
  /** A second store on the SAME database as the last `open()` (another hub), when the engine allows several. */
  openPeer?(): Promise<Store>;
  /** Disposes of everything `open` and `openPeer` made. */
  dispose(): Promise<void>;
}

const now = 1_700_000_000_000;

export function describeStoreContract(engine: string, factory: StoreFactory): void {
  describe(`Store contract: ${engine}`, () => {
    afterEach(async () => {
      await factory.dispose();
    });

    async function seed(store: Store) {
      await store.insertUser({ id: 'u1', username: 'ada', passwordHash: 'h1', createdAt: now });
      await store.insertUser({ id: 'u2', username: 'bob', passwordHash: 'h2', createdAt: now });
      await store.insertUser({ id: 'u3', username: 'cy', passwordHash: 'h3', createdAt: now });
      await store.insertGroup({ id: 'g1', name: 'core', description: 'core team', ownerId: 'u1', createdAt: now });
      await store.insertGroup({ id: 'g2', name: 'ops', description: '', ownerId: 'u2', createdAt: now });
      await store.addMember('g1', 'u1');
      await store.addMember('g1', 'u2');
      await store.addMember('g2', 'u2');
      await store.addMember('g2', 'u3');
      await store.insertStream({ name: 'general', description: 'all', creatorId: 'u1', createdAt: now, groups: ['g1'] });
    }

    const message = (id: string, over: Partial<NewMessage> = {}): NewMessage => ({
      id,
      stream: 'general',
      topic: 'hello',
      senderId: 'u1',
      content: `text ${id}`,
      createdAt: now,
      ...over,
    });

    it('finds users by id and name, and refuses a taken username without harming the first', async () => {
      const store = await factory.open();
      await store.insertUser({ id: 'u1', username: 'ada', passwordHash: 'scrypt$x', createdAt: now });
      await expect(store.insertUser({ id: 'u9', username: 'ada', passwordHash: 'other', createdAt: now })).rejects.toBeInstanceOf(
        StoreConflictError,
      );
      expect(await store.userByName('ada')).toEqual({ id: 'u1', username: 'ada', passwordHash: 'scrypt$x', createdAt: now, tokensValidAfter: 0, deactivatedAt: null });
      expect(await store.userById('u1')).toEqual({ id: 'u1', username: 'ada', passwordHash: 'scrypt$x', createdAt: now, tokensValidAfter: 0, deactivatedAt: null });
      expect(await store.userById('u9')).toBeUndefined();
      expect(await store.userByName('nobody')).toBeUndefined();
    });

    it('finds active users by username prefix, sorted and bounded; _ . - are plain characters, not wildcards', async () => {
      const store = await factory.open();
      for (const [id, username] of [['a', 'ann'], ['b', 'anna'], ['c', 'an_x'], ['d', 'andy'], ['e', 'bob'], ['f', 'anz.q'], ['g', 'aox']] as const) {
        await store.insertUser({ id, username, passwordHash: 'h', createdAt: now });
      }
      const names = async (prefix: string, limit = 10) => (await store.usersByPrefix(prefix, limit)).map((user) => user.username);
      expect(await names('an')).toEqual(['an_x', 'andy', 'ann', 'anna', 'anz.q']);
      expect(await names('an', 2)).toEqual(['an_x', 'andy']);
      expect(await names('an_')).toEqual(['an_x']); // LIKE would also have matched andy, ann, anna, anz.q
      expect(await names('anz.')).toEqual(['anz.q']);
      expect(await names('ann')).toEqual(['ann', 'anna']);
      expect(await names('zed')).toEqual([]);
      expect(await names('', 3)).toEqual(['an_x', 'andy', 'ann']);
      await store.setDeactivated('b', now);
      expect(await names('ann')).toEqual(['ann']);
      expect((await store.usersByPrefix('bob', 1))[0]).toMatchObject({ id: 'e', username: 'bob' });
    });

    it('revokes a signed-out login and every login issued before a password change, and only those', async () => {
      const store = await factory.open();
      await store.insertUser({ id: 'u1', username: 'ada', passwordHash: 'old', createdAt: now });
      await store.insertUser({ id: 'u2', username: 'bob', passwordHash: 'h', createdAt: now });
      const logins = [
        { loginId: 'l1', userId: 'u1', issuedAt: now },
        { loginId: 'l2', userId: 'u1', issuedAt: now + 10 },
        { loginId: 'l3', userId: 'u2', issuedAt: now },
        { loginId: 'l4', userId: 'gone', issuedAt: now },
      ];
      expect(await store.revokedAmong(logins)).toEqual(new Set(['l4']));
      expect(await store.revokedAmong([])).toEqual(new Set());
      await store.revokeLogin('l1', 'u1', Date.now() + 60_000);
      await store.revokeLogin('l1', 'u1', Date.now() + 60_000); // twice: no conflict
      expect(await store.revokedAmong(logins)).toEqual(new Set(['l1', 'l4']));
      await store.setPassword('u2', 'new', now + 5);
      expect((await store.userById('u2'))?.passwordHash).toBe('new');
      expect(await store.revokedAmong([...logins, { loginId: 'l5', userId: 'u2', issuedAt: now + 5 }])).toEqual(new Set(['l1', 'l3', 'l4']));
      // A deactivated account: every token refused; reactivated, the old ones stay refused.
      await store.setDeactivated('u2', Date.now());
      expect((await store.userById('u2'))?.deactivatedAt).toEqual(expect.any(Number));
      expect(await store.revokedAmong([{ loginId: 'l6', userId: 'u2', issuedAt: Date.now() + 60_000 }])).toEqual(new Set(['l6']));
      await store.setDeactivated('u2', null);
      expect((await store.userById('u2'))?.deactivatedAt).toBeNull();
      expect(await store.revokedAmong([{ loginId: 'l5', userId: 'u2', issuedAt: now + 5 }, { loginId: 'l7', userId: 'u2', issuedAt: Date.now() + 60_000 }])).toEqual(new Set(['l5']));
    });

    it('a conflict inside a transaction can be caught and the transaction still commits its other writes', async () => {
      const store = await factory.open();
      await store.insertUser({ id: 'u1', username: 'ada', passwordHash: 'h', createdAt: now });
      const caught = await store.transaction(async (tx) => {
        const error = await tx.insertUser({ id: 'u2', username: 'ada', passwordHash: 'h', createdAt: now }).catch((e: unknown) => e);
        await tx.insertUser({ id: 'u3', username: 'cy', passwordHash: 'h', createdAt: now });
        return error;
      });
      expect(caught).toBeInstanceOf(StoreConflictError);
      expect((await store.userById('u3'))?.username).toBe('cy');
      expect(await store.userById('u2')).toBeUndefined();
    });

    it('keeps group membership idempotent and sorted, and lists a user’s groups', async () => {
      const store = await factory.open();
      await seed(store);
      await store.addMember('g1', 'u2'); // again: no error, no duplicate
      expect(await store.members('g1')).toEqual(['u1', 'u2']);
      expect(await store.isMember('g1', 'u3')).toBe(false);
      expect((await store.groupsOf('u2')).map((g) => g.id)).toEqual(['g1', 'g2']);
      expect(await store.groupById('g1')).toEqual({ id: 'g1', name: 'core', description: 'core team', ownerId: 'u1', createdAt: now });
      await store.removeMember('g1', 'u2');
      expect(await store.members('g1')).toEqual(['u1']);
    });

    it('shows a stream only to members of its groups, and its audience is exactly them', async () => {
      const store = await factory.open();
      await seed(store);
      expect(await store.streamByName('general')).toEqual({ name: 'general', description: 'all', creatorId: 'u1', createdAt: now, groups: ['g1'] });
      expect(await store.canSee('u1', 'general')).toBe(true);
      expect(await store.canSee('u3', 'general')).toBe(false);
      expect(await store.streamAudience('general')).toEqual(['u1', 'u2']);
      expect((await store.streamsVisibleTo('u3')).map((s) => s.name)).toEqual([]);

      await store.setStreamGroups('general', ['g2', 'g1']);
      expect((await store.streamByName('general'))?.groups).toEqual(['g1', 'g2']);
      expect(await store.streamAudience('general')).toEqual(['u1', 'u2', 'u3']);
      await store.setStreamGroups('general', ['g2']);
      expect(await store.canSee('u1', 'general')).toBe(false);
      expect(await store.streamsVisibleTo('u3')).toEqual([{ name: 'general', description: 'all', creatorId: 'u1', createdAt: now, groups: ['g2'] }]);
    });

    it('refuses a second stream of the same name', async () => {
      const store = await factory.open();
      await seed(store);
      await expect(store.insertStream({ name: 'general', description: '', creatorId: 'u2', createdAt: now, groups: [] })).rejects.toBeInstanceOf(
        StoreConflictError,
      );
      expect((await store.streamByName('general'))?.creatorId).toBe('u1');
    });

    it('dissolving a group removes its memberships and the visibility it gave', async () => {
      const store = await factory.open();
      await seed(store);
      await store.deleteGroup('g1');
      expect(await store.groupById('g1')).toBeUndefined();
      expect(await store.groupsOf('u1')).toEqual([]);
      expect(await store.streamAudience('general')).toEqual([]);
      expect((await store.streamByName('general'))?.groups).toEqual([]);
    });

    it('numbers messages in a strictly increasing seq and pages history in ascending order', async () => {
      const store = await factory.open();
      await seed(store);
      const seqs: number[] = [];
      for (let i = 0; i < 7; i++) seqs.push((await store.insertMessage(message(`m${i}`, { topic: i % 2 ? 'odd' : 'even' }))).seq);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);

      const newest = await store.history({ stream: 'general', limit: 3 });
      expect(newest.map((m) => m.id)).toEqual(['m4', 'm5', 'm6']);
      const older = await store.history({ stream: 'general', before: newest[0]!.seq, limit: 3 });
      expect(older.map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
      expect((await store.history({ stream: 'general', topic: 'odd', limit: 10 })).map((m) => m.id)).toEqual(['m1', 'm3', 'm5']);
      expect(newest[2]).toEqual({
        id: 'm6', seq: seqs[6], stream: 'general', topic: 'even', senderId: 'u1', senderName: 'ada',
        content: 'text m6', createdAt: now, editedAt: null, deleted: false,
      });
    });

    it('cuts a history page at a content budget: the message that passes it and the next older one, no more', async () => {
      const store = await factory.open();
      await seed(store);
      // Newest first: m9 … m0, 1,000 characters each (m5 has 'é's: characters, not bytes, are counted).
      for (let i = 0; i < 10; i++) await store.insertMessage(message(`m${i}`, { content: (i === 5 ? 'é' : 'x').repeat(1_000) }));
      const ids = async (maxContentChars: number, more: Partial<HistoryQuery> = {}) =>
        (await store.history({ stream: 'general', limit: 100, maxContentChars, ...more })).map((m) => m.id);
      // 2,500 characters: m9, m8 within; m7 passes it; m6 is the one after.
      expect(await ids(2_500)).toEqual(['m6', 'm7', 'm8', 'm9']);
      expect(await ids(2_999)).toEqual(['m6', 'm7', 'm8', 'm9']);
      expect(await ids(3_000)).toEqual(['m5', 'm6', 'm7', 'm8', 'm9']);
      // m9 … m5 hold 5,000 characters (6,000 bytes in UTF-8): m3 is the one after the one that passes 5,000.
      expect(await ids(5_000)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
      // The newest alone passes the budget: it and the one after it.
      expect(await ids(10)).toEqual(['m8', 'm9']);
      // Paging, the topic filter and the limit still apply.
      expect(await ids(2_500, { before: (await store.messageById('m6'))!.seq })).toEqual(['m2', 'm3', 'm4', 'm5']);
      expect(await ids(2_500, { topic: 'nope' })).toEqual([]);
      expect(await ids(100_000, { limit: 3 })).toEqual(['m7', 'm8', 'm9']);
      expect(await ids(100_000)).toHaveLength(10);
    });

    it('returns the inserted message with its sender name and refuses a duplicate message id', async () => {
      const store = await factory.open();
      await seed(store);
      const m = await store.insertMessage(message('m1', { senderId: 'u2' }));
      expect(m).toMatchObject({ id: 'm1', senderId: 'u2', senderName: 'bob', editedAt: null, deleted: false });
      await expect(store.insertMessage(message('m1'))).rejects.toBeInstanceOf(StoreConflictError);
      expect((await store.history({ stream: 'general', limit: 10 })).length).toBe(1);
    });

    it('edits and deletes messages; a deleted message keeps its place with blank content', async () => {
      const store = await factory.open();
      await seed(store);
      await store.insertMessage(message('m1'));
      await store.editMessage('m1', 'fixed', now + 5);
      expect(await store.messageById('m1')).toMatchObject({ content: 'fixed', editedAt: now + 5, deleted: false });
      await store.deleteMessage('m1');
      expect(await store.messageById('m1')).toMatchObject({ content: '', deleted: true });
      expect((await store.history({ stream: 'general', limit: 10 })).map((m) => m.id)).toEqual(['m1']);
      expect(await store.messageById('nope')).toBeUndefined();
    });

    it('counts unread messages after a cursor, not one’s own and not deleted ones', async () => {
      const store = await factory.open();
      await seed(store);
      const first = await store.insertMessage(message('m1', { senderId: 'u2' }));
      await store.insertMessage(message('m2', { senderId: 'u2' }));
      await store.insertMessage(message('m3', { senderId: 'u1' }));
      await store.insertMessage(message('m4', { senderId: 'u2' }));
      await store.deleteMessage('m4');
      await store.insertMessage(message('m5', { senderId: 'u2', topic: 'other' }));
      expect(await store.countUnread({ stream: 'general', topic: 'hello', afterSeq: 0, excludeSender: 'u1' })).toBe(2);
      expect(await store.countUnread({ stream: 'general', topic: 'hello', afterSeq: first.seq, excludeSender: 'u1' })).toBe(1);
    });

    it('deleting a stream removes it with its topics, messages, reviewers, votes, admins and the read cursors and mutes users had in it; its name can be used again', async () => {
      const store = await factory.open();
      await seed(store);
      await store.insertStream({ name: 'other', description: '', creatorId: 'u1', createdAt: now, groups: ['g1'] });
      await store.insertMessage(message('m1'));
      await store.insertMessage(message('m2', { senderId: 'u2', recipients: ['u1', 'u2'] }));
      const kept = await store.insertMessage(message('m3', { stream: 'other' }));
      await store.setTopicStatus('general', 'hello', 3);
      await store.addReviewer('general', 'u2');
      await store.setVote('general', 'hello', 'u2', 1);
      await store.setStreamAdmins('general', ['u2']);
      await store.advanceUserCursor('u1', 'general', 'hello', 2);
      await store.setUserMuted('u1', 'general', 'hello', true);
      await store.advanceUserCursor('u1', 'other', 'hello', 3);
      await store.setUserMuted('u1', 'other', 'hello', true);
      await store.transaction(async (tx) => tx.deleteStream('general'));
      expect(await store.streamByName('general')).toBeUndefined();
      expect(await store.messageById('m1')).toBeUndefined();
      expect(await store.messageRecipients('m2')).toBeUndefined();
      expect((await store.streamsVisibleTo('u1')).map((s) => s.name)).toEqual(['other']);
      expect(await store.messageById('m3')).toMatchObject({ id: 'm3', seq: kept.seq });

      await store.insertStream({ name: 'general', description: 'again', creatorId: 'u2', createdAt: now, groups: ['g2'] });
      expect(await store.topicsOf('general')).toEqual([]);
      expect(await store.reviewers('general')).toEqual([]);
      expect(await store.votes('general', 'hello')).toEqual({});
      expect(await store.streamAdmins('general')).toEqual([]);
      expect(await store.history({ stream: 'general', limit: 10 })).toEqual([]);
      expect(await store.streamAudience('general')).toEqual(['u2', 'u3']);
      // A stream made again under the name starts unread and unmuted for everyone: the old one's read state went with it.
      expect(await store.userReadState('u1')).toEqual({
        cursors: [{ stream: 'other', topic: 'hello', upTo: 3 }],
        muted: [{ stream: 'other', topic: 'hello' }],
      });
    });

    it('keeps a narrowed message its recipients’: history for a viewer and unread counts leave it out for others', async () => {
      const store = await factory.open();
      await seed(store);
      await store.insertMessage(message('m1', { senderId: 'u2' }));
      const narrowed = await store.insertMessage(message('m2', { senderId: 'u2', recipients: ['u2', 'u3'] }));
      expect(narrowed).not.toHaveProperty('recipients');
      expect(await store.messageRecipients('m2')).toEqual(['u2', 'u3']);
      expect(await store.messageRecipients('m1')).toBeUndefined();
      expect(await store.messageRecipients('nope')).toBeUndefined();
      expect((await store.history({ stream: 'general', limit: 10, viewer: 'u1' })).map((m) => m.id)).toEqual(['m1']);
      expect((await store.history({ stream: 'general', topic: 'hello', limit: 10, viewer: 'u3' })).map((m) => m.id)).toEqual(['m1', 'm2']);
      expect((await store.history({ stream: 'general', limit: 10 })).map((m) => m.id)).toEqual(['m1', 'm2']);
      expect(await store.countUnread({ stream: 'general', topic: 'hello', afterSeq: 0, excludeSender: 'u1' })).toBe(1);
      expect(await store.countUnread({ stream: 'general', topic: 'hello', afterSeq: 0, excludeSender: 'u3' })).toBe(2);
    });

    it('posts a message to a stream’s audience (postMessage, or its fallback): narrowed within it, refused to who does not see it', async () => {
      const store = await factory.open();
      await seed(store);
      await store.addMember('g1', 'u3');
      await store.removeMember('g2', 'u3');
      await store.insertStream({ name: 'ops', description: '', creatorId: 'u2', createdAt: now, groups: ['g2'] });
      const post = (id: string, over: Partial<MessagePost> = {}): MessagePost => ({ id, stream: 'general', topic: 'hello', senderId: 'u1', content: id, createdAt: now, ...over });
      // In a transaction, as the hub runs it: the push to the recipients follows (a store may have taken their ids).
      const posted = await store.transaction(async (tx) => {
        const p = await postMessage(tx, post('m1'));
        await appendPushes(tx.outcomes, [{ userIds: p!.recipients, body: { id: p!.record.id } }]);
        return p;
      });
      expect(posted).toEqual({
        record: { id: 'm1', seq: expect.any(Number), stream: 'general', topic: 'hello', senderId: 'u1', senderName: 'ada', content: 'm1', createdAt: now, editedAt: null, deleted: false },
        recipients: ['u1', 'u2', 'u3'],
      });
      expect(await store.outcomes.outcomesAfter('u3', 0, 10)).toEqual([{ id: 1, body: { id: 'm1' } }]);
      expect(await store.messageById('m1')).toEqual(posted!.record);
      // Narrowed: the wanted users who see the stream, plus the sender; 'u9' (no such user) is dropped, not added.
      const narrowed = await postMessage(store, post('m2', { senderId: 'u2', narrowTo: ['u3', 'u9'] }));
      expect(narrowed!.recipients).toEqual(['u2', 'u3']);
      expect(await store.messageRecipients('m2')).toEqual(['u2', 'u3']);
      // A stream the sender does not see, or none at all: undefined, and nothing written.
      expect(await postMessage(store, post('m3', { stream: 'ops' }))).toBeUndefined();
      expect(await postMessage(store, post('m4', { stream: 'nowhere' }))).toBeUndefined();
      expect(await store.messageById('m3')).toBeUndefined();
      expect(await store.topicsOf('ops')).toEqual([]);
      expect(await store.outcomes.outcomeBounds('u2')).toEqual({ first: 1, last: 1 });
    });

    it('stores the administrators a stream’s creator names, sorted, replacing the previous list', async () => {
      const store = await factory.open();
      await seed(store);
      expect(await store.streamAdmins('general')).toEqual([]);
      await store.setStreamAdmins('general', ['u3', 'u2']);
      expect(await store.streamAdmins('general')).toEqual(['u2', 'u3']);
      await store.transaction(async (tx) => tx.setStreamAdmins('general', ['u2']));
      expect(await store.streamAdmins('general')).toEqual(['u2']);
    });

    it('creates a topic on its first message as a discussion and tracks its last seq; statuses can be set', async () => {
      const store = await factory.open();
      await seed(store);
      expect(await store.topic('general', 'hello')).toBeUndefined();
      await store.insertMessage(message('m1'));
      const m2 = await store.insertMessage(message('m2'));
      expect(await store.topic('general', 'hello')).toEqual({ stream: 'general', topic: 'hello', status: 5, lastSeq: m2.seq });
      await store.setTopicStatus('general', 'hello', 3);
      await store.setTopicStatus('general', 'alpha', 4);
      expect(await store.topicsOf('general')).toEqual([
        { stream: 'general', topic: 'alpha', status: 4, lastSeq: 0 },
        { stream: 'general', topic: 'hello', status: 3, lastSeq: m2.seq },
      ]);
    });

    it('keeps reviewers as a set and one vote per reviewer per topic', async () => {
      const store = await factory.open();
      await seed(store);
      await store.addReviewer('general', 'u2');
      await store.addReviewer('general', 'u1');
      await store.addReviewer('general', 'u2');
      expect(await store.reviewers('general')).toEqual(['u1', 'u2']);
      await store.setVote('general', 'hello', 'u1', 1);
      await store.setVote('general', 'hello', 'u2', 1);
      await store.setVote('general', 'hello', 'u2', 0);
      expect(await store.votes('general', 'hello')).toEqual({ u1: 1, u2: 0 });
      await store.clearVotes('general', 'hello');
      expect(await store.votes('general', 'hello')).toEqual({});
      await store.removeReviewer('general', 'u1');
      expect(await store.reviewers('general')).toEqual(['u2']);
    });

    it('numbers each user’s outcomes 1, 2, 3… independently and returns them in order after a cursor', async () => {
      const store = await factory.open();
      expect(await store.outcomes.outcomeBounds('u1')).toEqual({ first: 0, last: 0 });
      const a = [];
      for (let i = 0; i < 5; i++) a.push(await store.outcomes.appendOutcome('u1', { type: 'NewMessage', n: i }));
      const b = await store.outcomes.appendOutcome('u2', { type: 'NewGroup', nested: { list: [1, 'x', null] } });
      expect(a).toEqual([1, 2, 3, 4, 5]);
      expect(b).toBe(1);
      expect(await store.outcomes.outcomesAfter('u1', 2, 2)).toEqual([
        { id: 3, body: { type: 'NewMessage', n: 2 } },
        { id: 4, body: { type: 'NewMessage', n: 3 } },
      ]);
      expect(await store.outcomes.outcomesAfter('u2', 0, 10)).toEqual([{ id: 1, body: { type: 'NewGroup', nested: { list: [1, 'x', null] } } }]);
      expect(await store.outcomes.outcomeBounds('u1')).toEqual({ first: 1, last: 5 });
      expect((await store.outcomes.usersWithOutcomes()).sort()).toEqual(['u1', 'u2']);
    });

    it('appends one outcome to many users’ logs at once, each with its own next id, in the order asked', async () => {
      const store = await factory.open();
      await store.outcomes.appendOutcome('u2', { first: true });
      const body = { type: 'NewMessage', nested: { list: [1, 'x', null] } };
      expect(await store.transaction((tx) => tx.outcomes.appendOutcomes(['u3', 'u1', 'u2', 'u1'], body))).toEqual([1, 1, 2, 1]);
      expect(await store.outcomes.appendOutcomes(['u2'], { second: true })).toEqual([3]);
      expect(await store.outcomes.outcomesAfter('u1', 0, 10)).toEqual([{ id: 1, body }]);
      expect(await store.outcomes.outcomesAfter('u2', 0, 10)).toEqual([
        { id: 1, body: { first: true } },
        { id: 2, body },
        { id: 3, body: { second: true } },
      ]);
      await expect(
        store.transaction(async (tx) => {
          await tx.outcomes.appendOutcomes(['u1', 'u3'], { lost: true });
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await store.outcomes.appendOutcomes(['u3', 'u1'], { after: true })).toEqual([2, 2]);
    });

    it('reads the outcome bounds of several users at once, as one by one (a reconnect storm of joins)', async () => {
      const store = await factory.open();
      for (let i = 0; i < 4; i++) await store.outcomes.appendOutcome('u1', { i });
      await store.outcomes.appendOutcome('u2', { only: true });
      await store.outcomes.pruneOutcomes('u1', 3);
      const users = ['u1', 'u2', 'nobody', 'u1'];
      const together = await outcomeBoundsOf(store.outcomes, users);
      expect([...together.keys()].sort()).toEqual(['nobody', 'u1', 'u2']);
      for (const userId of users) expect(together.get(userId)).toEqual(await store.outcomes.outcomeBounds(userId));
      expect(together.get('u1')).toEqual({ first: 3, last: 4 });
      expect(together.get('nobody')).toEqual({ first: 0, last: 0 });
      expect(await outcomeBoundsOf(store.outcomes, [])).toEqual(new Map());
    });

    it('pruning forgets old outcomes but never reuses an id', async () => {
      const store = await factory.open();
      for (let i = 0; i < 4; i++) await store.outcomes.appendOutcome('u1', { i });
      await store.outcomes.pruneOutcomes('u1', 3);
      expect(await store.outcomes.outcomeBounds('u1')).toEqual({ first: 3, last: 4 });
      expect((await store.outcomes.outcomesAfter('u1', 0, 10)).map((o) => o.id)).toEqual([3, 4]);
      await store.outcomes.pruneOutcomes('u1', 5);
      expect(await store.outcomes.outcomeBounds('u1')).toEqual({ first: 0, last: 4 });
      expect(await store.outcomes.appendOutcome('u1', { i: 5 })).toBe(5);
    });

    it("keeps each user's read cursors (never moving back) and mutes, and says when they changed", async () => {
      const store = await factory.open();
      expect(await store.userReadState('u1')).toEqual({ cursors: [], muted: [] });
      expect(await store.advanceUserCursor('u1', 'general', 'hello', 7)).toBe(true);
      expect(await store.advanceUserCursor('u1', 'general', 'hello', 5)).toBe(false);
      expect(await store.advanceUserCursor('u1', 'general', 'hello', 7)).toBe(false);
      expect(await store.advanceUserCursor('u1', 'general', 'hello', 2 ** 40)).toBe(true);
      expect(await store.advanceUserCursor('u1', 'general', 'alpha', 3)).toBe(true);
      expect(await store.advanceUserCursor('u2', 'general', 'hello', 1)).toBe(true);
      expect(await store.setUserMuted('u1', 'general', 'hello', true)).toBe(true);
      expect(await store.setUserMuted('u1', 'general', 'hello', true)).toBe(false);
      expect(await store.setUserMuted('u1', 'ops', 'deploys', true)).toBe(true);
      expect(await store.setUserMuted('u1', 'ops', 'deploys', false)).toBe(true);
      expect(await store.setUserMuted('u1', 'ops', 'deploys', false)).toBe(false);
      expect(await store.userReadState('u1')).toEqual({
        cursors: [
          { stream: 'general', topic: 'alpha', upTo: 3 },
          { stream: 'general', topic: 'hello', upTo: 2 ** 40 },
        ],
        muted: [{ stream: 'general', topic: 'hello' }],
      });
      expect(await store.userReadState('u2')).toEqual({ cursors: [{ stream: 'general', topic: 'hello', upTo: 1 }], muted: [] });
      // Inside a transaction that fails, nothing of it stays.
      await expect(
        store.transaction(async (tx) => {
          await tx.advanceUserCursor('u3', 'general', 'hello', 9);
          await tx.setUserMuted('u3', 'general', 'hello', true);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await store.userReadState('u3')).toEqual({ cursors: [], muted: [] });
    });

    it('stores one reply per (user, trace id) for idempotent commands', async () => {
      const store = await factory.open();
      expect(await store.replies.findReply('u1', 't1')).toBeUndefined();
      await store.replies.saveReply('u1', 't1', { ok: true, data: { id: 'm1' } });
      await store.replies.saveReply('u2', 't1', { ok: false, error: { code: 'forbidden' } });
      expect(await store.replies.findReply('u1', 't1')).toEqual({ ok: true, data: { id: 'm1' } });
      expect(await store.replies.findReply('u2', 't1')).toEqual({ ok: false, error: { code: 'forbidden' } });
    });

    it('a transaction that throws leaves nothing behind: no user, no outcome, no reply, no used outcome id', async () => {
      const store = await factory.open();
      await store.outcomes.appendOutcome('u1', { before: true });
      const boom = new Error('handler crashed');
      await expect(
        store.transaction(async (tx) => {
          await tx.insertUser({ id: 'u1', username: 'ada', passwordHash: 'h', createdAt: now });
          await tx.outcomes.appendOutcome('u1', { lost: true });
          await tx.replies.saveReply('u1', 't1', { ok: true });
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await store.userById('u1')).toBeUndefined();
      expect(await store.replies.findReply('u1', 't1')).toBeUndefined();
      expect(await store.outcomes.outcomeBounds('u1')).toEqual({ first: 1, last: 1 });
      expect(await store.outcomes.appendOutcome('u1', { after: true })).toBe(2);
    });

    it('a committed transaction’s writes are all visible, with its value returned', async () => {
      const store = await factory.open();
      const id = await store.transaction(async (tx) => {
        await tx.insertUser({ id: 'u1', username: 'ada', passwordHash: 'h', createdAt: now });
        await tx.replies.saveReply('u1', 't1', { ok: true });
        return tx.outcomes.appendOutcome('u1', { hello: 1 });
      });
      expect(id).toBe(1);
      expect(await store.userById('u1')).toBeDefined();
      expect(await store.replies.findReply('u1', 't1')).toEqual({ ok: true });
      expect(await store.outcomes.outcomesAfter('u1', 0, 10)).toEqual([{ id: 1, body: { hello: 1 } }]);
    });

    it('concurrent transactions appending to one user get gap-free, unique ids', async () => {
      const store = await factory.open();
      const ids = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.transaction(async (tx) => {
            const a = await tx.outcomes.appendOutcome('u1', { i, part: 'a' });
            const b = await tx.outcomes.appendOutcome('u2', { i });
            const c = await tx.outcomes.appendOutcome('u1', { i, part: 'c' });
            return { a, b, c };
          }),
        ),
      );
      for (const { a, c } of ids) expect(c).toBe(a + 1); // a transaction's outcomes for one user are contiguous
      expect(ids.flatMap(({ a, c }) => [a, c]).sort((x, y) => x - y)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
      expect(ids.map(({ b }) => b).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      const stored = await store.outcomes.outcomesAfter('u1', 0, 1000);
      expect(stored.map((o) => o.id)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    });

    // The ordering contract (Store.ts, TransactionHandle): how the hub runs a device's commands one after the other
    // without waiting for each commit to be durable.
    it('a transaction started once the previous one is ordered sees its writes and never commits before it', async () => {
      const store = await factory.open();
      await store.insertUser({ id: 'u1', username: 'ada', passwordHash: 'h', createdAt: now });
      const events: string[] = [];
      const committed: Array<Promise<unknown>> = [];
      // A device's five commands: each starts only when the one before is ordered, reads what it wrote, adds to it.
      for (let n = 1; n <= 5; n++) {
        const handle = store.startTransaction(async (tx) => {
          const before = await tx.extensionRecord('counter', 'k');
          await tx.putExtensionRecord('counter', 'k', { n, after: before?.value ?? null }, now + n);
          return tx.outcomes.appendOutcome('u1', { n });
        });
        committed.push(handle.committed.then((id) => void events.push(`committed ${n} as ${String(id)}`)));
        await handle.ordered;
        events.push(`ordered ${n}`);
      }
      await Promise.all(committed);
      // Each saw the one before (and its outcome id), and the commits came in command order.
      expect((await store.extensionRecord('counter', 'k'))?.value).toEqual({ n: 5, after: { n: 4, after: { n: 3, after: { n: 2, after: { n: 1, after: null } } } } });
      expect(events.filter((e) => e.startsWith('committed'))).toEqual([1, 2, 3, 4, 5].map((n) => `committed ${n} as ${n}`));
      // `ordered` came no later than the commit (SQLite: before it; PostgreSQL: at it).
      for (let n = 1; n <= 5; n++) expect(events.indexOf(`ordered ${n}`)).toBeLessThan(events.indexOf(`committed ${n} as ${n}`));
      expect((await store.outcomes.outcomesAfter('u1', 0, 10)).map((o) => o.body)).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
    });

    it('a transaction that fails before it is ordered never resolves `ordered`, and a later one sees nothing of it', async () => {
      const store = await factory.open();
      const failed = store.startTransaction(async (tx) => {
        await tx.insertUser({ id: 'u1', username: 'ada', passwordHash: 'h', createdAt: now });
        await tx.outcomes.appendOutcome('u1', { lost: true });
        throw new Error('refused');
      });
      let ordered = false;
      void failed.ordered.then(() => (ordered = true));
      await expect(failed.committed).rejects.toThrow('refused');
      const later = store.startTransaction(async (tx) => ({ user: await tx.userById('u1'), id: await tx.outcomes.appendOutcome('u1', { kept: true }) }));
      await later.ordered;
      expect(await later.committed).toEqual({ user: undefined, id: 1 });
      // (The hub waits for the failed command's reply instead: its redelivery must not run after the next command.)
      expect(ordered).toBe(false);
    });

    if (factory.openPeer) {
      const openPeer = factory.openPeer;
      it('two hubs on one database keep each user’s outcome ids gap-free and monotonic in commit order', async () => {
        const hubA = await factory.open();
        const hubB = await openPeer();
        const users = ['u1', 'u2', 'u3'];
        const work = (hub: Store, name: string) =>
          Promise.all(
            Array.from({ length: 30 }, (_, i) =>
              hub.transaction(async (tx) => {
                const got: Record<string, number> = {};
                // The hub fans out to a sorted audience (streamAudience is sorted), so locks are taken in one order.
                for (const u of users) got[u] = await tx.outcomes.appendOutcome(u, { hub: name, i });
                return got;
              }),
            ),
          );
        const [a, b] = await Promise.all([work(hubA, 'A'), work(hubB, 'B')]);
        for (const u of users) {
          const ids = [...a, ...b].map((g) => g[u]!).sort((x, y) => x - y);
          expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
          const stored = await hubB.outcomes.outcomesAfter(u, 0, 1000);
          expect(stored.map((o) => o.id)).toEqual(ids);
          // commit order = id order: within each transaction the ids of u1, u2, u3 came in one commit
          for (const g of [...a, ...b]) expect(g.u2! - g.u1!).toBe(g.u3! - g.u2!);
        }
      });

      it('two hubs that lock the same users in opposite orders both commit (the deadlock is retried, not surfaced)', async () => {
        const hubA = await factory.open();
        const hubB = await openPeer();
        let firstWrites = 0;
        let release!: () => void;
        const bothHoldOneLock = new Promise<void>((resolve) => (release = resolve));
        const crossing = (hub: Store, first: string, second: string) =>
          hub.transaction(async (tx) => {
            const a = await tx.outcomes.appendOutcome(first, { first });
            if (++firstWrites === 2) release();
            await bothHoldOneLock;
            const b = await tx.outcomes.appendOutcome(second, { second });
            return [a, b];
          });
        const [x, y] = await Promise.all([crossing(hubA, 'u1', 'u2'), crossing(hubB, 'u2', 'u1')]);
        expect([x![0], y![1]].sort()).toEqual([1, 2]); // u1's ids
        expect([x![1], y![0]].sort()).toEqual([1, 2]); // u2's ids
        expect((await hubA.outcomes.outcomesAfter('u1', 0, 10)).map((o) => o.id)).toEqual([1, 2]);
      });
    }

    it('keeps extension records per extension and key: put replaces, a prefix lists in key order, delete removes, a rollback keeps nothing', async () => {
      const store = await factory.open();
      await store.putExtensionRecord('poll', 'poll:general:b', { question: 'B?', votes: { u1: 0 } }, now);
      await store.putExtensionRecord('poll', 'poll:general:a', { question: 'A?' }, now);
      await store.putExtensionRecord('poll', 'poll:other:x', ['x', 1, null, true], now);
      await store.putExtensionRecord('other', 'poll:general:a', 'not the poll extension', now);
      await store.putExtensionRecord('poll', 'poll:general:a', { question: 'A2?', 'ünï': '😀' }, now + 1);
      expect(await store.extensionRecord('poll', 'poll:general:a')).toEqual({ key: 'poll:general:a', value: { question: 'A2?', 'ünï': '😀' }, updatedAt: now + 1 });
      expect(await store.extensionRecord('poll', 'missing')).toBeUndefined();
      expect((await store.extensionRecords('poll', 'poll:general:', 10)).map((r) => r.key)).toEqual(['poll:general:a', 'poll:general:b']);
      expect((await store.extensionRecords('poll', '', 10)).map((r) => r.key)).toEqual(['poll:general:a', 'poll:general:b', 'poll:other:x']);
      expect((await store.extensionRecords('poll', '', 1, 'poll:general:a')).map((r) => r.key)).toEqual(['poll:general:b']);
      expect((await store.extensionRecords('poll', 'poll:other:', 10))[0]?.value).toEqual(['x', 1, null, true]);
      expect(await store.extensionRecord('other', 'poll:general:a')).toMatchObject({ value: 'not the poll extension' });
      expect(await store.deleteExtensionRecord('poll', 'poll:general:b')).toBe(true);
      expect(await store.deleteExtensionRecord('poll', 'poll:general:b')).toBe(false);
      await expect(
        store.transaction(async (tx) => {
          await tx.putExtensionRecord('poll', 'poll:general:c', 1, now);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await store.extensionRecord('poll', 'poll:general:c')).toBeUndefined();
      expect((await store.extensionRecords('poll', 'poll:', 10)).map((r) => r.key)).toEqual(['poll:general:a', 'poll:other:x']);
    });

    it('stores API keys by hash, lists them oldest first and revokes one once', async () => {
      const store = await factory.open();
      await seed(store);
      const key = { id: 'k1', name: 'ci-bot', userId: 'u1', hash: 'a'.repeat(64), createdAt: now, revokedAt: null };
      await store.insertApiKey(key);
      await store.insertApiKey({ ...key, id: 'k2', name: 'other', hash: 'b'.repeat(64), createdAt: now + 1 });
      await expect(store.insertApiKey({ ...key, id: 'k3' })).rejects.toThrow();
      expect(await store.apiKeyByHash('a'.repeat(64))).toEqual(key);
      expect(await store.apiKeyByHash('c'.repeat(64))).toBeUndefined();
      expect((await store.apiKeys()).map((k) => k.id)).toEqual(['k1', 'k2']);
      expect(await store.revokeApiKey('k1', now + 5)).toBe(true);
      expect(await store.revokeApiKey('k1', now + 6)).toBe(false);
      expect(await store.revokeApiKey('nope', now)).toBe(false);
      expect(await store.apiKeyByHash('a'.repeat(64))).toEqual({ ...key, revokedAt: now + 5 });
    });
  });
}

/** A name no other test run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

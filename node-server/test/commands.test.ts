// Every command against a real hub on a loopback port: its happy path (reply data and pushes to the right users)
// and its Err paths (typed codes, nothing changed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandTypes, topicStatuses, topicStatusRefusal } from '@stage/sdk/im';
import { startTestHub } from './support/startTestHub.js';
import { TestClient, registerUser, type Credentials } from './support/TestClient.js';

let hub: Awaited<ReturnType<typeof startTestHub>>;
let ann: TestClient;
let bob: TestClient;
let cid: TestClient;
let annCreds: Credentials;
let bobCreds: Credentials;
let cidCreds: Credentials;
let team: string;
let unique = 0;
const name = (prefix: string) => `${prefix}-${++unique}`;

beforeAll(async () => {
  hub = await startTestHub({ limits: { commandsPerSecond: 10_000, commandBurst: 10_000 } });
  [annCreds, bobCreds, cidCreds] = await Promise.all([registerUser(hub.url, 'ann'), registerUser(hub.url, 'bob'), registerUser(hub.url, 'cid')]);
  ann = new TestClient({ baseUrl: hub.url, token: annCreds.token, deviceId: 'ann-1' });
  bob = new TestClient({ baseUrl: hub.url, token: bobCreds.token, deviceId: 'bob-1' });
  cid = new TestClient({ baseUrl: hub.url, token: cidCreds.token, deviceId: 'cid-1' });
  await Promise.all([ann.connect(), bob.connect(), cid.connect()]);
  team = (await ann.ok('CreateGroup', { name: 'team' })).group.groupId;
  await ann.ok('AddGroupMember', { groupId: team, userId: bobCreds.userId });
});

afterAll(async () => {
  await Promise.all([ann?.close(), bob?.close(), cid?.close()]);
  await hub?.stop();
});

/** A stream visible to ann and bob (team), not to cid. */
async function teamStream(): Promise<string> {
  const stream = name('s');
  await ann.ok('CreateStream', { stream, groups: [team] });
  return stream;
}

describe('groups', () => {
  it('CreateGroup makes the caller owner and member and pushes NewGroup to them', async () => {
    const { group } = await cid.ok('CreateGroup', { name: 'solo', description: 'just me' });
    expect(group).toMatchObject({ name: 'solo', description: 'just me', ownerId: cidCreds.userId });
    await cid.until(() => cid.outcomesOf('NewGroup').some((o) => o.group.groupId === group.groupId));
    expect((await cid.ok('GetGroups', {})).groups.map((g) => g.groupId)).toContain(group.groupId);
  });

  it('AddGroupMember pushes NewGroup to the new member and NewMember to every member; refuses duplicates and outsiders', async () => {
    const { group } = await ann.ok('CreateGroup', { name: 'g-add' });
    const { member } = await ann.ok('AddGroupMember', { groupId: group.groupId, userId: cidCreds.userId });
    expect(member).toEqual({ userId: cidCreds.userId, username: 'cid' });
    await cid.until(() => cid.outcomesOf('NewMember').some((o) => o.groupId === group.groupId));
    expect(cid.outcomesOf('NewGroup').some((o) => o.group.groupId === group.groupId)).toBe(true);
    expect((await ann.err('AddGroupMember', { groupId: group.groupId, userId: cidCreds.userId })).code).toBe('conflict');
    expect((await bob.err('AddGroupMember', { groupId: group.groupId, userId: bobCreds.userId })).code).toBe('not_found');
    expect((await ann.err('AddGroupMember', { groupId: group.groupId, userId: 'no-such-user' })).code).toBe('not_found');
    const members = await ann.ok('GetGroupMembers', { groupId: group.groupId });
    expect(members.members.map((m) => m.username).sort()).toEqual(['ann', 'cid']);
    expect((await bob.err('GetGroupMembers', { groupId: group.groupId })).code).toBe('not_found');
  });

  it('DismissMember: a member leaves, only the owner removes others, the owner cannot leave', async () => {
    const { group } = await ann.ok('CreateGroup', { name: 'g-dismiss' });
    await ann.ok('AddGroupMember', { groupId: group.groupId, userId: bobCreds.userId });
    await ann.ok('AddGroupMember', { groupId: group.groupId, userId: cidCreds.userId });
    expect((await bob.err('DismissMember', { groupId: group.groupId, userId: cidCreds.userId })).code).toBe('forbidden');
    expect((await ann.err('DismissMember', { groupId: group.groupId, userId: annCreds.userId })).code).toBe('conflict');
    await bob.ok('DismissMember', { groupId: group.groupId, userId: bobCreds.userId });
    await ann.ok('DismissMember', { groupId: group.groupId, userId: cidCreds.userId });
    await cid.until(() => cid.outcomesOf('MemberDismissed').some((o) => o.groupId === group.groupId && o.userId === cidCreds.userId));
    expect((await ann.err('DismissMember', { groupId: group.groupId, userId: cidCreds.userId })).code).toBe('not_found');
    expect((await ann.ok('GetGroupMembers', { groupId: group.groupId })).members.map((m) => m.username)).toEqual(['ann']);
  });

  it('DismissGroup: owner only; members get GroupDissolved and StreamHidden for streams they no longer see', async () => {
    const { group } = await ann.ok('CreateGroup', { name: 'g-dissolve' });
    await ann.ok('AddGroupMember', { groupId: group.groupId, userId: cidCreds.userId });
    const stream = name('only-dissolving');
    await ann.ok('CreateStream', { stream, groups: [group.groupId] });
    expect((await cid.err('DismissGroup', { groupId: group.groupId })).code).toBe('forbidden');
    await ann.ok('DismissGroup', { groupId: group.groupId });
    await cid.until(() => cid.outcomesOf('StreamHidden').some((o) => o.stream === stream));
    expect(cid.outcomesOf('GroupDissolved').some((o) => o.groupId === group.groupId)).toBe(true);
    expect((await cid.err('GetHistory', { stream })).code).toBe('not_found');
    expect((await ann.err('DismissGroup', { groupId: group.groupId })).code).toBe('not_found');
  });

  it('DismissGroup deletes the streams only that group made visible, so their names are free again; a shared stream stays', async () => {
    const { group } = await ann.ok('CreateGroup', { name: 'g-orphans' });
    await ann.ok('AddGroupMember', { groupId: group.groupId, userId: bobCreds.userId });
    const alone = name('alone');
    const shared = name('shared');
    await ann.ok('CreateStream', { stream: alone, groups: [group.groupId] });
    await ann.ok('CreateStream', { stream: shared, groups: [group.groupId, team] });
    await bob.ok('SendMessage', { stream: alone, topic: 't', content: 'gone with the group' });
    await ann.ok('AppointReviewer', { stream: alone, reviewer: bobCreds.userId });
    const keep = await bob.ok('SendMessage', { stream: shared, topic: 't', content: 'stays' });
    // The name is taken while the stream lives, even for someone who cannot see it.
    expect((await cid.err('CreateStream', { stream: alone, groups: [(await cid.ok('CreateGroup', { name: 'g-reuse' })).group.groupId] })).code).toBe('conflict');
    await ann.ok('DismissGroup', { groupId: group.groupId });
    await bob.until(() => bob.outcomesOf('StreamHidden').some((o) => o.stream === alone));

    // The shared stream is still there for team, with its message; the dissolved group's stream is gone.
    expect((await bob.ok('GetHistory', { stream: shared })).messages.map((m) => m.messageId)).toEqual([keep.message.messageId]);
    const cidGroup = (await cid.ok('GetGroups', {})).groups.find((g) => g.name === 'g-reuse')!.groupId;
    await cid.ok('CreateStream', { stream: alone, groups: [cidGroup] });
    const fresh = await cid.ok('GetHistory', { stream: alone });
    expect(fresh.messages).toEqual([]);
    const streams = await cid.ok('GetStreams', {});
    expect(streams.streams.find((s) => s.name === alone)).toMatchObject({ creatorId: cidCreds.userId, reviewers: [] });
    expect(streams.topics.filter((t) => t.stream === alone)).toEqual([]);
    expect((await bob.err('GetHistory', { stream: alone })).code).toBe('not_found');
  });

  it('SearchUsers lists active users by username prefix, sorted and bounded; a bad prefix is bad_schema', async () => {
    expect((await cid.ok('SearchUsers', { prefix: 'b' })).users).toEqual([{ userId: bobCreds.userId, username: 'bob' }]);
    expect((await cid.ok('SearchUsers', { prefix: '' })).users.map((u) => u.username)).toEqual(['ann', 'bob', 'cid']);
    expect((await cid.ok('SearchUsers', { prefix: '', limit: 2 })).users.map((u) => u.username)).toEqual(['ann', 'bob']);
    expect((await cid.ok('SearchUsers', { prefix: 'zz' })).users).toEqual([]);
    expect((await cid.err('SearchUsers', { prefix: 'A%' })).code).toBe('bad_schema');
    // The refusal names the field and says what is wrong in English (the protocol schemas are zod/mini, which has no locale of its own).
    expect(await cid.err('SearchUsers', { prefix: 'a', limit: 21 })).toMatchObject({
      code: 'bad_schema',
      message: 'command.limit: Too big: expected number to be <=20',
      path: ['command', 'limit'],
    });
  });

  it('FindUser resolves a username, not_found otherwise', async () => {
    expect((await ann.ok('FindUser', { username: 'bob' })).user).toEqual({ userId: bobCreds.userId, username: 'bob' });
    expect((await ann.err('FindUser', { username: 'nobody' })).code).toBe('not_found');
  });
});

describe('streams', () => {
  it('CreateStream pushes StreamCreated to the audience only; refuses taken names and foreign groups', async () => {
    const stream = await teamStream();
    await bob.until(() => bob.outcomesOf('StreamCreated').some((o) => o.stream.name === stream));
    expect(cid.outcomesOf('StreamCreated').some((o) => o.stream.name === stream)).toBe(false);
    expect((await ann.err('CreateStream', { stream, groups: [team] })).code).toBe('conflict');
    const err = await cid.err('CreateStream', { stream: name('x'), groups: [team] });
    expect(err).toMatchObject({ code: 'not_found', path: ['command', 'groups', 0] });
  });

  it('SetStreamGroups reveals and hides the stream to exactly the users whose view changed', async () => {
    const stream = await teamStream();
    const { group } = await cid.ok('CreateGroup', { name: 'cid-only' });
    await cid.ok('AddGroupMember', { groupId: group.groupId, userId: annCreds.userId });
    expect((await bob.err('SetStreamGroups', { stream, groups: [team] })).code).toBe('forbidden');
    await ann.ok('SetStreamGroups', { stream, groups: [group.groupId] });
    await cid.until(() => cid.outcomesOf('StreamRevealed').some((o) => o.stream.name === stream));
    await bob.until(() => bob.outcomesOf('StreamHidden').some((o) => o.stream === stream));
    await ann.until(() => ann.outcomesOf('StreamGroupsChanged').some((o) => o.stream.name === stream));
    expect((await bob.err('SetStreamGroups', { stream, groups: [team] })).code).toBe('not_found');
    expect((await cid.ok('GetStreams', {})).streams.map((s) => s.name)).toContain(stream);
    expect((await bob.ok('GetStreams', {})).streams.map((s) => s.name)).not.toContain(stream);
  });

  it('GetStreams lists visible streams with their topics, statuses and lastSeq', async () => {
    const stream = await teamStream();
    const { message } = await bob.ok('SendMessage', { stream, topic: 'news', content: 'x' });
    const { streams, topics } = await bob.ok('GetStreams', {});
    expect(streams.find((s) => s.name === stream)).toMatchObject({ creatorId: annCreds.userId, groups: [team], reviewers: [] });
    expect(topics.find((t) => t.stream === stream)).toEqual({ stream, topic: 'news', status: 'discussion', votes: {}, lastSeq: message.seq });
  });
});

describe('messages', () => {
  it('SendMessage pushes NewMessage to the audience; recipients only narrow it, never widen it', async () => {
    const stream = await teamStream();
    const { message } = await ann.ok('SendMessage', { stream, topic: 't', content: 'to everyone' });
    await bob.until(() => bob.outcomesOf('NewMessage').some((o) => o.message.messageId === message.messageId));
    const narrowed = await ann.ok('SendMessage', { stream, topic: 't', content: 'just me (cid is not in the audience)', recipients: [cidCreds.userId] });
    await ann.until(() => ann.outcomesOf('NewMessage').some((o) => o.message.messageId === narrowed.message.messageId));
    const bobHistory = (await bob.ok('GetHistory', { stream })).messages.map((m) => m.messageId);
    expect(bobHistory).toEqual([message.messageId]); // a narrowed message stays its recipients' in history too
    expect(bob.outcomesOf('NewMessage').some((o) => o.message.messageId === narrowed.message.messageId)).toBe(false);
    expect(cid.outcomesOf('NewMessage').some((o) => o.message.stream === stream)).toBe(false);
    expect((await cid.err('SendMessage', { stream, topic: 't', content: 'intrude' })).code).toBe('not_found');
    expect((await ann.err('SendMessage', { stream: 'no-such-stream', topic: 't', content: 'x' })).code).toBe('not_found');
  });

  it('EditMessage and DeleteMessage: only the sender, not after deletion, pushed to the audience', async () => {
    const stream = await teamStream();
    const { message } = await ann.ok('SendMessage', { stream, topic: 't', content: 'v1' });
    expect((await bob.err('EditMessage', { messageId: message.messageId, content: 'hack' })).code).toBe('forbidden');
    const edited = await ann.ok('EditMessage', { messageId: message.messageId, content: 'v2' });
    expect(edited.message).toMatchObject({ content: 'v2', deleted: false });
    expect(edited.message.editedAt).not.toBeNull();
    await bob.until(() => bob.outcomesOf('MessageEdited').some((o) => o.message.messageId === message.messageId));
    expect((await bob.err('DeleteMessage', { messageId: message.messageId })).code).toBe('forbidden');
    expect((await ann.ok('DeleteMessage', { messageId: message.messageId })).message).toMatchObject({ deleted: true, content: '' });
    await bob.until(() => bob.outcomesOf('MessageDeleted').some((o) => o.messageId === message.messageId));
    expect((await ann.err('EditMessage', { messageId: message.messageId, content: 'v3' })).code).toBe('conflict');
    expect((await ann.err('DeleteMessage', { messageId: message.messageId })).code).toBe('conflict');
    expect((await cid.err('EditMessage', { messageId: message.messageId, content: 'x' })).code).toBe('not_found');
  });

  it('GetHistory pages backwards by seq, per topic or for the whole stream', async () => {
    const stream = await teamStream();
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) seqs.push((await ann.ok('SendMessage', { stream, topic: i % 2 ? 'odd' : 'even', content: `m${i}` })).message.seq);
    const last = await bob.ok('GetHistory', { stream, limit: 2 });
    expect(last.messages.map((m) => m.content)).toEqual(['m3', 'm4']);
    expect(last.hasMore).toBe(true);
    const before = await bob.ok('GetHistory', { stream, limit: 10, before: last.messages[0]!.seq });
    expect(before.messages.map((m) => m.content)).toEqual(['m0', 'm1', 'm2']);
    expect(before.hasMore).toBe(false);
    expect((await bob.ok('GetHistory', { stream, topic: 'odd' })).messages.map((m) => m.seq)).toEqual([seqs[1], seqs[3]]);
    expect((await cid.err('GetHistory', { stream })).code).toBe('not_found');
  });
});

describe('topics and reviews', () => {
  it('SetTopicStatus pushes TopicStatusChanged; only the stream administrator sets complete/reject by hand', async () => {
    const stream = await teamStream();
    expect((await bob.err('SetTopicStatus', { stream, topic: 'plan', status: 'complete' })).code).toBe('forbidden');
    const { topic } = await bob.ok('SetTopicStatus', { stream, topic: 'plan', status: 'developing' });
    expect(topic).toMatchObject({ stream, topic: 'plan', status: 'developing', votes: {} });
    await ann.until(() => ann.outcomesOf('TopicStatusChanged').some((o) => o.stream === stream && o.changedBy === bobCreds.userId));
    expect((await cid.err('SetTopicStatus', { stream, topic: 'plan', status: 'developing' })).code).toBe('not_found');
  });

  it('SetTopicStatus follows the SDK rule (topicStatusRefusal) for every status pair, administrator or not, so a UI built on it never offers what the hub forbids', async () => {
    const stream = await teamStream();
    let n = 0;
    for (const from of topicStatuses) {
      for (const to of topicStatuses) {
        for (const [who, admin] of [[bob, false], [ann, true]] as const) {
          const topic = `pair-${++n}`;
          if (from !== 'discussion') await ann.ok('SetTopicStatus', { stream, topic, status: from }); // the administrator sets the start
          const refusal = topicStatusRefusal(from === 'discussion' ? undefined : from, to, admin);
          if (refusal) {
            const error = await who.err('SetTopicStatus', { stream, topic, status: to });
            expect({ from, to, admin, code: error.code }).toEqual({ from, to, admin, code: 'forbidden' });
            expect(error.message).toContain(refusal);
          } else {
            expect((await who.ok('SetTopicStatus', { stream, topic, status: to })).topic.status).toBe(to);
          }
        }
      }
    }
  });

  it('AppointReviewer / DismissReviewer: stream admin only, reviewer must see the stream', async () => {
    const stream = await teamStream();
    expect((await bob.err('AppointReviewer', { stream, reviewer: bobCreds.userId })).code).toBe('forbidden');
    expect((await ann.err('AppointReviewer', { stream, reviewer: cidCreds.userId })).code).toBe('not_found');
    expect((await ann.ok('AppointReviewer', { stream, reviewer: bobCreds.userId })).reviewers).toEqual([bobCreds.userId]);
    expect((await ann.err('AppointReviewer', { stream, reviewer: bobCreds.userId })).code).toBe('conflict');
    await bob.until(() => bob.outcomesOf('NewReviewer').some((o) => o.stream === stream));
    expect((await bob.ok('DismissReviewer', { stream, reviewer: bobCreds.userId })).reviewers).toEqual([]);
    await ann.until(() => ann.outcomesOf('ReviewerDismissed').some((o) => o.stream === stream));
    expect((await ann.err('DismissReviewer', { stream, reviewer: bobCreds.userId })).code).toBe('not_found');
  });

  it('Vote: reviewers only, topic under review; the last vote concludes the review (more yes → complete, else reject)', async () => {
    const stream = await teamStream();
    await ann.ok('AppointReviewer', { stream, reviewer: annCreds.userId });
    await ann.ok('AppointReviewer', { stream, reviewer: bobCreds.userId });
    expect((await ann.err('Vote', { stream, topic: 'rfc', vote: 'yes' })).code).toBe('conflict');
    await bob.ok('SetTopicStatus', { stream, topic: 'rfc', status: 'under_review' });
    const first = await ann.ok('Vote', { stream, topic: 'rfc', vote: 'yes' });
    expect(first.votes).toEqual({ [annCreds.userId]: 'yes' });
    await bob.ok('Vote', { stream, topic: 'rfc', vote: 'no' });
    await bob.until(() => bob.outcomesOf('ReviewConcluded').some((o) => o.stream === stream));
    const concluded = bob.outcomesOf('ReviewConcluded').find((o) => o.stream === stream)!;
    expect(concluded.result).toBe('reject'); // 1 yes, 1 no: not more yes than no
    const changed = bob.outcomesOf('TopicStatusChanged').filter((o) => o.stream === stream).at(-1)!;
    expect(changed).toMatchObject({ status: 'reject', changedBy: null });
    // Reopening a concluded topic is the stream administrator's; a fresh review clears the votes; two yes → complete.
    expect((await bob.err('SetTopicStatus', { stream, topic: 'rfc', status: 'under_review' })).code).toBe('forbidden');
    await ann.ok('SetTopicStatus', { stream, topic: 'rfc', status: 'under_review' });
    await ann.ok('Vote', { stream, topic: 'rfc', vote: 'yes' });
    await bob.ok('Vote', { stream, topic: 'rfc', vote: 'yes' });
    const topics = (await ann.ok('GetStreams', {})).topics.filter((t) => t.stream === stream);
    expect(topics[0]!.status).toBe('complete');
    const { group } = await cid.ok('CreateGroup', { name: 'g-vote' });
    expect(group).toBeTruthy();
    expect((await cid.err('Vote', { stream, topic: 'rfc', vote: 'yes' })).code).toBe('not_found');
  });

  it('dismissing the last missing reviewer concludes an open review', async () => {
    const stream = await teamStream();
    await ann.ok('AppointReviewer', { stream, reviewer: annCreds.userId });
    await ann.ok('AppointReviewer', { stream, reviewer: bobCreds.userId });
    await ann.ok('SetTopicStatus', { stream, topic: 'q', status: 'under_review' });
    await ann.ok('Vote', { stream, topic: 'q', vote: 'yes' });
    await ann.ok('DismissReviewer', { stream, reviewer: bobCreds.userId });
    await ann.until(() => ann.outcomesOf('ReviewConcluded').some((o) => o.stream === stream && o.result === 'complete'));
  });
});

describe('session state', () => {
  it('MarkRead, MuteTopic, UnmuteTopic and GetSessionState: per device, cursors never move back', async () => {
    const stream = await teamStream();
    const m1 = await ann.ok('SendMessage', { stream, topic: 'a', content: '1' });
    const m2 = await ann.ok('SendMessage', { stream, topic: 'a', content: '2' });
    const bob2 = new TestClient({ baseUrl: hub.url, token: bobCreds.token, deviceId: 'bob-2' });
    await bob2.connect();
    try {
      const before = await bob.ok('GetSessionState', {});
      expect(before.unread).toContainEqual({ stream, topic: 'a', count: 2 });
      expect(await bob.ok('MarkRead', { stream, topic: 'a', upTo: m1.message.seq })).toEqual({ cursor: { stream, topic: 'a', upTo: m1.message.seq }, unread: 1 });
      expect((await bob.ok('MarkRead', { stream, topic: 'a', upTo: 0 })).cursor.upTo).toBe(m1.message.seq);
      expect((await bob.ok('MuteTopic', { stream, topic: 'a' })).muted).toContainEqual({ stream, topic: 'a' });
      const after = await bob.ok('GetSessionState', {});
      expect(after.unread).toContainEqual({ stream, topic: 'a', count: 1 });
      expect(after.muted).toContainEqual({ stream, topic: 'a' });
      // The other device of the same user has its own state.
      const other = await bob2.ok('GetSessionState', {});
      expect(other.unread).toContainEqual({ stream, topic: 'a', count: 2 });
      expect(other.muted).toEqual([]);
      expect((await bob.ok('UnmuteTopic', { stream, topic: 'a' })).muted).not.toContainEqual({ stream, topic: 'a' });
      expect((await bob.ok('MarkRead', { stream, topic: 'a', upTo: m2.message.seq })).unread).toBe(0);
      expect((await cid.err('MarkRead', { stream, topic: 'a', upTo: 1 })).code).toBe('not_found');
    } finally {
      await bob2.close();
    }
  });
});

describe('idempotency', () => {
  it('a resent trace id returns the recorded reply and changes nothing twice, even for another device', async () => {
    const stream = await teamStream();
    const first = await ann.send('SendMessage', { stream, topic: 'once', content: 'only once' }, 'fixed-trace-1');
    const again = await ann.send('SendMessage', { stream, topic: 'once', content: 'only once' }, 'fixed-trace-1');
    expect(again).toEqual(first);
    const ann2 = new TestClient({ baseUrl: hub.url, token: annCreds.token, deviceId: 'ann-2' });
    await ann2.connect();
    expect(await ann2.send('SendMessage', { stream, topic: 'once', content: 'different' }, 'fixed-trace-1')).toEqual(first);
    await ann2.close();
    expect((await ann.ok('GetHistory', { stream, topic: 'once' })).messages).toHaveLength(1);
    // A recorded Err is answered again too.
    const err1 = await bob.send('EditMessage', { messageId: 'missing', content: 'x' }, 'fixed-trace-2');
    const err2 = await bob.send('EditMessage', { messageId: 'missing', content: 'x' }, 'fixed-trace-2');
    expect(err2).toEqual(err1);
  });
});

describe('schema errors', () => {
  it('answers every command type with an unknown field as Err bad_schema naming the command, and changes nothing', async () => {
    for (const type of commandTypes) {
      const traceId = `schema-${type}`;
      // Not sealed into the client's chain: a refused frame is not part of it.
      cid.rawSend(JSON.stringify({ kind: 'command', sessionId: cid.sessionId, seq: cid.chain.length, seal: '0'.repeat(64), command: { type, traceId, bogus: 1 } }));
      await cid.until(() => cid.frames.some((f) => f.kind === 'reply' && f.traceId === traceId));
      const reply = cid.frames.find((f) => f.kind === 'reply' && f.traceId === traceId)!;
      expect(reply, type).toMatchObject({ ok: false, error: { code: 'bad_schema' } });
      expect((reply.error as { path: unknown[] }).path[0], type).toBe('command');
    }
    // The chain is intact: the next sealed command is accepted.
    expect((await cid.ok('GetGroups', {})).groups.length).toBeGreaterThan(0);
  });
});

describe('commands sent back to back by one device', () => {
  it('are applied in the order sent, each seeing the ones before it, and answered in that order', async () => {
    const stream = name('burst');
    // Not awaited one by one: the hub starts each command while the previous one is still being committed.
    const sends = [
      ann.send('CreateStream', { stream, groups: [team] }),
      ...Array.from({ length: 20 }, (_, i) => ann.send('SendMessage', { stream, topic: 't', content: `m${i}` })),
      ann.send('SendMessage', { stream: name('missing'), topic: 't', content: 'refused' }),
      ...Array.from({ length: 20 }, (_, i) => ann.send('SendMessage', { stream, topic: 't', content: `m${20 + i}` })),
    ];
    const replies = await Promise.all(sends);
    expect(replies.map((r) => r.ok)).toEqual([true, ...Array<boolean>(20).fill(true), false, ...Array<boolean>(20).fill(true)]);
    const seqs = replies.flatMap((r) => (r.ok && r.type === 'SendMessage' ? [(r.data as { message: { seq: number } }).message.seq] : []));
    expect(seqs).toHaveLength(40);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // The reply frames left the hub in the order the commands were sent.
    const received = ann.frames.filter((f) => f.kind === 'reply').slice(-sends.length).map((f) => f.traceId);
    expect(received).toEqual(replies.map((r) => r.traceId));
    await bob.until(() => bob.outcomesOf('NewMessage').filter((o) => o.message.stream === stream).length === 40);
    expect(bob.outcomesOf('NewMessage').filter((o) => o.message.stream === stream).map((o) => o.message.content)).toEqual(
      Array.from({ length: 40 }, (_, i) => `m${i}`),
    );
  });
});


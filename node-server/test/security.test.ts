// What an ordinary member could do to others before issue #13, each as a regression test on SQLite and PostgreSQL:
// take over a stream through its groups, have a body run that was never sealed, resume a session id the hub never
// issued, wedge a device with one refused command, read a message narrowed to others, and the smaller leaks.
import { WebSocket } from 'ws';
import { webSocketProtocols } from '@stage/sdk/im';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubOn, storeKinds, type StoreKind } from './support/startHubOn.js';
import { TestClient, registerUser, type Credentials } from './support/TestClient.js';

describe.each(storeKinds)('security on %s', (kind: StoreKind) => {
  let hub: Awaited<ReturnType<typeof startHubOn>>;
  let n = 0;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    hub = await startHubOn(kind, { limits: { commandsPerSecond: 10_000, commandBurst: 10_000 } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await hub?.stop();
  });

  async function user(name: string): Promise<{ c: TestClient; creds: Credentials }> {
    const creds = await registerUser(hub.url, `${name}${++n}${kind.slice(0, 2)}`);
    const c = new TestClient({ baseUrl: hub.url, token: creds.token, deviceId: 'd1' });
    clients.push(c);
    await c.connect();
    return { c, creds };
  }

  /** ann creates a group with `members` in it and a stream visible to it. */
  async function teamStream(ann: TestClient, members: Credentials[]): Promise<{ stream: string; groupId: string }> {
    const { group } = await ann.ok('CreateGroup', { name: 'team' });
    for (const m of members) await ann.ok('AddGroupMember', { groupId: group.groupId, userId: m.userId });
    const stream = `s${++n}`;
    await ann.ok('CreateStream', { stream, groups: [group.groupId] });
    return { stream, groupId: group.groupId };
  }

  it('1. a member cannot take over a stream; its creator and the admins the creator names administer it', async () => {
    const { c: ann, creds: annC } = await user('ann');
    const { c: mal, creds: malC } = await user('mal');
    const { c: bob, creds: bobC } = await user('bob');
    const { stream, groupId } = await teamStream(ann, [malC, bobC]);
    await ann.ok('AppointReviewer', { stream, reviewer: bobC.userId });
    const { group: mine } = await mal.ok('CreateGroup', { name: 'mine' });
    // The attack of the issue: list the team and a group mal owns.
    expect(await mal.err('SetStreamGroups', { stream, groups: [groupId, mine.groupId] })).toMatchObject({ code: 'forbidden' });
    expect(await mal.err('SetStreamGroups', { stream, groups: [mine.groupId] })).toMatchObject({ code: 'forbidden' });
    expect(await mal.err('AppointReviewer', { stream, reviewer: malC.userId })).toMatchObject({ code: 'forbidden' });
    expect(await mal.err('DismissReviewer', { stream, reviewer: bobC.userId })).toMatchObject({ code: 'forbidden' });
    expect(await mal.err('SetTopicStatus', { stream, topic: 'rfc', status: 'complete' })).toMatchObject({ code: 'forbidden' });
    expect(await mal.err('SetStreamAdmins', { stream, admins: [malC.userId] })).toMatchObject({ code: 'forbidden' });
    // Anyone who sees the stream may open a review; only an administrator changes it afterwards.
    await mal.ok('SetTopicStatus', { stream, topic: 'rfc', status: 'under_review' });
    expect(await mal.err('SetTopicStatus', { stream, topic: 'rfc', status: 'discussion' })).toMatchObject({ code: 'forbidden' });
    // Nothing changed: the stream still has its group and its reviewer.
    const seen = (await ann.ok('GetStreams', {})).streams.find((s) => s.name === stream)!;
    expect(seen).toMatchObject({ groups: [groupId], reviewers: [bobC.userId], admins: [] });
    // The creator names bob an admin: bob now administers, from the stored list, not from anything he sends.
    expect((await ann.ok('SetStreamAdmins', { stream, admins: [bobC.userId] })).stream.admins).toEqual([bobC.userId]);
    await bob.ok('AppointReviewer', { stream, reviewer: annC.userId });
    await bob.ok('SetTopicStatus', { stream, topic: 'rfc', status: 'discussion' });
    const { group: bobs } = await bob.ok('CreateGroup', { name: 'bobs' });
    expect((await bob.ok('SetStreamGroups', { stream, groups: [groupId, bobs.groupId] })).stream.groups).toEqual([groupId, bobs.groupId].sort());
    // An admin cannot name admins, and an admin of one stream is nothing on another.
    expect(await bob.err('SetStreamAdmins', { stream, admins: [] })).toMatchObject({ code: 'forbidden' });
    expect(await ann.err('SetStreamAdmins', { stream, admins: ['no-such-user'] })).toMatchObject({ code: 'not_found', path: ['command', 'admins', 0] });
  });

  it('2. a duplicate seq and seal around another body is refused, never executed', async () => {
    const { c: ann, creds: annC } = await user('ann');
    const { stream } = await teamStream(ann, []);
    await ann.ok('SendMessage', { stream, topic: 't', content: 'first' });
    const older = ann.chain.at(-1)!;
    await ann.ok('SendMessage', { stream, topic: 't', content: 'second' });
    const last = ann.chain.at(-1)!;
    const forge = (entry: typeof last, traceId: string) =>
      JSON.stringify({
        kind: 'command',
        sessionId: ann.sessionId,
        seq: entry.seq,
        seal: entry.seal,
        command: { type: 'SendMessage', traceId, stream, topic: 't', content: 'never sealed' },
      });
    // The last applied entry (SessionHandler's duplicate check) ...
    ann.rawSend(forge(last, 'forged-last'));
    await ann.until(() => ann.frames.some((f) => f.kind === 'reply' && f.traceId === 'forged-last'));
    expect(ann.frames.find((f) => f.traceId === 'forged-last')).toMatchObject({ ok: false, error: { code: 'broken_chain', message: expect.stringContaining('body_mismatch') } });
    await ann.until(() => ann.closes.some((c) => c.code === 4005));
    // ... and an older one (AppliedEntries), on a fresh connection of the same resumed session.
    await ann.connect();
    expect(ann.welcome).toMatchObject({ resumed: true });
    ann.rawSend(forge(older, 'forged-older'));
    await ann.until(() => ann.frames.some((f) => f.kind === 'reply' && f.traceId === 'forged-older'));
    expect(ann.frames.find((f) => f.traceId === 'forged-older')).toMatchObject({ ok: false, error: { code: 'broken_chain', message: expect.stringContaining('body_mismatch') } });
    await ann.until(() => ann.closes.filter((c) => c.code === 4005).length === 2);
    await ann.connect();
    const history = await ann.ok('GetHistory', { stream });
    expect(history.messages.map((m) => m.content)).toEqual(['first', 'second']);
    expect(await hub.store.replies.findReply(annC.userId, 'forged-last')).toBeUndefined();
  });

  it('3. a session id the hub never issued is not resumed, even with the right prefix', async () => {
    const { c: ann, creds: annC } = await user('ann');
    const issued = ann.sessionId!;
    expect(issued.startsWith(`${annC.userId}.d1.`)).toBe(true);
    const welcomeFor = (sessionId: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const ws = new WebSocket(`${hub.url.replace(/^http/, 'ws')}/ws/d1`, webSocketProtocols(annC.token));
        ws.on('open', () => ws.send(JSON.stringify({ kind: 'hello', protocol: 1, sessionId, chainLength: 16_000, lastOutcomeId: 0 })));
        ws.on('message', (data) => {
          const frame = JSON.parse(String(data)) as Record<string, unknown>;
          if (frame.kind === 'welcome') {
            ws.close();
            resolve(frame);
          }
        });
        ws.on('error', reject);
      });
    for (const forged of [`${annC.userId}.d1.made-up`, `${annC.userId}.d1.${issued.split('.')[2]}.${'0'.repeat(32)}`, `${issued}x`]) {
      const welcome = await welcomeFor(forged);
      expect(welcome, forged).toMatchObject({ resumed: false });
      expect(welcome.sessionId).not.toBe(forged);
    }
    expect(await welcomeFor(issued)).toMatchObject({ resumed: true, sessionId: issued });
  });

  it('4. one refused (bad_schema) command does not wedge the device, live or through a recall', async () => {
    const { c: ann } = await user('ann');
    const { stream } = await teamStream(ann, []);
    // A newer client's command (a field this hub does not know), sealed into the chain as that client would.
    const refused = await ann.sendSealed({ type: 'SendMessage', traceId: 'from-the-future', stream, topic: 't', content: 'x', priority: 'high' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad_schema' } });
    // The next entry follows it in the chain: no gap, no recall, no close.
    await ann.ok('SendMessage', { stream, topic: 't', content: 'after the refused one' });
    // A lost frame forces a recall of the whole chain, refused entry included: it verifies and replays as a no-op.
    ann.sealWithoutSending('MarkRead', { stream, topic: 't', upTo: 1 });
    const recalls = ann.recallsAnswered;
    await ann.ok('SendMessage', { stream, topic: 't', content: 'after the recall' });
    expect(ann.recallsAnswered).toBe(recalls + 1);
    expect(ann.closes).toEqual([]);
    const history = await ann.ok('GetHistory', { stream });
    expect(history.messages.map((m) => m.content)).toEqual(['after the refused one', 'after the recall']);
    // A refused frame whose seal does not continue the chain is not part of it: answered, nothing else.
    ann.rawSend(JSON.stringify({ kind: 'command', sessionId: ann.sessionId, seq: ann.chain.length, seal: '0'.repeat(64), command: { type: 'GetGroups', traceId: 'unsealed', bogus: 1 } }));
    await ann.until(() => ann.frames.some((f) => f.kind === 'reply' && f.traceId === 'unsealed'));
    expect(ann.frames.find((f) => f.traceId === 'unsealed')).toMatchObject({ ok: false, error: { code: 'bad_schema' } });
    await ann.ok('GetGroups', {});
    expect(ann.closes).toEqual([]);
  });

  it('5. a narrowed message stays its recipients’ in history, unread counts, edits, deletes and replay', async () => {
    const { c: ann } = await user('ann');
    const { c: bob, creds: bobC } = await user('bob');
    const { c: cid, creds: cidC } = await user('cid');
    const { stream } = await teamStream(ann, [bobC, cidC]);
    const open = await ann.ok('SendMessage', { stream, topic: 't', content: 'to all' });
    const { message } = await ann.ok('SendMessage', { stream, topic: 't', content: 'for bob', recipients: [bobC.userId] });
    await ann.ok('EditMessage', { messageId: message.messageId, content: 'for bob, edited' });
    expect((await bob.ok('GetHistory', { stream })).messages.map((m) => m.content)).toEqual(['to all', 'for bob, edited']);
    expect((await cid.ok('GetHistory', { stream })).messages.map((m) => m.messageId)).toEqual([open.message.messageId]);
    expect((await cid.ok('GetHistory', { stream, topic: 't' })).messages).toHaveLength(1);
    expect((await cid.ok('GetSessionState', {})).unread).toEqual([{ stream, topic: 't', count: 1 }]);
    expect((await bob.ok('GetSessionState', {})).unread).toEqual([{ stream, topic: 't', count: 2 }]);
    expect(await cid.err('EditMessage', { messageId: message.messageId, content: 'x' })).toMatchObject({ code: 'not_found' });
    expect(await cid.err('DeleteMessage', { messageId: message.messageId })).toMatchObject({ code: 'not_found' });
    await ann.ok('DeleteMessage', { messageId: message.messageId });
    await bob.until(() => bob.outcomesOf('MessageDeleted').some((o) => o.messageId === message.messageId));
    expect(bob.outcomesOf('MessageEdited').some((o) => o.message.messageId === message.messageId)).toBe(true);
    // cid's outcome log (what replay and SSE serve) never names the message.
    await ann.ok('SendMessage', { stream, topic: 't', content: 'marker' });
    const { last } = await hub.store.outcomes.outcomeBounds(cidC.userId);
    await cid.until(() => cid.lastOutcomeId === last);
    const log = JSON.stringify(await hub.store.outcomes.outcomesAfter(cidC.userId, 0, 10_000));
    expect(log).not.toContain(message.messageId);
    const fresh = new TestClient({ baseUrl: hub.url, token: cidC.token, deviceId: 'd2' });
    clients.push(fresh);
    await fresh.connect();
    await fresh.until(() => fresh.lastOutcomeId === last);
    expect(JSON.stringify(fresh.pushes)).not.toContain(message.messageId);
  });

  it('6a. a reviewer who can no longer see the stream no longer holds up its reviews', async () => {
    const { c: ann, creds: annC } = await user('ann');
    const { c: cid, creds: cidC } = await user('cid');
    const { stream, groupId } = await teamStream(ann, [cidC]);
    await ann.ok('AppointReviewer', { stream, reviewer: annC.userId });
    await ann.ok('AppointReviewer', { stream, reviewer: cidC.userId });
    await ann.ok('SetTopicStatus', { stream, topic: 'rfc', status: 'under_review' });
    await ann.ok('Vote', { stream, topic: 'rfc', vote: 'yes' });
    await cid.ok('DismissMember', { groupId, userId: cidC.userId }); // cid leaves: the review is ann's alone
    const topic = (await ann.ok('GetStreams', {})).topics.find((t) => t.stream === stream && t.topic === 'rfc');
    expect(topic).toMatchObject({ status: 'complete' });
  });

  it('6b. Mute/Unmute and CreateStream reveal nothing about a stream the caller cannot see', async () => {
    const { c: ann } = await user('ann');
    const { c: eve } = await user('eve');
    const { stream } = await teamStream(ann, []);
    expect(await eve.err('MuteTopic', { stream, topic: 't' })).toMatchObject({ code: 'not_found' });
    expect(await eve.err('UnmuteTopic', { stream, topic: 't' })).toMatchObject({ code: 'not_found' });
    const { group } = await eve.ok('CreateGroup', { name: 'eves' });
    const hidden = await eve.err('CreateStream', { stream, groups: [group.groupId] });
    const { group: anns } = await ann.ok('CreateGroup', { name: 'anns' });
    const visible = await ann.err('CreateStream', { stream, groups: [anns.groupId] });
    expect(hidden.code).toBe('conflict');
    expect(hidden).toEqual(visible); // the same answer whether or not the stream is visible
  });

  it('6c. U+0000, bidi controls, zero-width characters and non-NFC names are refused by the schema', async () => {
    const { c: ann } = await user('ann');
    const { stream, groupId } = await teamStream(ann, []);
    const refusals = [
      await ann.err('SendMessage', { stream, topic: 't', content: 'nul\u0000here' }),
      await ann.err('CreateGroup', { name: 'desc', description: 'nul\u0000' }),
      await ann.err('CreateStream', { stream: 'invoice\u202Efdp.exe', groups: [groupId] }),
      await ann.err('CreateStream', { stream: 'zero\u200Bwidth', groups: [groupId] }),
      await ann.err('CreateGroup', { name: 'Cafe\u0301' }), // NFD; NFC is "Café"
      await ann.err('SendMessage', { stream, topic: 'c1\u0085', content: 'x' }),
    ];
    for (const r of refusals) expect(r).toMatchObject({ code: 'bad_schema' });
    expect((await ann.ok('CreateGroup', { name: 'Caf\u00e9' })).group.name).toBe('Café');
  });
});

// The client's local state reducers: what a device shows after pushes and replies.
import { describe, expect, it } from 'vitest';
import { applyOutcome, applyOutcomeInBatch, applyReply, emptyImState, type ImState, type Unpublished } from './client/ImState.js';
import { topicKey, type Message, type Outcome } from './index.js';

const me = { userId: 'me', username: 'me' };
const start: ImState = { ...emptyImState, me };
const key = topicKey('s', 't');

function message(seq: number, senderId = 'other', topic = 't'): Message {
  return { messageId: `m${seq}`, seq, stream: 's', topic, senderId, senderName: 'x', content: `c${seq}`, createdAt: 1, editedAt: null, deleted: false };
}

const fold = (state: ImState, outcomes: Outcome[]) => outcomes.reduce(applyOutcome, state);

describe('ImState', () => {
  it('counts unread messages from others once, in seq order, not my own', () => {
    const state = fold(start, [
      { type: 'NewMessage', message: message(3) },
      { type: 'NewMessage', message: message(1) },
      { type: 'NewMessage', message: message(3) },
      { type: 'NewMessage', message: message(4, 'me') },
    ]);
    expect(state.messages.get(key)!.map((m) => m.seq)).toEqual([1, 3, 4]);
    expect(state.unread.get(key)).toBe(2);
    expect(state.topics.get(key)).toMatchObject({ status: 'discussion', lastSeq: 4 });
  });

  it('does not count again what the hub already counted, nor what is read', () => {
    let state = applyReply(start, 'GetSessionState', { cursors: [{ stream: 's', topic: 't', upTo: 2 }], muted: [], unread: [{ stream: 's', topic: 't', count: 3 }], asOfSeq: 5 });
    state = fold(state, [{ type: 'NewMessage', message: message(5) }, { type: 'NewMessage', message: message(6) }]);
    expect(state.unread.get(key)).toBe(4);
    state = applyReply(state, 'MarkRead', { cursor: { stream: 's', topic: 't', upTo: 6 }, unread: 0, asOfSeq: 6 });
    expect(state.unread.has(key)).toBe(false);
    state = fold(state, [{ type: 'NewMessage', message: message(6) }, { type: 'NewMessage', message: message(7) }]);
    expect(state.unread.get(key)).toBe(1);
    state = fold(state, [{ type: 'MessageDeleted', messageId: 'm7', stream: 's', topic: 't' }]);
    expect(state.unread.has(key)).toBe(false);
    expect(state.messages.get(key)!.at(-1)).toMatchObject({ deleted: true, content: '' });
  });

  it('drops a hidden stream with its topics, messages and counts', () => {
    const stream = { name: 's', description: '', creatorId: 'me', createdAt: 1, groups: ['g'], reviewers: [] };
    let state = fold(start, [{ type: 'StreamCreated', stream }, { type: 'NewMessage', message: message(1) }]);
    state = fold(state, [{ type: 'StreamHidden', stream: 's' }]);
    expect(state.streams.size + state.topics.size + state.messages.size + state.unread.size).toBe(0);
  });

  it('starts a fresh review with no votes and keeps the conclusion', () => {
    const state = fold(start, [
      { type: 'VoteUpdated', stream: 's', topic: 't', votes: { a: 'no' } },
      { type: 'TopicStatusChanged', stream: 's', topic: 't', status: 'under_review', changedBy: 'me' },
      { type: 'VoteUpdated', stream: 's', topic: 't', votes: { a: 'yes', b: 'no' } },
      { type: 'ReviewConcluded', stream: 's', topic: 't', result: 'reject', votes: { a: 'yes', b: 'no' } },
      { type: 'TopicStatusChanged', stream: 's', topic: 't', status: 'reject', changedBy: null },
    ]);
    expect(state.topics.get(key)).toMatchObject({ status: 'reject', votes: { a: 'yes', b: 'no' } });
    expect(state.conclusions.get(key)?.result).toBe('reject');
  });

  it('tracks groups and members, and forgets a group I was dismissed from', () => {
    const group = { groupId: 'g', name: 'g', description: '', ownerId: 'o', createdAt: 1 };
    let state = fold(start, [{ type: 'NewGroup', group }]);
    state = applyReply(state, 'GetGroupMembers', { groupId: 'g', members: [{ userId: 'o', username: 'owner' }, me] });
    state = fold(state, [{ type: 'NewMember', groupId: 'g', member: { userId: 'n', username: 'new' } }]);
    expect(state.members.get('g')!.map((m) => m.userId)).toEqual(['o', 'me', 'n']);
    state = fold(state, [{ type: 'MemberDismissed', groupId: 'g', userId: 'o' }]);
    expect(state.members.get('g')!.map((m) => m.userId)).toEqual(['me', 'n']);
    state = fold(state, [{ type: 'MemberDismissed', groupId: 'g', userId: 'me' }]);
    expect(state.groups.has('g')).toBe(false);
    expect(state.members.has('g')).toBe(false);
  });

  it('keeps untouched parts identical so observers can skip them', () => {
    const state = fold(start, [{ type: 'NewMessage', message: message(1) }]);
    const next = fold(state, [{ type: 'NewReviewer', stream: 'unknown', reviewer: 'r' }]);
    expect(next).toBe(state);
    const voted = fold(state, [{ type: 'VoteUpdated', stream: 's', topic: 'u', votes: {} }]);
    expect(voted.messages).toBe(state.messages);
    expect(voted.groups).toBe(state.groups);
  });

  it('applies a batch of pushes into a big topic in place, equal to one by one, never changing what observers hold', () => {
    const big = fold(start, Array.from({ length: 5000 }, (_, i): Outcome => ({ type: 'NewMessage', message: message(2 * i + 2) })));
    const published = big.messages.get(key)!;
    const snapshot = [...published];
    const burst: Outcome[] = [
      ...Array.from({ length: 500 }, (_, i): Outcome => ({ type: 'NewMessage', message: message(10_001 + i) })),
      { type: 'NewMessage', message: message(1) }, // an older one arriving late goes in its place
      { type: 'MessageEdited', message: { ...message(4000), content: 'edited', editedAt: 2 } },
      { type: 'NewMessage', message: message(10_001) }, // a duplicate
    ];
    const unpublished: Unpublished = new WeakSet();
    const batched = burst.reduce((state, outcome) => applyOutcomeInBatch(state, outcome, unpublished), big);
    expect(batched.messages.get(key)).toEqual(fold(big, burst).messages.get(key));
    expect(batched.unread.get(key)).toBe(5501);
    expect(batched.messages.get(key)).not.toBe(published);
    expect(published).toEqual(snapshot);
  });
});

// The client's local picture of the IM world: streams, topics (status and votes), groups, members, messages per
// topic, the read cursors, mutes and unread counts this device shows (the user's, folded into its session). Pure
// reducers: pushed outcomes and command replies go in, a new immutable state comes out; untouched parts keep their
// identity so observers can skip them.
import type { CommandType } from '../protocol/commands.js';
import { topicKey } from '../protocol/deviceSession.js';
import type { GroupInfo, Message, SessionState, StreamInfo, TopicInfo, UserRef, VoteMap } from '../protocol/model.js';
import type { Outcome, OutcomeOf } from '../protocol/outcomes.js';
import type { ReplyData } from '../protocol/replies.js';

export interface ImState {
  /** The signed-in user, once welcomed. */
  readonly me: UserRef | undefined;
  readonly streams: ReadonlyMap<string, StreamInfo>;
  /** topicKey(stream, topic) → topic. */
  readonly topics: ReadonlyMap<string, TopicInfo>;
  readonly groups: ReadonlyMap<string, GroupInfo>;
  /** groupId → members, for groups whose members were fetched (GetGroupMembers) or pushed. */
  readonly members: ReadonlyMap<string, readonly UserRef[]>;
  /** topicKey → messages known locally, ascending by seq. */
  readonly messages: ReadonlyMap<string, readonly Message[]>;
  /** topicKey → highest read seq on this device. */
  readonly cursors: ReadonlyMap<string, number>;
  readonly muted: ReadonlySet<string>;
  /** topicKey → unread count on this device (topics with 0 are absent). */
  readonly unread: ReadonlyMap<string, number>;
  /** The seq up to which the hub counted `unread` (GetSessionState); pushes at or below it are already counted. */
  readonly countedUpTo: number;
  /** Per topic, a later baseline from a MarkRead reply. */
  readonly topicCountedUpTo: ReadonlyMap<string, number>;
  /** topicKey → the last concluded review of the topic. */
  readonly conclusions: ReadonlyMap<string, OutcomeOf<'ReviewConcluded'>>;
}

export const emptyImState: ImState = {
  me: undefined,
  streams: new Map(),
  topics: new Map(),
  groups: new Map(),
  members: new Map(),
  messages: new Map(),
  cursors: new Map(),
  muted: new Set(),
  unread: new Map(),
  countedUpTo: 0,
  topicCountedUpTo: new Map(),
  conclusions: new Map(),
};

function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V | undefined): ReadonlyMap<K, V> {
  const next = new Map(map);
  if (value === undefined) next.delete(key);
  else next.set(key, value);
  return next;
}

function topicOf(state: ImState, stream: string, topic: string): TopicInfo {
  return state.topics.get(topicKey(stream, topic)) ?? { stream, topic, status: 'discussion', votes: {}, lastSeq: 0 };
}

function withTopic(state: ImState, topic: TopicInfo): ImState {
  return { ...state, topics: withEntry(state.topics, topicKey(topic.stream, topic.topic), topic) };
}

/**
 * Arrays made while applying a batch of outcomes that nobody has seen yet (the client emits the state once per
 * batch): they may grow in place, so a burst of N messages into a topic of M costs O(N + M), not O(N × M).
 */
export type Unpublished = WeakSet<readonly Message[]>;

/** Where `message` is (or would go) in a list ascending by seq: binary search, O(log n). */
function positionOf(list: readonly Message[], message: Message): { at: number; found: boolean } {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (list[mid]!.seq < message.seq) low = mid + 1;
    else high = mid;
  }
  if (list[low]?.messageId === message.messageId) return { at: low, found: true };
  // Seqs are unique per message; a list that broke that order is searched the slow way.
  const at = list[low]?.seq === message.seq ? list.findIndex((m) => m.messageId === message.messageId) : -1;
  return at >= 0 ? { at, found: true } : { at: low, found: false };
}

function knows(state: ImState, message: Message): boolean {
  const list = state.messages.get(topicKey(message.stream, message.topic));
  return list !== undefined && positionOf(list, message).found;
}

/** Inserts or replaces a message (by id) keeping seq order; also advances the topic's lastSeq. */
function withMessage(state: ImState, message: Message, unpublished?: Unpublished): ImState {
  const key = topicKey(message.stream, message.topic);
  const list = state.messages.get(key) ?? [];
  const { at, found } = positionOf(list, message);
  let next: Message[];
  if (unpublished?.has(list)) next = list as Message[];
  else {
    next = list.slice();
    unpublished?.add(next);
  }
  if (found) next[at] = message;
  else if (at === next.length) next.push(message);
  else next.splice(at, 0, message);
  const topic = topicOf(state, message.stream, message.topic);
  const topics = topic.lastSeq >= message.seq && state.topics.has(key) ? state.topics : withEntry(state.topics, key, { ...topic, lastSeq: Math.max(topic.lastSeq, message.seq) });
  const messages = next === list && state.messages.has(key) ? state.messages : withEntry(state.messages, key, next);
  return { ...state, messages, topics };
}

function counts(state: ImState, message: Message): boolean {
  const key = topicKey(message.stream, message.topic);
  return (
    !message.deleted &&
    message.senderId !== state.me?.userId &&
    message.seq > (state.cursors.get(key) ?? 0) &&
    message.seq > (state.topicCountedUpTo.get(key) ?? state.countedUpTo)
  );
}

function addUnread(state: ImState, key: string, delta: number): ImState {
  const count = Math.max(0, (state.unread.get(key) ?? 0) + delta);
  return { ...state, unread: withEntry(state.unread, key, count === 0 ? undefined : count) };
}

function withoutStream(state: ImState, stream: string): ImState {
  const prefix = topicKey(stream, '');
  const keep = <V>(map: ReadonlyMap<string, V>) => new Map([...map].filter(([key]) => !key.startsWith(prefix)));
  return {
    ...state,
    streams: withEntry(state.streams, stream, undefined),
    topics: keep(state.topics),
    messages: keep(state.messages),
    unread: keep(state.unread),
    topicCountedUpTo: keep(state.topicCountedUpTo),
    conclusions: keep(state.conclusions),
  };
}

function withVotes(state: ImState, stream: string, topic: string, votes: VoteMap): ImState {
  return withTopic(state, { ...topicOf(state, stream, topic), votes });
}

/** Applies one pushed outcome. */
export function applyOutcome(state: ImState, outcome: Outcome): ImState {
  return applyOutcomeInBatch(state, outcome, undefined);
}

/**
 * Applies one pushed outcome of a batch. `unpublished` holds the message arrays this batch made: they are grown in
 * place; pass a fresh set per batch and never one that holds an array already handed to observers.
 */
export function applyOutcomeInBatch(state: ImState, outcome: Outcome, unpublished: Unpublished | undefined): ImState {
  switch (outcome.type) {
    case 'NewMessage': {
      const { message } = outcome;
      const known = knows(state, message);
      const next = withMessage(state, message, unpublished);
      return !known && counts(state, message) ? addUnread(next, topicKey(message.stream, message.topic), 1) : next;
    }
    case 'MessageEdited':
      return withMessage(state, outcome.message, unpublished);
    case 'MessageDeleted': {
      const key = topicKey(outcome.stream, outcome.topic);
      const found = state.messages.get(key)?.find((m) => m.messageId === outcome.messageId);
      if (!found) return state;
      const next = withMessage(state, { ...found, content: '', deleted: true }, unpublished);
      // It stops counting as unread if it was counted locally (pushes above the hub's count baseline).
      return counts(state, found) ? addUnread(next, key, -1) : next;
    }
    case 'StreamCreated':
    case 'StreamGroupsChanged':
    case 'StreamRevealed':
      return { ...state, streams: withEntry(state.streams, outcome.stream.name, outcome.stream) };
    case 'StreamHidden':
      return withoutStream(state, outcome.stream);
    case 'TopicStatusChanged': {
      const topic = topicOf(state, outcome.stream, outcome.topic);
      // A new review starts with no votes (the hub clears them too).
      const votes = outcome.status === 'under_review' && topic.status !== 'under_review' ? {} : topic.votes;
      return withTopic(state, { ...topic, status: outcome.status, votes });
    }
    case 'NewReviewer':
    case 'ReviewerDismissed': {
      const stream = state.streams.get(outcome.stream);
      if (!stream) return state;
      const others = stream.reviewers.filter((r) => r !== outcome.reviewer);
      const reviewers = outcome.type === 'NewReviewer' ? [...others, outcome.reviewer].sort() : others;
      return { ...state, streams: withEntry(state.streams, stream.name, { ...stream, reviewers }) };
    }
    case 'VoteUpdated':
      return withVotes(state, outcome.stream, outcome.topic, outcome.votes);
    case 'ReviewConcluded': {
      const next = withVotes(state, outcome.stream, outcome.topic, outcome.votes);
      return { ...next, conclusions: withEntry(next.conclusions, topicKey(outcome.stream, outcome.topic), outcome) };
    }
    case 'NewGroup':
      return { ...state, groups: withEntry(state.groups, outcome.group.groupId, outcome.group) };
    case 'GroupDissolved':
      return { ...state, groups: withEntry(state.groups, outcome.groupId, undefined), members: withEntry(state.members, outcome.groupId, undefined) };
    case 'NewMember': {
      const members = state.members.get(outcome.groupId);
      if (!members) return state;
      const next = [...members.filter((m) => m.userId !== outcome.member.userId), outcome.member];
      return { ...state, members: withEntry(state.members, outcome.groupId, next) };
    }
    case 'MemberDismissed': {
      if (outcome.userId === state.me?.userId) {
        return { ...state, groups: withEntry(state.groups, outcome.groupId, undefined), members: withEntry(state.members, outcome.groupId, undefined) };
      }
      const members = state.members.get(outcome.groupId);
      if (!members) return state;
      return { ...state, members: withEntry(state.members, outcome.groupId, members.filter((m) => m.userId !== outcome.userId)) };
    }
    case 'TopicRead': {
      // Another device of this user read the topic (or this one: its own push changes nothing). Up to the newest
      // message known it is read here too; a count above the cursor waits for the SyncReadState reply.
      const key = topicKey(outcome.stream, outcome.topic);
      const cursor = state.cursors.get(key) ?? 0;
      if (cursor >= outcome.upTo) return state;
      const readAll = outcome.upTo >= topicOf(state, outcome.stream, outcome.topic).lastSeq;
      return {
        ...state,
        cursors: withEntry(state.cursors, key, outcome.upTo),
        unread: readAll && state.unread.has(key) ? withEntry(state.unread, key, undefined) : state.unread,
      };
    }
    case 'TopicMuteChanged': {
      const key = topicKey(outcome.stream, outcome.topic);
      if (state.muted.has(key) === outcome.muted) return state;
      const muted = new Set(state.muted);
      if (outcome.muted) muted.add(key);
      else muted.delete(key);
      return { ...state, muted };
    }
    case 'ExtEvent':
    case 'TimeOut':
      return state;
  }
}

function highestSeq(state: ImState): number {
  let highest = 0;
  for (const topic of state.topics.values()) highest = Math.max(highest, topic.lastSeq);
  return highest;
}

function withSessionState(state: ImState, session: SessionState): ImState {
  const asOf = session.asOfSeq ?? highestSeq(state);
  const unread = new Map(session.unread.filter((u) => u.count > 0).map((u) => [topicKey(u.stream, u.topic), u.count]));
  return {
    ...state,
    cursors: new Map(session.cursors.map((c) => [topicKey(c.stream, c.topic), c.upTo])),
    muted: new Set(session.muted.map((m) => topicKey(m.stream, m.topic))),
    unread,
    countedUpTo: asOf,
    topicCountedUpTo: new Map(),
  };
}

/** Applies the data of a successful reply (the hub's answer is at least as fresh as what the client had). */
export function applyReply<T extends CommandType>(state: ImState, type: T, data: ReplyData<T>): ImState {
  // A switch on `type` does not narrow `data` (generic); each branch casts to the data of its own type.
  switch (type as CommandType) {
    case 'SendMessage':
    case 'EditMessage':
    case 'DeleteMessage':
      return withMessage(state, (data as ReplyData<'SendMessage'>).message);
    case 'CreateStream':
    case 'SetStreamGroups':
    case 'SetStreamAdmins': {
      const { stream } = data as ReplyData<'CreateStream'>;
      return { ...state, streams: withEntry(state.streams, stream.name, stream) };
    }
    case 'SetTopicStatus': {
      const { topic } = data as ReplyData<'SetTopicStatus'>;
      return withTopic(state, topic);
    }
    case 'AppointReviewer':
    case 'DismissReviewer': {
      const { stream: name, reviewers } = data as ReplyData<'AppointReviewer'>;
      const stream = state.streams.get(name);
      return stream ? { ...state, streams: withEntry(state.streams, name, { ...stream, reviewers }) } : state;
    }
    case 'Vote': {
      const { stream, topic, votes } = data as ReplyData<'Vote'>;
      return withVotes(state, stream, topic, votes);
    }
    case 'CreateGroup': {
      const { group } = data as ReplyData<'CreateGroup'>;
      return { ...state, groups: withEntry(state.groups, group.groupId, group) };
    }
    case 'DismissGroup': {
      const { groupId } = data as ReplyData<'DismissGroup'>;
      return { ...state, groups: withEntry(state.groups, groupId, undefined), members: withEntry(state.members, groupId, undefined) };
    }
    case 'AddGroupMember': {
      const { groupId, member } = data as ReplyData<'AddGroupMember'>;
      return applyOutcomeInBatch(state, { type: 'NewMember', groupId, member }, undefined);
    }
    case 'DismissMember': {
      const { groupId, userId } = data as ReplyData<'DismissMember'>;
      return applyOutcomeInBatch(state, { type: 'MemberDismissed', groupId, userId }, undefined);
    }
    case 'GetHistory': {
      let next = state;
      const unpublished: Unpublished = new WeakSet();
      for (const message of (data as ReplyData<'GetHistory'>).messages) next = withMessage(next, message, unpublished);
      return next;
    }
    case 'GetStreams': {
      const { streams, topics } = data as ReplyData<'GetStreams'>;
      const names = new Set(streams.map((s) => s.name));
      let next = state;
      for (const name of state.streams.keys()) if (!names.has(name)) next = withoutStream(next, name);
      return {
        ...next,
        streams: new Map(streams.map((s) => [s.name, s])),
        topics: new Map(topics.map((t) => [topicKey(t.stream, t.topic), t])),
      };
    }
    case 'GetGroups': {
      const { groups } = data as ReplyData<'GetGroups'>;
      const ids = new Set(groups.map((g) => g.groupId));
      return { ...state, groups: new Map(groups.map((g) => [g.groupId, g])), members: new Map([...state.members].filter(([id]) => ids.has(id))) };
    }
    case 'GetGroupMembers': {
      const { groupId, members } = data as ReplyData<'GetGroupMembers'>;
      return { ...state, members: withEntry(state.members, groupId, members) };
    }
    case 'FindUser':
    case 'SearchUsers':
      return state;
    case 'MarkRead': {
      const { cursor, unread, asOfSeq } = data as ReplyData<'MarkRead'>;
      const key = topicKey(cursor.stream, cursor.topic);
      const asOf = asOfSeq ?? Math.max(topicOf(state, cursor.stream, cursor.topic).lastSeq, cursor.upTo);
      return {
        ...state,
        cursors: withEntry(state.cursors, key, Math.max(cursor.upTo, state.cursors.get(key) ?? 0)),
        unread: withEntry(state.unread, key, unread === 0 ? undefined : unread),
        topicCountedUpTo: withEntry(state.topicCountedUpTo, key, asOf),
      };
    }
    case 'MuteTopic':
    case 'UnmuteTopic': {
      const { muted } = data as ReplyData<'MuteTopic'>;
      return { ...state, muted: new Set(muted.map((m) => topicKey(m.stream, m.topic))) };
    }
    case 'GetSessionState':
    case 'GetReadState':
      return withSessionState(state, data as ReplyData<'GetSessionState'>);
    case 'SyncReadState': {
      const { cursors, unread } = data as ReplyData<'SyncReadState'>;
      let next = state;
      for (const cursor of cursors) {
        const key = topicKey(cursor.stream, cursor.topic);
        next = { ...next, cursors: withEntry(next.cursors, key, Math.max(cursor.upTo, next.cursors.get(key) ?? 0)) };
      }
      for (const count of unread) {
        // As a MarkRead reply: the count is exact as of the hub's newest message in the topic.
        const key = topicKey(count.stream, count.topic);
        const asOf = Math.max(topicOf(next, count.stream, count.topic).lastSeq, next.cursors.get(key) ?? 0);
        next = {
          ...next,
          unread: withEntry(next.unread, key, count.count === 0 ? undefined : count.count),
          topicCountedUpTo: withEntry(next.topicCountedUpTo, key, asOf),
        };
      }
      return next;
    }
    // An extension keeps its own state (client.extension(def)): the IM state does not change.
    case 'Ext':
    case 'ExtQuery':
      return state;
  }
}

// The observables ImClient derives from its state$ (streams$, topics$(stream), reviews$, userNames$, …): each picks
// its part of the state, emits only when that part changed, and projects it into what a UI lists (sorted arrays).
import { ReplaySubject, defer, distinctUntilChanged, map, share, type Observable } from 'rxjs';
import { topicKey } from '../protocol/deviceSession.js';
import type { GroupInfo, Message, StreamInfo, TopicInfo, TopicRef, UnreadCount, UserRef, VoteMap } from '../protocol/model.js';
import type { OutcomeOf } from '../protocol/outcomes.js';
import type { ImState } from './ImState.js';

/** A review as the UI shows it: a topic's status and votes with its stream's reviewers. */
export interface Review {
  readonly stream: string;
  readonly topic: string;
  readonly status: TopicInfo['status'];
  readonly votes: VoteMap;
  readonly reviewers: readonly string[];
  readonly conclusion: OutcomeOf<'ReviewConcluded'> | undefined;
}

type State$ = Observable<ImState>;

/** `pick`'s part of each state, projected when it changed (by identity). */
function select<P, R>(state$: State$, pick: (state: ImState) => P, project: (part: P) => R): Observable<R> {
  return state$.pipe(map(pick), distinctUntilChanged(), map(project));
}

export const streamsOf = (state$: State$): Observable<readonly StreamInfo[]> => select(state$, (s) => s.streams, (streams) => [...streams.values()].sort(byName));

export const groupsOf = (state$: State$): Observable<readonly GroupInfo[]> => select(state$, (s) => s.groups, (groups) => [...groups.values()].sort(byName));

export const unreadOf = (state$: State$): Observable<readonly UnreadCount[]> =>
  select(
    state$,
    (s) => s.unread,
    (unread) => [...unread].map(([key, count]) => ({ ...splitKey(key), count })).sort(byTopic),
  );

export const totalUnreadOf = (state$: State$): Observable<number> =>
  state$.pipe(
    map((s) => [...s.unread].reduce((sum, [key, count]) => (s.muted.has(key) ? sum : sum + count), 0)),
    distinctUntilChanged(),
  );

export const mutedOf = (state$: State$): Observable<readonly TopicRef[]> => select(state$, (s) => s.muted, (muted) => [...muted].map(splitKey).sort(byTopic));

export const streamUnreadOf = (state$: State$): Observable<ReadonlyMap<string, number>> =>
  state$.pipe(
    map((s) => {
      const sums = new Map<string, number>();
      for (const [key, count] of s.unread) {
        if (s.muted.has(key)) continue;
        const stream = splitKey(key).stream;
        sums.set(stream, (sums.get(stream) ?? 0) + count);
      }
      return sums as ReadonlyMap<string, number>;
    }),
    distinctUntilChanged(sameCounts),
  );

/** Kept incrementally (a busy topic's new messages are read once each) and shared by all subscribers. */
export const userNamesOf = (state$: State$): Observable<ReadonlyMap<string, string>> =>
  defer(() => {
    const names = knownUserNames();
    return state$.pipe(map(names), distinctUntilChanged());
  }).pipe(share({ connector: () => new ReplaySubject(1), resetOnRefCountZero: true }));

export const reviewsOf = (state$: State$): Observable<readonly Review[]> =>
  state$.pipe(
    map((s) => reviewList(s)),
    distinctUntilChanged(sameReviews),
  );

export function topicsOf(state$: State$, stream?: string): Observable<readonly TopicInfo[]> {
  const prefix = stream === undefined ? '' : topicKey(stream, '');
  return select(
    state$,
    (s) => s.topics,
    (topics) => [...topics].filter(([key]) => key.startsWith(prefix)).map(([, t]) => t).sort(byTopic),
  );
}

export function messagesOf(state$: State$, stream: string, topic: string): Observable<readonly Message[]> {
  const key = topicKey(stream, topic);
  return select(state$, (s) => s.messages.get(key), (list) => list ?? []);
}

export function unreadCountOf(state$: State$, stream: string, topic: string): Observable<number> {
  const key = topicKey(stream, topic);
  return select(state$, (s) => s.unread.get(key) ?? 0, (count) => count);
}

export function topicOf(state$: State$, stream: string, topic: string): Observable<TopicInfo | undefined> {
  const key = topicKey(stream, topic);
  return select(state$, (s) => s.topics.get(key), (info) => info);
}

export function topicMutedOf(state$: State$, stream: string, topic: string): Observable<boolean> {
  const key = topicKey(stream, topic);
  return select(state$, (s) => s.muted.has(key), (muted) => muted);
}

export function membersOf(state$: State$, groupId: string): Observable<readonly UserRef[]> {
  return select(state$, (s) => s.members.get(groupId), (list) => list ?? []);
}

export function groupMembersOf(state$: State$, groupId: string): Observable<readonly UserRef[] | undefined> {
  return select(state$, (s) => s.members.get(groupId), (list) => list);
}

export function reviewOf(reviews$: Observable<readonly Review[]>, stream: string, topic: string): Observable<Review | undefined> {
  return reviews$.pipe(
    map((reviews) => reviews.find((r) => r.stream === stream && r.topic === topic)),
    distinctUntilChanged(),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byName(a: { readonly name: string }, b: { readonly name: string }): number {
  return compare(a.name, b.name);
}

function byTopic(a: TopicRef, b: TopicRef): number {
  return a.stream === b.stream ? compare(a.topic, b.topic) : compare(a.stream, b.stream);
}

function sameCounts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, count] of a) if (b.get(key) !== count) return false;
  return true;
}

function splitKey(key: string): TopicRef {
  const at = key.indexOf('\u0000');
  return { stream: key.slice(0, at), topic: key.slice(at + 1) };
}

function reviewList(state: ImState): Review[] {
  const reviews: Review[] = [];
  for (const [key, topic] of state.topics) {
    const conclusion = state.conclusions.get(key);
    if (topic.status !== 'under_review' && !conclusion) continue;
    reviews.push({
      stream: topic.stream,
      topic: topic.topic,
      status: topic.status,
      votes: topic.votes,
      reviewers: state.streams.get(topic.stream)?.reviewers ?? [],
      conclusion,
    });
  }
  return reviews.sort(byTopic);
}

function sameReviews(a: readonly Review[], b: readonly Review[]): boolean {
  return (
    a.length === b.length &&
    a.every((r, i) => {
      const o = b[i]!;
      return r.stream === o.stream && r.topic === o.topic && r.status === o.status && r.votes === o.votes && r.reviewers === o.reviewers && r.conclusion === o.conclusion;
    })
  );
}

/** The people in a state (me, members, senders) by id; each topic's messages are scanned once, a page of older history rescans it. */
function knownUserNames(): (state: ImState) => ReadonlyMap<string, string> {
  const senders = new Map<string, string>();
  const scanned = new Map<string, { first: Message | undefined; length: number }>();
  let last: ReadonlyMap<string, string> = new Map();
  return (state) => {
    for (const [key, list] of state.messages) {
      const seen = scanned.get(key);
      const from = seen && seen.first === list[0] && seen.length <= list.length ? seen.length : 0;
      for (let i = from; i < list.length; i++) senders.set(list[i]!.senderId, list[i]!.senderName);
      scanned.set(key, { first: list[0], length: list.length });
    }
    const names = new Map(senders);
    for (const list of state.members.values()) for (const member of list) names.set(member.userId, member.username);
    if (state.me) names.set(state.me.userId, state.me.username);
    if (names.size === last.size && [...names].every(([id, name]) => last.get(id) === name)) return last;
    last = names;
    return names;
  };
}

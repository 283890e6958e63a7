// The last local state, kept in the client's storage so a reload with no hub (offline, hub down) still shows the
// streams, topics, the newest messages of each topic, unread counts and mutes. A cache for showing, never a source
// of truth: once the hub answers, refresh() and GetHistory replace what it holds. Plain JSON-able values (maps as
// entry arrays) so IndexedDB's structured clone and a file both keep it; each topic keeps only its newest messages.
import type { GroupInfo, Message, StreamInfo, TopicInfo, UserRef } from '../protocol/model.js';
import type { OutcomeOf } from '../protocol/outcomes.js';
import { emptyImState, type ImState } from './ImState.js';

const SNAPSHOT_VERSION = 1;
/** Messages kept per topic: the page a reopened topic shows first. */
export const SNAPSHOT_MESSAGES_PER_TOPIC = 50;

export interface ImStateSnapshot {
  readonly version: number;
  readonly userId: string;
  readonly savedAt: number;
  readonly me: UserRef;
  readonly streams: readonly StreamInfo[];
  readonly topics: readonly TopicInfo[];
  readonly groups: readonly GroupInfo[];
  readonly members: ReadonlyArray<readonly [string, readonly UserRef[]]>;
  readonly messages: ReadonlyArray<readonly [string, readonly Message[]]>;
  readonly cursors: ReadonlyArray<readonly [string, number]>;
  readonly muted: readonly string[];
  readonly unread: ReadonlyArray<readonly [string, number]>;
  readonly conclusions: ReadonlyArray<readonly [string, OutcomeOf<'ReviewConcluded'>]>;
}

/** The state as a snapshot, or undefined before the user is known. */
export function snapshotOf(state: ImState, now: number): ImStateSnapshot | undefined {
  if (!state.me) return undefined;
  return {
    version: SNAPSHOT_VERSION,
    userId: state.me.userId,
    savedAt: now,
    me: state.me,
    streams: [...state.streams.values()],
    topics: [...state.topics.values()],
    groups: [...state.groups.values()],
    members: [...state.members],
    messages: [...state.messages].map(([key, list]) => [key, list.slice(-SNAPSHOT_MESSAGES_PER_TOPIC)] as const),
    cursors: [...state.cursors],
    muted: [...state.muted],
    unread: [...state.unread],
    conclusions: [...state.conclusions],
  };
}

/** The state a snapshot holds, if it is a snapshot of this version for this user; undefined otherwise. */
export function restoreSnapshot(snapshot: unknown, userId: string | undefined): ImState | undefined {
  if (typeof snapshot !== 'object' || snapshot === null) return undefined;
  const s = snapshot as Partial<ImStateSnapshot>;
  if (s.version !== SNAPSHOT_VERSION || typeof s.userId !== 'string' || (userId !== undefined && s.userId !== userId) || !s.me) return undefined;
  try {
    return {
      ...emptyImState,
      me: s.me,
      streams: new Map((s.streams ?? []).map((stream) => [stream.name, stream])),
      topics: new Map((s.topics ?? []).map((topic) => [`${topic.stream}\u0000${topic.topic}`, topic])),
      groups: new Map((s.groups ?? []).map((group) => [group.groupId, group])),
      members: new Map(s.members ?? []),
      messages: new Map(s.messages ?? []),
      cursors: new Map(s.cursors ?? []),
      muted: new Set(s.muted ?? []),
      unread: new Map(s.unread ?? []),
      // Counts were exact when saved: pushes after them (seq above every known message) count on top.
      countedUpTo: Math.max(0, ...(s.topics ?? []).map((topic) => topic.lastSeq)),
      conclusions: new Map(s.conclusions ?? []),
    };
  } catch {
    return undefined; // a damaged snapshot is no snapshot: the hub's answers fill the state
  }
}

// The per-device session of the IM hub as a pure definition: its state (read cursors and muted topics) and how
// each sealed command updates it. The hub keeps this state only in memory and rebuilds it by replaying the
// device's chain (recall); the client can compute the same state from its own log. Shaped as the seal
// module's SessionDefinition<S, B> { initial(); apply(state, body) }.
import type { Command, CommandOf } from './commands.js';
import { MAX_SESSION_TOPICS, MAX_SYNC_ENTRIES } from './limits.js';
import { SessionLimitError } from './SessionLimitError.js';
import type { ReadCursor, TopicRef } from './model.js';

export interface DeviceSessionState {
  /** topicKey(stream, topic) → highest read message seq. */
  readonly cursors: ReadonlyMap<string, number>;
  /** topicKey(stream, topic) of muted topics. */
  readonly muted: ReadonlySet<string>;
}

/** A key for a (stream, topic) pair; names cannot contain control characters, so \u0000 separates them safely. */
export function topicKey(stream: string, topic: string): string {
  return `${stream}\u0000${topic}`;
}

export function parseTopicKey(key: string): TopicRef {
  const at = key.indexOf('\u0000');
  return { stream: key.slice(0, at), topic: key.slice(at + 1) };
}

/**
 * The fold of a device's chain. The state is owned by its session and updated in place, so an entry costs O(1)
 * whatever the number of cursors (a recall of n entries is O(n), not O(n²)); callers that need a snapshot copy it.
 * A body that is not a valid session update changes nothing: a command the hub refused (bad_schema) stays in the
 * chain, and replaying it must give the state the live session had. A new topic beyond MAX_SESSION_TOPICS is
 * refused with SessionLimitError before anything changes.
 */
export const deviceSession = {
  initial(): DeviceSessionState {
    return { cursors: new Map(), muted: new Set() };
  },
  apply(state: DeviceSessionState, command: Command): DeviceSessionState {
    const type = typeof command === 'object' && command !== null ? (command as { type?: unknown }).type : undefined;
    switch (type) {
      case 'MarkRead': {
        if (!isUpdate(command, true)) return state;
        const { stream, topic, upTo } = command as CommandOf<'MarkRead'>;
        const key = topicKey(stream, topic);
        const cursors = state.cursors as Map<string, number>;
        const current = cursors.get(key);
        if (current !== undefined && current >= upTo) return state;
        if (current === undefined && cursors.size >= MAX_SESSION_TOPICS) {
          throw new SessionLimitError(`this device already has read cursors in ${MAX_SESSION_TOPICS} topics, the limit`);
        }
        cursors.set(key, upTo);
        return state;
      }
      case 'MuteTopic': {
        if (!isUpdate(command, false)) return state;
        const { stream, topic } = command as CommandOf<'MuteTopic'>;
        const key = topicKey(stream, topic);
        const muted = state.muted as Set<string>;
        if (muted.has(key)) return state;
        if (muted.size >= MAX_SESSION_TOPICS) throw new SessionLimitError(`this device already mutes ${MAX_SESSION_TOPICS} topics, the limit`);
        muted.add(key);
        return state;
      }
      case 'UnmuteTopic': {
        if (!isUpdate(command, false)) return state;
        const { stream, topic } = command as CommandOf<'UnmuteTopic'>;
        (state.muted as Set<string>).delete(topicKey(stream, topic));
        return state;
      }
      case 'SyncReadState': {
        const sync = syncOf(command);
        if (!sync) return state;
        const cursors = state.cursors as Map<string, number>;
        const muted = state.muted as Set<string>;
        // All or nothing: the limit is checked for the whole fold before anything changes.
        const newCursors = new Set(sync.cursors.map((c) => topicKey(c.stream, c.topic)).filter((key) => !cursors.has(key)));
        if (newCursors.size > 0 && cursors.size + newCursors.size > MAX_SESSION_TOPICS) {
          throw new SessionLimitError(`this fold would give this device read cursors in more than ${MAX_SESSION_TOPICS} topics, the limit`);
        }
        const newMutes = new Set(sync.mutes.filter((m) => m.muted).map((m) => topicKey(m.stream, m.topic)).filter((key) => !muted.has(key)));
        if (newMutes.size > 0 && muted.size + newMutes.size > MAX_SESSION_TOPICS) {
          throw new SessionLimitError(`this fold would make this device mute more than ${MAX_SESSION_TOPICS} topics, the limit`);
        }
        for (const { stream, topic, upTo } of sync.cursors) {
          const key = topicKey(stream, topic);
          if ((cursors.get(key) ?? -1) < upTo) cursors.set(key, upTo);
        }
        for (const { stream, topic, muted: on } of sync.mutes) {
          if (on) muted.add(topicKey(stream, topic));
          else muted.delete(topicKey(stream, topic));
        }
        return state;
      }
      default:
        return state;
    }
  },
  /**
   * The state as JSON for a sealed checkpoint (PROTOCOL.md "Checkpoints"): cursors as [stream, topic, upTo] and
   * muted topics as [stream, topic], sorted, so one state always gives the same JSON.
   */
  snapshot(state: DeviceSessionState): DeviceSessionSnapshot {
    return {
      cursors: readCursorsOf(state).map(({ stream, topic, upTo }) => [stream, topic, upTo] as const),
      muted: mutedTopicsOf(state).map(({ stream, topic }) => [stream, topic] as const),
    };
  },
  /** The state back from a checkpoint's snapshot; throws TypeError on any other shape. */
  restore(snapshot: unknown): DeviceSessionState {
    const s = snapshot as Partial<DeviceSessionSnapshot> | null;
    if (typeof s !== 'object' || s === null || !Array.isArray(s.cursors) || !Array.isArray(s.muted)) throw new TypeError('a device session snapshot is { cursors, muted }');
    if (s.cursors.length > MAX_SESSION_TOPICS || s.muted.length > MAX_SESSION_TOPICS) throw new TypeError('a device session snapshot holds too many topics');
    const cursors = new Map<string, number>();
    for (const c of s.cursors as unknown[]) {
      if (!Array.isArray(c) || c.length !== 3 || !validRef({ stream: c[0], topic: c[1] }) || !Number.isSafeInteger(c[2]) || (c[2] as number) < 0) {
        throw new TypeError('a snapshot cursor is [stream, topic, upTo]');
      }
      cursors.set(topicKey(c[0] as string, c[1] as string), c[2] as number);
    }
    const muted = new Set<string>();
    for (const m of s.muted as unknown[]) {
      if (!Array.isArray(m) || m.length !== 2 || !validRef({ stream: m[0], topic: m[1] })) throw new TypeError('a snapshot muted topic is [stream, topic]');
      muted.add(topicKey(m[0] as string, m[1] as string));
    }
    return { cursors, muted };
  },
};

/** A device session's state as JSON, as a checkpoint carries it. */
export interface DeviceSessionSnapshot {
  readonly cursors: ReadonlyArray<readonly [stream: string, topic: string, upTo: number]>;
  readonly muted: ReadonlyArray<readonly [stream: string, topic: string]>;
}

const syncKeys = new Set(['type', 'traceId', 'cursors', 'mutes']);

/** A SyncReadState with the shape its schema requires (cheap checks, as isUpdate), or undefined. */
function syncOf(command: object): CommandOf<'SyncReadState'> | undefined {
  const c = command as Record<string, unknown>;
  const keys = Object.keys(c);
  if (keys.length !== syncKeys.size || !keys.every((k) => syncKeys.has(k)) || typeof c.traceId !== 'string') return undefined;
  if (!Array.isArray(c.cursors) || !Array.isArray(c.mutes) || c.cursors.length > MAX_SYNC_ENTRIES || c.mutes.length > MAX_SYNC_ENTRIES) return undefined;
  const cursorsOk = c.cursors.every((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null || Object.keys(entry).length !== 3) return false;
    const e = entry as Record<string, unknown>;
    return validRef(e) && typeof e.upTo === 'number' && Number.isSafeInteger(e.upTo) && e.upTo >= 0;
  });
  const mutesOk = c.mutes.every((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null || Object.keys(entry).length !== 3) return false;
    const e = entry as Record<string, unknown>;
    return validRef(e) && typeof e.muted === 'boolean';
  });
  return cursorsOk && mutesOk ? (command as CommandOf<'SyncReadState'>) : undefined;
}

function validRef(e: Record<string, unknown>): boolean {
  return typeof e.stream === 'string' && typeof e.topic === 'string' && e.stream.length > 0 && e.topic.length > 0 && !e.stream.includes('\u0000');
}

const updateKeys = new Set(['type', 'traceId', 'stream', 'topic']);
const markReadKeys = new Set([...updateKeys, 'upTo']);

/**
 * Whether a session update has the shape its schema requires (exactly its fields, names as strings without the
 * key separator, a non-negative integer seq). Cheaper than the full schema, which a replay of thousands of entries
 * would pay per entry; a name the schema refuses for its characters can only name a topic that cannot exist.
 */
function isUpdate(command: object, markRead: boolean): boolean {
  const c = command as Record<string, unknown>;
  const keys = Object.keys(c);
  const allowed = markRead ? markReadKeys : updateKeys;
  if (keys.length !== allowed.size || !keys.every((k) => allowed.has(k))) return false;
  if (typeof c.traceId !== 'string' || typeof c.stream !== 'string' || typeof c.topic !== 'string') return false;
  if (c.stream.includes('\u0000') || c.stream.length === 0 || c.topic.length === 0) return false;
  return !markRead || (typeof c.upTo === 'number' && Number.isSafeInteger(c.upTo) && c.upTo >= 0);
}

/** Cursors as protocol values, sorted by stream then topic. */
export function readCursorsOf(state: DeviceSessionState): ReadCursor[] {
  return [...state.cursors]
    .map(([key, upTo]) => ({ ...parseTopicKey(key), upTo }))
    .sort((a, b) => (a.stream === b.stream ? compare(a.topic, b.topic) : compare(a.stream, b.stream)));
}

/** Muted topics as protocol values, sorted by stream then topic. */
export function mutedTopicsOf(state: DeviceSessionState): TopicRef[] {
  return [...state.muted]
    .map(parseTopicKey)
    .sort((a, b) => (a.stream === b.stream ? compare(a.topic, b.topic) : compare(a.stream, b.stream)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

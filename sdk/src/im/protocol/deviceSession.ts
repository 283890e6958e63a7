// The per-device session of the IM hub as a pure definition: its state (read cursors and muted topics) and how
// each sealed command updates it. The hub keeps this state only in memory and rebuilds it by replaying the
// device's chain (recall); the client can compute the same state from its own log. Shaped as the seal
// module's SessionDefinition<S, B> { initial(); apply(state, body) }.
import type { Command } from './commands.js';
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

export const deviceSession = {
  initial(): DeviceSessionState {
    return { cursors: new Map(), muted: new Set() };
  },
  /** Session updates (MarkRead, MuteTopic, UnmuteTopic) return a new state; every other command returns `state` itself. */
  apply(state: DeviceSessionState, command: Command): DeviceSessionState {
    switch (command.type) {
      case 'MarkRead': {
        const key = topicKey(command.stream, command.topic);
        if ((state.cursors.get(key) ?? -1) >= command.upTo) return state;
        const cursors = new Map(state.cursors);
        cursors.set(key, command.upTo);
        return { cursors, muted: state.muted };
      }
      case 'MuteTopic': {
        const key = topicKey(command.stream, command.topic);
        if (state.muted.has(key)) return state;
        return { cursors: state.cursors, muted: new Set(state.muted).add(key) };
      }
      case 'UnmuteTopic': {
        const key = topicKey(command.stream, command.topic);
        if (!state.muted.has(key)) return state;
        const muted = new Set(state.muted);
        muted.delete(key);
        return { cursors: state.cursors, muted };
      }
      default:
        return state;
    }
  },
};

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

// A small session definition for the seal tests: per-topic read cursors and unread counts, a
// muted set, and a request that reads a projection. Pure, so it can be replayed.
import type { SessionDefinition } from '../SessionDefinition.js';

export type ChatBody =
  | { readonly type: 'received'; readonly topic: string; readonly id: number }
  | { readonly type: 'read'; readonly topic: string; readonly upTo: number }
  | { readonly type: 'mute'; readonly topic: string; readonly muted: boolean }
  | { readonly type: 'note'; readonly text: string }
  | { readonly type: 'unread'; readonly topic: string };

export interface ChatState {
  readonly cursors: Readonly<Record<string, number>>;
  readonly unread: Readonly<Record<string, number>>;
  readonly muted: readonly string[];
  readonly notes: readonly string[];
}

export const chatSession: SessionDefinition<ChatState, ChatBody> = {
  initial: () => ({ cursors: {}, unread: {}, muted: [], notes: [] }),
  apply(state, body) {
    switch (body.type) {
      case 'received':
        return { ...state, unread: { ...state.unread, [body.topic]: (state.unread[body.topic] ?? 0) + 1 } };
      case 'read':
        return { ...state, cursors: { ...state.cursors, [body.topic]: body.upTo }, unread: { ...state.unread, [body.topic]: 0 } };
      case 'mute':
        return {
          ...state,
          muted: body.muted ? [...new Set([...state.muted, body.topic])].sort() : state.muted.filter((t) => t !== body.topic),
        };
      case 'note':
        return { ...state, notes: [...state.notes, body.text] };
      case 'unread':
        return state;
    }
  },
  reply(state, body) {
    return body.type === 'unread' ? (state.unread[body.topic] ?? 0) : undefined;
  },
};

const topics = ['general', 'random', 'café', 'ops 😀'];

/** A deterministic body for position `n` (varied types and unicode, for tamper tests). */
export function chatBody(n: number): ChatBody {
  const topic = topics[n % topics.length]!;
  switch (n % 5) {
    case 0:
      return { type: 'received', topic, id: n };
    case 1:
      return { type: 'read', topic, upTo: n };
    case 2:
      return { type: 'mute', topic, muted: n % 2 === 0 };
    case 3:
      return { type: 'note', text: `note ${n}: ünïcödé “quotes” \\ and \n newline` };
    default:
      return { type: 'unread', topic };
  }
}

/** chatSession with snapshot/restore: its sessions can be checkpointed (the state is plain JSON already). */
export const checkpointedChatSession: SessionDefinition<ChatState, ChatBody> = {
  ...chatSession,
  snapshot: (state) => JSON.parse(JSON.stringify(state)) as unknown,
  restore: (snapshot) => {
    if (typeof snapshot !== 'object' || snapshot === null || !('cursors' in snapshot)) throw new TypeError('not a chat state');
    return snapshot as ChatState;
  },
};

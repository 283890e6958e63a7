// Per-device session state commands: MarkRead, MuteTopic, UnmuteTopic, GetSessionState. The state itself was
// already updated by the sealed session (the entry's apply, replayed on recall); these handlers only answer from
// it, adding unread counts computed from the messages in the store.
import { mutedTopicsOf, readCursorsOf, topicKey, type DeviceSessionState, type UnreadCount } from '@stage/sdk/im';
import type { CommandHandler } from './CommandContext.js';
import { requireVisibleStream } from './visibility.js';
import type { StoreTx } from '../store/Store.js';

async function unreadIn(tx: StoreTx, userId: string, session: DeviceSessionState, stream: string, topic: string): Promise<number> {
  return tx.countUnread({ stream, topic, afterSeq: session.cursors.get(topicKey(stream, topic)) ?? 0, excludeSender: userId });
}

export const markRead: CommandHandler<'MarkRead'> = async (command, ctx, tx) => {
  await requireVisibleStream(tx, ctx.userId, command.stream);
  const upTo = ctx.session.cursors.get(topicKey(command.stream, command.topic)) ?? command.upTo;
  return {
    data: { cursor: { stream: command.stream, topic: command.topic, upTo }, unread: await unreadIn(tx, ctx.userId, ctx.session, command.stream, command.topic) },
    pushes: [],
  };
};

// A stream the caller cannot see is not_found here as everywhere (the sealed entry stays in the chain; a mute on a
// hidden stream is never shown, see getSessionState).
export const muteTopic: CommandHandler<'MuteTopic'> = async (command, ctx, tx) => {
  await requireVisibleStream(tx, ctx.userId, command.stream);
  return { data: { muted: await visibleMutes(tx, ctx.userId, ctx.session) }, pushes: [] };
};

export const unmuteTopic: CommandHandler<'UnmuteTopic'> = async (command, ctx, tx) => {
  await requireVisibleStream(tx, ctx.userId, command.stream);
  return { data: { muted: await visibleMutes(tx, ctx.userId, ctx.session) }, pushes: [] };
};

/** The device's muted topics in streams the user sees now. */
async function visibleMutes(tx: StoreTx, userId: string, session: DeviceSessionState) {
  const visible = new Set((await tx.streamsVisibleTo(userId)).map((s) => s.name));
  return mutedTopicsOf(session).filter((m) => visible.has(m.stream));
}

export const getSessionState: CommandHandler<'GetSessionState'> = async (_command, ctx, tx) => {
  const unread: UnreadCount[] = [];
  for (const stream of await tx.streamsVisibleTo(ctx.userId)) {
    for (const t of await tx.topicsOf(stream.name)) {
      const count = await unreadIn(tx, ctx.userId, ctx.session, t.stream, t.topic);
      if (count > 0) unread.push({ stream: t.stream, topic: t.topic, count });
    }
  }
  // Only what the user can still see: a cursor or mute on a hidden stream stays in memory but is not shown.
  const visible = new Set((await tx.streamsVisibleTo(ctx.userId)).map((s) => s.name));
  return {
    data: {
      cursors: readCursorsOf(ctx.session).filter((c) => visible.has(c.stream)),
      muted: mutedTopicsOf(ctx.session).filter((m) => visible.has(m.stream)),
      unread,
    },
    pushes: [],
  };
};

// Read state commands. The device's own state (MarkRead, MuteTopic, UnmuteTopic, SyncReadState; GetSessionState)
// was already updated by its sealed session (the entry's apply, replayed on recall); these handlers answer from it,
// adding unread counts computed from the messages in the store. The USER's state (cursors and mutes shared by all
// their devices) lives in the store: MarkRead and SyncReadState advance the user's cursors, MuteTopic and
// UnmuteTopic set the user's mutes, and each change is pushed (TopicRead, TopicMuteChanged) to the user's devices,
// which fold it into their own sessions with SyncReadState. GetReadState is how a device (a new one included)
// starts from the user's state. See docs/PROTOCOL.md "Read state".
import { mutedTopicsOf, parseTopicKey, readCursorsOf, topicKey, type DeviceSessionState, type MuteChange, type ReadCursor, type TopicRef, type UnreadCount } from '@stage/sdk/im';
import type { CommandHandler, Push } from './CommandContext.js';
import { requireVisibleStream } from './visibility.js';
import type { DomainStore } from '../store/Store.js';

function unreadAfter(tx: DomainStore, userId: string, stream: string, topic: string, afterSeq: number): Promise<number> {
  return tx.countUnread({ stream, topic, afterSeq, excludeSender: userId });
}

function unreadIn(tx: DomainStore, userId: string, session: DeviceSessionState, stream: string, topic: string): Promise<number> {
  return unreadAfter(tx, userId, stream, topic, session.cursors.get(topicKey(stream, topic)) ?? 0);
}

/**
 * Moves the user's cursor up to the device's (never back) and, when it moved, pushes TopicRead to the user's
 * devices. Only in topics that exist: the user's rows are then bounded by the topics they can see.
 */
async function advanceUser(tx: DomainStore, userId: string, stream: string, topic: string, upTo: number, pushes: Push[]): Promise<void> {
  if (!(await tx.topic(stream, topic))) return;
  if (await tx.advanceUserCursor(userId, stream, topic, upTo)) pushes.push({ outcome: { type: 'TopicRead', stream, topic, upTo }, recipients: [userId] });
}

export const markRead: CommandHandler<'MarkRead'> = async (command, ctx, tx) => {
  await requireVisibleStream(tx, ctx.userId, command.stream);
  const upTo = ctx.session.cursors.get(topicKey(command.stream, command.topic)) ?? command.upTo;
  const pushes: Push[] = [];
  await advanceUser(tx, ctx.userId, command.stream, command.topic, upTo, pushes);
  return {
    data: { cursor: { stream: command.stream, topic: command.topic, upTo }, unread: await unreadIn(tx, ctx.userId, ctx.session, command.stream, command.topic) },
    pushes,
  };
};

// A stream the caller cannot see is not_found here as everywhere (the sealed entry stays in the chain; a mute on a
// hidden stream is never shown).
export const muteTopic: CommandHandler<'MuteTopic'> = async (command, ctx, tx) => setMuted(command, true, ctx.userId, tx);
export const unmuteTopic: CommandHandler<'UnmuteTopic'> = async (command, ctx, tx) => setMuted(command, false, ctx.userId, tx);

async function setMuted(ref: TopicRef, muted: boolean, userId: string, tx: DomainStore) {
  await requireVisibleStream(tx, userId, ref.stream);
  const pushes: Push[] = [];
  if ((await tx.topic(ref.stream, ref.topic)) && (await tx.setUserMuted(userId, ref.stream, ref.topic, muted))) {
    pushes.push({ outcome: { type: 'TopicMuteChanged', stream: ref.stream, topic: ref.topic, muted }, recipients: [userId] });
  }
  // The user's mutes: what every one of their devices shows once it has folded this change in.
  return { data: { muted: await visibleUserMutes(tx, userId) }, pushes };
}

async function visibleNames(tx: DomainStore, userId: string): Promise<Set<string>> {
  return new Set((await tx.streamsVisibleTo(userId)).map((s) => s.name));
}

async function visibleUserMutes(tx: DomainStore, userId: string): Promise<TopicRef[]> {
  const visible = await visibleNames(tx, userId);
  return (await tx.userReadState(userId)).muted.filter((m) => visible.has(m.stream));
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
  const visible = await visibleNames(tx, ctx.userId);
  return {
    data: {
      cursors: readCursorsOf(ctx.session).filter((c) => visible.has(c.stream)),
      muted: mutedTopicsOf(ctx.session).filter((m) => visible.has(m.stream)),
      unread,
    },
    pushes: [],
  };
};

/**
 * The fold was applied to the device's session before this runs. Cursors it carries also advance the user's (they
 * only move forward, so an old fold changes nothing); mutes are this device's only. Hidden streams are skipped.
 */
export const syncReadState: CommandHandler<'SyncReadState'> = async (command, ctx, tx) => {
  const visible = await visibleNames(tx, ctx.userId);
  const pushes: Push[] = [];
  const touched = new Map<string, TopicRef>();
  for (const c of command.cursors) {
    if (!visible.has(c.stream)) continue;
    touched.set(topicKey(c.stream, c.topic), { stream: c.stream, topic: c.topic });
    await advanceUser(tx, ctx.userId, c.stream, c.topic, ctx.session.cursors.get(topicKey(c.stream, c.topic)) ?? c.upTo, pushes);
  }
  const cursors: ReadCursor[] = [];
  const unread: UnreadCount[] = [];
  for (const [key, ref] of touched) {
    const upTo = ctx.session.cursors.get(key) ?? 0;
    cursors.push({ ...ref, upTo });
    unread.push({ ...ref, count: await unreadAfter(tx, ctx.userId, ref.stream, ref.topic, upTo) });
  }
  return { data: { cursors, unread }, pushes };
};

/**
 * The user's state as this device should show it: per topic the higher of the user's and the device's cursor, the
 * user's mutes, unread counts by those cursors; `fold` lists what the device's session lacks (the client sends it as
 * SyncReadState). A new device thus starts with its user's state, not with every message unread.
 */
export const getReadState: CommandHandler<'GetReadState'> = async (_command, ctx, tx) => {
  const streams = await tx.streamsVisibleTo(ctx.userId);
  const visible = new Set(streams.map((s) => s.name));
  const user = await tx.userReadState(ctx.userId);
  const effective = new Map<string, number>();
  for (const [key, upTo] of ctx.session.cursors) effective.set(key, upTo);
  const foldCursors: ReadCursor[] = [];
  for (const c of user.cursors) {
    if (!visible.has(c.stream)) continue;
    const key = topicKey(c.stream, c.topic);
    const mine = ctx.session.cursors.get(key);
    if (mine === undefined || mine < c.upTo) {
      effective.set(key, c.upTo);
      foldCursors.push(c);
    }
  }
  const userMuted = new Set(user.muted.filter((m) => visible.has(m.stream)).map((m) => topicKey(m.stream, m.topic)));
  const foldMutes: MuteChange[] = [];
  for (const m of user.muted) if (visible.has(m.stream) && !ctx.session.muted.has(topicKey(m.stream, m.topic))) foldMutes.push({ ...m, muted: true });
  for (const m of mutedTopicsOf(ctx.session)) if (visible.has(m.stream) && !userMuted.has(topicKey(m.stream, m.topic))) foldMutes.push({ ...m, muted: false });
  const unread: UnreadCount[] = [];
  for (const stream of streams) {
    for (const t of await tx.topicsOf(stream.name)) {
      const count = await unreadAfter(tx, ctx.userId, t.stream, t.topic, effective.get(topicKey(t.stream, t.topic)) ?? 0);
      if (count > 0) unread.push({ stream: t.stream, topic: t.topic, count });
    }
  }
  // Sorted by stream then topic: the key puts the stream first and \u0000 sorts before any name character.
  const cursors = [...effective]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, upTo]) => ({ ...parseTopicKey(key), upTo }))
    .filter((c) => visible.has(c.stream));
  return {
    data: { cursors, muted: user.muted.filter((m) => visible.has(m.stream)), unread, fold: { cursors: foldCursors, mutes: foldMutes } },
    pushes: [],
  };
};

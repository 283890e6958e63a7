// Message commands: SendMessage, EditMessage, DeleteMessage, GetHistory. Pushes go to the stream's audience
// (members of the groups that see it); SendMessage.recipients can only narrow that audience, never widen it. A
// narrowed message is stored with its recipients and stays theirs: only they find it in history and unread
// counts, and its edit and delete are pushed only to those of them who still see the stream. To anyone else it
// does not exist (not_found).
import { DEFAULT_HISTORY_LIMIT, MAX_FRAME_BYTES } from '@stage/sdk/im';
import type { CommandHandler } from './CommandContext.js';
import { CommandError } from './CommandError.js';
import { messageOf, requireVisibleStream } from './visibility.js';
import { postMessage } from '../store/postMessage.js';
import type { DomainStore } from '../store/Store.js';

/** The message if it exists in a stream the user sees and is addressed to them; not_found otherwise. */
async function visibleMessage(tx: DomainStore, userId: string, messageId: string) {
  const message = await tx.messageById(messageId);
  const narrowedTo = message ? await tx.messageRecipients(message.id) : undefined;
  if (!message || !(await tx.canSee(userId, message.stream)) || (narrowedTo !== undefined && !narrowedTo.includes(userId))) {
    throw new CommandError('not_found', `message "${messageId}" not found`, ['command', 'messageId']);
  }
  return { message, narrowedTo };
}

/** Who is told about a change to a message: the stream's audience, within the message's recipients if narrowed. */
async function messageAudience(tx: DomainStore, stream: string, narrowedTo: readonly string[] | undefined): Promise<string[]> {
  const audience = await tx.streamAudience(stream);
  return narrowedTo === undefined ? audience : audience.filter((u) => narrowedTo.includes(u));
}

export const sendMessage: CommandHandler<'SendMessage'> = async (command, ctx, tx) => {
  // The audience answers the visibility check too (a stream that does not exist has none): one call, which a
  // store may run as one statement (PostgreSQL: with the recipients' outcome ids; see DomainStore.postMessage).
  const posted = await postMessage(tx, {
    id: ctx.newId(),
    stream: command.stream,
    topic: command.topic,
    senderId: ctx.userId,
    content: command.content,
    createdAt: ctx.now,
    ...(command.recipients ? { narrowTo: command.recipients } : {}),
  });
  if (!posted) throw new CommandError('not_found', `stream "${command.stream}" not found`, ['command', 'stream']);
  const message = messageOf(posted.record);
  return { data: { message }, pushes: [{ outcome: { type: 'NewMessage', message }, recipients: posted.recipients }] };
};

export const editMessage: CommandHandler<'EditMessage'> = async (command, ctx, tx) => {
  const { message: found, narrowedTo } = await visibleMessage(tx, ctx.userId, command.messageId);
  if (found.senderId !== ctx.userId) throw new CommandError('forbidden', 'only the sender can edit a message');
  if (found.deleted) throw new CommandError('conflict', `message "${command.messageId}" was deleted`);
  await tx.editMessage(found.id, command.content, ctx.now);
  const message = messageOf({ ...found, content: command.content, editedAt: ctx.now });
  return { data: { message }, pushes: [{ outcome: { type: 'MessageEdited', message }, recipients: await messageAudience(tx, found.stream, narrowedTo) }] };
};

export const deleteMessage: CommandHandler<'DeleteMessage'> = async (command, ctx, tx) => {
  const { message: found, narrowedTo } = await visibleMessage(tx, ctx.userId, command.messageId);
  if (found.senderId !== ctx.userId) throw new CommandError('forbidden', 'only the sender can delete a message');
  if (found.deleted) throw new CommandError('conflict', `message "${command.messageId}" was already deleted`);
  await tx.deleteMessage(found.id);
  const message = messageOf({ ...found, content: '', deleted: true });
  return {
    data: { message },
    pushes: [
      {
        outcome: { type: 'MessageDeleted', messageId: found.id, stream: found.stream, topic: found.topic },
        recipients: await messageAudience(tx, found.stream, narrowedTo),
      },
    ],
  };
};

/** Bytes of messages in one GetHistory reply: a frame less room for the reply's envelope. */
const historyPageBytes = MAX_FRAME_BYTES - 2048;

export const getHistory: CommandHandler<'GetHistory'> = async (command, ctx, tx) => {
  await requireVisibleStream(tx, ctx.userId, command.stream);
  const limit = command.limit ?? DEFAULT_HISTORY_LIMIT;
  const page = await tx.history({
    stream: command.stream,
    ...(command.topic !== undefined ? { topic: command.topic } : {}),
    ...(command.before !== undefined ? { before: command.before } : {}),
    limit: limit + 1,
    // A message's JSON takes at least as many bytes as its content has characters: the messages past this budget
    // could not be in the page, so the store does not read them.
    maxContentChars: historyPageBytes,
    viewer: ctx.userId,
  });
  let hasMore = page.length > limit;
  const messages = (hasMore ? page.slice(1) : page).map(messageOf);
  // A page fits one frame: the oldest messages beyond the byte budget are left for the next page (hasMore).
  // The newest message is always kept (one message always fits a frame), so paging always moves.
  let bytes = 0;
  let first = messages.length;
  while (first > 0) {
    bytes += Buffer.byteLength(JSON.stringify(messages[first - 1])) + 1;
    if (bytes > historyPageBytes && first < messages.length) break;
    first--;
  }
  if (first > 0) hasMore = true;
  messages.splice(0, first);
  return {
    data: { stream: command.stream, ...(command.topic !== undefined ? { topic: command.topic } : {}), messages, hasMore },
    pushes: [],
  };
};

// Stream commands: CreateStream, SetStreamGroups, GetStreams. A stream is visible to groups; a change of its
// groups tells each user exactly what changed for them: StreamGroupsChanged to those who keep seeing it,
// StreamRevealed to those who now see it, StreamHidden to those who no longer do.
import type { Push } from './CommandContext.js';
import type { CommandHandler } from './CommandContext.js';
import { CommandError } from './CommandError.js';
import { requireVisibleStream, streamInfo, topicInfo } from './visibility.js';
import type { StoreTx } from '../store/Store.js';

/** Every listed group exists and the user is a member of it (not_found otherwise, naming the index). */
async function requireOwnGroups(tx: StoreTx, userId: string, groups: readonly string[]): Promise<string[]> {
  const unique = [...new Set(groups)].sort();
  for (const [i, groupId] of groups.entries()) {
    if (!(await tx.groupById(groupId)) || !(await tx.isMember(groupId, userId))) {
      throw new CommandError('not_found', `group "${groupId}" not found among your groups`, ['command', 'groups', i]);
    }
  }
  return unique;
}

export const createStream: CommandHandler<'CreateStream'> = async (command, ctx, tx) => {
  const groups = await requireOwnGroups(tx, ctx.userId, command.groups);
  if (await tx.streamByName(command.stream)) throw new CommandError('conflict', `stream "${command.stream}" already exists`, ['command', 'stream']);
  const record = { name: command.stream, description: command.description ?? '', creatorId: ctx.userId, createdAt: ctx.now, groups };
  await tx.insertStream(record);
  const stream = await streamInfo(tx, record);
  return { data: { stream }, pushes: [{ outcome: { type: 'StreamCreated', stream }, recipients: await tx.streamAudience(command.stream) }] };
};

export const setStreamGroups: CommandHandler<'SetStreamGroups'> = async (command, ctx, tx) => {
  const before = await requireVisibleStream(tx, ctx.userId, command.stream);
  const groups = await requireOwnGroups(tx, ctx.userId, command.groups);
  const ownsAListedGroup = (await Promise.all(groups.map((g) => tx.groupById(g)))).some((g) => g?.ownerId === ctx.userId);
  if (before.creatorId !== ctx.userId && !ownsAListedGroup) {
    throw new CommandError('forbidden', 'only the stream creator or the owner of a listed group can change its groups');
  }
  const audienceBefore = new Set(await tx.streamAudience(command.stream));
  await tx.setStreamGroups(command.stream, groups);
  const audienceAfter = await tx.streamAudience(command.stream);
  const stream = await streamInfo(tx, { ...before, groups });
  const after = new Set(audienceAfter);
  const pushes: Push[] = [
    { outcome: { type: 'StreamGroupsChanged', stream }, recipients: audienceAfter.filter((u) => audienceBefore.has(u)) },
    { outcome: { type: 'StreamRevealed', stream }, recipients: audienceAfter.filter((u) => !audienceBefore.has(u)) },
    { outcome: { type: 'StreamHidden', stream: command.stream }, recipients: [...audienceBefore].filter((u) => !after.has(u)) },
  ];
  return { data: { stream }, pushes };
};

export const getStreams: CommandHandler<'GetStreams'> = async (_command, ctx, tx) => {
  const records = await tx.streamsVisibleTo(ctx.userId);
  const streams = await Promise.all(records.map((r) => streamInfo(tx, r)));
  const topics = [];
  for (const r of records) for (const t of await tx.topicsOf(r.name)) topics.push(await topicInfo(tx, t));
  return { data: { streams, topics }, pushes: [] };
};

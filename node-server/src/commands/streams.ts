// Stream commands: CreateStream, SetStreamGroups, SetStreamAdmins, GetStreams. A stream is visible to groups; a
// change of its groups tells each user exactly what changed for them: StreamGroupsChanged to those who keep seeing
// it, StreamRevealed to those who now see it, StreamHidden to those who no longer do. Only the stream's
// administrators change its groups, and only its creator names administrators (see streamAuthority.ts).
import { MAX_STREAM_ADMINS } from '@stage/sdk/im';
import type { Push } from './CommandContext.js';
import type { CommandHandler } from './CommandContext.js';
import { CommandError } from './CommandError.js';
import { requireStreamAdmin } from './streamAuthority.js';
import { concludeOpenReviews } from './topics.js';
import { requireVisibleStream, streamInfo, topicInfo } from './visibility.js';
import type { DomainStore } from '../store/Store.js';

/**
 * Every listed group exists and the user is a member of it, or (`kept`) the stream already has it: not_found
 * otherwise, naming the index. Returns the groups sorted and deduplicated.
 */
async function requireListedGroups(tx: DomainStore, userId: string, groups: readonly string[], kept: readonly string[] = []): Promise<string[]> {
  const unique = [...new Set(groups)].sort();
  for (const [i, groupId] of groups.entries()) {
    if (kept.includes(groupId)) continue;
    if (!(await tx.groupById(groupId)) || !(await tx.isMember(groupId, userId))) {
      throw new CommandError('not_found', `group "${groupId}" not found among your groups`, ['command', 'groups', i]);
    }
  }
  return unique;
}

export const createStream: CommandHandler<'CreateStream'> = async (command, ctx, tx) => {
  const groups = await requireListedGroups(tx, ctx.userId, command.groups);
  // Stream names are one name space: a taken name must be refused, but the refusal is the same whether or not the
  // caller sees the stream, so it tells nothing about a hidden one beyond the name being taken.
  if (await tx.streamByName(command.stream)) throw new CommandError('conflict', `the stream name "${command.stream}" is not available`, ['command', 'stream']);
  const record = { name: command.stream, description: command.description ?? '', creatorId: ctx.userId, createdAt: ctx.now, groups };
  await tx.insertStream(record);
  const stream = await streamInfo(tx, record);
  return { data: { stream }, pushes: [{ outcome: { type: 'StreamCreated', stream }, recipients: await tx.streamAudience(command.stream) }] };
};

export const setStreamGroups: CommandHandler<'SetStreamGroups'> = async (command, ctx, tx) => {
  const before = await requireVisibleStream(tx, ctx.userId, command.stream);
  await requireStreamAdmin(tx, ctx.userId, before, 'change its groups');
  const groups = await requireListedGroups(tx, ctx.userId, command.groups, before.groups);
  const audienceBefore = new Set(await tx.streamAudience(command.stream));
  await tx.setStreamGroups(command.stream, groups);
  const audienceAfter = await tx.streamAudience(command.stream);
  const stream = await streamInfo(tx, { ...before, groups });
  const after = new Set(audienceAfter);
  const pushes: Push[] = [
    { outcome: { type: 'StreamGroupsChanged', stream }, recipients: audienceAfter.filter((u) => audienceBefore.has(u)) },
    { outcome: { type: 'StreamRevealed', stream }, recipients: audienceAfter.filter((u) => !audienceBefore.has(u)) },
    { outcome: { type: 'StreamHidden', stream: command.stream }, recipients: [...audienceBefore].filter((u) => !after.has(u)) },
    // A reviewer who no longer sees the stream no longer holds up its reviews.
    ...(await concludeOpenReviews(tx, command.stream)),
  ];
  return { data: { stream }, pushes };
};

export const setStreamAdmins: CommandHandler<'SetStreamAdmins'> = async (command, ctx, tx) => {
  const record = await requireVisibleStream(tx, ctx.userId, command.stream);
  if (record.creatorId !== ctx.userId) throw new CommandError('forbidden', `only the creator of "${record.name}" names its administrators`);
  for (const [i, userId] of command.admins.entries()) {
    if (!(await tx.userById(userId)) || !(await tx.canSee(userId, record.name))) {
      throw new CommandError('not_found', `user "${userId}" not found among those who see "${record.name}"`, ['command', 'admins', i]);
    }
  }
  const admins = [...new Set(command.admins)].filter((u) => u !== record.creatorId).sort();
  if (admins.length > MAX_STREAM_ADMINS) throw new CommandError('payload_too_large', `at most ${MAX_STREAM_ADMINS} administrators`, ['command', 'admins']);
  await tx.setStreamAdmins(record.name, admins);
  const stream = await streamInfo(tx, record);
  return { data: { stream }, pushes: [{ outcome: { type: 'StreamGroupsChanged', stream }, recipients: await tx.streamAudience(record.name) }] };
};

export const getStreams: CommandHandler<'GetStreams'> = async (_command, ctx, tx) => {
  const records = await tx.streamsVisibleTo(ctx.userId);
  const streams = await Promise.all(records.map((r) => streamInfo(tx, r)));
  const topics = [];
  for (const r of records) for (const t of await tx.topicsOf(r.name)) topics.push(await topicInfo(tx, t));
  return { data: { streams, topics }, pushes: [] };
};

// Topic and review commands: SetTopicStatus, AppointReviewer, DismissReviewer, Vote. A review concludes when
// every current reviewer of the stream has voted on a topic under review: more yes than no → complete, otherwise
// reject; pushed as ReviewConcluded followed by TopicStatusChanged (changedBy null).
import { topicStatusCodes, type TopicStatus } from '@stage/sdk/im';
import type { CommandHandler, Push } from './CommandContext.js';
import { CommandError } from './CommandError.js';
import { currentVotes, requireVisibleStream, topicInfo } from './visibility.js';
import type { StoreTx, StreamRecord } from '../store/Store.js';

/** Who may appoint and dismiss reviewers: the stream's creator or the owner of a group that sees it. */
async function requireStreamAdmin(tx: StoreTx, userId: string, stream: StreamRecord): Promise<void> {
  if (stream.creatorId === userId) return;
  for (const groupId of stream.groups) if ((await tx.groupById(groupId))?.ownerId === userId) return;
  throw new CommandError('forbidden', `only the creator of "${stream.name}" or an owner of one of its groups manages its reviewers`);
}

/**
 * Concludes the review of `topic` if every reviewer has voted; returns the pushes (empty when still open).
 * With no reviewers at all a review stays open: nobody can conclude it.
 */
async function concludeIfComplete(tx: StoreTx, stream: string, topic: string, audience: readonly string[]): Promise<Push[]> {
  const reviewers = await tx.reviewers(stream);
  if (reviewers.length === 0) return [];
  const votes = await currentVotes(tx, stream, topic, reviewers);
  if (Object.keys(votes).length < reviewers.length) return [];
  const yes = Object.values(votes).filter((v) => v === 'yes').length;
  const result = yes > reviewers.length - yes ? 'complete' : 'reject';
  await tx.setTopicStatus(stream, topic, topicStatusCodes[result]);
  return [
    { outcome: { type: 'ReviewConcluded', stream, topic, result, votes }, recipients: audience },
    { outcome: { type: 'TopicStatusChanged', stream, topic, status: result, changedBy: null }, recipients: audience },
  ];
}

export const setTopicStatus: CommandHandler<'SetTopicStatus'> = async (command, ctx, tx) => {
  await requireVisibleStream(tx, ctx.userId, command.stream);
  const reviewers = await tx.reviewers(command.stream);
  const verdicts: TopicStatus[] = ['reject', 'complete'];
  if (verdicts.includes(command.status) && !reviewers.includes(ctx.userId)) {
    throw new CommandError('forbidden', `only a reviewer of "${command.stream}" can set a topic to ${command.status}`, ['command', 'status']);
  }
  if (command.status === 'under_review') await tx.clearVotes(command.stream, command.topic);
  await tx.setTopicStatus(command.stream, command.topic, topicStatusCodes[command.status]);
  const topic = await topicInfo(tx, (await tx.topic(command.stream, command.topic))!);
  const audience = await tx.streamAudience(command.stream);
  return {
    data: { topic },
    pushes: [
      {
        outcome: { type: 'TopicStatusChanged', stream: command.stream, topic: command.topic, status: command.status, changedBy: ctx.userId },
        recipients: audience,
      },
    ],
  };
};

export const appointReviewer: CommandHandler<'AppointReviewer'> = async (command, ctx, tx) => {
  const stream = await requireVisibleStream(tx, ctx.userId, command.stream);
  await requireStreamAdmin(tx, ctx.userId, stream);
  if (!(await tx.userById(command.reviewer)) || !(await tx.canSee(command.reviewer, command.stream))) {
    throw new CommandError('not_found', `user "${command.reviewer}" not found among those who see "${command.stream}"`, ['command', 'reviewer']);
  }
  const reviewers = await tx.reviewers(command.stream);
  if (reviewers.includes(command.reviewer)) throw new CommandError('conflict', `"${command.reviewer}" already reviews "${command.stream}"`, ['command', 'reviewer']);
  await tx.addReviewer(command.stream, command.reviewer);
  return {
    data: { stream: command.stream, reviewers: await tx.reviewers(command.stream) },
    pushes: [{ outcome: { type: 'NewReviewer', stream: command.stream, reviewer: command.reviewer }, recipients: await tx.streamAudience(command.stream) }],
  };
};

export const dismissReviewer: CommandHandler<'DismissReviewer'> = async (command, ctx, tx) => {
  const stream = await requireVisibleStream(tx, ctx.userId, command.stream);
  if (command.reviewer !== ctx.userId) await requireStreamAdmin(tx, ctx.userId, stream);
  if (!(await tx.reviewers(command.stream)).includes(command.reviewer)) {
    throw new CommandError('not_found', `"${command.reviewer}" does not review "${command.stream}"`, ['command', 'reviewer']);
  }
  await tx.removeReviewer(command.stream, command.reviewer);
  const audience = await tx.streamAudience(command.stream);
  const pushes: Push[] = [{ outcome: { type: 'ReviewerDismissed', stream: command.stream, reviewer: command.reviewer }, recipients: audience }];
  // The remaining reviewers may now all have voted on an open review.
  for (const t of await tx.topicsOf(command.stream)) {
    if (t.status === topicStatusCodes.under_review) pushes.push(...(await concludeIfComplete(tx, command.stream, t.topic, audience)));
  }
  return { data: { stream: command.stream, reviewers: await tx.reviewers(command.stream) }, pushes };
};

export const vote: CommandHandler<'Vote'> = async (command, ctx, tx) => {
  await requireVisibleStream(tx, ctx.userId, command.stream);
  if (!(await tx.reviewers(command.stream)).includes(ctx.userId)) {
    throw new CommandError('forbidden', `only a reviewer of "${command.stream}" can vote`);
  }
  const topic = await tx.topic(command.stream, command.topic);
  if (topic?.status !== topicStatusCodes.under_review) {
    throw new CommandError('conflict', `topic "${command.topic}" is not under review`, ['command', 'topic']);
  }
  await tx.setVote(command.stream, command.topic, ctx.userId, command.vote === 'yes' ? 1 : 0);
  const votes = await currentVotes(tx, command.stream, command.topic);
  const audience = await tx.streamAudience(command.stream);
  const pushes: Push[] = [{ outcome: { type: 'VoteUpdated', stream: command.stream, topic: command.topic, votes }, recipients: audience }];
  pushes.push(...(await concludeIfComplete(tx, command.stream, command.topic, audience)));
  return { data: { stream: command.stream, topic: command.topic, votes }, pushes };
};

// Topic and review commands: SetTopicStatus, AppointReviewer, DismissReviewer, Vote. A review concludes when
// every active reviewer of the stream (appointed and still seeing it) has voted on a topic under review: more yes
// than no → complete, otherwise reject; pushed as ReviewConcluded followed by TopicStatusChanged (changedBy null).
// Reviewers are appointed and dismissed by the stream's administrators; a verdict set by hand, and any change to a
// topic that is under review or concluded, is theirs too: the SDK's topicStatusRefusal, which clients use as well.
import { topicStatusCodes, topicStatusFromCode, topicStatusRefusal } from '@stage/sdk/im';
import type { CommandHandler, Push } from './CommandContext.js';
import { CommandError } from './CommandError.js';
import { isStreamAdmin, notStreamAdmin, requireStreamAdmin } from './streamAuthority.js';
import { activeReviewers, currentVotes, requireVisibleStream, topicInfo } from './visibility.js';
import type { DomainStore } from '../store/Store.js';

/**
 * Concludes the review of `topic` if every active reviewer has voted; returns the pushes (empty when still open).
 * With no active reviewers at all a review stays open: nobody can conclude it.
 */
async function concludeIfComplete(tx: DomainStore, stream: string, topic: string, audience: readonly string[]): Promise<Push[]> {
  const reviewers = await activeReviewers(tx, stream);
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

/** Concludes every open review of the stream whose active reviewers have all voted (after reviewers changed). */
export async function concludeOpenReviews(tx: DomainStore, stream: string): Promise<Push[]> {
  const pushes: Push[] = [];
  const topics = (await tx.topicsOf(stream)).filter((t) => t.status === topicStatusCodes.under_review);
  if (topics.length === 0) return pushes;
  const audience = await tx.streamAudience(stream);
  for (const t of topics) pushes.push(...(await concludeIfComplete(tx, stream, t.topic, audience)));
  return pushes;
}

export const setTopicStatus: CommandHandler<'SetTopicStatus'> = async (command, ctx, tx) => {
  const stream = await requireVisibleStream(tx, ctx.userId, command.stream);
  const current = await tx.topic(command.stream, command.topic);
  const refusal = topicStatusRefusal(current && topicStatusFromCode(current.status), command.status, await isStreamAdmin(tx, ctx.userId, stream));
  if (refusal) throw notStreamAdmin(stream, refusal);
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
  await requireStreamAdmin(tx, ctx.userId, stream, 'appoint its reviewers');
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
  if (command.reviewer !== ctx.userId) await requireStreamAdmin(tx, ctx.userId, stream, 'dismiss its reviewers');
  if (!(await tx.reviewers(command.stream)).includes(command.reviewer)) {
    throw new CommandError('not_found', `"${command.reviewer}" does not review "${command.stream}"`, ['command', 'reviewer']);
  }
  await tx.removeReviewer(command.stream, command.reviewer);
  const audience = await tx.streamAudience(command.stream);
  const pushes: Push[] = [
    { outcome: { type: 'ReviewerDismissed', stream: command.stream, reviewer: command.reviewer }, recipients: audience },
    // The remaining reviewers may now all have voted on an open review.
    ...(await concludeOpenReviews(tx, command.stream)),
  ];
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

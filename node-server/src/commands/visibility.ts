// Visibility rules shared by the command families: a stream exists for a user only if a group of theirs sees it.
// An invisible stream answers not_found, exactly like a missing one, so its existence does not leak.
import type { GroupInfo, Message, StreamInfo, TopicInfo } from '@stage/sdk/im';
import { topicStatusFromCode } from '@stage/sdk/im';
import type { GroupRecord, MessageRecord, DomainStore, StreamRecord, TopicRecord } from '../store/Store.js';
import { CommandError } from './CommandError.js';

export async function requireVisibleStream(tx: DomainStore, userId: string, stream: string): Promise<StreamRecord> {
  const record = await tx.streamByName(stream);
  if (!record || !(await tx.canSee(userId, stream))) throw new CommandError('not_found', `stream "${stream}" not found`, ['command', 'stream']);
  return record;
}

/** The group, if the user is a member; not_found otherwise (non-members do not learn it exists). */
export async function requireMemberGroup(tx: DomainStore, userId: string, groupId: string): Promise<GroupRecord> {
  const group = await tx.groupById(groupId);
  if (!group || !(await tx.isMember(groupId, userId))) throw new CommandError('not_found', `group "${groupId}" not found`, ['command', 'groupId']);
  return group;
}

export async function streamInfo(tx: DomainStore, record: StreamRecord): Promise<StreamInfo> {
  return {
    name: record.name,
    description: record.description,
    creatorId: record.creatorId,
    createdAt: record.createdAt,
    groups: record.groups,
    reviewers: await tx.reviewers(record.name),
    admins: await tx.streamAdmins(record.name),
  };
}

export function groupInfo(g: GroupRecord): GroupInfo {
  return { groupId: g.id, name: g.name, description: g.description, ownerId: g.ownerId, createdAt: g.createdAt };
}

export function messageOf(m: MessageRecord): Message {
  return {
    messageId: m.id,
    seq: m.seq,
    stream: m.stream,
    topic: m.topic,
    senderId: m.senderId,
    senderName: m.senderName,
    content: m.content,
    createdAt: m.createdAt,
    editedAt: m.editedAt,
    deleted: m.deleted,
  };
}

/**
 * The reviewers whose votes count: appointed and still able to see the stream. A reviewer who lost sight of it
 * (left a group, the stream's groups changed) neither votes nor holds up a review; their appointment is kept and
 * counts again if they see the stream again.
 */
export async function activeReviewers(tx: DomainStore, stream: string): Promise<string[]> {
  const active: string[] = [];
  for (const r of await tx.reviewers(stream)) if (await tx.canSee(r, stream)) active.push(r);
  return active;
}

/** Votes of the stream's active reviewers only (a dismissed or no longer seeing reviewer's vote does not count). */
export async function currentVotes(tx: DomainStore, stream: string, topic: string, reviewers?: string[]) {
  const current = new Set(reviewers ?? (await activeReviewers(tx, stream)));
  const votes = await tx.votes(stream, topic);
  return Object.fromEntries(
    Object.entries(votes)
      .filter(([reviewer]) => current.has(reviewer))
      .map(([reviewer, v]) => [reviewer, v === 1 ? ('yes' as const) : ('no' as const)]),
  );
}

export async function topicInfo(tx: DomainStore, t: TopicRecord): Promise<TopicInfo> {
  const status = topicStatusFromCode(t.status);
  return { stream: t.stream, topic: t.topic, status, votes: status === 'under_review' ? await currentVotes(tx, t.stream, t.topic) : {}, lastSeq: t.lastSeq };
}

/** Streams the user sees, by name. */
export async function visibleStreamNames(tx: DomainStore, userId: string): Promise<Set<string>> {
  return new Set((await tx.streamsVisibleTo(userId)).map((s) => s.name));
}

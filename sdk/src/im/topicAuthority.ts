// Who may set a topic's status: the one rule the hub enforces (SetTopicStatus) and every client uses to decide
// which controls to show, so a UI never offers what the hub then forbids. A stream is administered by its creator
// and the administrators the creator named (SetStreamAdmins); group membership never confers it. Anyone who sees
// the stream may move an open topic between discussion and developing, or put it under review; only an
// administrator sets a verdict (reject, complete) by hand, cancels a review or reopens a concluded topic —
// reviewers otherwise conclude a review by voting.
import { topicStatuses, type TopicStatus } from './protocol/model.js';

/** The facts about a stream the rule needs (a StreamInfo or the hub's stored record carries them). */
export interface StreamAuthorityFacts {
  creatorId: string;
  /** Administrators the creator named (the creator is not listed). */
  admins?: readonly string[] | undefined;
}

/** Verdicts: set by the reviewers' vote, or by an administrator's hand. */
export const topicVerdicts: ReadonlySet<TopicStatus> = new Set<TopicStatus>(['reject', 'complete']);
/** Statuses only an administrator moves a topic out of: an open review and its verdicts. */
export const guardedTopicStatuses: ReadonlySet<TopicStatus> = new Set<TopicStatus>(['under_review', 'reject', 'complete']);

export function administersStream(userId: string, stream: StreamAuthorityFacts): boolean {
  return stream.creatorId === userId || (stream.admins ?? []).includes(userId);
}

/**
 * Why a user may not set a topic from `current` (undefined: the topic has no status yet, i.e. discussion) to `next`,
 * as "may …" words for an error message; undefined when allowed.
 */
export function topicStatusRefusal(current: TopicStatus | undefined, next: TopicStatus, isAdmin: boolean): string | undefined {
  if (isAdmin) return undefined;
  if (topicVerdicts.has(next)) return `set a topic to ${next} (reviewers conclude a review by voting)`;
  if (current !== undefined && guardedTopicStatuses.has(current)) return 'change a topic that is under review or concluded';
  return undefined;
}

/** The statuses a user may set the topic to now, other than the one it has, in the protocol's order. */
export function settableTopicStatuses(current: TopicStatus | undefined, isAdmin: boolean): TopicStatus[] {
  return topicStatuses.filter((next) => next !== (current ?? 'discussion') && topicStatusRefusal(current, next, isAdmin) === undefined);
}

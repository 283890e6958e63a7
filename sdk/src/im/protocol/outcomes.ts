// Outcomes: state changes the hub pushes to every device of every user who may see them (hub → client), each
// inside a `push` frame with the recipient's outcome id. An outcome's JSON is the same for all its recipients,
// so the hub serializes it once and splices it into each recipient's push frame (see encodePushFrame).
// Outcome schemas are lenient objects (unknown fields allowed) so an older client survives a newer hub.
import * as z from 'zod/mini';
import { commandTypes } from './commands.js';
import { extensionMemberNameSchema, extensionNameSchema, extensionPayloadSchema } from './extension.js';
import {
  groupInfoSchema,
  idSchema,
  messageSchema,
  messageSeqSchema,
  streamInfoSchema,
  streamNameSchema,
  topicNameSchema,
  topicStatusSchema,
  traceIdSchema,
  userRefSchema,
  voteMapSchema,
} from './model.js';
import { nonNegativeIntSchema } from './wholeNumberSchemas.js';

function outcome<T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) {
  return z.object({ type: z.literal(type), ...shape });
}

// ---- messages (to the stream's audience, narrowed by SendMessage.recipients; the sender always included)
export const newMessageSchema = outcome('NewMessage', { message: messageSchema });
export const messageEditedSchema = outcome('MessageEdited', { message: messageSchema });
export const messageDeletedSchema = outcome('MessageDeleted', {
  messageId: idSchema,
  stream: streamNameSchema,
  topic: topicNameSchema,
});

// ---- stream visibility
/** A stream was created: to every user who can see it. */
export const streamCreatedSchema = outcome('StreamCreated', { stream: streamInfoSchema });
/** A stream's groups changed: to users who could see it before AND can still see it. */
export const streamGroupsChangedSchema = outcome('StreamGroupsChanged', { stream: streamInfoSchema });
/** A user can now see a stream they could not see before (groups widened, or they joined a group). */
export const streamRevealedSchema = outcome('StreamRevealed', { stream: streamInfoSchema });
/** A user can no longer see a stream (groups narrowed, they left a group, a group dissolved): drop it locally. */
export const streamHiddenSchema = outcome('StreamHidden', { stream: streamNameSchema });

// ---- topics and reviews (to the stream's audience)
export const topicStatusChangedSchema = outcome('TopicStatusChanged', {
  stream: streamNameSchema,
  topic: topicNameSchema,
  status: topicStatusSchema,
  /** Who set it; null when a review concluded. */
  changedBy: z.nullable(idSchema),
});
export const newReviewerSchema = outcome('NewReviewer', { stream: streamNameSchema, reviewer: idSchema });
export const reviewerDismissedSchema = outcome('ReviewerDismissed', { stream: streamNameSchema, reviewer: idSchema });
/** The full vote map of the topic after a vote. */
export const voteUpdatedSchema = outcome('VoteUpdated', { stream: streamNameSchema, topic: topicNameSchema, votes: voteMapSchema });
/**
 * Every reviewer of the stream has voted on a topic under review: more yes than no → complete, otherwise reject.
 * Always followed by the matching TopicStatusChanged (changedBy null).
 */
export const reviewConcludedSchema = outcome('ReviewConcluded', {
  stream: streamNameSchema,
  topic: topicNameSchema,
  result: z.enum(['complete', 'reject']),
  votes: voteMapSchema,
});

// ---- groups and members
/** A group you are now in: to its creator on CreateGroup, to a user added to it (before NewMember). */
export const newGroupSchema = outcome('NewGroup', { group: groupInfoSchema });
/** To every member of the group before it dissolved. */
export const groupDissolvedSchema = outcome('GroupDissolved', { groupId: idSchema });
/** To every member of the group, the new member included. */
export const newMemberSchema = outcome('NewMember', { groupId: idSchema, member: userRefSchema });
/** To every member of the group before the removal, the removed member included. */
export const memberDismissedSchema = outcome('MemberDismissed', { groupId: idSchema, userId: idSchema });

// ---- the user's read state (to the user's own devices only)
/**
 * The user's read cursor in a topic advanced (a MarkRead or SyncReadState on one of their devices). Every device of
 * the user gets it, the one that read included; the others fold it into their sealed session with SyncReadState.
 */
export const topicReadSchema = outcome('TopicRead', { stream: streamNameSchema, topic: topicNameSchema, upTo: messageSeqSchema });
/** The user muted or unmuted a topic on one of their devices (MuteTopic, UnmuteTopic). */
export const topicMuteChangedSchema = outcome('TopicMuteChanged', { stream: streamNameSchema, topic: topicNameSchema, muted: z.boolean() });

// ---- extensions
/**
 * An event an extension pushed (docs/PROTOCOL.md "Extensions"): to the users its handler named (e.g. the audience of
 * a stream). `data` is the extension's, checked by its event schema; a client without the extension ignores it.
 */
export const extEventSchema = outcome('ExtEvent', { ext: extensionNameSchema, event: extensionMemberNameSchema, data: extensionPayloadSchema });

// ---- commands abandoned by the hub
/**
 * A command the hub accepted did not finish within the hub's command deadline and was rolled back (nothing
 * changed). The issuing device also gets Err `timeout` for it; this push tells the user's other devices and
 * the issuing device if it was gone. Resending with the same traceId executes it afresh.
 */
export const timeOutSchema = outcome('TimeOut', {
  traceId: traceIdSchema,
  command: z.enum(commandTypes as [string, ...string[]]),
  afterMs: nonNegativeIntSchema(),
});

export const outcomeSchema = z.discriminatedUnion('type', [
  newMessageSchema,
  messageEditedSchema,
  messageDeletedSchema,
  streamCreatedSchema,
  streamGroupsChangedSchema,
  streamRevealedSchema,
  streamHiddenSchema,
  topicStatusChangedSchema,
  newReviewerSchema,
  reviewerDismissedSchema,
  voteUpdatedSchema,
  reviewConcludedSchema,
  newGroupSchema,
  groupDissolvedSchema,
  newMemberSchema,
  memberDismissedSchema,
  topicReadSchema,
  topicMuteChangedSchema,
  extEventSchema,
  timeOutSchema,
]);

export type Outcome = z.infer<typeof outcomeSchema>;
export type OutcomeType = Outcome['type'];
export type OutcomeOf<T extends OutcomeType> = Extract<Outcome, { type: T }>;
export const outcomeTypes = outcomeSchema.def.options.map((option) => option.shape.type.def.values[0]) as OutcomeType[];

// Replies: exactly one per command, correlated by traceId. `ok: true` carries the typed data of the command's
// type (`replyDataSchemas[type]`); `ok: false` carries a typed error. Replies are not outcomes: they have no
// outcome id and are not acked; a lost reply is obtained again by resending the command with the same traceId.
import * as z from 'zod/mini';
import type { CommandType } from './commands.js';
import { errorBodySchema } from './errors.js';
import { extensionReplyDataSchema } from './extension.js';
import {
  groupInfoSchema,
  idSchema,
  messageSchema,
  messageSeqSchema,
  readCursorSchema,
  sessionStateSchema,
  streamInfoSchema,
  streamNameSchema,
  topicInfoSchema,
  topicNameSchema,
  topicRefSchema,
  traceIdSchema,
  unreadCountSchema,
  userRefSchema,
  voteMapSchema,
} from './model.js';
import { nonNegativeIntSchema } from './wholeNumberSchemas.js';

const reviewersData = z.object({ stream: streamNameSchema, reviewers: z.array(idSchema) });
const mutedData = z.object({ muted: z.array(topicRefSchema) });

export const replyDataSchemas = {
  SendMessage: z.object({ message: messageSchema }),
  EditMessage: z.object({ message: messageSchema }),
  DeleteMessage: z.object({ message: messageSchema }),
  CreateStream: z.object({ stream: streamInfoSchema }),
  SetStreamGroups: z.object({ stream: streamInfoSchema }),
  SetStreamAdmins: z.object({ stream: streamInfoSchema }),
  SetTopicStatus: z.object({ topic: topicInfoSchema }),
  AppointReviewer: reviewersData,
  DismissReviewer: reviewersData,
  Vote: z.object({ stream: streamNameSchema, topic: topicNameSchema, votes: voteMapSchema }),
  CreateGroup: z.object({ group: groupInfoSchema }),
  DismissGroup: z.object({ groupId: idSchema }),
  AddGroupMember: z.object({ groupId: idSchema, member: userRefSchema }),
  DismissMember: z.object({ groupId: idSchema, userId: idSchema }),
  GetHistory: z.object({
    stream: streamNameSchema,
    topic: z.optional(topicNameSchema),
    /** Ascending by seq. */
    messages: z.array(messageSchema),
    /** True when older messages exist: ask again with `before` = messages[0].seq. */
    hasMore: z.boolean(),
  }),
  GetStreams: z.object({ streams: z.array(streamInfoSchema), topics: z.array(topicInfoSchema) }),
  GetGroups: z.object({ groups: z.array(groupInfoSchema) }),
  GetGroupMembers: z.object({ groupId: idSchema, members: z.array(userRefSchema) }),
  FindUser: z.object({ user: userRefSchema }),
  /** Sorted by username. */
  SearchUsers: z.object({ users: z.array(userRefSchema) }),
  MarkRead: z.object({ cursor: readCursorSchema, unread: nonNegativeIntSchema(), asOfSeq: z.optional(messageSeqSchema) }),
  MuteTopic: mutedData,
  UnmuteTopic: mutedData,
  GetSessionState: sessionStateSchema,
  /** The touched topics (in streams the user sees): this device's cursor after the fold and its unread count (0 included). */
  SyncReadState: z.object({ cursors: z.array(readCursorSchema), unread: z.array(unreadCountSchema) }),
  /**
   * The user's state as this device shows it: each cursor the higher of the user's and this device's, the user's
   * mutes, unread counts by those cursors (as GetSessionState); `fold` is what this device's session lacks of it,
   * for the client to send as SyncReadState.
   */
  // Spread rather than z.extend: the only z.extend in the client would bring zod's extend code (~0.3 KB gzip).
  GetReadState: z.object({
    ...sessionStateSchema.shape,
    fold: z.object({ cursors: z.array(readCursorSchema), mutes: z.array(z.object({ stream: streamNameSchema, topic: topicNameSchema, muted: z.boolean() })) }),
  }),
  Ext: extensionReplyDataSchema,
  ExtQuery: extensionReplyDataSchema,
} as const satisfies Record<CommandType, z.ZodMiniType>;

export type ReplyData<T extends CommandType> = z.infer<(typeof replyDataSchemas)[T]>;

/** `{ kind: 'reply', traceId, ok: true, type, data }`. */
export const okReplyFrameSchema = z.object({
  kind: z.literal('reply'),
  traceId: traceIdSchema,
  ok: z.literal(true),
  /** The command type, so the data can be validated without remembering the command. */
  type: z.string(),
  data: z.unknown(),
});
/** `{ kind: 'reply', traceId, ok: false, error: { code, message, path?, retryAfterMs? } }`. traceId is "" when unreadable. */
export const errReplyFrameSchema = z.object({
  kind: z.literal('reply'),
  traceId: z.union([traceIdSchema, z.literal('')]),
  ok: z.literal(false),
  error: errorBodySchema,
});
export const replyFrameSchema = z.discriminatedUnion('ok', [okReplyFrameSchema, errReplyFrameSchema]);
export type OkReplyFrame = z.infer<typeof okReplyFrameSchema>;
export type ErrReplyFrame = z.infer<typeof errReplyFrameSchema>;
export type ReplyFrame = z.infer<typeof replyFrameSchema>;
/** A typed ok reply for one command type. */
export interface TypedOkReply<T extends CommandType> {
  kind: 'reply';
  traceId: string;
  ok: true;
  type: T;
  data: ReplyData<T>;
}

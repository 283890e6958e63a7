// The domain values that appear inside commands, replies and outcomes: users, groups, streams, topics,
// reviews and messages. Hub and client validate them with these schemas and share the inferred types.
import * as z from 'zod/mini';
import {
  MAX_CONTENT_LENGTH,
  MAX_DESCRIPTION_LENGTH,
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TOPIC_LENGTH,
  MAX_TRACE_ID_LENGTH,
} from './limits.js';
import { nonNegativeIntSchema } from './wholeNumberSchemas.js';

// Names are shown to people: no control characters (C0, DEL, C1), no bidi controls (which reorder what is shown:
// "invoice\u202Efdp.exe" shows as "invoiceexe.pdf"), no zero-width or invisible format characters (which make two
// names look alike), no leading/trailing blanks, and in Unicode normalisation form C (so one name has one form;
// clients normalise before sealing, the hub refuses what is not NFC rather than changing a sealed body).
const noControl = /^[^\u0000-\u001f\u007f-\u009f]*$/;
const noInvisible = /^[^\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb]*$/;
const isNfc = (value: string) => value.normalize('NFC') === value;
// Free text (content, descriptions) may hold any character but U+0000: PostgreSQL cannot store it in text.
const noNul = /^[^\u0000]*$/;
const noNulMessage = 'must not contain U+0000';
// Every string must be well-formed UTF-16 (no lone surrogates): it has to have a UTF-8 form to be sealed.
const wellFormed = /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
const wellFormedMessage = 'must not contain lone surrogates (not valid Unicode)';
const trimmed = (value: string) => value.trim() === value;

function displayName(max: number) {
  return z.string().check(
    z.minLength(1),
    z.maxLength(max),
    z.regex(noControl, 'must not contain control characters'),
    z.regex(noInvisible, 'must not contain bidi controls or invisible characters'),
    z.regex(wellFormed, wellFormedMessage),
    z.refine(trimmed, 'must not start or end with white space'),
    z.refine(isNfc, 'must be in Unicode normalisation form C (NFC)'),
  );
}

/** A hub-assigned opaque id (users, groups, messages). */
export const idSchema = z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH));
/** A client-chosen id that makes a command idempotent for its user. */
export const traceIdSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(MAX_TRACE_ID_LENGTH), z.regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only'));
/** A device id chosen by the client (path segment of the WebSocket URL). */
export const deviceIdSchema = z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only'));
export const usernameSchema = z
  .string()
  .check(z.minLength(3), z.maxLength(32), z.regex(/^[a-z0-9_.-]+$/, 'lower-case letters, digits and _ . - only'));
export const passwordSchema = z.string().check(z.minLength(8), z.maxLength(256));
export const streamNameSchema = displayName(MAX_NAME_LENGTH);
export const topicNameSchema = displayName(MAX_TOPIC_LENGTH);
export const groupNameSchema = displayName(MAX_NAME_LENGTH);
export const descriptionSchema = z
  .string()
  .check(z.maxLength(MAX_DESCRIPTION_LENGTH), z.regex(wellFormed, wellFormedMessage), z.regex(noNul, noNulMessage));
export const contentSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(MAX_CONTENT_LENGTH), z.regex(wellFormed, wellFormedMessage), z.regex(noNul, noNulMessage));
/** Milliseconds since the Unix epoch. */
export const timestampSchema = nonNegativeIntSchema();
/** The global message order (strictly increasing across all messages); history pages and read cursors use it. */
export const messageSeqSchema = nonNegativeIntSchema();

/**
 * Topic status, the seed's TopicType. `discussion` is the status of a topic nobody set a status on.
 * Codes in the seed: 0 reject, 1 complete, 3 under review, 4 developing, 5 discussion.
 */
export const topicStatuses = ['reject', 'complete', 'under_review', 'developing', 'discussion'] as const;
export const topicStatusSchema = z.enum(topicStatuses);
export type TopicStatus = z.infer<typeof topicStatusSchema>;
export const topicStatusCodes = { reject: 0, complete: 1, under_review: 3, developing: 4, discussion: 5 } as const satisfies Record<
  TopicStatus,
  number
>;
export type TopicStatusCode = (typeof topicStatusCodes)[TopicStatus];
export function topicStatusFromCode(code: number): TopicStatus {
  const found = topicStatuses.find((status) => topicStatusCodes[status] === code);
  if (!found) throw new RangeError(`Unknown topic status code ${code}; expected one of 0, 1, 3, 4, 5`);
  return found;
}

/** A reviewer's vote, the seed's TopicReview (1 yes, 0 no). */
export const voteValues = ['yes', 'no'] as const;
export const voteSchema = z.enum(voteValues);
export type Vote = z.infer<typeof voteSchema>;
export const voteCodes = { no: 0, yes: 1 } as const satisfies Record<Vote, number>;
/** Votes on one topic: reviewer user id → vote. Always the full map. */
export const voteMapSchema = z.record(idSchema, voteSchema);
export type VoteMap = z.infer<typeof voteMapSchema>;

export const userRefSchema = z.object({ userId: idSchema, username: usernameSchema });
export type UserRef = z.infer<typeof userRefSchema>;

export const groupInfoSchema = z.object({
  groupId: idSchema,
  name: groupNameSchema,
  description: descriptionSchema,
  ownerId: idSchema,
  createdAt: timestampSchema,
});
export type GroupInfo = z.infer<typeof groupInfoSchema>;

export const streamInfoSchema = z.object({
  name: streamNameSchema,
  description: descriptionSchema,
  creatorId: idSchema,
  createdAt: timestampSchema,
  /** Ids of the groups that can see the stream, sorted. */
  groups: z.array(idSchema),
  /** Reviewer user ids, sorted. */
  reviewers: z.array(idSchema),
  /** Administrators named by the creator, sorted (the creator administers too and is not listed). Always sent by this hub. */
  admins: z.optional(z.array(idSchema)),
});
export type StreamInfo = z.infer<typeof streamInfoSchema>;

export const topicRefSchema = z.object({ stream: streamNameSchema, topic: topicNameSchema });
export type TopicRef = z.infer<typeof topicRefSchema>;

export const topicInfoSchema = z.object({
  stream: streamNameSchema,
  topic: topicNameSchema,
  status: topicStatusSchema,
  /** The full vote map of the current review (empty when the topic is not under review). */
  votes: voteMapSchema,
  /** seq of the newest message in the topic, 0 when none. */
  lastSeq: messageSeqSchema,
});
export type TopicInfo = z.infer<typeof topicInfoSchema>;

export const messageSchema = z.object({
  messageId: idSchema,
  /** Global order; a topic's messages sorted by seq are in the order the hub accepted them. */
  seq: messageSeqSchema,
  stream: streamNameSchema,
  topic: topicNameSchema,
  senderId: idSchema,
  senderName: usernameSchema,
  /** Empty when deleted. */
  content: z.string().check(z.maxLength(MAX_CONTENT_LENGTH)),
  createdAt: timestampSchema,
  editedAt: z.nullable(timestampSchema),
  deleted: z.boolean(),
});
export type Message = z.infer<typeof messageSchema>;

/** One topic's unread count for this device. */
export const unreadCountSchema = z.object({
  stream: streamNameSchema,
  topic: topicNameSchema,
  count: nonNegativeIntSchema(),
});
export type UnreadCount = z.infer<typeof unreadCountSchema>;

/** A device's read cursor in one topic: every message with seq <= upTo is read. */
export const readCursorSchema = z.object({ stream: streamNameSchema, topic: topicNameSchema, upTo: messageSeqSchema });
export type ReadCursor = z.infer<typeof readCursorSchema>;

/**
 * Per-device session state, kept only in the hub's memory and rebuilt from the device's sealed chain.
 * `unread` lists topics with a non-zero count (muted topics included; the client decides how to show them).
 */
export const sessionStateSchema = z.object({
  cursors: z.array(readCursorSchema),
  muted: z.array(topicRefSchema),
  unread: z.array(unreadCountSchema),
  /**
   * The highest message seq that existed when the counts were made. A client adds to a count only for
   * NewMessage pushes with a higher seq, so a push racing the reply is not counted twice. Optional: without it
   * the client uses the highest seq it has seen.
   */
  asOfSeq: z.optional(messageSeqSchema),
});
export type SessionState = z.infer<typeof sessionStateSchema>;

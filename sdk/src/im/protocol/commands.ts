// Commands: what a client asks the hub to do (client → hub). Each carries a client-chosen `traceId` that makes
// it idempotent for its user and correlates its one reply. Command objects are strict: unknown fields are a
// bad_schema error, so a typo never silently does less than asked.
import * as z from 'zod/mini';
import { MAX_HISTORY_LIMIT, MAX_LIST_LENGTH, MAX_SEARCH_LIMIT, MAX_STREAM_ADMINS, MAX_SYNC_ENTRIES } from './limits.js';
import { extensionCommandShape } from './extension.js';
import {
  contentSchema,
  descriptionSchema,
  groupNameSchema,
  idSchema,
  messageSeqSchema,
  streamNameSchema,
  topicNameSchema,
  topicStatusSchema,
  traceIdSchema,
  usernameSchema,
  voteSchema,
} from './model.js';

function command<T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) {
  return z.strictObject({ type: z.literal(type), traceId: traceIdSchema, ...shape });
}

const groupList = z.array(idSchema).check(z.maxLength(MAX_LIST_LENGTH), z.minLength(1));

// ---- messages
/** Post to a topic. `recipients` may only NARROW the stream's audience (the hub intersects), never widen it. */
export const sendMessageSchema = command('SendMessage', {
  stream: streamNameSchema,
  topic: topicNameSchema,
  content: contentSchema,
  recipients: z.optional(z.array(idSchema).check(z.maxLength(MAX_LIST_LENGTH))),
});
/** Change the content of your own message. */
export const editMessageSchema = command('EditMessage', { messageId: idSchema, content: contentSchema });
/** Delete your own message (its content is blanked; it stays in history as deleted). */
export const deleteMessageSchema = command('DeleteMessage', { messageId: idSchema });

// ---- streams and topics
/** Create a stream visible to the given groups (you must belong to each of them). */
export const createStreamSchema = command('CreateStream', {
  stream: streamNameSchema,
  description: z.optional(descriptionSchema),
  groups: groupList,
});
/**
 * Replace the groups a stream is visible to (a stream administrator: its creator or an admin the creator named).
 * Each listed group is one the stream already has or one you belong to.
 */
export const setStreamGroupsSchema = command('SetStreamGroups', { stream: streamNameSchema, groups: groupList });
/** Replace the stream's administrators (its creator only). Each must see the stream; the creator is always one. */
export const setStreamAdminsSchema = command('SetStreamAdmins', { stream: streamNameSchema, admins: z.array(idSchema).check(z.maxLength(MAX_STREAM_ADMINS)) });
/**
 * Set a topic's status. Setting `under_review` starts a fresh review (clears votes). A stream administrator only
 * may set reject/complete by hand or move a topic out of under_review, reject or complete (reviewers conclude a
 * review by voting).
 */
export const setTopicStatusSchema = command('SetTopicStatus', {
  stream: streamNameSchema,
  topic: topicNameSchema,
  status: topicStatusSchema,
});
export const appointReviewerSchema = command('AppointReviewer', { stream: streamNameSchema, reviewer: idSchema });
export const dismissReviewerSchema = command('DismissReviewer', { stream: streamNameSchema, reviewer: idSchema });
/** A reviewer's vote on a topic under review; a second vote replaces the first. */
export const voteCommandSchema = command('Vote', { stream: streamNameSchema, topic: topicNameSchema, vote: voteSchema });

// ---- groups
export const createGroupSchema = command('CreateGroup', { name: groupNameSchema, description: z.optional(descriptionSchema) });
/**
 * Dissolve a group (owner only); streams lose it from their visibility, and a stream it alone made visible is deleted
 * with everything in it (nobody could see it any more), so its name can be used again.
 */
export const dismissGroupSchema = command('DismissGroup', { groupId: idSchema });
/** Add a user to a group (any member may add). */
export const addGroupMemberSchema = command('AddGroupMember', { groupId: idSchema, userId: idSchema });
/** Remove a user from a group (the owner removes anyone; a member removes only themself). */
export const dismissMemberSchema = command('DismissMember', { groupId: idSchema, userId: idSchema });

// ---- reads (request messages: they change nothing)
/** A page of a stream's (or one topic's) history, oldest first; page backwards with `before` = the page's first seq. */
export const getHistorySchema = command('GetHistory', {
  stream: streamNameSchema,
  topic: z.optional(topicNameSchema),
  before: z.optional(messageSeqSchema),
  /** Page size, default DEFAULT_HISTORY_LIMIT (50). */
  limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(MAX_HISTORY_LIMIT))),
});
/** The streams you can see, with their topics. */
export const getStreamsSchema = command('GetStreams', {});
/** The groups you belong to. */
export const getGroupsSchema = command('GetGroups', {});
/** The members of a group you belong to. */
export const getGroupMembersSchema = command('GetGroupMembers', { groupId: idSchema });
/** Resolve a username to a user id (to add members or appoint reviewers by name). */
export const findUserSchema = command('FindUser', { username: usernameSchema });
/**
 * People whose username starts with `prefix` (empty: everyone), sorted by username, deactivated accounts left out:
 * the people list and autocomplete for adding members or appointing reviewers.
 */
export const searchUsersSchema = command('SearchUsers', {
  prefix: z.string().check(z.maxLength(32), z.regex(/^[a-z0-9_.-]*$/, 'lower-case letters, digits and _ . - only')),
  /** At most this many, default DEFAULT_SEARCH_LIMIT (10). */
  limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(MAX_SEARCH_LIMIT))),
});

// ---- per-device session state (sealed updates, replayed on recall)
/** Everything up to and including `upTo` (a message seq) in the topic is read on this device. Cursors never move back. */
export const markReadSchema = command('MarkRead', { stream: streamNameSchema, topic: topicNameSchema, upTo: messageSeqSchema });
export const muteTopicSchema = command('MuteTopic', { stream: streamNameSchema, topic: topicNameSchema });
export const unmuteTopicSchema = command('UnmuteTopic', { stream: streamNameSchema, topic: topicNameSchema });
/** This device's session state: read cursors, muted topics, unread counts. */
export const getSessionStateSchema = command('GetSessionState', {});

// ---- the user's read state (shared by all the user's devices; docs/PROTOCOL.md "Read state")
/** One topic's mute as a SyncReadState entry: `muted` true mutes it, false unmutes it. */
export const muteChangeSchema = z.strictObject({ stream: streamNameSchema, topic: topicNameSchema, muted: z.boolean() });
export type MuteChange = z.infer<typeof muteChangeSchema>;
/**
 * Folds read cursors and mutes into this device's sealed session (a session update, replayed on recall): what the
 * user's other devices did (TopicRead, TopicMuteChanged, GetReadState.fold). Cursors never move back and also
 * advance the user's cursors; mutes change only this device's session (the user's mutes change by MuteTopic and
 * UnmuteTopic), so folding an old push can never undo a newer change made elsewhere.
 */
export const syncReadStateSchema = command('SyncReadState', {
  cursors: z.array(z.strictObject({ stream: streamNameSchema, topic: topicNameSchema, upTo: messageSeqSchema })).check(z.maxLength(MAX_SYNC_ENTRIES)),
  mutes: z.array(muteChangeSchema).check(z.maxLength(MAX_SYNC_ENTRIES)),
});
/** The user's read state (cursors, mutes, unread counts) as this device should show it, and what its session lacks. */
export const getReadStateSchema = command('GetReadState', {});
// ---- extensions (docs/PROTOCOL.md "Extensions")
/** A command an extension registered that changes state: executed once per (user, traceId), like SendMessage. */
export const extCommandSchema = command('Ext', extensionCommandShape);
/** A read an extension registered: changes nothing, runs again on a resend, like GetHistory. */
export const extQueryCommandSchema = command('ExtQuery', extensionCommandShape);

/** Every command by type. ImClient has a method per entry but Ext/ExtQuery (SendMessage → `sendMessage`, client/commandMethods.ts). */
export const commandSchemas = {
  SendMessage: sendMessageSchema,
  EditMessage: editMessageSchema,
  DeleteMessage: deleteMessageSchema,
  CreateStream: createStreamSchema,
  SetStreamGroups: setStreamGroupsSchema,
  SetStreamAdmins: setStreamAdminsSchema,
  SetTopicStatus: setTopicStatusSchema,
  AppointReviewer: appointReviewerSchema,
  DismissReviewer: dismissReviewerSchema,
  Vote: voteCommandSchema,
  CreateGroup: createGroupSchema,
  DismissGroup: dismissGroupSchema,
  AddGroupMember: addGroupMemberSchema,
  DismissMember: dismissMemberSchema,
  GetHistory: getHistorySchema,
  GetStreams: getStreamsSchema,
  GetGroups: getGroupsSchema,
  GetGroupMembers: getGroupMembersSchema,
  FindUser: findUserSchema,
  SearchUsers: searchUsersSchema,
  MarkRead: markReadSchema,
  MuteTopic: muteTopicSchema,
  UnmuteTopic: unmuteTopicSchema,
  GetSessionState: getSessionStateSchema,
  SyncReadState: syncReadStateSchema,
  GetReadState: getReadStateSchema,
  Ext: extCommandSchema,
  ExtQuery: extQueryCommandSchema,
} as const;

export type CommandType = keyof typeof commandSchemas;
export const commandTypes = Object.keys(commandSchemas) as CommandType[];

export const commandSchema = z.discriminatedUnion('type', [
  sendMessageSchema,
  editMessageSchema,
  deleteMessageSchema,
  createStreamSchema,
  setStreamGroupsSchema,
  setStreamAdminsSchema,
  setTopicStatusSchema,
  appointReviewerSchema,
  dismissReviewerSchema,
  voteCommandSchema,
  createGroupSchema,
  dismissGroupSchema,
  addGroupMemberSchema,
  dismissMemberSchema,
  getHistorySchema,
  getStreamsSchema,
  getGroupsSchema,
  getGroupMembersSchema,
  findUserSchema,
  searchUsersSchema,
  markReadSchema,
  muteTopicSchema,
  unmuteTopicSchema,
  getSessionStateSchema,
  syncReadStateSchema,
  getReadStateSchema,
  extCommandSchema,
  extQueryCommandSchema,
]);

/**
 * A validated command. Schemas have no defaults and no transforms, so the parsed value is the value that was
 * sent: the seal the client computed over it verifies against it.
 */
export type Command = z.infer<typeof commandSchema>;
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;
/** A command's fields without `type` and `traceId`, as the client's methods take them. */
export type CommandArgs<T extends CommandType> = Omit<CommandOf<T>, 'type' | 'traceId'>;

/** Commands that change only the device's session state; replayed from the sealed chain on recall. */
export const sessionUpdateTypes: ReadonlySet<CommandType> = new Set<CommandType>(['MarkRead', 'MuteTopic', 'UnmuteTopic', 'SyncReadState']);
/** Commands that change nothing (request messages): re-executed, not recorded, on a resend. */
export const readCommandTypes: ReadonlySet<CommandType> = new Set<CommandType>([
  'GetHistory',
  'GetStreams',
  'GetGroups',
  'GetGroupMembers',
  'FindUser',
  'SearchUsers',
  'GetSessionState',
  'GetReadState',
  'ExtQuery',
]);
/** Commands that change domain data: executed once per (user, traceId); their reply is recorded. */
export const domainCommandTypes: ReadonlySet<CommandType> = new Set<CommandType>(
  commandTypes.filter((type) => !sessionUpdateTypes.has(type) && !readCommandTypes.has(type)),
);

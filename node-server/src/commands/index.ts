// The command table: every command type to its handler, one file per family.
import type { CommandHandlers } from './CommandContext.js';
import { appointReviewer, dismissReviewer, setTopicStatus, vote } from './topics.js';
import { addGroupMember, createGroup, dismissGroup, dismissMember, findUser, getGroupMembers, getGroups, searchUsers } from './groups.js';
import { deleteMessage, editMessage, getHistory, sendMessage } from './messages.js';
import { getReadState, getSessionState, markRead, muteTopic, syncReadState, unmuteTopic } from './sessionState.js';
import { ext, extQuery } from './extensions.js';
import { createStream, getStreams, setStreamAdmins, setStreamGroups } from './streams.js';

export const commandHandlers: CommandHandlers = {
  SendMessage: sendMessage,
  EditMessage: editMessage,
  DeleteMessage: deleteMessage,
  GetHistory: getHistory,
  CreateStream: createStream,
  SetStreamGroups: setStreamGroups,
  SetStreamAdmins: setStreamAdmins,
  GetStreams: getStreams,
  SetTopicStatus: setTopicStatus,
  AppointReviewer: appointReviewer,
  DismissReviewer: dismissReviewer,
  Vote: vote,
  CreateGroup: createGroup,
  DismissGroup: dismissGroup,
  AddGroupMember: addGroupMember,
  DismissMember: dismissMember,
  GetGroups: getGroups,
  GetGroupMembers: getGroupMembers,
  FindUser: findUser,
  SearchUsers: searchUsers,
  MarkRead: markRead,
  MuteTopic: muteTopic,
  UnmuteTopic: unmuteTopic,
  GetSessionState: getSessionState,
  SyncReadState: syncReadState,
  GetReadState: getReadState,
  Ext: ext,
  ExtQuery: extQuery,
};

export { CommandError } from './CommandError.js';

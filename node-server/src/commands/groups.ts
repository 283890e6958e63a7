// Group commands: CreateGroup, DismissGroup, AddGroupMember, DismissMember, GetGroups, GetGroupMembers, FindUser,
// SearchUsers. Membership decides stream visibility, so a membership change also pushes StreamRevealed / StreamHidden
// to the user whose view of the streams changed. Dissolving a group deletes the streams only it could see (nobody
// could see them any more), so their names can be used again.
import { DEFAULT_SEARCH_LIMIT } from '@stage/sdk/im';
import type { CommandHandler, Push } from './CommandContext.js';
import { CommandError } from './CommandError.js';
import { concludeOpenReviews } from './topics.js';
import { groupInfo, requireMemberGroup, streamInfo, visibleStreamNames } from './visibility.js';
import type { DomainStore } from '../store/Store.js';

/** StreamRevealed / StreamHidden for one user between two snapshots of the streams they see. */
async function visibilityPushes(tx: DomainStore, userId: string, before: Set<string>): Promise<Push[]> {
  const after = await visibleStreamNames(tx, userId);
  const pushes: Push[] = [];
  for (const name of after) {
    if (before.has(name)) continue;
    const record = await tx.streamByName(name);
    if (record) pushes.push({ outcome: { type: 'StreamRevealed', stream: await streamInfo(tx, record) }, recipients: [userId] });
  }
  for (const name of before) {
    if (after.has(name)) continue;
    pushes.push({ outcome: { type: 'StreamHidden', stream: name }, recipients: [userId] });
    // If they reviewed it, they no longer hold up its open reviews.
    pushes.push(...(await concludeOpenReviews(tx, name)));
  }
  return pushes;
}

export const createGroup: CommandHandler<'CreateGroup'> = async (command, ctx, tx) => {
  const record = { id: ctx.newId(), name: command.name, description: command.description ?? '', ownerId: ctx.userId, createdAt: ctx.now };
  await tx.insertGroup(record);
  await tx.addMember(record.id, ctx.userId);
  const group = groupInfo(record);
  return { data: { group }, pushes: [{ outcome: { type: 'NewGroup', group }, recipients: [ctx.userId] }] };
};

export const dismissGroup: CommandHandler<'DismissGroup'> = async (command, ctx, tx) => {
  const group = await requireMemberGroup(tx, ctx.userId, command.groupId);
  if (group.ownerId !== ctx.userId) throw new CommandError('forbidden', 'only the owner can dissolve a group');
  const members = await tx.members(group.id);
  const before = new Map<string, Set<string>>();
  for (const m of members) before.set(m, await visibleStreamNames(tx, m));
  // The group's streams are among those its owner (a member) sees; those it alone made visible die with it.
  const orphans: string[] = [];
  for (const name of before.get(ctx.userId) ?? []) {
    const stream = await tx.streamByName(name);
    if (stream && stream.groups.length === 1 && stream.groups[0] === group.id) orphans.push(name);
  }
  await tx.deleteGroup(group.id);
  for (const name of orphans) await tx.deleteStream(name);
  const pushes: Push[] = [{ outcome: { type: 'GroupDissolved', groupId: group.id }, recipients: members }];
  for (const m of members) pushes.push(...(await visibilityPushes(tx, m, before.get(m)!)));
  return { data: { groupId: group.id }, pushes };
};

export const addGroupMember: CommandHandler<'AddGroupMember'> = async (command, ctx, tx) => {
  const group = await requireMemberGroup(tx, ctx.userId, command.groupId);
  const user = await tx.userById(command.userId);
  if (!user) throw new CommandError('not_found', `user "${command.userId}" not found`, ['command', 'userId']);
  if (await tx.isMember(group.id, user.id)) throw new CommandError('conflict', `${user.username} is already a member`, ['command', 'userId']);
  const before = await visibleStreamNames(tx, user.id);
  await tx.addMember(group.id, user.id);
  const member = { userId: user.id, username: user.username };
  const pushes: Push[] = [
    { outcome: { type: 'NewGroup', group: groupInfo(group) }, recipients: [user.id] },
    { outcome: { type: 'NewMember', groupId: group.id, member }, recipients: await tx.members(group.id) },
    ...(await visibilityPushes(tx, user.id, before)),
  ];
  return { data: { groupId: group.id, member }, pushes };
};

export const dismissMember: CommandHandler<'DismissMember'> = async (command, ctx, tx) => {
  const group = await requireMemberGroup(tx, ctx.userId, command.groupId);
  if (group.ownerId !== ctx.userId && command.userId !== ctx.userId) {
    throw new CommandError('forbidden', 'only the owner removes others; a member may only remove themself');
  }
  if (command.userId === group.ownerId) throw new CommandError('conflict', 'the owner cannot leave the group; dissolve it instead', ['command', 'userId']);
  if (!(await tx.isMember(group.id, command.userId))) throw new CommandError('not_found', `user "${command.userId}" is not a member`, ['command', 'userId']);
  const members = await tx.members(group.id);
  const before = await visibleStreamNames(tx, command.userId);
  await tx.removeMember(group.id, command.userId);
  const pushes: Push[] = [
    { outcome: { type: 'MemberDismissed', groupId: group.id, userId: command.userId }, recipients: members },
    ...(await visibilityPushes(tx, command.userId, before)),
  ];
  return { data: { groupId: group.id, userId: command.userId }, pushes };
};

export const getGroups: CommandHandler<'GetGroups'> = async (_command, ctx, tx) => ({
  data: { groups: (await tx.groupsOf(ctx.userId)).map(groupInfo) },
  pushes: [],
});

export const getGroupMembers: CommandHandler<'GetGroupMembers'> = async (command, ctx, tx) => {
  const group = await requireMemberGroup(tx, ctx.userId, command.groupId);
  const members = [];
  for (const id of await tx.members(group.id)) {
    const user = await tx.userById(id);
    if (user) members.push({ userId: user.id, username: user.username });
  }
  return { data: { groupId: group.id, members }, pushes: [] };
};

export const searchUsers: CommandHandler<'SearchUsers'> = async (command, _ctx, tx) => {
  const users = await tx.usersByPrefix(command.prefix, command.limit ?? DEFAULT_SEARCH_LIMIT);
  return { data: { users: users.map((user) => ({ userId: user.id, username: user.username })) }, pushes: [] };
};

export const findUser: CommandHandler<'FindUser'> = async (command, _ctx, tx) => {
  const user = await tx.userByName(command.username);
  if (!user) throw new CommandError('not_found', `user "${command.username}" not found`, ['command', 'username']);
  return { data: { user: { userId: user.id, username: user.username } }, pushes: [] };
};

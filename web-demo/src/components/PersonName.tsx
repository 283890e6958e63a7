// People shown by name where the hub gives ids (reviewers, voters, poll authors): the SDK's useUserName,
// and loading the members of a stream's groups (useGroupMembers) so the names become known.
import type { StreamInfo } from '@stage/sdk/im';
import { useGroupMembers, useGroups, useUserName, useUserNames } from '@stage/sdk/react';

/** A person's username, or the start of their id while the client has not seen them. */
export function PersonName({ userId }: { userId: string }) {
  return <>{usePersonName(userId)}</>;
}

export function usePersonName(userId: string): string {
  return useUserName(userId) ?? `${userId.slice(0, 8)}…`;
}

/**
 * Makes the names of `people` known: while one is unknown, loads the members of the stream's groups I am in
 * (each group once, however many components ask). Renders nothing.
 */
export function LoadNamesOf({ stream, people }: { stream: StreamInfo; people: readonly string[] }) {
  const names = useUserNames();
  const groups = useGroups();
  if (people.every((id) => names.has(id))) return null;
  const mine = new Set(groups.map((group) => group.groupId));
  return (
    <>
      {stream.groups
        .filter((groupId) => mine.has(groupId))
        .map((groupId) => (
          <LoadMembers key={groupId} groupId={groupId} />
        ))}
    </>
  );
}

function LoadMembers({ groupId }: { groupId: string }) {
  useGroupMembers(groupId);
  return null;
}

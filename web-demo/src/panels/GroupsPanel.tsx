// Groups I belong to: create one, add members by username (with the hub's people as suggestions), remove members,
// dissolve (after a confirmation). A field keeps what was typed when the hub refused it.
import { useEffect, useState, type FormEvent } from 'react';
import { useGroupMembers, useGroups, useImClient } from '@stage/sdk/react';
import { useChatSession } from '../chat/ChatSessionContext.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { PersonInput } from '../components/PersonInput.js';

export function GroupsPanel() {
  const chat = useChatSession();
  const groups = useGroups();
  const [name, setName] = useState('');
  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return;
    const group = await chat.createGroup(name.trim(), '');
    if (group) setName('');
  };
  return (
    <section className="panel" aria-label="Groups" data-testid="groups-panel">
      <h2 tabIndex={-1}>Groups</h2>
      <form className="inline-form" onSubmit={(event) => void create(event)}>
        <input value={name} onChange={(event) => setName(event.target.value)} placeholder="New group name" aria-label="New group name" data-testid="group-name" />
        <button type="submit" className="small" data-testid="create-group">
          Create
        </button>
      </form>
      {groups.length === 0 && <p className="muted-text">You are in no group yet.</p>}
      {groups.map((group) => (
        <GroupCard key={group.groupId} groupId={group.groupId} name={group.name} ownerId={group.ownerId} />
      ))}
    </section>
  );
}

function GroupCard({ groupId, name, ownerId }: { groupId: string; name: string; ownerId: string }) {
  const chat = useChatSession();
  const client = useImClient();
  const members = useGroupMembers(groupId);
  const [username, setUsername] = useState('');
  const [confirming, setConfirming] = useState(false);
  const owner = ownerId === chat.me.userId;
  // useGroupMembers loads them; this only says why when that fails (the same request: the client shares it).
  const loaded = members !== undefined;
  useEffect(() => {
    if (!loaded) void chat.attempt('load the members', () => client.ensureGroupMembers(groupId));
  }, [chat, client, groupId, loaded]);
  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (!username.trim()) return;
    if (await chat.addMember(groupId, username.trim())) setUsername('');
  };
  return (
    <div className="card" data-testid={`group-${name}`}>
      <div className="card-head">
        <strong>{name}</strong>
        {owner && (
          <button type="button" className="ghost small danger" onClick={() => setConfirming(true)} data-testid="dissolve-group">
            Dissolve
          </button>
        )}
      </div>
      <ul className="members">
        {(members ?? []).map((member) => (
          <li key={member.userId} data-testid="member">
            <span>
              {member.username}
              {member.userId === ownerId && <span className="tag">owner</span>}
            </span>
            {(owner || member.userId === chat.me.userId) && member.userId !== ownerId && (
              <button type="button" className="ghost small danger" onClick={() => void chat.dismissMember(groupId, member.userId)} aria-label={`Remove ${member.username}`}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={(event) => void add(event)}>
        <PersonInput value={username} onChange={setUsername} label={`Add a member to ${name}`} testId="member-name" />
        <button type="submit" className="small ghost" data-testid="add-member">
          Add
        </button>
      </form>
      {confirming && (
        <ConfirmDialog
          title={`Dissolve ${name}?`}
          confirmLabel="Dissolve the group"
          onConfirm={() => {
            setConfirming(false);
            void chat.dissolveGroup(groupId);
          }}
          onCancel={() => setConfirming(false)}
        >
          Its members lose the streams it made visible; a stream only this group could see is deleted with all its messages. This cannot be undone.
        </ConfirmDialog>
      )}
    </div>
  );
}

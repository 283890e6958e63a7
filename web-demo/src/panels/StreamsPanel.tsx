// Streams: create one visible to some of my groups, change which groups see a stream, appoint and
// dismiss its reviewers.
import { useState, type FormEvent } from 'react';
import type { StreamInfo } from '@stage/sdk/im';
import { useGroups, useStreams } from '@stage/sdk/react';
import { useChatSession } from '../chat/ChatSessionContext.js';
import { PersonInput } from '../components/PersonInput.js';
import { LoadNamesOf, usePersonName } from '../components/PersonName.js';

export function StreamsPanel() {
  const streams = useStreams();
  return (
    <section className="panel" aria-label="Streams" data-testid="streams-panel">
      <h2 tabIndex={-1}>Streams</h2>
      <NewStreamForm />
      {streams.map((stream) => (
        <StreamCard key={stream.name} stream={stream} />
      ))}
    </section>
  );
}

function GroupPicker({ chosen, onChange, label }: { chosen: string[]; onChange: (groups: string[]) => void; label: string }) {
  const groups = useGroups();
  if (groups.length === 0) return <p className="muted-text">Create a group first: streams are visible to groups.</p>;
  return (
    <fieldset className="group-picker">
      <legend>{label}</legend>
      {groups.map((group) => (
        <label key={group.groupId} className="check">
          <input
            type="checkbox"
            checked={chosen.includes(group.groupId)}
            onChange={(event) => onChange(event.target.checked ? [...chosen, group.groupId] : chosen.filter((id) => id !== group.groupId))}
            data-testid={`pick-group-${group.name}`}
          />
          {group.name}
        </label>
      ))}
    </fieldset>
  );
}

function NewStreamForm() {
  const chat = useChatSession();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [groups, setGroups] = useState<string[]>([]);
  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim() || groups.length === 0) return;
    if (await chat.createStream(name.trim(), description.trim(), groups)) {
      setName('');
      setDescription('');
      setGroups([]);
    }
  };
  return (
    <form className="card stack" onSubmit={(event) => void create(event)} data-testid="new-stream-form">
      <strong>New stream</strong>
      <input value={name} onChange={(event) => setName(event.target.value)} placeholder="Stream name" aria-label="Stream name" data-testid="stream-name" />
      <input value={description} onChange={(event) => setDescription(event.target.value)} placeholder="What is it about? (optional)" aria-label="Stream description" />
      <GroupPicker chosen={groups} onChange={setGroups} label="Visible to" />
      <button type="submit" className="small" disabled={!name.trim() || groups.length === 0} data-testid="create-stream">
        Create stream
      </button>
    </form>
  );
}

function StreamCard({ stream }: { stream: StreamInfo }) {
  const chat = useChatSession();
  const groups = useGroups();
  const [editing, setEditing] = useState(false);
  const [chosen, setChosen] = useState(stream.groups);
  const [reviewer, setReviewer] = useState('');
  const groupName = (id: string) => groups.find((group) => group.groupId === id)?.name ?? 'a group you are not in';
  const appoint = async (event: FormEvent) => {
    event.preventDefault();
    if (!reviewer.trim()) return;
    if (await chat.appointReviewer(stream.name, reviewer.trim())) setReviewer('');
  };
  return (
    <div className="card" data-testid={`stream-card-${stream.name}`}>
      <div className="card-head">
        <strong># {stream.name}</strong>
        <button
          type="button"
          className="ghost small"
          onClick={() => {
            setChosen(stream.groups);
            setEditing(!editing);
          }}
          data-testid="edit-visibility"
        >
          {editing ? 'Close' : 'Visibility'}
        </button>
      </div>
      {stream.description && <p className="muted-text">{stream.description}</p>}
      <p className="small-text">Visible to: {stream.groups.map(groupName).join(', ')}</p>
      {editing && (
        <div className="stack">
          <GroupPicker chosen={chosen} onChange={setChosen} label="Visible to" />
          <button
            type="button"
            className="small"
            disabled={chosen.length === 0}
            onClick={() => {
              void chat.setStreamGroups(stream.name, chosen);
              setEditing(false);
            }}
            data-testid="save-visibility"
          >
            Save visibility
          </button>
        </div>
      )}
      <div className="reviewers">
        <LoadNamesOf stream={stream} people={stream.reviewers} />
        <span className="small-text">Reviewers:</span>
        {stream.reviewers.length === 0 && <span className="muted-text"> none</span>}
        <ul className="members">
          {stream.reviewers.map((id) => (
            <Reviewer key={id} stream={stream.name} userId={id} />
          ))}
        </ul>
        <form className="inline-form" onSubmit={(event) => void appoint(event)}>
          <PersonInput value={reviewer} onChange={setReviewer} label={`Appoint a reviewer of ${stream.name}`} testId="reviewer-name" />
          <button type="submit" className="small ghost" data-testid="appoint-reviewer">
            Appoint
          </button>
        </form>
      </div>
    </div>
  );
}

function Reviewer({ stream, userId }: { stream: string; userId: string }) {
  const chat = useChatSession();
  const name = usePersonName(userId);
  return (
    <li data-testid="reviewer">
      <span>{name}</span>
      <button type="button" className="ghost small danger" onClick={() => void chat.dismissReviewer(stream, userId)} aria-label={`Dismiss reviewer ${name}`}>
        Dismiss
      </button>
    </li>
  );
}

// Streams: create one visible to some of my groups, change which groups see a stream, appoint and
// dismiss its reviewers.
import { useEffect, useState, type FormEvent } from 'react';
import type { StreamInfo } from '@stage/sdk/im';
import { useObservable } from '@stage/sdk/react';
import { useChat } from '../chat/ChatContext.js';
import { PersonInput } from '../components/PersonInput.js';

export function StreamsPanel() {
  const chat = useChat();
  const streams = useObservable(chat.streams$);
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
  const chat = useChat();
  const groups = useObservable(chat.groups$);
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
  const chat = useChat();
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
  const chat = useChat();
  const groups = useObservable(chat.groups$);
  const users = useObservable(chat.users$);
  const unknown = stream.reviewers.some((id) => !users.has(id));
  useEffect(() => {
    if (unknown) chat.resolveNames(stream.name);
  }, [chat, stream.name, unknown]);
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
        <span className="small-text">Reviewers:</span>
        {stream.reviewers.length === 0 && <span className="muted-text"> none</span>}
        <ul className="members">
          {stream.reviewers.map((id) => (
            <li key={id} data-testid="reviewer">
              <span>{chat.userName(id)}</span>
              <button type="button" className="ghost small danger" onClick={() => void chat.dismissReviewer(stream.name, id)} aria-label={`Dismiss reviewer ${chat.userName(id)}`}>
                Dismiss
              </button>
            </li>
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

// Streams I can see, their topics with unread counts and mute marks, and a way to start a topic.
import { forwardRef, memo, useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { TopicInfo } from '@stage/sdk/im';
import { useObservable, useStreams, useStreamUnread, useTopicMuted, useTopics, useUnreadCount } from '@stage/sdk/react';
import { useChatSession } from '../chat/ChatSessionContext.js';

export interface SidebarProps {
  onNavigate: () => void;
  /** Closes the drawer (phone width; the button is hidden on wide screens). */
  onClose: () => void;
  onNewStream: () => void;
}

export const Sidebar = forwardRef<HTMLElement, SidebarProps>(function Sidebar({ onNavigate, onClose, onNewStream }, ref) {
  const chat = useChatSession();
  const streams = useStreams();
  const streamUnread = useStreamUnread();
  const selected = useObservable(chat.selected$);
  const ready = useObservable(chat.ready$);

  // Stable, so a topic row (memo) re-renders for its own topic's changes only, not for the sidebar's.
  const navigated = useRef(onNavigate);
  useEffect(() => {
    navigated.current = onNavigate;
  });
  const open = useCallback(
    (stream: string, topic: string) => {
      void chat.open(stream, topic);
      navigated.current();
    },
    [chat],
  );

  return (
    <nav className="sidebar" aria-label="Streams and topics" ref={ref}>
      <div className="sidebar-head">
        <h2>Streams</h2>
        <button type="button" className="ghost icon close-drawer" onClick={onClose} aria-label="Close streams and topics" data-testid="close-drawer">
          ✕
        </button>
        <button type="button" className="ghost small" onClick={onNewStream} data-testid="new-stream">
          + Stream
        </button>
      </div>
      {!ready && streams.length === 0 && (
        <p className="muted-text" role="status" data-testid="streams-loading">
          Loading your streams…
        </p>
      )}
      {ready && streams.length === 0 && <p className="muted-text">No streams yet. Create a group, then a stream visible to it.</p>}
      {streams.map((stream) => (
        <section key={stream.name} className="stream" data-testid={`stream-${stream.name}`}>
          <h3 title={stream.description || stream.name}>
            # {stream.name}
            {(streamUnread.get(stream.name) ?? 0) > 0 && (
              <span className="unread stream-unread" data-testid="stream-unread" aria-label={`${streamUnread.get(stream.name)} unread in ${stream.name}`}>
                {streamUnread.get(stream.name)}
              </span>
            )}
          </h3>
          <TopicList stream={stream.name} openTopic={selected?.stream === stream.name ? selected.topic : undefined} onOpen={open} />
          <NewTopic stream={stream.name} onOpen={open} />
        </section>
      ))}
    </nav>
  );
});

/** A stream's topics, the most recently active first. */
function TopicList({ stream, openTopic, onOpen }: { stream: string; openTopic: string | undefined; onOpen: (stream: string, topic: string) => void }) {
  const topics = useTopics(stream);
  const recentFirst = useMemo(() => [...topics].sort((a, b) => b.lastSeq - a.lastSeq || a.topic.localeCompare(b.topic)), [topics]);
  return (
    <ul>
      {recentFirst.map((topic) => (
        <TopicRow key={topic.topic} topic={topic} active={topic.topic === openTopic} onOpen={onOpen} />
      ))}
    </ul>
  );
}

/** One topic in the list; its unread count and mute are its own subscriptions, so other topics' changes do not re-render it. */
const TopicRow = memo(function TopicRow({ topic, active, onOpen }: { topic: TopicInfo; active: boolean; onOpen: (stream: string, topic: string) => void }) {
  const count = useUnreadCount(topic.stream, topic.topic);
  const isMuted = useTopicMuted(topic.stream, topic.topic);
  return (
    <li>
      <button
        type="button"
        className={`topic${active ? ' active' : ''}${isMuted ? ' is-muted' : ''}${count > 0 && !isMuted ? ' has-unread' : ''}`}
        onClick={() => onOpen(topic.stream, topic.topic)}
        data-testid={`topic-${topic.stream}-${topic.topic}`}
      >
        <span className="topic-name">{topic.topic}</span>
        {topic.status !== 'discussion' && <span className={`status status-${topic.status}`}>{statusLabel(topic.status)}</span>}
        {isMuted && <span className="muted-tag">muted</span>}
        {count > 0 && (
          <span className={`unread${isMuted ? ' quiet' : ''}`} data-testid="unread">
            {count}
          </span>
        )}
      </button>
    </li>
  );
});

function NewTopic({ stream, onOpen }: { stream: string; onOpen: (stream: string, topic: string) => void }) {
  const [name, setName] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const topic = name.trim();
    if (!topic) return;
    setName('');
    onOpen(stream, topic);
  };
  return (
    <form className="new-topic" onSubmit={submit}>
      <input value={name} onChange={(event) => setName(event.target.value)} placeholder="New topic…" aria-label={`New topic in ${stream}`} data-testid={`new-topic-${stream}`} />
    </form>
  );
}

export function statusLabel(status: string): string {
  return status === 'under_review' ? 'in review' : status;
}

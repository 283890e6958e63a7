// The open topic: its header (status, mute, review), the live message list and the composer.
import { forwardRef, memo, useImperativeHandle, useLayoutEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { renderMarkdown } from '../markdown/renderMarkdown.js';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Message, PendingMessage } from '@stage/sdk/im';
import { useObservable, usePendingMessages, useTopic, useTopicHistory, useTopicMuted } from '@stage/sdk/react';
import { useChatSession } from '../chat/ChatSessionContext.js';
import type { FailedSend } from '../chat/ChatSession.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { PollList } from './PollList.js';
import { parsePollCommand } from '../chat/pollExtension.js';
import { ReviewBar } from './ReviewBar.js';
import { TopicStatusControl } from './TopicStatusControl.js';
import { statusLabel } from './Sidebar.js';

export function TopicView({ stream, topic }: { stream: string; topic: string }) {
  const chat = useChatSession();
  const muted = useTopicMuted(stream, topic);
  const info = useTopic(stream, topic);
  return (
    <section className="topic-view" aria-label={`${stream} › ${topic}`}>
      <header className="topic-head">
        <h1 className="crumbs">
          <span className="stream-name"># {stream}</span>
          <span aria-hidden="true"> › </span>
          <strong data-testid="topic-title">{topic}</strong>
          {info && info.status !== 'discussion' && (
            <span className={`status status-${info.status}`} data-testid="topic-status">
              {statusLabel(info.status)}
            </span>
          )}
        </h1>
        <div className="topic-tools">
          <TopicStatusControl stream={stream} topic={topic} />
          <button type="button" className="ghost small" onClick={() => void chat.toggleMute(stream, topic)} data-testid="mute" aria-pressed={muted}>
            <BellIcon muted={muted} /> {muted ? 'Unmute' : 'Mute'}
          </button>
        </div>
      </header>
      <ReviewBar stream={stream} topic={topic} />
      <PollList stream={stream} topic={topic} />
      <MessageList stream={stream} topic={topic} />
      <Composer stream={stream} topic={topic} />
    </section>
  );
}

function MessageList({ stream, topic }: { stream: string; topic: string }) {
  const chat = useChatSession();
  // The session's history workers load the newest page when the topic opens (the inspector shows them), so the hook does not.
  const { messages, hasOlder, loadOlder } = useTopicHistory(stream, topic, { loadNewest: false });
  const sending = usePendingMessages(stream, topic);
  const allFailed = useObservable(chat.failedSends$);
  const pending = useMemo<readonly ShownPending[]>(
    () => [...sending, ...allFailed.filter((item) => item.stream === stream && item.topic === topic)],
    [sending, allFailed, stream, topic],
  );
  const older = hasOlder ?? false;
  const loading = hasOlder === undefined;
  const scroller = useRef<HTMLDivElement>(null);
  // Follow new messages only while the reader is at the bottom; someone reading older ones keeps their place.
  const atBottom = useRef(true);
  const count = messages.length + pending.length;
  // Only the rows in view (plus a few) are in the DOM: a topic of 5,000 messages costs as much as one of 30.
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => 52,
    overscan: 8,
    getItemKey: (index) => (index < messages.length ? messages[index]!.messageId : `pending-${pending[index - messages.length]!.traceId}`),
  });
  useLayoutEffect(() => {
    if (atBottom.current && count > 0) virtualizer.scrollToIndex(count - 1, { align: 'end' });
  }, [count, messages.at(-1)?.messageId, virtualizer]); // the newest message, not older pages, moves the view
  const onScroll = () => {
    const element = scroller.current;
    if (element) atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 48;
  };
  return (
    <div className="messages" ref={scroller} onScroll={onScroll} data-testid="messages" data-count={messages.length} role="log" aria-live="polite" tabIndex={0} aria-label="Messages">
      {older && (
        <button type="button" className="ghost small load-older" onClick={() => void chat.attempt('load earlier messages', loadOlder)} data-testid="load-older">
          Load earlier messages
        </button>
      )}
      {count === 0 &&
        (loading ? (
          <p className="empty" role="status" data-testid="messages-loading">
            Loading messages…
          </p>
        ) : (
          <p className="empty">No messages yet. Say hello!</p>
        ))}
      <div className="rows" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((row) => {
          const index = row.index;
          const message = messages[index];
          const previous = messages[index - 1];
          return (
            <div key={row.key} className="row" data-index={index} ref={virtualizer.measureElement} style={{ transform: `translateY(${row.start}px)` }}>
              {message ? (
                <MessageItem message={message} grouped={previous !== undefined && previous.senderId === message.senderId && message.createdAt - previous.createdAt < 5 * 60_000} />
              ) : (
                <PendingItem item={pending[index - messages.length]!} />
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

/** One message; re-rendered only when it (or its grouping) changes, not when others arrive. */
const MessageItem = memo(function MessageItem({ message, grouped }: { message: Message; grouped: boolean }) {
  const chat = useChatSession();
  const mine = message.senderId === chat.me.userId;
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.content);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const html = useMemo(() => renderMarkdown(message.content), [message.content]);
  const save = async (event?: FormEvent) => {
    event?.preventDefault();
    const content = draft.trim();
    // A refused edit keeps the editor open with the typed text (the toast says why).
    if (content && content !== message.content && !(await chat.edit(message, content))) return;
    setEditing(false);
  };
  const onEditKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter saves, Shift+Enter is a new line, Escape cancels (the message keeps its text).
    if (event.key === 'Escape') {
      event.preventDefault();
      setEditing(false);
    } else if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      void save();
    }
  };
  return (
    <article className={`message${mine ? ' mine' : ''}${grouped ? ' grouped' : ''}`} data-testid="message" data-seq={message.seq} data-message-id={message.messageId}>
      {!grouped && (
        <header>
          <span className="avatar" aria-hidden="true" style={{ background: colorFor(message.senderName) }}>
            {message.senderName.slice(0, 1).toUpperCase()}
          </span>
          <span className="sender">{message.senderName}</span>
          <time dateTime={new Date(message.createdAt).toISOString()}>{timeOf(message.createdAt)}</time>
        </header>
      )}
      {message.deleted ? (
        <p className="body deleted">This message was deleted.</p>
      ) : editing ? (
        <form className="edit" onSubmit={(event) => void save(event)}>
          <GrowingTextarea value={draft} onChange={setDraft} onKeyDown={onEditKey} autoFocus label="Edit message" testId="edit-input" />
          <button type="submit" className="small">
            Save
          </button>
          <button type="button" className="ghost small" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <div className="body markdown" data-testid="message-body">
          <div dangerouslySetInnerHTML={{ __html: html }} />
          {message.editedAt !== null && <span className="edited"> (edited)</span>}
        </div>
      )}
      {mine && !message.deleted && !editing && (
        <div className="actions">
          <button
            type="button"
            className="ghost small"
            onClick={() => {
              setDraft(message.content);
              setEditing(true);
            }}
            data-testid="edit"
          >
            Edit
          </button>
          <button type="button" className="ghost small danger" onClick={() => setConfirmDelete(true)} data-testid="delete">
            Delete
          </button>
        </div>
      )}
      {confirmDelete && (
        <ConfirmDialog
          title="Delete this message?"
          confirmLabel="Delete the message"
          onConfirm={() => {
            setConfirmDelete(false);
            void chat.remove(message);
          }}
          onCancel={() => setConfirmDelete(false)}
        >
          Everyone in the stream sees “This message was deleted.” in its place. This cannot be undone.
        </ConfirmDialog>
      )}
    </article>
  );
});

/** A message sent and not answered yet (the SDK's pending messages), or one the hub refused (the session keeps those). */
type ShownPending = PendingMessage | FailedSend;

function PendingItem({ item }: { item: ShownPending }) {
  const chat = useChatSession();
  const failed = 'reason' in item ? item.reason : undefined;
  return (
    <article className={`message mine pending${failed ? ' failed' : ''}`} data-testid="pending-message">
      <p className="body">
        {item.content}
        <span className="pending-note">{failed ? ` — not sent: ${failed}` : ' — pending'}</span>
      </p>
      {failed && (
        <div className="actions">
          <button type="button" className="ghost small" onClick={() => chat.discardFailedSend(item.traceId)}>
            Discard
          </button>
        </div>
      )}
    </article>
  );
}

function Composer({ stream, topic }: { stream: string; topic: string }) {
  const chat = useChatSession();
  const [draft, setDraft] = useState('');
  /** Why the typed `/poll` command was not sent; it stays until the text changes. */
  const [pollError, setPollError] = useState<string>();
  const input = useRef<HTMLTextAreaElement>(null);
  const send = (event?: FormEvent) => {
    event?.preventDefault();
    const content = draft.trim();
    if (!content) return;
    // `/poll Question? | A | B` makes a poll (the poll extension) instead of a message; a malformed one sends nothing.
    const poll = parsePollCommand(content);
    if (poll && 'error' in poll) {
      setPollError(`Not sent: ${poll.error}`);
      return;
    }
    setDraft('');
    if (poll) {
      // A refused poll (the toast says why) gives its text back to fix, unless something new was typed meanwhile.
      void chat.polls.create(stream, topic, poll.question, poll.options).then((created) => {
        if (!created) setDraft((typed) => (typed === '' ? content : typed));
      });
    } else void chat.send(stream, topic, content);
    input.current?.focus();
  };
  const edit = (text: string) => {
    setDraft(text);
    setPollError(undefined);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey) send(event);
  };
  return (
    <>
      {pollError && (
        <p className="composer-error" id="composer-error" role="alert" data-testid="composer-error">
          {pollError}
        </p>
      )}
      <form className="composer" onSubmit={send}>
        <GrowingTextarea
          ref={input}
          value={draft}
          onChange={edit}
          onKeyDown={onKeyDown}
          placeholder={`Message # ${stream} › ${topic}`}
          label="Message"
          testId="composer"
          describedBy={pollError ? 'composer-error' : undefined}
        />
        <button type="submit" disabled={!draft.trim()} data-testid="send">
          Send
        </button>
      </form>
    </>
  );
}

interface GrowingTextareaProps {
  value: string;
  onChange: (value: string) => void;
  onKeyDown: (event: KeyboardEvent<HTMLTextAreaElement>) => void;
  label: string;
  testId: string;
  placeholder?: string;
  autoFocus?: boolean;
  /** The id of what explains a problem with the text (set: the textarea is marked invalid). */
  describedBy?: string | undefined;
}

/** A textarea that grows with its text up to about ten lines, then scrolls. */
const GrowingTextarea = forwardRef<HTMLTextAreaElement, GrowingTextareaProps>(function GrowingTextarea({ value, onChange, onKeyDown, label, testId, placeholder, autoFocus, describedBy }, ref) {
  const own = useRef<HTMLTextAreaElement>(null);
  useImperativeHandle(ref, () => own.current!, []);
  useLayoutEffect(() => {
    const element = own.current;
    if (!element) return;
    element.style.height = 'auto';
    element.style.height = `${Math.min(element.scrollHeight + 2, 240)}px`;
  }, [value]);
  return (
    <textarea
      ref={own}
      value={value}
      rows={1}
      onChange={(event) => onChange(event.target.value)}
      onKeyDown={onKeyDown}
      placeholder={placeholder}
      autoFocus={autoFocus}
      aria-label={label}
      aria-describedby={describedBy}
      aria-invalid={describedBy === undefined ? undefined : true}
      data-testid={testId}
    />
  );
});

function BellIcon({ muted }: { muted: boolean }) {
  return (
    <svg className="icon-svg" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <path d="M8 1.5a4 4 0 0 0-4 4v2.8L2.5 11h11L12 8.3V5.5a4 4 0 0 0-4-4zM6.5 12.5a1.5 1.5 0 0 0 3 0" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinejoin="round" />
      {muted && <path d="M2 2l12 12" stroke="currentColor" strokeWidth="1.4" />}
    </svg>
  );
}

function timeOf(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function colorFor(name: string): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 55% 45%)`;
}

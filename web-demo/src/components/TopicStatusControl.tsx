// The open topic's status, settable by hand to what the hub allows this user (the SDK's settableTopicStatuses, the
// rule the hub enforces): an administrator of the stream sets any status; others move an open topic between
// discussion and developing or put it under review. Someone who may change nothing sees no control.
import { settableTopicStatuses, type TopicStatus } from '@stage/sdk/im';
import { useStream, useTopic } from '@stage/sdk/react';
import { useChatSession } from '../chat/ChatSessionContext.js';
import { statusLabel } from './Sidebar.js';

export function TopicStatusControl({ stream, topic }: { stream: string; topic: string }) {
  const chat = useChatSession();
  const current = useTopic(stream, topic)?.status;
  const admin = chat.administers(useStream(stream));
  const choices = settableTopicStatuses(current, admin);
  if (choices.length === 0) return null;
  const shown: TopicStatus = current ?? 'discussion';
  return (
    <label className="status-control">
      <span className="visually-hidden">Topic status</span>
      <select value={shown} onChange={(event) => void chat.setTopicStatus(stream, topic, event.target.value as TopicStatus)} data-testid="status-select">
        {[shown, ...choices].map((status) => (
          <option key={status} value={status}>
            {status === shown ? `Status: ${statusLabel(status)}` : `Set ${statusLabel(status)}`}
          </option>
        ))}
      </select>
    </label>
  );
}

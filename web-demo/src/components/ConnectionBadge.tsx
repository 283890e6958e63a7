// The connection state, always visible in the top bar: online, offline, reconnecting, recalling.
import { useObservable } from '@stage/sdk/react';
import { useChat } from '../chat/ChatContext.js';
import type { UiConnectionState } from '../chat/ChatStore.js';

const labels: Record<UiConnectionState, string> = {
  connecting: 'Connecting…',
  online: 'Online',
  offline: 'Offline',
  reconnecting: 'Reconnecting…',
  recalling: 'Recalling session…',
};

export function ConnectionBadge() {
  const chat = useChat();
  const state = useObservable(chat.connection$);
  const pending = useObservable(chat.pending$).filter((item) => !item.failed).length;
  return (
    <span className={`badge badge-${state}`} data-testid="connection" data-state={state} title={labels[state]}>
      <span className="dot" aria-hidden="true" />
      {labels[state]}
      {/* Shown online too: a queue draining after a reconnect is worth seeing. */}
      {pending > 0 && (
        <span className="badge-pending" data-testid="pending-count">
          {' '}
          · {pending} pending
        </span>
      )}
    </span>
  );
}

/** A banner under the top bar when something needs the user's attention (a refused session log, an expired sign-in). */
export function ProblemBanner() {
  const chat = useChat();
  const problem = useObservable(chat.problem$);
  if (!problem) return null;
  return (
    <div className="problem" role="alert" data-testid="problem">
      <strong>Session problem.</strong> {problem}
    </div>
  );
}

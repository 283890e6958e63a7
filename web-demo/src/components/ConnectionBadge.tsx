// The connection state, always visible in the top bar: online, offline, reconnecting, recalling.
import { useMemo } from 'react';
import type { ConnectionState } from '@stage/sdk/im';
import { useConnectionInfo, usePendingMessages } from '@stage/sdk/react';
import { problemOf } from '../chat/connectionProblem.js';
import { useShownConnectionState } from '../chat/useShownConnectionState.js';

const labels: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  online: 'Online',
  offline: 'Offline',
  reconnecting: 'Reconnecting…',
  recalling: 'Recalling session…',
};

export function ConnectionBadge() {
  const state = useShownConnectionState();
  const pending = usePendingMessages().length;
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
  const problem = useConnectionProblem();
  if (!problem) return null;
  return (
    <div className="problem" role="alert" data-testid="problem">
      <strong>Session problem.</strong> {problem}
    </div>
  );
}

/** Why the connection is not simply online, in words, or undefined. */
export function useConnectionProblem(): string | undefined {
  const info = useConnectionInfo();
  return useMemo(() => problemOf(info), [info]);
}

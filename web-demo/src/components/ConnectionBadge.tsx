// The connection state, always visible in the top bar: online, offline, reconnecting, recalling.
import { useObservable } from '@stage/sdk/react';
import { useChat } from '../chat/ChatContext.js';
import type { ConnectionState } from '../chat/ChatTransport.js';

const labels: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  online: 'Online',
  offline: 'Offline',
  reconnecting: 'Reconnecting…',
  recalling: 'Recalling session…',
  closed: 'Signed out',
};

export function ConnectionBadge() {
  const chat = useChat();
  const state = useObservable(chat.transport.connection$, 'connecting');
  const problem = useObservable(chat.transport.problem$, undefined);
  return (
    <span className={`badge badge-${state}`} data-testid="connection" data-state={state} title={problem ?? labels[state]}>
      <span className="dot" aria-hidden="true" />
      {labels[state]}
    </span>
  );
}

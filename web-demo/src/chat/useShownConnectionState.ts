// The connection state the page shows: the client's (useConnectionState), except 'offline' while the
// browser says it is offline, which it knows before the socket does.
import type { ConnectionState } from '@stage/sdk/im';
import { useConnectionState, useObservable } from '@stage/sdk/react';
import { useChatSession } from './ChatSessionContext.js';

export function useShownConnectionState(): ConnectionState {
  const state = useConnectionState();
  const browserOnline = useObservable(useChatSession().browserOnline$);
  return browserOnline ? state : 'offline';
}

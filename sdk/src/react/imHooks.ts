// React hooks over an ImClient's observables (@stage/sdk/im): the connection state, one topic's
// messages, unread counts, commands still pending, the sealed log. Each is useObservable over a
// stable observable (memoized per client and arguments), so they share its guarantees: no tearing,
// StrictMode-safe, no subscription left after unmount. The client is passed in (or taken from
// <ImClientProvider>); the hooks never create or close it.
import { createContext, createElement, useContext, useMemo, type ReactNode } from 'react';
import type { ConnectionInfo, ConnectionState, ImClient, PendingCommand, Review, SealedLogInfo } from '../im/client/ImClient.js';
import type { Message, UnreadCount } from '../im/protocol/model.js';
import { useObservable } from './useObservable.js';

const ImClientContext = createContext<ImClient | undefined>(undefined);

/** Makes `client` the default for the IM hooks below it. */
export function ImClientProvider({ client, children }: { client: ImClient; children?: ReactNode }) {
  return createElement(ImClientContext.Provider, { value: client }, children);
}

/** The client from the nearest <ImClientProvider>, or the one given. */
export function useImClient(client?: ImClient): ImClient {
  const provided = useContext(ImClientContext);
  const found = client ?? provided;
  if (!found) throw new Error('No ImClient: pass one to the hook or render it inside <ImClientProvider client={...}>');
  return found;
}

/** 'connecting' | 'online' | 'reconnecting' | 'recalling' | 'offline'. */
export function useConnectionState(client?: ImClient): ConnectionState {
  const im = useImClient(client);
  return useObservable(im.connectionState$, im.connection.state);
}

/** The full connection info: state, attempts, the last close code and reason. */
export function useConnectionInfo(client?: ImClient): ConnectionInfo {
  const im = useImClient(client);
  return useObservable(im.connection$, im.connection);
}

/** The topic's messages known locally, ascending by seq (load older pages with client.loadHistory). */
export function useTopicMessages(stream: string, topic: string, client?: ImClient): readonly Message[] {
  const im = useImClient(client);
  const messages$ = useMemo(() => im.messages$(stream, topic), [im, stream, topic]);
  return useObservable(messages$, noMessages);
}

/** This device's unread counts per topic (topics with none are absent; muted topics included). */
export function useUnreadCounts(client?: ImClient): readonly UnreadCount[] {
  const im = useImClient(client);
  return useObservable(im.unread$, noUnread);
}

/** One topic's unread count on this device. */
export function useUnreadCount(stream: string, topic: string, client?: ImClient): number {
  const im = useImClient(client);
  const count$ = useMemo(() => im.unreadCount$(stream, topic), [im, stream, topic]);
  return useObservable(count$, 0);
}

/** Commands issued and not answered yet (queued in the outbox or on the wire), in issue order. */
export function usePendingCommands(client?: ImClient): readonly PendingCommand[] {
  const im = useImClient(client);
  return useObservable(im.pending$, noPending);
}

/** The device's sealed log: session id, length, last seal, recalls answered. */
export function useSealedLog(client?: ImClient): SealedLogInfo | undefined {
  const im = useImClient(client);
  return useObservable(im.log$, im.logInfo);
}

/** A topic's review (status, votes, the stream's reviewers, the conclusion), if it is or was under review. */
export function useReview(stream: string, topic: string, client?: ImClient): Review | undefined {
  const im = useImClient(client);
  const review$ = useMemo(() => im.review$(stream, topic), [im, stream, topic]);
  return useObservable(review$, undefined);
}

const noMessages: readonly Message[] = [];
const noUnread: readonly UnreadCount[] = [];
const noPending: readonly PendingCommand[] = [];

// React hooks over an ImClient's observables (@stage/sdk/im): the connection state, streams, topics,
// groups and their members, one topic's messages and history paging, unread counts and mutes, the
// names of known people, commands and messages still pending, reviews, the sealed log. Each is useObservable over a
// stable observable (memoized per client and arguments), so they share its guarantees: no tearing,
// StrictMode-safe, no subscription left after unmount. The client is passed in (or taken from
// <ImClientProvider>); the hooks never create or close it.
import { createContext, createElement, useCallback, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { distinctUntilChanged, map } from 'rxjs';
import type { ConnectionInfo, ConnectionState, ImClient, PendingCommand, Review, SealedLogInfo, TopicHistory } from '../im/client/ImClient.js';
import type { PendingMessage } from '../im/client/PendingMessage.js';
import type { GroupInfo, Message, StreamInfo, TopicInfo, TopicRef, UnreadCount, UserRef } from '../im/protocol/model.js';
import type { ReplyData } from '../im/protocol/replies.js';
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

/** The streams the user can see, by name. */
export function useStreams(client?: ImClient): readonly StreamInfo[] {
  const im = useImClient(client);
  return useObservable(im.streams$, noStreams);
}

/** One stream, or undefined while it is unknown (or not visible to the user). */
export function useStream(name: string, client?: ImClient): StreamInfo | undefined {
  const im = useImClient(client);
  const stream$ = useMemo(
    () =>
      im.streams$.pipe(
        map((streams) => streams.find((stream) => stream.name === name)),
        distinctUntilChanged(),
      ),
    [im, name],
  );
  return useObservable(stream$, undefined);
}

/** A stream's topics by name (every stream's, by stream then name, without one); re-renders only when one of them changes. */
export function useTopics(stream?: string, client?: ImClient): readonly TopicInfo[] {
  const im = useImClient(client);
  const topics$ = useMemo(() => im.topics$(stream).pipe(distinctUntilChanged(sameItems)), [im, stream]);
  return useObservable(topics$, noTopics);
}

/** One topic (status, votes, last seq), or undefined while it is unknown. */
export function useTopic(stream: string, topic: string, client?: ImClient): TopicInfo | undefined {
  const im = useImClient(client);
  const topic$ = useMemo(() => im.topic$(stream, topic), [im, stream, topic]);
  return useObservable(topic$, undefined);
}

/** The groups the user belongs to, by name. */
export function useGroups(client?: ImClient): readonly GroupInfo[] {
  const im = useImClient(client);
  return useObservable(im.groups$, noGroups);
}

/**
 * A group's members, or undefined until they are loaded. The first use loads them (one request per group
 * however many components ask; a failed load is tried again by the next component that mounts).
 */
export function useGroupMembers(groupId: string, client?: ImClient): readonly UserRef[] | undefined {
  const im = useImClient(client);
  const members$ = useMemo(() => im.groupMembers$(groupId), [im, groupId]);
  const members = useObservable(members$, undefined);
  const loaded = members !== undefined;
  useEffect(() => {
    if (!loaded) im.ensureGroupMembers(groupId).catch(ignore); // the members stay undefined: nothing to show
  }, [im, groupId, loaded]);
  return members;
}

/** Per stream, the unread count over its unmuted topics (streams with none are absent). */
export function useStreamUnread(client?: ImClient): ReadonlyMap<string, number> {
  const im = useImClient(client);
  return useObservable(im.streamUnread$, noCounts);
}

/** The unread count over all unmuted topics (a tab title, a badge). */
export function useTotalUnread(client?: ImClient): number {
  const im = useImClient(client);
  return useObservable(im.totalUnread$, 0);
}

/** The topics the user muted, by stream then topic. */
export function useMutedTopics(client?: ImClient): readonly TopicRef[] {
  const im = useImClient(client);
  return useObservable(im.muted$, noTopicRefs);
}

/** Whether the user muted the topic. */
export function useTopicMuted(stream: string, topic: string, client?: ImClient): boolean {
  const im = useImClient(client);
  const muted$ = useMemo(() => im.topicMuted$(stream, topic), [im, stream, topic]);
  return useObservable(muted$, false);
}

/** userId → username of everyone the client has seen (the user, group members, message senders). */
export function useUserNames(client?: ImClient): ReadonlyMap<string, string> {
  const im = useImClient(client);
  return useObservable(im.userNames$, noNames);
}

/** One person's username, or undefined while the client has not seen them (see useGroupMembers). */
export function useUserName(userId: string, client?: ImClient): string | undefined {
  const im = useImClient(client);
  const name$ = useMemo(
    () =>
      im.userNames$.pipe(
        map((names) => names.get(userId)),
        distinctUntilChanged(),
      ),
    [im, userId],
  );
  return useObservable(name$, undefined);
}

export interface TopicHistoryView extends TopicHistory {
  /** The topic's messages known locally, ascending by seq. */
  readonly messages: readonly Message[];
  /** Loads the page before the oldest message shown; rejects as the GetHistory command does. */
  readonly loadOlder: () => Promise<ReplyData<'GetHistory'>>;
}

/**
 * A topic's messages with history paging: whether older messages exist (undefined until a page was
 * loaded), whether a page is loading, and loadOlder(). Mounting loads the newest page unless one was
 * loaded (or is loading) already; pass `{ loadNewest: false }` when something else loads it.
 */
export function useTopicHistory(stream: string, topic: string, options: { loadNewest?: boolean } = {}, client?: ImClient): TopicHistoryView {
  const im = useImClient(client);
  const messages = useTopicMessages(stream, topic, im);
  const history$ = useMemo(() => im.topicHistory$(stream, topic), [im, stream, topic]);
  const history = useObservable(history$, notLoaded);
  const loadNewest = options.loadNewest ?? true;
  const unloaded = history.hasOlder === undefined && !history.loading;
  useEffect(() => {
    if (loadNewest && unloaded) im.loadHistory(stream, topic).catch(ignore); // hasOlder turns false: the topic shows as empty
  }, [im, stream, topic, loadNewest, unloaded]);
  const loadOlder = useCallback(() => im.loadOlder(stream, topic), [im, stream, topic]);
  return useMemo(() => ({ messages, loading: history.loading, hasOlder: history.hasOlder, loadOlder }), [messages, history, loadOlder]);
}

/**
 * Messages sent and not answered yet (queued in the outbox, across reconnects and reloads), in issue
 * order: all of them, or one stream's or topic's. Other commands coming and going do not re-render.
 */
export function usePendingMessages(stream?: string, topic?: string, client?: ImClient): readonly PendingMessage[] {
  const im = useImClient(client);
  const pending$ = useMemo(() => im.pendingMessages$(stream, topic), [im, stream, topic]);
  return useObservable(pending$, noPendingMessages);
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function ignore(): void {}

const notLoaded: TopicHistory = { loading: false, hasOlder: undefined };
const noStreams: readonly StreamInfo[] = [];
const noTopics: readonly TopicInfo[] = [];
const noGroups: readonly GroupInfo[] = [];
const noCounts: ReadonlyMap<string, number> = new Map();
const noTopicRefs: readonly TopicRef[] = [];
const noNames: ReadonlyMap<string, string> = new Map();
const noPendingMessages: readonly PendingMessage[] = [];
const noMessages: readonly Message[] = [];
const noUnread: readonly UnreadCount[] = [];
const noPending: readonly PendingCommand[] = [];

// Vue composables over an ImClient's observables (@stage/sdk/im): read-only refs of the connection
// state, streams, topics, groups and their members, a topic's messages and history paging, unread
// counts and mutes, known people's names, pending commands and messages, the sealed log. The client,
// stream and topic may be refs or getters: the subscription follows them (a client still undefined —
// being opened — reads as the initial value). Each unsubscribes when its scope ends; none creates or
// closes the client.
import { computed, toValue, watchEffect, type ComputedRef, type MaybeRefOrGetter, type Ref } from 'vue';
import { distinctUntilChanged, map, of, type Observable } from 'rxjs';
import type { ConnectionState, ImClient, PendingCommand, SealedLogInfo, TopicHistory } from '../im/client/ImClient.js';
import type { PendingMessage } from '../im/client/PendingMessage.js';
import type { GroupInfo, Message, StreamInfo, TopicInfo, TopicRef, UnreadCount, UserRef } from '../im/protocol/model.js';
import type { ReplyData } from '../im/protocol/replies.js';
import { useObservable } from './useObservable.js';

type ClientSource = MaybeRefOrGetter<ImClient | undefined>;

/** The source's observable while there is a client, else just `initial`. */
function follow<T>(client: ClientSource, select: (client: ImClient) => Observable<T>, initial: T): Readonly<Ref<T>> {
  return useObservable(() => {
    const im = toValue(client);
    return im ? select(im) : of(initial);
  }, { initial });
}

export function useConnectionState(client: ClientSource): Readonly<Ref<ConnectionState>> {
  return follow(client, (im) => im.connectionState$, toValue(client)?.connection.state ?? 'offline');
}

export function useTopicMessages(client: ClientSource, stream: MaybeRefOrGetter<string>, topic: MaybeRefOrGetter<string>): Readonly<Ref<readonly Message[]>> {
  return follow(client, (im) => im.messages$(toValue(stream), toValue(topic)), []);
}

export function useUnreadCounts(client: ClientSource): Readonly<Ref<readonly UnreadCount[]>> {
  return follow(client, (im) => im.unread$, []);
}

export function useUnreadCount(client: ClientSource, stream: MaybeRefOrGetter<string>, topic: MaybeRefOrGetter<string>): Readonly<Ref<number>> {
  return follow(client, (im) => im.unreadCount$(toValue(stream), toValue(topic)), 0);
}

export function usePendingCommands(client: ClientSource): Readonly<Ref<readonly PendingCommand[]>> {
  return follow(client, (im) => im.pending$, []);
}

export function useSealedLog(client: ClientSource): Readonly<Ref<SealedLogInfo | undefined>> {
  return follow(client, (im) => im.log$, toValue(client)?.logInfo);
}

/** The streams the user can see, by name. */
export function useStreams(client: ClientSource): Readonly<Ref<readonly StreamInfo[]>> {
  return follow(client, (im) => im.streams$, []);
}

/** A stream's topics by name (every topic, by stream then name, when the stream is undefined). */
export function useTopics(client: ClientSource, stream?: MaybeRefOrGetter<string | undefined>): Readonly<Ref<readonly TopicInfo[]>> {
  return follow(client, (im) => im.topics$(toValue(stream)), []);
}

export function useTopic(client: ClientSource, stream: MaybeRefOrGetter<string>, topic: MaybeRefOrGetter<string>): Readonly<Ref<TopicInfo | undefined>> {
  return follow<TopicInfo | undefined>(client, (im) => im.topic$(toValue(stream), toValue(topic)), undefined);
}

export function useGroups(client: ClientSource): Readonly<Ref<readonly GroupInfo[]>> {
  return follow(client, (im) => im.groups$, []);
}

/** A group's members, undefined until loaded; loads them when unknown (one request per group per client). */
export function useGroupMembers(client: ClientSource, groupId: MaybeRefOrGetter<string>): Readonly<Ref<readonly UserRef[] | undefined>> {
  const members = follow<readonly UserRef[] | undefined>(client, (im) => im.groupMembers$(toValue(groupId)), undefined);
  watchEffect(() => {
    const im = toValue(client);
    if (im && members.value === undefined) im.ensureGroupMembers(toValue(groupId)).catch(ignore); // stays undefined: nothing to show
  });
  return members;
}

export function useStreamUnread(client: ClientSource): Readonly<Ref<ReadonlyMap<string, number>>> {
  return follow<ReadonlyMap<string, number>>(client, (im) => im.streamUnread$, new Map());
}

export function useTotalUnread(client: ClientSource): Readonly<Ref<number>> {
  return follow(client, (im) => im.totalUnread$, 0);
}

export function useMutedTopics(client: ClientSource): Readonly<Ref<readonly TopicRef[]>> {
  return follow(client, (im) => im.muted$, []);
}

export function useTopicMuted(client: ClientSource, stream: MaybeRefOrGetter<string>, topic: MaybeRefOrGetter<string>): Readonly<Ref<boolean>> {
  return follow(client, (im) => im.topicMuted$(toValue(stream), toValue(topic)), false);
}

export function useUserNames(client: ClientSource): Readonly<Ref<ReadonlyMap<string, string>>> {
  return follow<ReadonlyMap<string, string>>(client, (im) => im.userNames$, new Map());
}

export function useUserName(client: ClientSource, userId: MaybeRefOrGetter<string>): Readonly<Ref<string | undefined>> {
  return follow<string | undefined>(
    client,
    (im) => {
      const id = toValue(userId);
      return im.userNames$.pipe(
        map((names) => names.get(id)),
        distinctUntilChanged(),
      );
    },
    undefined,
  );
}

export function usePendingMessages(client: ClientSource, stream?: MaybeRefOrGetter<string | undefined>, topic?: MaybeRefOrGetter<string | undefined>): Readonly<Ref<readonly PendingMessage[]>> {
  return follow(client, (im) => im.pendingMessages$(toValue(stream), toValue(topic)), []);
}

export interface TopicHistoryRefs {
  readonly messages: Readonly<Ref<readonly Message[]>>;
  readonly loading: ComputedRef<boolean>;
  /** Whether older messages exist; undefined until a page was loaded. */
  readonly hasOlder: ComputedRef<boolean | undefined>;
  /** Loads the page before the oldest message shown. */
  loadOlder(): Promise<ReplyData<'GetHistory'>>;
}

/**
 * A topic's messages with history paging. Loads the newest page when the topic has none loaded (and
 * none is loading), unless `loadNewest` is false.
 */
export function useTopicHistory(client: ClientSource, stream: MaybeRefOrGetter<string>, topic: MaybeRefOrGetter<string>, options: { loadNewest?: boolean } = {}): TopicHistoryRefs {
  const messages = useTopicMessages(client, stream, topic);
  const history = follow<TopicHistory>(client, (im) => im.topicHistory$(toValue(stream), toValue(topic)), notLoaded);
  watchEffect(() => {
    const im = toValue(client);
    if (im && options.loadNewest !== false && history.value.hasOlder === undefined && !history.value.loading) {
      im.loadHistory(toValue(stream), toValue(topic)).catch(ignore); // hasOlder turns false: the topic shows as empty
    }
  });
  return {
    messages,
    loading: computed(() => history.value.loading),
    hasOlder: computed(() => history.value.hasOlder),
    loadOlder: () => {
      const im = toValue(client);
      return im ? im.loadOlder(toValue(stream), toValue(topic)) : Promise.reject(new Error('useTopicHistory: no client yet'));
    },
  };
}

const notLoaded: TopicHistory = { loading: false, hasOlder: undefined };

function ignore(): void {}

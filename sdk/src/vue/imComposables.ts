// Vue composables over an ImClient's observables (@stage/sdk/im): read-only refs of the connection
// state, a topic's messages, unread counts, pending commands and the sealed log. Stream and topic
// may be refs or getters: the subscription follows them. Each unsubscribes when its scope ends; none
// creates or closes the client.
import { toValue, type MaybeRefOrGetter, type Ref } from 'vue';
import type { ConnectionState, ImClient, PendingCommand, SealedLogInfo } from '../im/client/ImClient.js';
import type { Message, UnreadCount } from '../im/protocol/model.js';
import { useObservable } from './useObservable.js';

type ClientSource = MaybeRefOrGetter<ImClient>;

export function useConnectionState(client: ClientSource): Readonly<Ref<ConnectionState>> {
  return useObservable(() => toValue(client).connectionState$, { initial: toValue(client).connection.state });
}

export function useTopicMessages(client: ClientSource, stream: MaybeRefOrGetter<string>, topic: MaybeRefOrGetter<string>): Readonly<Ref<readonly Message[]>> {
  return useObservable(() => toValue(client).messages$(toValue(stream), toValue(topic)), { initial: [] });
}

export function useUnreadCounts(client: ClientSource): Readonly<Ref<readonly UnreadCount[]>> {
  return useObservable(() => toValue(client).unread$, { initial: [] });
}

export function useUnreadCount(client: ClientSource, stream: MaybeRefOrGetter<string>, topic: MaybeRefOrGetter<string>): Readonly<Ref<number>> {
  return useObservable(() => toValue(client).unreadCount$(toValue(stream), toValue(topic)), { initial: 0 });
}

export function usePendingCommands(client: ClientSource): Readonly<Ref<readonly PendingCommand[]>> {
  return useObservable(() => toValue(client).pending$, { initial: [] });
}

export function useSealedLog(client: ClientSource): Readonly<Ref<SealedLogInfo | undefined>> {
  return useObservable(() => toValue(client).log$, { initial: toValue(client).logInfo });
}

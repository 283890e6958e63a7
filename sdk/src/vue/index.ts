// @stage/sdk/vue: Vue 3 composables for the SDK's observables and the IM client.
//
//   useObservable(source$ | ref | getter, { initial, onError }?)  latest value as a read-only ref;
//                         follows a reactive source; unsubscribes when the scope is disposed
// IM (client may be a ref or getter; stream/topic too):
//   useConnectionState(client), useTopicMessages(client, stream, topic), useUnreadCounts(client),
//   useUnreadCount(client, stream, topic), usePendingCommands(client), useSealedLog(client),
//   useStreams(client), useTopics(client, stream?), useTopic(client, stream, topic), useGroups(client),
//   useGroupMembers(client, groupId) (loads them), useStreamUnread(client), useTotalUnread(client),
//   useMutedTopics(client), useTopicMuted(client, stream, topic), useUserNames(client), useUserName(client, id),
//   useTopicHistory(client, stream, topic) (messages, loading, hasOlder, loadOlder), usePendingMessages(client, stream?, topic?)
export { useObservable, type UseObservableConfig } from './useObservable.js';
export {
  useConnectionState,
  useTopicMessages,
  useUnreadCounts,
  useUnreadCount,
  usePendingCommands,
  useSealedLog,
  useStreams,
  useTopics,
  useTopic,
  useGroups,
  useGroupMembers,
  useStreamUnread,
  useTotalUnread,
  useMutedTopics,
  useTopicMuted,
  useUserNames,
  useUserName,
  usePendingMessages,
  useTopicHistory,
  type TopicHistoryRefs,
} from './imComposables.js';

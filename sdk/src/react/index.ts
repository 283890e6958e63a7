// @stage/sdk/react: React bindings for the SDK's observables and the IM client.
//
//   useObservable(source$, initial?)  latest value as state (useSyncExternalStore: no tearing,
//                                     StrictMode-safe, unsubscribes on unmount); errors go to the
//                                     nearest error boundary; BehaviorSubject-like sources are never undefined
//   useSubscription(source$, next)    side effects per value while mounted
//   observableStore(source$, initial) the { subscribe, getSnapshot } pair underneath, for custom hooks
// IM (an ImClient from @stage/sdk/im, passed in or from <ImClientProvider client>):
//   useConnectionState(), useConnectionInfo(), useTopicMessages(stream, topic), useUnreadCounts(),
//   useUnreadCount(stream, topic), usePendingCommands(), useSealedLog(), useReview(stream, topic), useImClient(),
//   useStreams(), useStream(name), useTopics(stream), useTopic(stream, topic), useGroups(),
//   useGroupMembers(groupId) (loads them on first use), useStreamUnread(), useTotalUnread(),
//   useMutedTopics(), useTopicMuted(stream, topic), useUserNames(), useUserName(userId),
//   useTopicHistory(stream, topic) (messages + hasOlder + loading + loadOlder), usePendingMessages(stream?, topic?)
export { useObservable } from './useObservable.js';
export { useSubscription } from './useSubscription.js';
export { observableStore, type ObservableStore, type ObservableSnapshot } from './observableStore.js';
export {
  ImClientProvider,
  useImClient,
  useConnectionState,
  useConnectionInfo,
  useTopicMessages,
  useUnreadCounts,
  useUnreadCount,
  usePendingCommands,
  useSealedLog,
  useReview,
  useStreams,
  useStream,
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
  useTopicHistory,
  usePendingMessages,
  type TopicHistoryView,
} from './imHooks.js';

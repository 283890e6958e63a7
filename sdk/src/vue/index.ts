// @stage/sdk/vue: Vue 3 composables for the SDK's observables and the IM client.
//
//   useObservable(source$ | ref | getter, { initial, onError }?)  latest value as a read-only ref;
//                         follows a reactive source; unsubscribes when the scope is disposed
// IM (client may be a ref or getter; stream/topic too):
//   useConnectionState(client), useTopicMessages(client, stream, topic), useUnreadCounts(client),
//   useUnreadCount(client, stream, topic), usePendingCommands(client), useSealedLog(client)
export { useObservable, type UseObservableConfig } from './useObservable.js';
export { useConnectionState, useTopicMessages, useUnreadCounts, useUnreadCount, usePendingCommands, useSealedLog } from './imComposables.js';

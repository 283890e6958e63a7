// @stage/sdk/vue: Vue 3 composables for the SDK's observables.
//
//   useObservable(source$ | ref | getter, { initial, onError }?)  latest value as a read-only ref;
//                         follows a reactive source; unsubscribes when the scope is disposed
export { useObservable, type UseObservableConfig } from './useObservable.js';

// @stage/sdk/react: React bindings for the SDK's observables.
//
//   useObservable(source$, initial?)  latest value as state (useSyncExternalStore: no tearing,
//                                     StrictMode-safe, unsubscribes on unmount); errors go to the
//                                     nearest error boundary
//   useSubscription(source$, next)    side effects per value while mounted
export { useObservable } from './useObservable.js';
export { useSubscription } from './useSubscription.js';
export { observableStore, type ObservableStore, type ObservableSnapshot } from './observableStore.js';

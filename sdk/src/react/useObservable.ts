// useObservable: the latest value of an RxJS Observable as React state, on useSyncExternalStore,
// so it never tears under concurrent rendering and holds no subscription React does not know of.
import { useMemo, useSyncExternalStore } from 'react';
import type { Observable } from 'rxjs';
import { observableStore } from './observableStore.js';

/**
 * Subscribes to `source` while the component is mounted and returns its latest value
 * (`initial` until it emits; a BehaviorSubject's current value right away).
 *
 * - Pass a stable observable (module constant, `useMemo`, a client property): a new
 *   observable identity means a new subscription.
 * - An error from the source is thrown during render, so an error boundary can show it.
 * - Completion keeps the last value.
 */
export function useObservable<T>(source: Observable<T>, initial: T): T;
/** A source holding a current value (BehaviorSubject, ObservableValue) never reads as undefined. */
export function useObservable<T>(source: Observable<T> & { getValue(): T }): T;
export function useObservable<T>(source: Observable<T>): T | undefined;
export function useObservable<T>(source: Observable<T>, initial?: T): T | undefined {
  // `initial` is only read when the store is created: changing it later must not resubscribe, so it is
  // deliberately not a dependency.
  const store = useMemo(() => observableStore<T | undefined>(source, initial), [source]);
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  if (snapshot.kind === 'error') throw snapshot.error;
  return snapshot.value;
}

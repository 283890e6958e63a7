// An external store over an RxJS Observable, in the shape React's useSyncExternalStore wants:
// subscribe(onChange) / getSnapshot(). It holds the latest value (or error) between renders and
// opens one RxJS subscription per React subscription, so StrictMode's subscribe → unsubscribe →
// subscribe dance leaves exactly one live subscription and an unmount leaves none.
import type { Observable } from 'rxjs';

/** A value the store currently reports: the latest emission, or the error the source raised. */
export type ObservableSnapshot<T> = { readonly kind: 'value'; readonly value: T } | { readonly kind: 'error'; readonly error: unknown };

export interface ObservableStore<T> {
  subscribe(onChange: () => void): () => void;
  getSnapshot(): ObservableSnapshot<T>;
}

interface ValueHolder<T> {
  getValue(): T;
}

function holdsValue<T>(source: Observable<T>): source is Observable<T> & ValueHolder<T> {
  // BehaviorSubject (and look-alikes from another copy of rxjs): read the current value
  // synchronously so the first render already shows it, with no flash of the initial value.
  return typeof (source as Partial<ValueHolder<T>>).getValue === 'function';
}

/** Builds a store for `source` starting at `initial`. Creating it has no side effects. */
export function observableStore<T>(source: Observable<T>, initial: T): ObservableStore<T> {
  let snapshot: ObservableSnapshot<T> = { kind: 'value', value: initial };
  if (holdsValue(source)) {
    try {
      snapshot = { kind: 'value', value: source.getValue() };
    } catch (error) {
      snapshot = { kind: 'error', error };
    }
  }
  return {
    subscribe(onChange) {
      const subscription = source.subscribe({
        next(value) {
          if (snapshot.kind === 'value' && Object.is(snapshot.value, value)) return;
          snapshot = { kind: 'value', value };
          onChange();
        },
        error(error: unknown) {
          snapshot = { kind: 'error', error };
          onChange();
        },
      });
      return () => subscription.unsubscribe();
    },
    getSnapshot: () => snapshot,
  };
}

// useObservable for Vue: the latest value of an RxJS Observable as a read-only shallow ref.
// The subscription lives exactly as long as the current effect scope (a component's setup or an
// effectScope()); when the scope is disposed it unsubscribes. The source may itself be reactive
// (a ref or getter returning an Observable): a new observable means a new subscription.
import { computed, getCurrentScope, onScopeDispose, shallowRef, toValue, watch, type MaybeRefOrGetter, type Ref } from 'vue';
import type { Observable, Subscription } from 'rxjs';

export interface UseObservableConfig<T> {
  /** Value before the first emission. */
  initial: T;
  /** Called when the source errors; the ref keeps its last value. Default: RxJS reports it as unhandled. */
  onError?: (error: unknown) => void;
}

export function useObservable<T>(source: MaybeRefOrGetter<Observable<T>>, config: UseObservableConfig<T>): Readonly<Ref<T>>;
/** A source holding a current value (BehaviorSubject, ObservableValue) has it from the start: never undefined. */
export function useObservable<T>(source: Observable<T> & { getValue(): T }): Readonly<Ref<T>>;
export function useObservable<T>(source: MaybeRefOrGetter<Observable<T>>): Readonly<Ref<T | undefined>>;
export function useObservable<T>(source: MaybeRefOrGetter<Observable<T>>, config?: UseObservableConfig<T>): Readonly<Ref<T | undefined>> {
  const value = shallowRef<T | undefined>(config?.initial);
  let subscription: Subscription | undefined;
  const follow = (observable: Observable<T>) => {
    subscription?.unsubscribe();
    subscription = observable.subscribe({ next: (next) => (value.value = next), error: config?.onError });
  };
  if (!getCurrentScope()) {
    throw new Error('useObservable() was called outside a component setup or effectScope(); it could never unsubscribe. Call it in setup() or inside effectScope().run().');
  }
  // flush 'sync': the first subscription happens now, during setup, so a BehaviorSubject's value
  // is there for the first render.
  watch(() => toValue(source), follow, { immediate: true, flush: 'sync' });
  onScopeDispose(() => {
    subscription?.unsubscribe();
    subscription = undefined;
  });
  // A computed is read-only without proxying the value (arrays of messages stay plain arrays).
  return computed(() => value.value);
}

// useSubscription: run a side effect for every value of an Observable while mounted (logging,
// navigation, toasts) without turning the values into state. Unsubscribes on unmount and when
// the observable changes; the latest callbacks are used without resubscribing.
import { useEffect, useRef } from 'react';
import type { Observable, Observer } from 'rxjs';

export function useSubscription<T>(source: Observable<T> | undefined, observer: Partial<Observer<T>> | ((value: T) => void)): void {
  const latest = useRef(observer);
  useEffect(() => {
    latest.current = observer;
  });
  useEffect(() => {
    if (!source) return undefined;
    const current = (): Partial<Observer<T>> => (typeof latest.current === 'function' ? { next: latest.current } : latest.current);
    const subscription = source.subscribe({
      next: (value) => current().next?.(value),
      error: (error: unknown) => current().error?.(error),
      complete: () => current().complete?.(),
    });
    return () => subscription.unsubscribe();
  }, [source]);
}

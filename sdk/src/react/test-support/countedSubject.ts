// A Subject wrapped so tests can count live subscriptions: the leak check for the bindings.
import { BehaviorSubject, Observable, Subject } from 'rxjs';

export interface CountedSource<T> {
  readonly source: Observable<T>;
  readonly subject: Subject<T>;
  /** Subscriptions open right now. */
  active(): number;
  /** Subscriptions ever opened. */
  opened(): number;
}

export function countedSubject<T>(initial?: { value: T }): CountedSource<T> {
  const subject: Subject<T> = initial ? new BehaviorSubject<T>(initial.value) : new Subject<T>();
  let active = 0;
  let opened = 0;
  const source = new Observable<T>((subscriber) => {
    active += 1;
    opened += 1;
    const inner = subject.subscribe(subscriber);
    return () => {
      active -= 1;
      inner.unsubscribe();
    };
  });
  return { source, subject, active: () => active, opened: () => opened };
}

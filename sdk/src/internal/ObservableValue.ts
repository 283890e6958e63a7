// A read-only BehaviorSubject: subscribers get the current value first, then every change, and
// `.value` reads the current value synchronously. Owners update it through the subject they hold.
// Shared machinery, public as the package's ObservableValue (supervision/index.ts re-exports it).
import { BehaviorSubject, Observable } from 'rxjs';

export class ObservableValue<T> extends Observable<T> {
  constructor(private readonly subject: BehaviorSubject<T>) {
    super((subscriber) => subject.subscribe(subscriber));
  }

  /** The current value. */
  get value(): T {
    return this.subject.getValue();
  }

  getValue(): T {
    return this.subject.getValue();
  }
}

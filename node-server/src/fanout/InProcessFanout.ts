// The one-machine fan-out: a Subject; publish delivers synchronously to this hub's registry.
import { NEVER, Subject } from 'rxjs';
import type { Fanout, FanoutEntry } from './Fanout.js';

export class InProcessFanout implements Fanout {
  readonly kind = 'in-process';
  private readonly subject = new Subject<FanoutEntry[]>();
  readonly entries$ = this.subject.asObservable();
  /** Nothing travels outside this process, so nothing can be missed. */
  readonly missed$ = NEVER;

  async publish(entries: FanoutEntry[]): Promise<void> {
    if (entries.length > 0) this.subject.next(entries);
  }

  async close(): Promise<void> {
    this.subject.complete();
  }
}

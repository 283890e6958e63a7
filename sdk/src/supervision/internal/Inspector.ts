// The inspection hub of one system: publishes lifecycle events and remembers the live nodes, so
// a late subscriber first gets the current tree (as `replayed` spawned/started events), then
// live events. Event objects are built only while someone is subscribed.
import { Observable, Subject } from 'rxjs';
import type { Exit } from '../Exit.js';
import type { InspectionEvent, NodeKind } from '../InspectionEvent.js';

interface LiveNode {
  readonly id: string;
  readonly parentId: string | undefined;
  readonly kind: NodeKind;
  readonly name: string;
  running: boolean;
  attempt: number;
}

export class Inspector {
  private readonly subject = new Subject<InspectionEvent>();
  private readonly live = new Map<string, LiveNode>();

  readonly events$: Observable<InspectionEvent> = new Observable<InspectionEvent>((subscriber) => {
    const at = Date.now();
    for (const n of this.live.values()) {
      subscriber.next({ type: 'spawned', id: n.id, parentId: n.parentId, kind: n.kind, name: n.name, at, replayed: true });
      if (n.running) subscriber.next({ type: 'started', id: n.id, parentId: n.parentId, attempt: n.attempt, at, replayed: true });
    }
    return this.subject.subscribe(subscriber);
  });

  spawned(id: string, parentId: string | undefined, kind: NodeKind, name: string): void {
    this.live.set(id, { id, parentId, kind, name, running: false, attempt: 0 });
    if (this.subject.observed) this.subject.next({ type: 'spawned', id, parentId, kind, name, at: Date.now() });
  }

  started(id: string, parentId: string | undefined, attempt: number): void {
    const n = this.live.get(id);
    if (n !== undefined) {
      n.running = true;
      n.attempt = attempt;
    }
    if (this.subject.observed) this.subject.next({ type: 'started', id, parentId, attempt, at: Date.now() });
  }

  exited(id: string, parentId: string | undefined, exit: Exit, final: boolean): void {
    if (final) this.live.delete(id);
    else {
      const n = this.live.get(id);
      if (n !== undefined) n.running = false;
    }
    if (this.subject.observed) {
      this.subject.next(
        exit.reason === 'failed'
          ? { type: 'exited', id, parentId, reason: exit.reason, cause: exit.cause, final, at: Date.now() }
          : { type: 'exited', id, parentId, reason: exit.reason, final, at: Date.now() },
      );
    }
  }

  restarted(id: string, parentId: string | undefined, attempt: number, delayMs: number): void {
    if (this.subject.observed) this.subject.next({ type: 'restarted', id, parentId, attempt, delayMs, at: Date.now() });
  }

  escalated(id: string, parentId: string | undefined, cause: unknown): void {
    if (this.subject.observed) this.subject.next({ type: 'escalated', id, parentId, cause, at: Date.now() });
  }

  deadLettered(id: string, parentId: string | undefined, message: unknown, deliveries: number, cause: unknown, at: number): void {
    if (this.subject.observed) this.subject.next({ type: 'dead-lettered', id, parentId, message, deliveries, cause, at });
  }

  /** Ids of the nodes currently in the tree (for tests and debugging). */
  liveIds(): string[] {
    return [...this.live.keys()];
  }
}

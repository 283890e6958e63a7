// What every node of one system shares: the inspection hub, the dead-letter sink and the id
// registry that keeps node ids (paths) unique among live nodes.
import { Subject } from 'rxjs';
import { Deque } from '../../internal/Deque.js';
import type { DeadLetter } from '../DeadLetter.js';
import { Inspector } from './Inspector.js';

export class SystemContext {
  readonly inspector = new Inspector();
  readonly deadLetters = new Subject<DeadLetter>();
  /** The last `deadLetterCapacity` dead letters, oldest first. */
  readonly recentDeadLetters = new Deque<DeadLetter>();
  private readonly ids = new Set<string>();

  constructor(
    readonly id: string,
    private readonly deadLetterCapacity: number,
  ) {}

  /** A unique id for a child named `name` under `parentId`: `parent/name`, or `parent/name-2`, ... */
  claimId(parentId: string, name: string): string {
    const base = `${parentId}/${name}`;
    let id = base;
    for (let n = 2; this.ids.has(id); n++) id = `${base}-${n}`;
    this.ids.add(id);
    return id;
  }

  releaseId(id: string): void {
    this.ids.delete(id);
  }

  deadLetter(letter: DeadLetter, parentId: string | undefined): void {
    if (this.deadLetterCapacity > 0) {
      if (this.recentDeadLetters.length >= this.deadLetterCapacity) this.recentDeadLetters.shift();
      this.recentDeadLetters.push(letter);
    }
    this.inspector.deadLettered(letter.recipient, parentId, letter.message, letter.deliveries, letter.cause, letter.at);
    this.deadLetters.next(letter);
  }
}

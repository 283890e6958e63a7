// The events of the inspection stream (`system.inspect$`): one per lifecycle step of every node
// of a supervision tree, with ids and parent ids, enough to draw the live tree.
import type { ExitReason } from './Exit.js';

export type NodeKind = 'system' | 'supervisor' | 'group' | 'task' | 'actor';

interface Base {
  /** The node, e.g. `app/workers/2`: ids are paths, unique within a system. */
  readonly id: string;
  /** Its parent's id; undefined for the system itself. */
  readonly parentId: string | undefined;
  /** Date.now() when it happened. */
  readonly at: number;
}

/** A node joined the tree (before its first start). `replayed` on events a late subscriber gets for nodes alive before it subscribed. */
export interface SpawnedEvent extends Base {
  readonly type: 'spawned';
  readonly kind: NodeKind;
  readonly name: string;
  readonly replayed?: boolean | undefined;
}

/** A node is running; `attempt` is 0 on the first start, n after its n-th restart. */
export interface StartedEvent extends Base {
  readonly type: 'started';
  readonly attempt: number;
  readonly replayed?: boolean | undefined;
}

/** One run of a node ended. `final` when no restart follows: the node leaves the tree. */
export interface ExitedEvent extends Base {
  readonly type: 'exited';
  readonly reason: ExitReason;
  readonly cause?: unknown | undefined;
  readonly final: boolean;
}

/** The parent decided to restart the node (after `delayMs` of backoff). A `started` follows. */
export interface RestartedEvent extends Base {
  readonly type: 'restarted';
  readonly attempt: number;
  readonly delayMs: number;
}

/** The node gave up (restart intensity exceeded, or a child escalated) and passes the failure to its parent. */
export interface EscalatedEvent extends Base {
  readonly type: 'escalated';
  readonly cause: unknown;
}

/** A message could not be processed and went to dead letters; `id` is the actor (or worker group). */
export interface DeadLetteredEvent extends Base {
  readonly type: 'dead-lettered';
  readonly message: unknown;
  readonly deliveries: number;
  readonly cause: unknown;
}

export type InspectionEvent = SpawnedEvent | StartedEvent | ExitedEvent | RestartedEvent | EscalatedEvent | DeadLetteredEvent;

// The spine every supervised kind implements (XState's ActorLogic in spirit): a Cell is one child
// slot that survives restarts (an actor's inbox lives here), an Incarnation is one run of it.
import type { Exit } from '../Exit.js';
import type { NodeKind } from '../InspectionEvent.js';
import type { Slot, SupervisorCore } from './SupervisorCore.js';

export interface Incarnation {
  /**
   * Asks the run to end (gracefully first, killed at `timeoutMs`; 0 = kill now; Infinity =
   * wait). Resolves with how it ended; the run's `onExit` is also called, once.
   */
  stop(timeoutMs: number): Promise<Exit>;
}

export interface Cell {
  readonly id: string;
  readonly name: string;
  readonly kind: NodeKind;
  /** Starts a run. `onExit` is called exactly once, whenever and however the run ends. */
  start(attempt: number, onExit: (exit: Exit) => void): Incarnation;
  /** Called once when a parent adds it, before its first start. */
  attach?(core: SupervisorCore, slot: Slot): void;
  /** The slot is gone for good (no restart will follow): settle `done`, free the inbox. */
  dispose(exit: Exit): void;
}

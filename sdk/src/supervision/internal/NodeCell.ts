// Base of every named node (group, supervisor, actor, task): identity, the parent link used to
// stop it for good, and `done`, which settles once the node is gone for good. A root node's
// failure rejects `done` unhandled if nobody listens: reported, never swallowed. Below the
// root, the parent handles (escalates) the failure, so the rejection is marked handled.
import type { Exit } from '../Exit.js';
import type { NodeKind } from '../InspectionEvent.js';
import { SupervisionError } from '../SupervisionError.js';
import type { Cell, Incarnation } from './Incarnation.js';
import type { Slot, SupervisorCore } from './SupervisorCore.js';
import type { SystemContext } from './SystemContext.js';

export abstract class NodeCell implements Cell {
  abstract readonly kind: NodeKind;
  readonly done: Promise<Exit>;
  private resolveDone!: (exit: Exit) => void;
  private rejectDone!: (error: unknown) => void;
  private parentCore: SupervisorCore | undefined;
  private parentSlot: Slot | undefined;
  disposed = false;

  constructor(
    readonly system: SystemContext,
    readonly id: string,
    readonly name: string,
    readonly parentId: string,
    root: boolean,
  ) {
    this.done = new Promise<Exit>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    if (!root) this.done.catch(() => undefined);
  }

  abstract start(attempt: number, onExit: (exit: Exit) => void): Incarnation;

  /** Called once by the parent when it adds this node. */
  attach(core: SupervisorCore, slot: Slot): void {
    this.parentCore = core;
    this.parentSlot = slot;
  }

  /** Stops this node for good (its parent will not restart it). */
  protected removeFromParent(timeoutMs: number): Promise<Exit> {
    if (this.parentCore === undefined || this.parentSlot === undefined) return this.done.catch((e: unknown) => ({ reason: 'failed', cause: e }) as Exit);
    return this.parentCore.remove(this.parentSlot, timeoutMs);
  }

  dispose(exit: Exit): void {
    if (this.disposed) return;
    this.disposed = true;
    this.system.releaseId(this.id);
    this.onDispose(exit);
    if (exit.reason === 'failed') {
      this.rejectDone(
        exit.cause instanceof Error ? exit.cause : new SupervisionError('child_failed', `"${this.id}" failed: ${String(exit.cause)}`, { cause: exit.cause }),
      );
    } else this.resolveDone(exit);
  }

  protected onDispose(_exit: Exit): void {}
}

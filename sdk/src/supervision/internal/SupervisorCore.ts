// The engine shared by groups, supervisors, actors (for their children) and the system root: an
// ordered list of child slots, a restart strategy, a restart-intensity budget, backoff, ordered
// start and reverse-ordered stop, and inspection events. One instance per run of its owner.
//
// Child exits are handled synchronously on the fast path (one_for_one): the replacement starts
// in a microtask, never recursively inside the crashing child's own call stack.
import { failed, shouldRestart, SHUTDOWN, NORMAL, type Exit, type RestartPolicy } from '../Exit.js';
import { backoffDelay, type ResolvedBackoff } from '../backoffDelay.js';
import type { RestartIntensity } from '../RestartIntensity.js';
import { RestartIntensityError } from '../SupervisionError.js';
import type { Cell, Incarnation } from './Incarnation.js';
import type { Inspector } from './Inspector.js';

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';

export interface SlotSpec {
  readonly cell: Cell;
  readonly restart: RestartPolicy;
  /** Grace period when this child is stopped; then it is killed. */
  readonly shutdownTimeoutMs: number;
  readonly backoff?: ResolvedBackoff | undefined;
  /** A budget of its own (Akka-style, per child); default: the core's (OTP-style, per supervisor). */
  readonly intensity?: RestartIntensity | undefined;
  /** Slot number (groups) for reports. */
  readonly index?: number | undefined;
}

export interface CoreStats {
  running: number;
  failed: number;
  restarts: number;
  iterations: number;
}

export interface CoreOwner {
  /** The owner's node id: the parent id of every slot. */
  readonly id: string;
  readonly parentId: string | undefined;
  readonly inspector: Inspector;
  readonly strategy: Strategy;
  readonly intensity: RestartIntensity;
  /** Stop children concurrently (groups) rather than one by one in reverse order (supervisors). */
  readonly parallelStop: boolean;
  /** End (normally) once every child has ended and none is to be restarted (groups). */
  readonly endWhenEmpty: boolean;
  readonly stats: CoreStats;
  /** The core ended on its own: `normal` (empty) or `failed` (gave up). Not called after shutdown(). */
  onEnd(exit: Exit): void;
  /** A child with its own budget (see SlotSpec.intensity) exhausted it and was removed. */
  onChildGaveUp?(slot: Slot, error: RestartIntensityError): void;
  /** Called after any change of `stats` or of the slot list. */
  onChange?(): void;
}

type StopMode = 'restart' | 'remove';

export class Slot {
  incarnation: Incarnation | undefined = undefined;
  generation = 0;
  attempt = 0;
  consecutive = 0;
  startedAt = 0;
  stopping: StopMode | undefined = undefined;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  lastExit: Exit | undefined = undefined;
  removed = false;
  private removedWaiters: Array<(exit: Exit) => void> | undefined;

  constructor(readonly spec: SlotSpec) {}

  get id(): string {
    return this.spec.cell.id;
  }

  get running(): boolean {
    return this.incarnation !== undefined;
  }

  /** @internal */ whenRemoved(): Promise<Exit> {
    if (this.removed) return Promise.resolve(this.lastExit ?? SHUTDOWN);
    return new Promise((resolve) => (this.removedWaiters ??= []).push(resolve));
  }

  /** @internal */ markRemoved(exit: Exit): void {
    this.removed = true;
    this.lastExit = exit;
    const waiters = this.removedWaiters;
    this.removedWaiters = undefined;
    if (waiters !== undefined) for (const w of waiters) w(exit);
  }
}

export interface SlotReport {
  readonly id: string;
  readonly index: number | undefined;
  readonly exit: Exit;
}

type CoreState = 'idle' | 'running' | 'stopping' | 'failing' | 'ended';

export class SupervisorCore {
  readonly slots: Slot[] = [];
  state: CoreState = 'idle';
  private busy = false;
  private readonly deferred: Array<() => void> = [];
  private stopPromise: Promise<SlotReport[]> | undefined;
  private immediateRestarts = 0;
  private burstStartedAt = 0;

  constructor(readonly owner: CoreOwner) {}

  /** Starts every slot in order. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    for (const slot of this.slots.slice()) if (!slot.removed && this.state === 'running') this.startSlot(slot);
  }

  /** Adds a child; it starts at once if the core is running. */
  add(spec: SlotSpec): Slot {
    const slot = new Slot(spec);
    this.slots.push(slot);
    spec.cell.attach?.(this, slot);
    this.owner.inspector.spawned(spec.cell.id, this.owner.id, spec.cell.kind, spec.cell.name);
    if (this.state === 'running') this.startSlot(slot);
    this.owner.onChange?.();
    return slot;
  }

  /** Stops one child for good (graceful, killed at `timeoutMs`) and resolves with how it ended. */
  remove(slot: Slot, timeoutMs: number): Promise<Exit> {
    if (slot.removed) return Promise.resolve(slot.lastExit ?? SHUTDOWN);
    this.stopSlot(slot, 'remove', timeoutMs);
    return slot.whenRemoved();
  }

  /**
   * Stops restarting and stops every child (reverse start order), within `timeoutMs` overall,
   * or (undefined) each within its own shutdownTimeoutMs. Idempotent.
   */
  shutdown(timeoutMs?: number): Promise<SlotReport[]> {
    if (this.stopPromise !== undefined) return this.stopPromise;
    this.state = 'stopping';
    this.stopPromise = this.stopAll(timeoutMs ?? 0, timeoutMs !== undefined).then((reports) => {
      this.state = 'ended';
      return reports;
    });
    return this.stopPromise;
  }

  private startSlot(slot: Slot): void {
    if (slot.removed) return;
    const generation = ++slot.generation;
    slot.stopping = undefined;
    slot.startedAt = Date.now();
    this.owner.stats.running++;
    const attempt = slot.attempt;
    // Mark running before start: a child that fails synchronously reports its exit from inside start().
    slot.incarnation = PENDING;
    const incarnation = slot.spec.cell.start(attempt, (exit) => this.onSlotExit(slot, generation, exit));
    if (slot.generation === generation && slot.incarnation === PENDING) {
      slot.incarnation = incarnation;
      this.owner.inspector.started(slot.id, this.owner.id, attempt);
    }
    this.owner.onChange?.();
  }

  private onSlotExit(slot: Slot, generation: number, exit: Exit): void {
    if (generation !== slot.generation || slot.incarnation === undefined) return;
    if (slot.incarnation === PENDING) this.owner.inspector.started(slot.id, this.owner.id, slot.attempt);
    slot.incarnation = undefined;
    slot.lastExit = exit;
    const stats = this.owner.stats;
    stats.running--;
    stats.iterations++;
    if (exit.reason === 'failed') stats.failed++;
    const inspector = this.owner.inspector;

    if (slot.stopping === 'restart') {
      inspector.exited(slot.id, this.owner.id, exit, false);
    } else if (slot.stopping === 'remove' || this.state !== 'running') {
      this.finish(slot, exit);
    } else if (this.busy) {
      // A restart of several children is in progress; decide about this one afterwards.
      inspector.exited(slot.id, this.owner.id, exit, false);
      this.deferred.push(() => this.decide(slot, exit, false));
    } else {
      this.decide(slot, exit, true);
    }
    this.owner.onChange?.();
  }

  /** The restart decision for a child that ended on its own. */
  private decide(slot: Slot, exit: Exit, emitExit: boolean): void {
    if (slot.removed || slot.running) return;
    if (this.state !== 'running') {
      this.finish(slot, exit);
      return;
    }
    if (!shouldRestart(slot.spec.restart, exit)) {
      this.finish(slot, exit);
      this.endIfEmpty();
      return;
    }
    const own = slot.spec.intensity;
    const budget = own ?? this.owner.intensity;
    if (!budget.allow()) {
      const lastCause = exit.reason === 'failed' ? exit.cause : exit.reason;
      if (own !== undefined) {
        // A per-child budget (actors): the child gives up alone; its parent hears about it.
        const error = new RestartIntensityError(slot.id, own.maxRestarts, own.withinMs, lastCause);
        this.owner.inspector.escalated(slot.id, this.owner.id, lastCause);
        this.finish(slot, failed(error));
        this.owner.onChildGaveUp?.(slot, error);
        return;
      }
      if (emitExit) this.owner.inspector.exited(slot.id, this.owner.id, exit, false);
      this.fail(new RestartIntensityError(this.owner.id, budget.maxRestarts, budget.withinMs, lastCause));
      return;
    }
    if (emitExit) this.owner.inspector.exited(slot.id, this.owner.id, exit, false);
    this.owner.stats.restarts++;
    const strategy = this.owner.strategy;
    if (strategy === 'one_for_one') {
      this.restartLater(slot, this.delayFor(slot));
      return;
    }
    const index = this.slots.indexOf(slot);
    const together = strategy === 'one_for_all' ? this.slots.filter((s) => s !== slot) : this.slots.slice(index + 1);
    void this.restartTogether(slot, together);
  }

  private delayFor(slot: Slot): number {
    const backoff = slot.spec.backoff;
    if (backoff === undefined) return 0;
    if (Date.now() - slot.startedAt >= backoff.resetAfterMs) slot.consecutive = 0;
    return backoffDelay(backoff, slot.consecutive++);
  }

  private restartLater(slot: Slot, delayMs: number): void {
    slot.attempt++;
    this.owner.inspector.restarted(slot.id, this.owner.id, slot.attempt, delayMs);
    const go = (): void => {
      slot.timer = undefined;
      if (this.state === 'running' && !slot.removed && !slot.running) this.startSlot(slot);
    };
    if (delayMs > 0) slot.timer = setTimeout(go, delayMs);
    else if (this.immediate()) queueMicrotask(go);
    else {
      // A crash loop with an unlimited budget must not starve timers and I/O: after a burst of
      // microtask restarts, go through the macrotask queue once.
      slot.timer = setTimeout(() => {
        this.immediateRestarts = 0;
        go();
      }, 0);
    }
  }

  /** False once too many restarts happened back to back within a short burst. */
  private immediate(): boolean {
    const now = Date.now();
    if (now - this.burstStartedAt > BURST_MS) {
      this.burstStartedAt = now;
      this.immediateRestarts = 0;
    }
    return ++this.immediateRestarts <= MAX_IMMEDIATE_RESTARTS;
  }

  /** one_for_all / rest_for_one: stop the others (reverse order), then start all of them in order. */
  private async restartTogether(failedSlot: Slot, others: Slot[]): Promise<void> {
    this.busy = true;
    try {
      for (const s of others) {
        if (s.timer !== undefined) clearTimeout(s.timer);
        s.timer = undefined;
        s.stopping = 'restart';
      }
      for (let i = others.length - 1; i >= 0; i--) {
        const s = others[i]!;
        if (s.incarnation !== undefined && s.incarnation !== PENDING) await s.incarnation.stop(s.spec.shutdownTimeoutMs);
      }
      const delayMs = this.delayFor(failedSlot);
      if (delayMs > 0) await new Promise<void>((resolve) => (failedSlot.timer = setTimeout(resolve, delayMs)));
      failedSlot.timer = undefined;
      if (this.state !== 'running') return;
      const set = new Set([failedSlot, ...others]);
      for (const s of this.slots.slice()) {
        if (!set.has(s) || s.removed || s.running || this.state !== 'running') continue;
        s.attempt++;
        this.owner.inspector.restarted(s.id, this.owner.id, s.attempt, s === failedSlot ? delayMs : 0);
        this.startSlot(s);
      }
    } finally {
      this.busy = false;
      for (const s of others) if (s.stopping === 'restart') s.stopping = undefined;
      const deferred = this.deferred.splice(0);
      for (let i = 0; i < deferred.length; i++) {
        // A deferred decision may start another restart of several children; the rest wait for it to
        // finish (a child it restarts is then running and needs no restart of its own), so two
        // restarts never stop and start the same children at once.
        if (this.busy) {
          this.deferred.push(...deferred.slice(i));
          break;
        }
        deferred[i]!();
      }
    }
  }

  /** The child is gone for good. */
  private finish(slot: Slot, exit: Exit): void {
    if (slot.removed) return;
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    this.owner.inspector.exited(slot.id, this.owner.id, exit, true);
    slot.markRemoved(exit);
    slot.spec.cell.dispose(exit);
  }

  private stopSlot(slot: Slot, mode: StopMode, timeoutMs: number): Promise<Exit> {
    slot.stopping = mode;
    const incarnation = slot.incarnation;
    if (incarnation !== undefined && incarnation !== PENDING) return incarnation.stop(timeoutMs);
    // Not running (waiting for a backoff restart, or between runs): it ends here.
    const exit = slot.lastExit !== undefined && slot.lastExit.reason === 'failed' ? slot.lastExit : SHUTDOWN;
    if (mode === 'remove') this.finish(slot, exit);
    this.owner.onChange?.();
    return Promise.resolve(exit);
  }

  private async stopAll(timeoutMs: number, useTimeout: boolean): Promise<SlotReport[]> {
    const slots = this.slots.slice().reverse();
    const reports: SlotReport[] = [];
    const report = (s: Slot, exit: Exit): void => void reports.push({ id: s.id, index: s.spec.index, exit });
    const deadline = Date.now() + timeoutMs;
    if (this.owner.parallelStop) {
      await Promise.all(
        slots.map((s) => {
          this.stopSlot(s, 'remove', useTimeout ? timeoutMs : s.spec.shutdownTimeoutMs);
          return s.whenRemoved().then((exit) => report(s, exit));
        }),
      );
    } else {
      for (const s of slots) {
        const budget = useTimeout ? Math.max(0, deadline - Date.now()) : s.spec.shutdownTimeoutMs;
        this.stopSlot(s, 'remove', Number.isNaN(budget) ? timeoutMs : budget);
        report(s, await s.whenRemoved());
      }
    }
    reports.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return reports;
  }

  /** Gives up: stop every child, then escalate to the owner's parent. */
  private fail(error: RestartIntensityError): void {
    if (this.state !== 'running') return;
    this.state = 'failing';
    // A shutdown() asked for meanwhile waits for this same stop (and reports it).
    this.stopPromise = this.stopAll(0, false).then((reports) => {
      this.state = 'ended';
      this.owner.inspector.escalated(this.owner.id, this.owner.parentId, error.cause);
      this.owner.onEnd(failed(error));
      return reports;
    });
  }

  private endIfEmpty(): void {
    if (!this.owner.endWhenEmpty || this.slots.length > 0 || this.state !== 'running') return;
    this.state = 'ended';
    this.owner.onEnd(NORMAL);
  }
}

/** Restarts in a row without yielding to timers and I/O. */
const MAX_IMMEDIATE_RESTARTS = 256;
const BURST_MS = 50;

/** Placeholder incarnation while a child's start() is still running. */
const PENDING: Incarnation = { stop: () => Promise.resolve(SHUTDOWN) };

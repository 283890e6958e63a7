// A system: the root of supervision trees. It owns the one inspection stream (`inspect$`) and
// the dead letters of everything started in it. Its top-level nodes are never restarted by the
// system itself; a top-level node that fails rejects its own `done` (reported, never swallowed).
import type { Observable } from 'rxjs';
import { ActorCell, type ActorDefinition, type ActorOptions, type ActorRef } from './Actor.js';
import type { DeadLetter } from './DeadLetter.js';
import type { Exit } from './Exit.js';
import { Group, type GroupConfig, type StopConfig } from './Group.js';
import type { Cell } from './internal/Incarnation.js';
import { SupervisorCore, type CoreStats } from './internal/SupervisorCore.js';
import { SystemContext } from './internal/SystemContext.js';
import type { InspectionEvent } from './InspectionEvent.js';
import { RestartIntensity } from './RestartIntensity.js';
import { Supervisor, type SupervisorConfig } from './Supervisor.js';
import { InvalidConfigError, StoppedError } from './SupervisionError.js';
import type { TaskFactory } from './TaskContext.js';

export interface SystemConfig {
  /** The root node's id and the prefix of every node id. Default `stage`. */
  readonly name?: string | undefined;
  /** How many recent dead letters `deadLetters()` keeps. Default 1000; 0 keeps none (the stream still has them all). */
  readonly deadLetterCapacity?: number | undefined;
}

export class System {
  /** @internal */ readonly context: SystemContext;
  private readonly root: SupervisorCore;
  private readonly counters: CoreStats = { running: 0, failed: 0, restarts: 0, iterations: 0 };
  private stopping = false;

  constructor(config: SystemConfig = {}) {
    const name = config.name ?? 'stage';
    if (typeof name !== 'string' || name === '' || name.includes('/')) {
      throw new InvalidConfigError(`system name must be a non-empty string without '/', got ${JSON.stringify(name)}`);
    }
    const capacity = config.deadLetterCapacity ?? 1000;
    if (!(capacity >= 0)) throw new InvalidConfigError(`deadLetterCapacity must be >= 0, got ${String(config.deadLetterCapacity)}`);
    this.context = new SystemContext(name, capacity);
    this.context.inspector.spawned(name, undefined, 'system', name);
    this.context.inspector.started(name, undefined, 0);
    this.root = new SupervisorCore({
      id: name,
      parentId: undefined,
      inspector: this.context.inspector,
      strategy: 'one_for_one',
      intensity: new RestartIntensity({ maxRestarts: Infinity }),
      parallelStop: false,
      endWhenEmpty: false,
      stats: this.counters,
      onEnd: () => undefined,
    });
    this.root.start();
  }

  get id(): string {
    return this.context.id;
  }

  /**
   * Every lifecycle event of every node in this system: spawned, started, exited (reason),
   * restarted, escalated, dead-lettered. A new subscriber first gets the live tree as `replayed`
   * spawned/started events. Fold it with `inspectionTree()` to draw the tree.
   */
  get inspect$(): Observable<InspectionEvent> {
    return this.context.inspector.events$;
  }

  /** Dead letters as they happen. */
  get deadLetters$(): Observable<DeadLetter> {
    return this.context.deadLetters.asObservable();
  }

  /** The most recent dead letters (up to deadLetterCapacity), oldest first. */
  deadLetters(): DeadLetter[] {
    return this.context.recentDeadLetters.toArray();
  }

  /** Starts a task group at the top of this system. */
  group(factory: TaskFactory, config: GroupConfig = {}): Group {
    this.ensureRunning();
    const id = this.context.claimId(this.id, config.name ?? 'group');
    const group = new Group(this.context, id, this.id, true, factory, config);
    this.addRoot(group, config.shutdownTimeoutMs ?? 5000);
    return group;
  }

  /** Starts a supervisor (and its children, in order) at the top of this system. */
  supervisor(config: SupervisorConfig): Supervisor {
    this.ensureRunning();
    const id = this.context.claimId(this.id, config.name ?? 'supervisor');
    const supervisor = new Supervisor(this.context, id, this.id, true, config);
    this.addRoot(supervisor, Infinity);
    return supervisor;
  }

  /** Spawns a top-level actor; the system restarts it by its restart policy and budget. */
  spawn<S, M>(definition: ActorDefinition<S, M>, options: ActorOptions = {}): ActorRef<M> {
    this.ensureRunning();
    const name = options.name ?? definition.name;
    const id = this.context.claimId(this.id, name);
    const cell = new ActorCell<S, M>(this.context, id, name, this.id, true, definition, options);
    const o = cell.options;
    this.root.add({ cell, restart: o.restart, shutdownTimeoutMs: o.shutdownTimeoutMs, backoff: o.backoff, intensity: new RestartIntensity(o.intensity) });
    return cell.ref;
  }

  /** Stops every top-level node in reverse start order (each within its own shutdown timeout, or `timeoutMs` overall). */
  async shutdown(config: StopConfig = {}): Promise<Exit[]> {
    this.stopping = true;
    const reports = await this.root.shutdown(config.timeoutMs);
    this.context.inspector.exited(this.id, undefined, { reason: 'shutdown' }, true);
    return reports.map((r) => r.exit);
  }

  private addRoot(cell: Cell, shutdownTimeoutMs: number): void {
    // The system never restarts groups and supervisors: they restart their own children, and when
    // they give up, that failure is the root failure and is reported through their `done`.
    this.root.add({ cell, restart: 'temporary', shutdownTimeoutMs });
  }

  private ensureRunning(): void {
    if (this.stopping) throw new StoppedError(this.id, 'was shut down');
  }
}

/** A new system (root of supervision trees, one inspection stream). */
export function createSystem(config: SystemConfig = {}): System {
  return new System(config);
}

/**
 * A task group in a system of its own (its inspection stream is `group.inspect$`). Its failure
 * (restart intensity exceeded) rejects `group.done` with a RestartIntensityError carrying the
 * last cause.
 */
export function group(factory: TaskFactory, config: GroupConfig = {}): Group {
  return new System().group(factory, config);
}

/** A supervisor in a system of its own. Its failure rejects `supervisor.done`. */
export function supervisor(config: SupervisorConfig): Supervisor {
  return new System().supervisor(config);
}

/**
 * A top-level actor in a system of its own (dead letters: `createSystem()` when you need to watch
 * them). Its failure (restart budget exhausted) rejects `ref.done`.
 */
export function spawn<S, M>(definition: ActorDefinition<S, M>, options: ActorOptions = {}): ActorRef<M> {
  return new System().spawn(definition, options);
}

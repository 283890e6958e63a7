// Second degree: a supervisor. Children described by specs (task/session, group, actor, nested
// supervisor) start in order and stop in reverse order; a child that ends is restarted by its
// restart policy and the supervisor's strategy (one_for_one, one_for_all, rest_for_one) within
// the supervisor's restart intensity; past it the supervisor stops its children and escalates.
import type { Observable } from 'rxjs';
import type { ActorDefinition, ActorOptions, ActorRef, AnyActorDefinition } from './Actor.js';
import { ActorCell, validateActorOptions } from './Actor.js';
import { SHUTDOWN, type Exit, type RestartPolicy } from './Exit.js';
import { Group, validateGroupConfig, type GroupConfig, type StopConfig } from './Group.js';
import type { Incarnation } from './internal/Incarnation.js';
import { NodeCell } from './internal/NodeCell.js';
import { runTask } from './internal/runTask.js';
import { SupervisorCore, type CoreStats, type SlotSpec, type Strategy } from './internal/SupervisorCore.js';
import type { SystemContext } from './internal/SystemContext.js';
import type { DeadLetter } from './DeadLetter.js';
import type { InspectionEvent } from './InspectionEvent.js';
import { resolveBackoff, type BackoffConfig } from './backoffDelay.js';
import { RestartIntensity, type IntensityConfig } from './RestartIntensity.js';
import { InvalidConfigError, UnknownChildError } from './SupervisionError.js';
import type { TaskFactory } from './TaskContext.js';

export type { Strategy } from './internal/SupervisorCore.js';

interface ChildSpecBase {
  /** Unique among the supervisor's children; the node id is `<supervisor id>/<id>`. */
  readonly id: string;
  /** Default permanent. */
  readonly restart?: RestartPolicy | undefined;
  /** Grace period when the supervisor stops this child, then it is killed. Default 5000 ms (Infinity for supervisors, as in OTP). */
  readonly shutdownTimeoutMs?: number | undefined;
  /** Delay this child's restarts. */
  readonly backoff?: BackoffConfig | undefined;
}

/** One task (a session): a factory returning an Observable, a Promise or a session. */
export interface TaskChildSpec extends ChildSpecBase {
  readonly task: TaskFactory;
}

/** A task group. */
export interface GroupChildSpec extends ChildSpecBase {
  readonly group: TaskFactory;
  readonly config?: Omit<GroupConfig, 'name' | 'signal'> | undefined;
}

/** An actor. Its inbox survives its restarts (a supervisor restart makes a new actor). */
export interface ActorChildSpec extends ChildSpecBase {
  readonly actor: AnyActorDefinition;
  readonly options?: Omit<ActorOptions, 'name' | 'restart'> | undefined;
}

/** A nested supervisor. */
export interface SupervisorChildSpec extends ChildSpecBase {
  readonly supervisor: Omit<SupervisorConfig, 'name'>;
}

export type ChildSpec = TaskChildSpec | GroupChildSpec | ActorChildSpec | SupervisorChildSpec;

export interface SupervisorConfig {
  /** Node name in the inspection tree. Default `supervisor`. */
  readonly name?: string | undefined;
  /** Default one_for_one. */
  readonly strategy?: Strategy | undefined;
  /** At most `maxRestarts` restarts within `withinMs` (default 3 in 5000 ms), counted over all children. */
  readonly intensity?: IntensityConfig | undefined;
  /** Started in this order, stopped in reverse. */
  readonly children: ReadonlyArray<ChildSpec>;
}

/** What `children()` lists. */
export interface ChildInfo {
  readonly id: string;
  readonly nodeId: string;
  readonly kind: 'task' | 'group' | 'actor' | 'supervisor';
  readonly running: boolean;
}

type ChildCell = Group | Supervisor | ActorCell<unknown, unknown> | TaskCell;

export class Supervisor extends NodeCell {
  readonly kind = 'supervisor' as const;
  private readonly config: SupervisorConfig;
  private core: SupervisorCore | undefined;
  private current = new Map<string, ChildCell>();
  private readonly counters: CoreStats = { running: 0, failed: 0, restarts: 0, iterations: 0 };

  /** @internal Use `supervisor()`, `system.supervisor()` or a nested child spec. */
  constructor(system: SystemContext, id: string, parentId: string, root: boolean, config: SupervisorConfig) {
    super(system, id, config.name ?? 'supervisor', parentId, root);
    validateSupervisorConfig(config);
    this.config = config;
  }

  /** The system's inspection stream. */
  get inspect$(): Observable<InspectionEvent> {
    return this.system.inspector.events$;
  }

  /** Restarts and failures so far (over all runs). */
  get stats(): Readonly<CoreStats> {
    return { ...this.counters };
  }

  /** @internal */
  start(_attempt: number, onExit: (exit: Exit) => void): Incarnation {
    let exited = false;
    const exitOnce = (exit: Exit): void => {
      if (exited) return;
      exited = true;
      onExit(exit);
    };
    const core = new SupervisorCore({
      id: this.id,
      parentId: this.parentId,
      inspector: this.system.inspector,
      strategy: this.config.strategy ?? 'one_for_one',
      intensity: new RestartIntensity(this.config.intensity ?? {}),
      parallelStop: false,
      endWhenEmpty: false,
      stats: this.counters,
      onEnd: exitOnce,
    });
    this.core = core;
    // A new run makes new children: a restarted supervisor starts from its specs, like OTP's init.
    this.current = new Map();
    for (const spec of this.config.children) {
      const cell = this.makeChild(spec);
      this.current.set(spec.id, cell);
      core.add(this.slotSpec(spec, cell));
    }
    core.start();
    return {
      // Infinity (the default for supervisor children, as in OTP): each child within its own shutdown timeout.
      stop: (timeoutMs) =>
        core.shutdown(timeoutMs === Infinity ? undefined : timeoutMs).then(() => {
          exitOnce(SHUTDOWN);
          return SHUTDOWN;
        }),
    };
  }

  /** The current children, in start order. */
  children(): ChildInfo[] {
    const core = this.core;
    return this.config.children.map((spec) => {
      const cell = this.current.get(spec.id);
      const slot = core?.slots.find((s) => s.spec.cell === cell);
      return { id: spec.id, nodeId: cell?.id ?? `${this.id}/${spec.id}`, kind: kindOf(spec), running: slot?.running ?? false };
    });
  }

  /** The current run's group child `id`. */
  group(id: string): Group {
    const cell = this.current.get(id);
    if (!(cell instanceof Group)) throw new UnknownChildError(this.id, id, 'has no group child with that id');
    return cell;
  }

  /** The current run's nested supervisor `id`. */
  supervisor(id: string): Supervisor {
    const cell = this.current.get(id);
    if (!(cell instanceof Supervisor)) throw new UnknownChildError(this.id, id, 'has no supervisor child with that id');
    return cell;
  }

  /** The actor child `id`, typed by its definition (which must be the one in its spec). */
  actor<S, M>(id: string, definition: ActorDefinition<S, M>): ActorRef<M> {
    const cell = this.current.get(id);
    if (!(cell instanceof ActorCell) || cell.definition !== (definition as unknown)) {
      throw new UnknownChildError(this.id, id, 'has no actor child with that id and definition');
    }
    return (cell as unknown as ActorCell<S, M>).ref;
  }

  /**
   * Stops for good: children stop in reverse start order, each within its own shutdownTimeoutMs
   * (default), or all within `timeoutMs` overall.
   */
  async shutdown(config: StopConfig = {}): Promise<Exit> {
    return this.removeFromParent(config.timeoutMs ?? Infinity);
  }

  private makeChild(spec: ChildSpec): ChildCell {
    const id = this.system.claimId(this.id, spec.id);
    if ('task' in spec) return new TaskCell(this.system, id, spec.id, this.id, spec.task);
    if ('group' in spec) return new Group(this.system, id, this.id, false, spec.group, { ...spec.config, name: spec.id });
    if ('supervisor' in spec) return new Supervisor(this.system, id, this.id, false, { ...spec.supervisor, name: spec.id });
    const actorSpec = spec as ActorChildSpec;
    return new ActorCell<unknown, unknown>(this.system, id, spec.id, this.id, false, actorSpec.actor as ActorDefinition<unknown, unknown>, actorSpec.options ?? {});
  }

  private slotSpec(spec: ChildSpec, cell: ChildCell): SlotSpec {
    return {
      cell,
      restart: spec.restart ?? 'permanent',
      shutdownTimeoutMs: spec.shutdownTimeoutMs ?? ('supervisor' in spec ? Infinity : 5000),
      backoff: resolveBackoff(spec.backoff),
    };
  }
}

/** A single supervised task (session) child. */
class TaskCell extends NodeCell {
  readonly kind = 'task' as const;
  constructor(
    system: SystemContext,
    id: string,
    name: string,
    parentId: string,
    private readonly factory: TaskFactory,
  ) {
    super(system, id, name, parentId, false);
  }

  start(attempt: number, onExit: (exit: Exit) => void): Incarnation {
    const deadLetter = <M>(message: M, deliveries: number, cause: unknown): DeadLetter<M> => {
      const letter: DeadLetter<M> = { recipient: this.id, message, deliveries, cause, at: Date.now() };
      this.system.deadLetter(letter, this.parentId);
      return letter;
    };
    return runTask(this.factory, this.id, 0, attempt, onExit, deadLetter);
  }
}

function kindOf(spec: ChildSpec): ChildInfo['kind'] {
  if ('task' in spec) return 'task';
  if ('group' in spec) return 'group';
  if ('supervisor' in spec) return 'supervisor';
  return 'actor';
}

function validateSupervisorConfig(config: SupervisorConfig): void {
  const strategy = config.strategy ?? 'one_for_one';
  if (strategy !== 'one_for_one' && strategy !== 'one_for_all' && strategy !== 'rest_for_one') {
    throw new InvalidConfigError(`supervisor strategy must be 'one_for_one', 'one_for_all' or 'rest_for_one', got ${String(config.strategy)}`);
  }
  new RestartIntensity(config.intensity ?? {}, 'supervisor intensity');
  if (!Array.isArray(config.children)) throw new InvalidConfigError('supervisor children must be an array of child specs');
  const seen = new Set<string>();
  for (const spec of config.children) {
    if (typeof spec?.id !== 'string' || spec.id === '' || spec.id.includes('/')) {
      throw new InvalidConfigError(`every child spec needs an id: a non-empty string without '/', got ${JSON.stringify(spec?.id)}`);
    }
    if (seen.has(spec.id)) throw new InvalidConfigError(`two children share the id "${spec.id}"; child ids must be unique in a supervisor`);
    seen.add(spec.id);
    const kinds = ['task', 'group', 'actor', 'supervisor'].filter((k) => k in spec);
    if (kinds.length !== 1) throw new InvalidConfigError(`child "${spec.id}" must have exactly one of task, group, actor, supervisor; got ${kinds.join(', ') || 'none'}`);
    const restart = spec.restart ?? 'permanent';
    if (restart !== 'permanent' && restart !== 'transient' && restart !== 'temporary') {
      throw new InvalidConfigError(`child "${spec.id}": restart must be 'permanent', 'transient' or 'temporary', got ${String(spec.restart)}`);
    }
    resolveBackoff(spec.backoff);
    if ('group' in spec) validateGroupConfig(spec.group, spec.config ?? {});
    if ('task' in spec && typeof spec.task !== 'function') throw new InvalidConfigError(`child "${spec.id}": task must be a function`);
    if ('supervisor' in spec) validateSupervisorConfig({ ...spec.supervisor });
    if ('actor' in spec) validateActorOptions((spec as ActorChildSpec).actor, (spec as ActorChildSpec).options ?? {});
  }
}

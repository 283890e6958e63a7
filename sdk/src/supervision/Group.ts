// First degree: a task group. N copies of one task, restarted by policy (permanent / transient /
// temporary) within a restart-intensity budget, optionally with backoff; resizable at run time;
// bounded by a scope; shut down gracefully with a deadline; observable through `stats$`.
import { BehaviorSubject, isObservable, type Observable, type Subscription } from 'rxjs';
import { resolveBackoff, type BackoffConfig, type ResolvedBackoff } from './backoffDelay.js';
import { SHUTDOWN, type Exit, type ExitReason, type RestartPolicy } from './Exit.js';
import type { Incarnation } from './internal/Incarnation.js';
import { NodeCell } from './internal/NodeCell.js';
import { runTask } from './internal/runTask.js';
import { SupervisorCore, type CoreStats, type SlotReport } from './internal/SupervisorCore.js';
import type { SystemContext } from './internal/SystemContext.js';
import type { DeadLetter } from './DeadLetter.js';
import type { InspectionEvent } from './InspectionEvent.js';
import { ObservableValue } from '../internal/ObservableValue.js';
import { RestartIntensity, type IntensityConfig } from './RestartIntensity.js';
import { InvalidConfigError, StoppedError } from './SupervisionError.js';
import type { TaskFactory } from './TaskContext.js';

export interface GroupConfig {
  /** Node name in the inspection tree. Default `group`. */
  readonly name?: string | undefined;
  /** How many copies run. Default 1. */
  readonly size?: number | undefined;
  /** When a task ends: permanent = always restart, transient = restart after a failure, temporary = never. Default permanent. */
  readonly restart?: RestartPolicy | undefined;
  /** At most `maxRestarts` restarts within `withinMs` (default 3 in 5000 ms); one more and the group fails and escalates. */
  readonly intensity?: IntensityConfig | undefined;
  /** Delay restarts: exponential, jittered, reset after a quiet period. Default: restart at once. */
  readonly backoff?: BackoffConfig | undefined;
  /** Grace period of shutdown()/downscale() and when a parent stops the group. Default 5000 ms. */
  readonly shutdownTimeoutMs?: number | undefined;
  /** Aborting it shuts the group down (with `shutdownTimeoutMs`). */
  readonly signal?: AbortSignal | undefined;
}

export interface GroupStats {
  /** Target number of tasks. */
  readonly size: number;
  /** Tasks running now. */
  readonly running: number;
  /** Task runs that failed, in total. */
  readonly failed: number;
  /** Restarts, in total. */
  readonly restarts: number;
  /** Events the group has processed (task exits), as the seed's supervisor-loop iterations. */
  readonly iterations: number;
}

/** How one task ended, as returned by shutdown() and downscale(). */
export interface TaskReport {
  readonly id: string;
  readonly slot: number;
  readonly reason: ExitReason;
  readonly cause?: unknown | undefined;
}

export interface StopConfig {
  /** Grace period before running tasks are aborted. 0 = abort at once; Infinity = wait. */
  readonly timeoutMs?: number | undefined;
}

export class Group extends NodeCell {
  readonly kind = 'group' as const;
  private readonly factory: TaskFactory;
  private readonly restart: RestartPolicy;
  private readonly intensityConfig: IntensityConfig;
  private readonly backoff: ResolvedBackoff | undefined;
  private readonly shutdownTimeoutMs: number;
  private targetSize: number;
  private nextSlot = 0;
  private core: SupervisorCore | undefined;
  private lastReports: TaskReport[] = [];
  private stopped = false;
  private readonly counters: CoreStats = { running: 0, failed: 0, restarts: 0, iterations: 0 };
  private readonly statsSubject: BehaviorSubject<GroupStats>;
  /** running, failed, restarts, iterations; `.value` reads the current figures synchronously. */
  readonly stats$: ObservableValue<GroupStats>;

  /** @internal Use `group()`, `system.group()` or a supervisor child spec. */
  constructor(system: SystemContext, id: string, parentId: string, root: boolean, factory: TaskFactory, config: GroupConfig) {
    super(system, id, config.name ?? 'group', parentId, root);
    validateGroupConfig(factory, config);
    this.factory = factory;
    this.restart = config.restart ?? 'permanent';
    this.intensityConfig = config.intensity ?? {};
    new RestartIntensity(this.intensityConfig); // validates now, not at the first restart
    this.backoff = resolveBackoff(config.backoff);
    this.shutdownTimeoutMs = config.shutdownTimeoutMs ?? 5000;
    this.targetSize = config.size ?? 1;
    this.statsSubject = new BehaviorSubject<GroupStats>(this.snapshot());
    this.stats$ = new ObservableValue(this.statsSubject);
    const signal = config.signal;
    if (signal !== undefined) {
      const onAbort = (): void => void this.shutdown().catch(() => undefined);
      if (signal.aborted) queueMicrotask(onAbort);
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        void this.done.then(
          () => signal.removeEventListener('abort', onAbort),
          () => signal.removeEventListener('abort', onAbort),
        );
      }
    }
  }

  /** The system's inspection stream (this group's events and everything else in its system). */
  get inspect$(): Observable<InspectionEvent> {
    return this.system.inspector.events$;
  }

  /** Target number of tasks. */
  get size(): number {
    return this.targetSize;
  }

  /** @internal */
  start(_attempt: number, onExit: (exit: Exit) => void): Incarnation {
    let exited = false;
    const exitOnce = (exit: Exit): void => {
      if (exited) return;
      exited = true;
      if (this.core === core) this.core = undefined;
      this.publish();
      onExit(exit);
    };
    const core = new SupervisorCore({
      id: this.id,
      parentId: this.parentId,
      inspector: this.system.inspector,
      strategy: 'one_for_one',
      intensity: new RestartIntensity(this.intensityConfig),
      parallelStop: true,
      endWhenEmpty: true,
      stats: this.counters,
      onEnd: exitOnce,
      onChange: () => this.publish(),
    });
    this.core = core;
    this.nextSlot = 0;
    for (let i = 0; i < this.targetSize; i++) this.addTask(core);
    core.start();
    return {
      stop: (timeoutMs) =>
        core.shutdown(timeoutMs).then((reports) => {
          this.lastReports = reports.map(toTaskReport);
          exitOnce(SHUTDOWN);
          return SHUTDOWN;
        }),
    };
  }

  /** Adds `n` tasks (they start at once). */
  upscale(n = 1): void {
    checkCount('upscale', n);
    this.ensureLive('upscale');
    this.targetSize += n;
    const core = this.core;
    if (core !== undefined) for (let i = 0; i < n; i++) this.addTask(core);
    this.publish();
  }

  /**
   * Removes the `n` newest tasks: each is asked to stop (its `stopping` signal), and aborted at
   * the deadline. Resolves with how each ended.
   */
  async downscale(n = 1, config: StopConfig = {}): Promise<TaskReport[]> {
    checkCount('downscale', n);
    this.ensureLive('downscale');
    if (n > this.targetSize) throw new InvalidConfigError(`downscale(${n}) on group "${this.id}" of size ${this.targetSize}: cannot go below 0`);
    this.targetSize -= n;
    this.publish();
    const core = this.core;
    if (core === undefined) return [];
    const victims = core.slots.slice(-n);
    const timeoutMs = config.timeoutMs ?? this.shutdownTimeoutMs;
    const exits = await Promise.all(victims.map((slot) => core.remove(slot, timeoutMs)));
    return victims.map((slot, i) => toTaskReport({ id: slot.id, index: slot.spec.index, exit: exits[i]! }));
  }

  /**
   * Stops for good: no more restarts; tasks get their `stopping` signal and `timeoutMs`
   * (default the group's shutdownTimeoutMs) to finish, then are aborted. Resolves with how each
   * task ended. Idempotent.
   */
  async shutdown(config: StopConfig = {}): Promise<TaskReport[]> {
    this.stopped = true;
    await this.removeFromParent(config.timeoutMs ?? this.shutdownTimeoutMs);
    return this.lastReports;
  }

  /**
   * Bounds the group's life by `input`: when it settles (resolves, rejects, completes, errors),
   * the group shuts down (`timeoutMs`, default 0: abort at once, as the seed's scope does) and
   * the input's result (last value) or error is returned. If the group fails first, the scope
   * rejects with its failure and unsubscribes an Observable input.
   */
  scope<T>(input: PromiseLike<T> | Observable<T>, config: StopConfig = {}): Promise<T | undefined> {
    const timeoutMs = config.timeoutMs ?? 0;
    return new Promise<T | undefined>((resolve, reject) => {
      let settled = false;
      let subscription: Subscription | undefined;
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        this.shutdown({ timeoutMs }).then(outcome, reject);
      };
      this.done.then(undefined, (error: unknown) => {
        if (settled) return;
        settled = true;
        subscription?.unsubscribe();
        reject(error);
      });
      if (isObservable(input)) {
        let last: T | undefined;
        subscription = input.subscribe({
          next: (v) => void (last = v),
          error: (e: unknown) => finish(() => reject(e)),
          complete: () => finish(() => resolve(last)),
        });
        if (settled) subscription.unsubscribe();
      } else {
        input.then(
          (v) => finish(() => resolve(v)),
          (e: unknown) => finish(() => reject(e)),
        );
      }
    });
  }

  protected override onDispose(): void {
    this.stopped = true;
    this.publish();
    this.statsSubject.complete();
  }

  private addTask(core: SupervisorCore): void {
    const index = this.nextSlot++;
    const id = this.system.claimId(this.id, String(index));
    const factory = this.factory;
    const system = this.system;
    const groupId = this.id;
    const parentId = this.parentId;
    const deadLetter = <M>(message: M, deliveries: number, cause: unknown): DeadLetter<M> => {
      const letter: DeadLetter<M> = { recipient: groupId, message, deliveries, cause, at: Date.now() };
      system.deadLetter(letter, parentId);
      return letter;
    };
    core.add({
      cell: {
        id,
        name: String(index),
        kind: 'task',
        start: (attempt, onExit) => runTask(factory, id, index, attempt, onExit, deadLetter),
        dispose: () => system.releaseId(id),
      },
      restart: this.restart,
      shutdownTimeoutMs: this.shutdownTimeoutMs,
      backoff: this.backoff,
      index,
    });
  }

  private ensureLive(what: string): void {
    if (this.stopped || this.disposed) throw new StoppedError(this.id, `was shut down; ${what}() needs a running group`);
  }

  private snapshot(): GroupStats {
    const c = this.counters;
    return { size: this.targetSize, running: c.running, failed: c.failed, restarts: c.restarts, iterations: c.iterations };
  }

  private publish(): void {
    if (!this.statsSubject.closed) this.statsSubject.next(this.snapshot());
  }
}

function toTaskReport(r: SlotReport): TaskReport {
  return r.exit.reason === 'failed'
    ? { id: r.id, slot: r.index ?? 0, reason: r.exit.reason, cause: r.exit.cause }
    : { id: r.id, slot: r.index ?? 0, reason: r.exit.reason };
}

function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new InvalidConfigError(`${what}(n): n must be a whole number >= 0, got ${String(n)}`);
}

export function validateGroupConfig(factory: TaskFactory, config: GroupConfig): void {
  if (typeof factory !== 'function') throw new InvalidConfigError('group(factory): factory must be a function returning an Observable, a Promise or a session');
  const size = config.size ?? 1;
  if (!Number.isInteger(size) || size < 0) throw new InvalidConfigError(`group size must be a whole number >= 0, got ${String(config.size)}`);
  const restart = config.restart ?? 'permanent';
  if (restart !== 'permanent' && restart !== 'transient' && restart !== 'temporary') {
    throw new InvalidConfigError(`group restart must be 'permanent', 'transient' or 'temporary', got ${String(config.restart)}`);
  }
  const t = config.shutdownTimeoutMs ?? 5000;
  if (!(t >= 0)) throw new InvalidConfigError(`shutdownTimeoutMs must be >= 0 (or Infinity), got ${String(config.shutdownTimeoutMs)}`);
}

// Third degree: declarative actors. An actor is a definition (initial state, a typed handler
// (state, message, context) -> new state) run by a cell whose inbox is a Mailbox. The inbox
// outlives the actor's restarts: a crash gives the message being processed back to the head of
// the inbox and the restarted actor (fresh state) gets it again; after `maxDeliveries` failed
// deliveries it goes to dead letters with its cause. Actors spawn children they supervise
// (one_for_one, each with its own restart budget, Akka-style); stopping or restarting an actor
// stops its children.
import { capacityProblem } from '../internal/capacityProblem.js';
import { Mailbox, type Lease, type MailboxReceiver } from '../mailbox/index.js';
import { resolveBackoff, type BackoffConfig, type ResolvedBackoff } from './backoffDelay.js';
import { failed, KILLED, SHUTDOWN, type Exit, type RestartPolicy } from './Exit.js';
import type { Incarnation } from './internal/Incarnation.js';
import { NodeCell } from './internal/NodeCell.js';
import { RunLifecycle } from './internal/RunLifecycle.js';
import { SupervisorCore, type CoreStats } from './internal/SupervisorCore.js';
import type { SystemContext } from './internal/SystemContext.js';
import { RestartIntensity, type IntensityConfig } from './RestartIntensity.js';
import {
  AskTimeoutError,
  ChildFailedError,
  DeadLetteredError,
  InvalidConfigError,
  StoppedError,
  SupervisionError,
} from './SupervisionError.js';

/** The reply channel of an ask: put a `reply: Reply<R>` field in a message type to make it askable. */
export interface Reply<R> {
  (value: R): void;
}

/** The askable messages of `M` (those with a `reply` field, optional or not), without that field: what `ask` takes. */
export type AskMessage<M> = M extends unknown ? ('reply' extends keyof M ? Omit<M, 'reply'> : never) : never;

/** The reply type for ask message `A` of actor message type `M`. */
export type ReplyTo<M, A> = M extends unknown
  ? 'reply' extends keyof M
    ? A extends Omit<M, 'reply'>
      ? ReplyValue<M['reply']>
      : never
    : never
  : never;

type ReplyValue<F> = NonNullable<F> extends Reply<infer R> ? R : never;

export interface ActorOptions {
  /** Node name (default: the definition's name); made unique among siblings (`name-2`, ...). */
  readonly name?: string | undefined;
  /** How its parent restarts it: default permanent. */
  readonly restart?: RestartPolicy | undefined;
  /** Its own restart budget (default 3 in 5000 ms); past it the actor stops and its parent is told (escalation). */
  readonly intensity?: IntensityConfig | undefined;
  /** Delay restarts. */
  readonly backoff?: BackoffConfig | undefined;
  /** Failed deliveries of one message before it goes to dead letters. Default 3. */
  readonly maxDeliveries?: number | undefined;
  /** Inbox capacity: default Infinity. With a bound, tell() throws `mailbox_full` and send() waits. */
  readonly capacity?: number | undefined;
  /** Grace period when stopped (lets an async handler finish), then killed. Default 5000 ms. */
  readonly shutdownTimeoutMs?: number | undefined;
}

export interface ActorContext<M> {
  /** This actor. */
  readonly self: ActorRef<M>;
  /** Its node id, e.g. `app/counter`. */
  readonly id: string;
  /** 1 on a message's first delivery; more when it is redelivered after a crash. */
  readonly deliveries: number;
  /** Aborted when this run of the actor ends (crash, restart, stop): pass it to async work. */
  readonly signal: AbortSignal;
  /** Spawns a child this actor supervises; it stops when this actor stops or restarts. */
  spawn<S2, M2>(definition: ActorDefinition<S2, M2>, options?: ActorOptions): ActorRef<M2>;
  /** Stops this actor for good once the current message is handled. */
  stop(): void;
}

declare const actorBrand: unique symbol;

/** Any actor definition, whatever its state and message types (for child specs). */
export interface AnyActorDefinition {
  readonly name: string;
  readonly [actorBrand]?: true;
}

export interface ActorDefinition<S, M> extends AnyActorDefinition, Omit<ActorOptions, 'name'> {
  readonly name: string;
  /** The state a (re)started actor begins with: a value, or a function making a fresh one. */
  readonly initial: S | (() => S);
  /** Returns the next state (or a promise of it); a throw or rejection is a crash. */
  readonly handle: (state: S, message: M, context: ActorContext<M>) => S | PromiseLike<S>;
}

export interface AskOptions {
  /** Default 5000 ms. */
  readonly timeoutMs?: number | undefined;
  /** Aborting rejects the ask with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

export interface ActorRef<M> {
  readonly id: string;
  /** True once the actor is gone for good: messages to it go to dead letters. */
  readonly stopped: boolean;
  /** Settles when the actor is gone for good; rejects if it gave up (restart intensity), typed. */
  readonly done: Promise<Exit>;
  /** Fire and forget. To a stopped actor: a dead letter. Throws `mailbox_full` if a bounded inbox is full. */
  tell(message: M): void;
  /** Like tell, but waits for room in a bounded inbox. */
  send(message: M): Promise<void>;
  /** Sends `message` with a `reply` added and resolves with the reply; AskTimeoutError after timeoutMs. */
  ask<A extends AskMessage<M>>(message: A, options?: AskOptions): Promise<ReplyTo<M, A>>;
  /** Stops for good (children first, reverse order); messages left in the inbox go to dead letters. */
  stop(options?: { readonly timeoutMs?: number }): Promise<Exit>;
}

/** Declares an actor. Validates now: a bad option throws InvalidConfigError. */
export function defineActor<S, M>(definition: ActorDefinition<S, M>): ActorDefinition<S, M> {
  if (definition === null || typeof definition !== 'object') throw new InvalidConfigError('defineActor(definition): definition must be an object');
  if (typeof definition.name !== 'string' || definition.name === '' || definition.name.includes('/')) {
    throw new InvalidConfigError(`actor name must be a non-empty string without '/', got ${JSON.stringify(definition.name)}`);
  }
  if (typeof definition.handle !== 'function') throw new InvalidConfigError(`actor "${definition.name}": handle must be a function (state, message, context) => state`);
  if (!('initial' in definition)) throw new InvalidConfigError(`actor "${(definition as { name: string }).name}": initial state is missing`);
  validateActorOptions(definition, {});
  return Object.freeze({ ...definition });
}

const REJECT = Symbol('stage.ask.reject');
interface AskReply<R> extends Reply<R> {
  [REJECT]?: (error: unknown) => void;
}

interface ResolvedActorOptions {
  readonly restart: RestartPolicy;
  readonly intensity: IntensityConfig;
  readonly backoff: ResolvedBackoff | undefined;
  readonly maxDeliveries: number;
  readonly capacity: number;
  readonly shutdownTimeoutMs: number;
}

export function validateActorOptions(definition: AnyActorDefinition, options: ActorOptions): ResolvedActorOptions {
  const def = definition as ActorDefinition<unknown, unknown>;
  const restart = options.restart ?? def.restart ?? 'permanent';
  if (restart !== 'permanent' && restart !== 'transient' && restart !== 'temporary') {
    throw new InvalidConfigError(`actor "${def.name}": restart must be 'permanent', 'transient' or 'temporary', got ${String(restart)}`);
  }
  const intensity = options.intensity ?? def.intensity ?? {};
  new RestartIntensity(intensity, `actor "${def.name}" intensity`);
  const maxDeliveries = options.maxDeliveries ?? def.maxDeliveries ?? 3;
  if (!Number.isInteger(maxDeliveries) || maxDeliveries < 1) {
    throw new InvalidConfigError(`actor "${def.name}": maxDeliveries must be a whole number >= 1, got ${String(maxDeliveries)}`);
  }
  const capacity = options.capacity ?? def.capacity ?? Infinity;
  const capacityError = capacityProblem(capacity);
  if (capacityError !== undefined) throw new InvalidConfigError(`actor "${def.name}": ${capacityError}`);
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? def.shutdownTimeoutMs ?? 5000;
  if (!(shutdownTimeoutMs >= 0)) throw new InvalidConfigError(`actor "${def.name}": shutdownTimeoutMs must be >= 0, got ${String(shutdownTimeoutMs)}`);
  return { restart, intensity, backoff: resolveBackoff(options.backoff ?? def.backoff), maxDeliveries, capacity, shutdownTimeoutMs };
}

/** @internal The persistent part of an actor: inbox, ref, options. One run (ActorRun) per (re)start. */
export class ActorCell<S, M> extends NodeCell {
  readonly kind = 'actor' as const;
  readonly mailbox: Mailbox<M>;
  readonly ref: ActorRef<M>;
  readonly options: ResolvedActorOptions;
  run: ActorRun<S, M> | undefined;

  constructor(
    system: SystemContext,
    id: string,
    name: string,
    parentId: string,
    root: boolean,
    readonly definition: ActorDefinition<S, M>,
    options: ActorOptions,
  ) {
    super(system, id, name, parentId, root);
    this.options = validateActorOptions(definition, options);
    this.mailbox = new Mailbox<M>({ capacity: this.options.capacity, name: id });
    this.ref = new LocalActorRef(this);
  }

  start(attempt: number, onExit: (exit: Exit) => void): Incarnation {
    const run = new ActorRun(this, attempt, onExit);
    this.run = run;
    run.start();
    return run;
  }

  /** @internal A message arrived. */
  notify(): void {
    this.run?.notify();
  }

  stopForGood(timeoutMs: number): Promise<Exit> {
    return this.removeFromParent(timeoutMs);
  }

  deadLetter(message: M, deliveries: number, cause: unknown): void {
    const reply = (message as { reply?: AskReply<unknown> } | null)?.reply;
    if (typeof reply === 'function') reply[REJECT]?.(new DeadLetteredError(this.id, deliveries, cause));
    this.system.deadLetter({ recipient: this.id, message, deliveries, cause, at: Date.now() }, this.parentId);
  }

  protected override onDispose(exit: Exit): void {
    // Gone for good: whatever is left in the inbox cannot be processed any more. Keep it.
    const cause = exit.reason === 'failed' ? exit.cause : new StoppedError(this.id);
    const receiver = this.mailbox.receiver();
    for (let lease = receiver.tryReceive(); lease !== undefined; lease = receiver.tryReceive()) {
      lease.ack();
      this.deadLetter(lease.value, lease.deliveries - 1, cause);
    }
    this.mailbox.close();
  }
}

class LocalActorRef<S, M> implements ActorRef<M> {
  constructor(private readonly cell: ActorCell<S, M>) {}

  get id(): string {
    return this.cell.id;
  }

  get stopped(): boolean {
    return this.cell.disposed;
  }

  get done(): Promise<Exit> {
    return this.cell.done;
  }

  tell(message: M): void {
    const cell = this.cell;
    if (cell.disposed) {
      cell.deadLetter(message, 0, new StoppedError(cell.id));
      return;
    }
    if (!cell.mailbox.trySend(message)) {
      throw new SupervisionError('mailbox_full', `actor "${cell.id}": inbox is full (capacity ${cell.options.capacity}); use send() to wait for room`);
    }
    cell.run?.notify();
  }

  async send(message: M): Promise<void> {
    const cell = this.cell;
    if (cell.disposed) {
      cell.deadLetter(message, 0, new StoppedError(cell.id));
      return;
    }
    await cell.mailbox.send(message);
    cell.run?.notify();
  }

  ask<A extends AskMessage<M>>(message: A, options: AskOptions = {}): Promise<ReplyTo<M, A>> {
    const timeoutMs = options.timeoutMs ?? 5000;
    if (!(timeoutMs > 0)) return Promise.reject(new InvalidConfigError(`ask timeoutMs must be > 0, got ${String(options.timeoutMs)}`));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<ReplyTo<M, A>>((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = (): void => void (settle() && reject(signal!.reason));
      const timer = setTimeout(() => void (settle() && reject(new AskTimeoutError(this.cell.id, timeoutMs))), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      const reply: AskReply<ReplyTo<M, A>> = (value) => void (settle() && resolve(value));
      reply[REJECT] = (error) => void (settle() && reject(error));
      try {
        this.tell({ ...message, reply } as unknown as M);
      } catch (error) {
        if (settle()) reject(error);
      }
    });
  }

  stop(options: { readonly timeoutMs?: number } = {}): Promise<Exit> {
    return this.cell.stopForGood(options.timeoutMs ?? this.cell.options.shutdownTimeoutMs);
  }
}

/** One run of an actor: its state, its consumer on the inbox, its children. */
class ActorRun<S, M> extends RunLifecycle implements ActorContext<M> {
  private state!: S;
  private readonly receiver: MailboxReceiver<M>;
  private children: SupervisorCore | undefined;
  private readonly childStats: CoreStats = { running: 0, failed: 0, restarts: 0, iterations: 0 };
  private scheduled = false;
  private processing = false;
  private current: Lease<M> | undefined;
  private readonly pumpNow = (): void => this.pump();

  constructor(
    private readonly cell: ActorCell<S, M>,
    readonly attempt: number,
    onExit: (exit: Exit) => void,
  ) {
    super(cell.id, onExit);
    this.receiver = cell.mailbox.receiver();
  }

  start(): void {
    const initial = this.cell.definition.initial;
    try {
      this.state = typeof initial === 'function' ? (initial as () => S)() : initial;
    } catch (cause) {
      this.end(failed(cause));
      return;
    }
    if (this.cell.mailbox.size > 0) this.notify();
  }

  // ---- ActorContext --------------------------------------------------------------------------

  get self(): ActorRef<M> {
    return this.cell.ref;
  }

  get deliveries(): number {
    return this.current?.deliveries ?? 0;
  }

  spawn<S2, M2>(definition: ActorDefinition<S2, M2>, options: ActorOptions = {}): ActorRef<M2> {
    if (this.ended !== undefined || this.stopRequested) throw new StoppedError(this.cell.id, 'is stopping; it cannot spawn children');
    const system = this.cell.system;
    const name = options.name ?? definition.name;
    const id = system.claimId(this.cell.id, name);
    const child = new ActorCell<S2, M2>(system, id, name, this.cell.id, false, definition, options);
    const core = (this.children ??= new SupervisorCore({
      id: this.cell.id,
      parentId: this.cell.parentId,
      inspector: system.inspector,
      strategy: 'one_for_one',
      intensity: UNLIMITED,
      parallelStop: false,
      endWhenEmpty: false,
      stats: this.childStats,
      onEnd: () => undefined,
      onChildGaveUp: (slot, error) => this.crash(undefined, new ChildFailedError(slot.id, error)),
    }));
    const o = child.options;
    core.add({
      cell: child,
      restart: o.restart,
      shutdownTimeoutMs: o.shutdownTimeoutMs,
      backoff: o.backoff,
      intensity: new RestartIntensity(o.intensity),
    });
    core.start();
    return child.ref;
  }

  // ---- processing ----------------------------------------------------------------------------

  notify(): void {
    if (this.scheduled || this.processing || this.ended !== undefined) return;
    this.scheduled = true;
    queueMicrotask(this.pumpNow);
  }

  /** Handles every queued message; synchronous handlers run back to back without yielding a promise. */
  private pump(): void {
    this.scheduled = false;
    if (this.processing || this.ended !== undefined) return;
    this.processing = true;
    const handle = this.cell.definition.handle;
    const receiver = this.receiver;
    while (this.ended === undefined && !this.stopRequested) {
      const lease = receiver.tryReceive();
      if (lease === undefined) break;
      this.current = lease;
      let next: S | PromiseLike<S>;
      try {
        next = handle(this.state, lease.value, this);
      } catch (cause) {
        this.crash(lease, cause);
        return;
      }
      if (next !== null && typeof next === 'object' && typeof (next as PromiseLike<S>).then === 'function') {
        (next as PromiseLike<S>).then(
          (state) => {
            if (this.ended !== undefined || !lease.held) return;
            this.state = state;
            lease.ack();
            this.current = undefined;
            this.processing = false;
            this.pump();
          },
          (cause: unknown) => {
            if (this.ended === undefined) this.crash(lease, cause);
          },
        );
        return;
      }
      this.state = next as S;
      if (lease.held) lease.ack();
      this.current = undefined;
    }
    this.processing = false;
    if (this.stopRequested && this.ended === undefined) this.stopGracefully();
  }

  /** A failed delivery: the message goes back to the inbox, or to dead letters after maxDeliveries. */
  private crash(lease: Lease<M> | undefined, cause: unknown): void {
    if (this.ended !== undefined) return;
    if (lease !== undefined && lease.held && lease.deliveries >= this.cell.options.maxDeliveries) {
      lease.ack();
      this.cell.deadLetter(lease.value, lease.deliveries, cause);
    }
    this.end(failed(cause));
  }

  override stop(timeoutMs: number): Promise<Exit>;
  override stop(): void;
  override stop(timeoutMs?: number): Promise<Exit> | void {
    // ActorContext.stop(): for good, through the parent.
    if (timeoutMs === undefined) void this.cell.stopForGood(this.cell.options.shutdownTimeoutMs);
    else return super.stop(timeoutMs);
  }

  /** Graceful stop once no message is being handled: children first, then this run. */
  protected stopGracefully(): void {
    if (this.processing) return;
    const children = this.children;
    if (children === undefined || children.slots.length === 0) this.end(SHUTDOWN);
    else void children.shutdown().then(() => this.end(SHUTDOWN));
  }

  protected teardown(exit: Exit): PromiseLike<unknown> | void {
    this.processing = false;
    this.current = undefined;
    // Unacked leases (the message being handled) go back to the head of the inbox.
    this.receiver.release();
    if (this.cell.run === this) this.cell.run = undefined;
    const children = this.children;
    // A crashed or killed actor takes its children down before it is restarted.
    if (children !== undefined && children.slots.length > 0) return children.shutdown(exit === KILLED ? 0 : undefined);
  }
}

const UNLIMITED = new RestartIntensity({ maxRestarts: Infinity });

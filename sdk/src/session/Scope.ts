// A scope: the task set sessions run in (seed 000's JoinSet built on channels). Anyone holding
// the handle may spawn into it; the owner joins results as they finish. When the scope ends —
// completes, fails or is cancelled — every child still running is cancelled (AbortSignal +
// RxJS unsubscription) and its teardown runs. A child's failure reaches the owner, typed.
import { type Observable, Subject, type Subscription, isObservable } from 'rxjs';
import { Deque } from '../internal/Deque.js';
import { isPromiseLike } from '../internal/isPromiseLike.js';
import { CancelledError, SessionError, SessionFailedError } from './SessionError.js';
import { type Settled, Task } from './Task.js';

export interface ScopeConfig {
  /** Shown in errors. Default "scope". */
  readonly name?: string | undefined;
  /** The parent's signal: aborting it cancels this scope. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Default true: a failing child fails the scope at once (siblings cancelled, `error` set,
   * joins report it). false: failures are only reported by `join`/`joinAll`/`finished()`.
   */
  readonly failFast?: boolean | undefined;
}

export type ScopeState = 'open' | 'completed' | 'failed' | 'cancelled';

/** What a session gets when it starts. */
export interface SessionContext {
  /** Aborted when this session is cancelled; pass it to everything that waits. */
  readonly signal: AbortSignal;
  readonly name: string;
  /** A scope for this session's own children; it ends (cancelling them) when this session ends. */
  readonly scope: Scope;
  /** Runs once when this session ends, however it ends. */
  onTeardown(teardown: () => void): void;
}

/** A session body: an async function, a plain function, or one returning an Observable. */
export type SessionBody<T> = (context: SessionContext) => Observable<T> | PromiseLike<T> | T;

export interface SpawnOptions {
  /** Shown in errors; default "<scope>#<id>". */
  readonly name?: string | undefined;
}

export class Scope<T = unknown> {
  readonly name: string;
  private readonly controller = new AbortController();
  private readonly failFast: boolean;
  private currentState: ScopeState = 'open';
  private failure: SessionError | undefined;
  private readonly running = new Set<Task<T>>();
  private readonly unjoined = new Deque<Settled<T>>();
  private readonly joinWaiters = new Deque<(settled: Settled<T> | undefined) => void>();
  private idleWaiters: Array<() => void> = [];
  private teardowns: Array<() => void> = [];
  private readonly finished$ = new Subject<Settled<T>>();
  private readonly detachParent: (() => void) | undefined;
  private nextId = 1;

  constructor(config: ScopeConfig = {}) {
    this.name = config.name ?? 'scope';
    this.failFast = config.failFast ?? true;
    const parent = config.signal;
    if (parent !== undefined) {
      if (parent.aborted) this.end('cancelled', new CancelledError(parent.reason));
      else {
        const onAbort = (): void => void this.cancel(parent.reason);
        parent.addEventListener('abort', onAbort, { once: true });
        this.detachParent = () => parent.removeEventListener('abort', onAbort);
      }
    }
  }

  /**
   * Runs `body` with a fresh scope and ends the scope when the body settles: children still
   * running are cancelled and awaited. Rejects with the scope's SessionFailedError if a child
   * failed (failFast), else with what the body threw.
   */
  static async run<R, T = unknown>(body: (scope: Scope<T>) => PromiseLike<R> | R, config?: ScopeConfig): Promise<R> {
    const scope = new Scope<T>(config);
    let result: R;
    try {
      result = await body(scope);
    } catch (error) {
      await scope.cancel(error);
      throw scope.failure instanceof SessionFailedError ? scope.failure : error;
    }
    await scope.complete();
    if (scope.failure instanceof SessionFailedError) throw scope.failure;
    return result;
  }

  /** Aborted when the scope ends; its reason is a CancelledError or the SessionFailedError. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get state(): ScopeState {
    return this.currentState;
  }

  /** Why the scope ended, if it did not simply complete. */
  get error(): SessionError | undefined {
    return this.failure;
  }

  /** Sessions still running. */
  get size(): number {
    return this.running.size;
  }

  /**
   * Starts a session in this scope. Throws SessionError `scope_ended` once the scope has ended.
   * An Observable (or a body returning one) is subscribed; its last value is the task's result
   * and cancelling unsubscribes it.
   */
  spawn<U extends T>(body: SessionBody<U> | Observable<U>, options: SpawnOptions = {}): Task<U> {
    if (this.currentState !== 'open') {
      throw new SessionError('scope_ended', `cannot spawn into scope "${this.name}": it has ${this.currentState}; spawn into an open scope`);
    }
    const id = this.nextId++;
    const task = new Task<U>(id, options.name ?? `${this.name}#${id}`, new AbortController());
    this.running.add(task as unknown as Task<T>);
    this.start(task, body);
    return task;
  }

  /**
   * The next session to finish, in finishing order (those already finished first). Resolves
   * undefined when nothing is running and everything finished was joined.
   */
  join(): Promise<Settled<T> | undefined> {
    const ready = this.unjoined.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.running.size === 0) return Promise.resolve(undefined);
    return new Promise((resolve) => this.joinWaiters.push(resolve));
  }

  /**
   * Waits until no session is running (including ones spawned meanwhile), then returns the values
   * of every not-yet-joined session in spawn order. Rejects with the first SessionFailedError,
   * else CancelledError, if any of them did not complete.
   */
  async joinAll(): Promise<T[]> {
    await this.idle();
    const settled = this.unjoined.drain().sort((a, b) => a.task.id - b.task.id);
    const failed = settled.find((s) => s.state === 'failed') ?? settled.find((s) => s.state === 'cancelled');
    if (failed !== undefined) throw failed.error;
    return settled.map((s) => (s as Extract<Settled<T>, { state: 'completed' }>).value);
  }

  /** Every session as it finishes, from now on. Completes once the scope ended and is idle. */
  finished(): Observable<Settled<T>> {
    return this.finished$.asObservable();
  }

  /** Resolves when no session is running. */
  idle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Runs once when the scope ends (before its children finish tearing down). */
  onTeardown(teardown: () => void): void {
    if (this.currentState === 'open') this.teardowns.push(teardown);
    else teardown();
  }

  /** Completes the scope: children still running are cancelled; resolves once they all ended. */
  complete(): Promise<void> {
    this.end('completed', new CancelledError(`scope "${this.name}" completed`));
    return this.idle();
  }

  /** Cancels the scope and every child; resolves once they all ended. */
  cancel(reason?: unknown): Promise<void> {
    this.end('cancelled', reason instanceof CancelledError ? reason : new CancelledError(reason));
    return this.idle();
  }

  // ---- internals -----------------------------------------------------------------------------

  private end(state: Exclude<ScopeState, 'open'>, reason: SessionError): void {
    if (this.currentState !== 'open') return;
    this.currentState = state;
    if (state !== 'completed') this.failure = reason;
    this.detachParent?.();
    this.controller.abort(reason);
    for (const task of [...this.running]) task.cancel(reason);
    const teardowns = this.teardowns;
    this.teardowns = [];
    for (const teardown of teardowns) runTeardown(teardown);
    if (this.running.size === 0) this.becameIdle();
  }

  private start<U extends T>(task: Task<U>, body: SessionBody<U> | Observable<U>): void {
    const signal = task.signal;
    const teardowns: Array<() => void> = [];
    let childScope: Scope | undefined;
    let subscription: Subscription | undefined;
    let settled = false;

    const finish = (outcome: { ok: true; value: U } | { ok: false; error: unknown }): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      for (const teardown of teardowns.splice(0)) runTeardown(teardown);
      // Its own children do not outlive it: cancel them and settle once they have ended.
      if (childScope === undefined) return this.settle(task, outcome);
      const childrenEnded = childScope.complete();
      if (childScope.size === 0) this.settle(task, outcome);
      else void childrenEnded.then(() => this.settle(task, outcome));
    };
    const onAbort = (): void => {
      // An Observable session ends the moment it is unsubscribed; a promise ends when it settles.
      if (subscription !== undefined) {
        subscription.unsubscribe();
        finish({ ok: false, error: signal.reason });
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });

    const context: SessionContext = {
      signal,
      name: task.name,
      get scope() {
        childScope ??= new Scope({ name: `${task.name}/scope`, signal });
        return childScope;
      },
      onTeardown(teardown) {
        if (settled) runTeardown(teardown);
        else teardowns.push(teardown);
      },
    };

    let output: Observable<U> | PromiseLike<U> | U;
    try {
      output = isObservable(body) ? body : body(context);
    } catch (error) {
      finish({ ok: false, error });
      return;
    }
    if (isObservable(output)) {
      let last: U | undefined;
      const sub = output.subscribe({
        next: (value) => void (last = value),
        error: (error: unknown) => finish({ ok: false, error }),
        complete: () => finish({ ok: true, value: last as U }),
      });
      if (settled) sub.unsubscribe();
      else {
        subscription = sub;
        if (signal.aborted) onAbort();
      }
    } else if (isPromiseLike(output)) {
      output.then(
        (value) => finish({ ok: true, value }),
        (error: unknown) => finish({ ok: false, error }),
      );
    } else {
      finish({ ok: true, value: output });
    }
  }

  private settle<U extends T>(task: Task<U>, outcome: { ok: true; value: U } | { ok: false; error: unknown }): void {
    this.running.delete(task as unknown as Task<T>);
    let settled: Settled<U>;
    if (outcome.ok) {
      task._state = 'completed';
      task._resolve(outcome.value);
      settled = { task, state: 'completed', value: outcome.value };
    } else if (task.signal.aborted) {
      // Whatever it threw on its way out, it was cancelled.
      const reason: unknown = task.signal.reason;
      const error = reason instanceof CancelledError ? reason : new CancelledError(reason);
      task._state = 'cancelled';
      task._reject(error);
      settled = { task, state: 'cancelled', error };
    } else {
      const error = new SessionFailedError(task.name, outcome.error);
      task._state = 'failed';
      task._reject(error);
      settled = { task, state: 'failed', error };
    }
    const joiner = this.joinWaiters.shift();
    if (joiner !== undefined) joiner(settled as unknown as Settled<T>);
    else this.unjoined.push(settled as unknown as Settled<T>);
    this.finished$.next(settled as unknown as Settled<T>);
    if (settled.state === 'failed' && this.failFast) this.end('failed', settled.error);
    if (this.running.size === 0) this.becameIdle();
  }

  private becameIdle(): void {
    for (let w = this.joinWaiters.shift(); w !== undefined; w = this.joinWaiters.shift()) w(undefined);
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
    if (this.currentState !== 'open') this.finished$.complete();
  }
}

function runTeardown(teardown: () => void): void {
  try {
    teardown();
  } catch (error) {
    // A failing teardown must not stop the others; report it where it cannot be lost.
    queueMicrotask(() => {
      throw error;
    });
  }
}

// `await using scope = new Scope()` completes the scope at the end of the block. Installed at run time instead of
// declared in the class, so the published .d.ts type-checks for consumers whose `lib` has no esnext.disposable
// (a declared `[Symbol.asyncDispose]` is TS2339 there unless they turn on skipLibCheck).
const asyncDispose = (Symbol as { readonly asyncDispose?: symbol }).asyncDispose;
if (asyncDispose !== undefined) {
  Object.defineProperty(Scope.prototype, asyncDispose, {
    value(this: Scope): Promise<void> {
      return this.complete();
    },
    writable: true,
    configurable: true,
  });
}

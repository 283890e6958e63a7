// Scopes: spawning from anywhere, joining as sessions finish, and structured ending — when a
// scope ends every child (and grandchild) is cancelled and its teardown runs, leaking nothing.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NEVER, Observable, interval, timer, finalize } from 'rxjs';
import { CancelledError, Scope, SessionError, SessionFailedError, type SessionContext } from './index.js';

/** A promise the test settles by hand. */
function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A session that waits until cancelled, then records its teardown. */
function waitsForCancel(log: string[], name: string) {
  return (ctx: SessionContext): Promise<never> =>
    new Promise<never>((_, reject) => {
      ctx.signal.addEventListener('abort', () => {
        log.push(`${name} teardown`);
        reject(ctx.signal.reason);
      });
    });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Scope', () => {
  it('lets anyone holding the handle spawn, and joins sessions in the order they finish', async () => {
    const scope = new Scope<string>({ name: 'work' });
    const gates = [deferred<string>(), deferred<string>(), deferred<string>()];
    const spawnFromElsewhere = (s: Scope<string>, i: number) => s.spawn(() => gates[i]!.promise, { name: `job${i}` });
    [0, 1, 2].forEach((i) => spawnFromElsewhere(scope, i));
    expect(scope.size).toBe(3);
    gates[2]!.resolve('c');
    const first = await scope.join();
    expect(first).toMatchObject({ state: 'completed', value: 'c' });
    expect(first!.task.name).toBe('job2');
    gates[0]!.resolve('a');
    gates[1]!.resolve('b');
    expect(await scope.joinAll()).toEqual(['a', 'b']); // the not-yet-joined ones, in spawn order
    expect(scope.size).toBe(0);
    expect(await scope.join()).toBeUndefined();
  });

  it('takes async functions, plain functions and Observables (the last value is the result)', async () => {
    const scope = new Scope<number>();
    scope.spawn(async () => 1);
    scope.spawn(() => 2);
    scope.spawn(new Observable<number>((s) => (s.next(0), s.next(3), s.complete())));
    expect(await scope.joinAll()).toEqual([1, 2, 3]);
  });

  it("makes a child's failure visible to the owner, typed, and cancels its siblings", async () => {
    const log: string[] = [];
    const scope = new Scope({ name: 'quorum' });
    const sibling = scope.spawn(waitsForCancel(log, 'sibling'));
    const failing = deferred();
    scope.spawn(() => failing.promise, { name: 'voter' });
    failing.reject(new Error('disk on fire'));
    const error = await scope.joinAll().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionFailedError);
    expect(error).toMatchObject({ code: 'session_failed', session: 'voter' });
    expect((error as Error).cause).toEqual(new Error('disk on fire'));
    expect(scope.state).toBe('failed');
    expect(scope.error).toBe(error);
    expect(sibling.state).toBe('cancelled');
    expect(log).toEqual(['sibling teardown']);
    await expect(sibling.result).rejects.toBeInstanceOf(CancelledError);
  });

  it('with failFast: false, reports a failure through join and keeps the others running', async () => {
    const scope = new Scope({ failFast: false });
    const other = deferred<string>();
    scope.spawn(() => other.promise);
    scope.spawn(() => {
      throw new Error('bad input');
    });
    const settled = await scope.join();
    expect(settled).toMatchObject({ state: 'failed', error: { code: 'session_failed' } });
    expect(scope.state).toBe('open');
    other.resolve('still here');
    expect(await scope.join()).toMatchObject({ state: 'completed', value: 'still here' });
  });

  it('completing the scope cancels what is still running and resolves once their teardown ran', async () => {
    const log: string[] = [];
    const scope = new Scope();
    scope.spawn(waitsForCancel(log, 'promise session'));
    scope.spawn(() => NEVER.pipe(finalize(() => log.push('observable session unsubscribed'))));
    scope.spawn((ctx) => {
      ctx.onTeardown(() => log.push('onTeardown ran'));
      return NEVER;
    });
    scope.onTeardown(() => log.push('scope teardown'));
    await scope.complete();
    expect(scope.state).toBe('completed');
    expect(scope.size).toBe(0);
    expect(log.sort()).toEqual(['observable session unsubscribed', 'onTeardown ran', 'promise session teardown', 'scope teardown']);
    expect(() => scope.spawn(() => 1)).toThrow(expect.objectContaining({ code: 'scope_ended' }));
  });

  it('cancellation reaches grandchildren, and the scope ends only after they did', async () => {
    const log: string[] = [];
    const scope = new Scope({ name: 'root' });
    const grandchildStarted = deferred();
    scope.spawn((ctx) => {
      ctx.scope.spawn((grand) => {
        grand.scope.spawn(waitsForCancel(log, 'great-grandchild'));
        grandchildStarted.resolve();
        return waitsForCancel(log, 'grandchild')(grand);
      });
      return waitsForCancel(log, 'child')(ctx);
    });
    await grandchildStarted.promise;
    await scope.cancel('user pressed stop');
    expect(log.sort()).toEqual(['child teardown', 'grandchild teardown', 'great-grandchild teardown']);
    expect(scope.error).toBeInstanceOf(CancelledError);
    expect((scope.error as CancelledError).reason).toBe('user pressed stop');
  });

  it("a session's own children are cancelled when it finishes", async () => {
    const log: string[] = [];
    const scope = new Scope();
    const parent = scope.spawn(async (ctx) => {
      ctx.scope.spawn(waitsForCancel(log, 'orphan'));
      return 'parent done';
    });
    await expect(parent.result).resolves.toBe('parent done');
    expect(log).toEqual(['orphan teardown']);
  });

  it('cancelling one task leaves the scope and its siblings alone', async () => {
    const scope = new Scope<string>();
    const sibling = deferred<string>();
    const victim = scope.spawn((ctx) => new Promise<string>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))));
    scope.spawn(() => sibling.promise);
    victim.cancel('not needed');
    expect(await scope.join()).toMatchObject({ state: 'cancelled', error: { code: 'cancelled', reason: 'not needed' } });
    sibling.resolve('ok');
    expect(await scope.join()).toMatchObject({ state: 'completed', value: 'ok' });
    expect(scope.state).toBe('open');
  });

  it("aborting the parent signal cancels the scope", async () => {
    const parent = new AbortController();
    const scope = new Scope({ signal: parent.signal });
    const log: string[] = [];
    scope.spawn(waitsForCancel(log, 'child'));
    parent.abort('shutdown');
    await scope.idle();
    expect(scope.state).toBe('cancelled');
    expect(log).toEqual(['child teardown']);
  });

  it('Scope.run returns the body value, cancels leftovers, and rethrows a child failure typed', async () => {
    const log: string[] = [];
    await expect(
      Scope.run(async (scope) => {
        scope.spawn(waitsForCancel(log, 'leftover'));
        return 42;
      }),
    ).resolves.toBe(42);
    expect(log).toEqual(['leftover teardown']);
    await expect(
      Scope.run(async (scope) => {
        scope.spawn(async () => {
          throw new Error('boom');
        });
        return scope.joinAll();
      }),
    ).rejects.toBeInstanceOf(SessionFailedError);
  });

  it('streams finished sessions and completes once the ended scope is idle', async () => {
    const scope = new Scope<number>();
    const seen: string[] = [];
    let completed = false;
    scope.finished().subscribe({ next: (s) => seen.push(`${s.task.id}:${s.state}`), complete: () => (completed = true) });
    scope.spawn(() => 1);
    scope.spawn(() => NEVER);
    await scope.complete();
    expect(seen).toEqual(['1:completed', '2:cancelled']);
    expect(completed).toBe(true);
  });

  it('leaves no timer or subscription behind once the scope ended', async () => {
    vi.useFakeTimers();
    let subscriptions = 0;
    const counted = <T,>(source: Observable<T>) =>
      new Observable<T>((subscriber) => {
        subscriptions++;
        const inner = source.subscribe(subscriber);
        return () => {
          subscriptions--;
          inner.unsubscribe();
        };
      });
    const scope = new Scope();
    scope.spawn(() => counted(interval(10)));
    scope.spawn((ctx) => {
      ctx.scope.spawn(() => counted(timer(1000, 50)));
      const handle = setTimeout(() => undefined, 60_000);
      ctx.onTeardown(() => clearTimeout(handle));
      return NEVER;
    });
    await vi.advanceTimersByTimeAsync(25);
    expect(vi.getTimerCount()).toBe(3);
    expect(subscriptions).toBe(2);
    await scope.complete();
    expect(vi.getTimerCount()).toBe(0);
    expect(subscriptions).toBe(0);
  });

  it('is async-disposable where the runtime has Symbol.asyncDispose: disposing completes it', async () => {
    const key = (Symbol as { readonly asyncDispose?: symbol }).asyncDispose;
    if (key === undefined) return; // an older runtime: nothing installed, nothing to check
    const scope = new Scope();
    let torn = false;
    scope.spawn(() => new Observable<never>(() => () => (torn = true)));
    await (scope as unknown as Record<symbol, () => Promise<void>>)[key]!();
    expect(scope.state).toBe('completed');
    expect(torn).toBe(true);
  });

  it('refuses to spawn into an ended scope with a typed error', async () => {
    const scope = new Scope({ name: 'gone' });
    await scope.cancel();
    expect(() => scope.spawn(() => 1)).toThrow(SessionError);
    expect(() => scope.spawn(() => 1)).toThrow(/scope "gone".*cancelled/);
  });
});

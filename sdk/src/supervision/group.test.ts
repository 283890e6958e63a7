// Task groups (first degree): restart policies, intensity and escalation, backoff, resizing,
// shutdown with a deadline, scope, stats.
import { firstValueFrom, filter, NEVER, Observable, Subject, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Mailbox } from '../mailbox/index.js';
import { server } from '../session/index.js';
import {
  createSystem,
  group,
  InvalidConfigError,
  RestartIntensityError,
  serveMailbox,
  StoppedError,
  type GroupStats,
  type InspectionEvent,
  type TaskContext,
} from './index.js';

const statsWhere = (stats$: Observable<GroupStats>, ok: (s: GroupStats) => boolean): Promise<GroupStats> =>
  firstValueFrom(stats$.pipe(filter(ok)));

afterEach(() => {
  vi.useRealTimers();
});

describe('group', () => {
  it('runs `size` copies, each with its own slot, id and AbortSignal', async () => {
    const seen: TaskContext[] = [];
    const g = group((ctx) => {
      seen.push(ctx);
      return NEVER;
    }, { name: 'workers', size: 3 });
    expect(g.stats$.value).toMatchObject({ size: 3, running: 3, failed: 0, restarts: 0 });
    expect(seen.map((c) => c.slot)).toEqual([0, 1, 2]);
    expect(seen.map((c) => c.id)).toEqual(['stage/workers/0', 'stage/workers/1', 'stage/workers/2']);
    expect(seen.every((c) => c.signal instanceof AbortSignal && !c.signal.aborted)).toBe(true);
    const reports = await g.shutdown({ timeoutMs: 0 });
    expect(reports.map((r) => r.reason)).toEqual(['killed', 'killed', 'killed']);
    expect(seen.every((c) => c.signal.aborted)).toBe(true);
    await expect(g.done).resolves.toEqual({ reason: 'shutdown' });
  });

  it('permanent: replaces a crashed task and a finished one; the replacement gets the next attempt number', async () => {
    const crash = new Subject<void>();
    const attempts: number[] = [];
    const g = group((ctx) => {
      attempts.push(ctx.attempt);
      return new Observable<never>((s) => {
        const sub = crash.subscribe(() => (ctx.attempt === 0 ? s.error(new Error('boom')) : s.complete()));
        return () => sub.unsubscribe();
      });
    }, { size: 1, intensity: { maxRestarts: 10 } });
    crash.next();
    const afterCrash = await statsWhere(g.stats$, (s) => s.restarts === 1 && s.running === 1);
    expect(afterCrash.failed).toBe(1);
    crash.next(); // attempt 1 completes normally: permanent restarts it anyway
    await statsWhere(g.stats$, (s) => s.restarts === 2 && s.running === 1);
    expect(attempts).toEqual([0, 1, 2]);
    expect(g.stats$.value.iterations).toBe(2);
    await g.shutdown({ timeoutMs: 0 });
  });

  it('transient: restarts after a failure only; the group ends normally when every task finished', async () => {
    let starts = 0;
    const g = group(async (ctx) => {
      starts++;
      if (ctx.slot === 0 && ctx.attempt === 0) throw new Error('first run of slot 0 fails');
    }, { size: 2, restart: 'transient' });
    await expect(g.done).resolves.toEqual({ reason: 'normal' });
    expect(starts).toBe(3);
    expect(g.stats$.value).toMatchObject({ running: 0, failed: 1, restarts: 1 });
  });

  it('temporary: never restarts, not even after a failure', async () => {
    let starts = 0;
    const g = group(() => {
      starts++;
      return Promise.reject(new Error('once'));
    }, { size: 2, restart: 'temporary' });
    await expect(g.done).resolves.toEqual({ reason: 'normal' });
    expect(starts).toBe(2);
    expect(g.stats$.value).toMatchObject({ failed: 2, restarts: 0 });
  });

  it('gives up past its restart intensity (default 3 in 5 s) and rejects with the last cause', async () => {
    let n = 0;
    const g = group(() => {
      throw new Error(`crash ${++n}`);
    });
    const error = await g.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RestartIntensityError);
    const intensityError = error as RestartIntensityError;
    expect(intensityError.code).toBe('restart_intensity');
    expect(intensityError.maxRestarts).toBe(3);
    expect((intensityError.cause as Error).message).toBe('crash 4');
    expect(n).toBe(4);
    expect(g.stats$.value).toMatchObject({ restarts: 3, failed: 4, running: 0 });
  });

  it('counts restarts in a sliding window: failures spread wider than withinMs never exhaust it', async () => {
    vi.useFakeTimers();
    const g = group(() => new Promise((_, reject) => setTimeout(() => reject(new Error('tick')), 600)), {
      intensity: { maxRestarts: 2, withinMs: 1000 },
    });
    await vi.advanceTimersByTimeAsync(600 * 10);
    expect(g.stats$.value.restarts).toBe(10);
    await g.shutdown({ timeoutMs: 0 });

    const tight = group(() => new Promise((_, reject) => setTimeout(() => reject(new Error('fast')), 300)), {
      intensity: { maxRestarts: 2, withinMs: 1000 },
    });
    const failure = tight.done.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(300 * 3);
    expect(await failure).toBeInstanceOf(RestartIntensityError);
  });

  it('backs off exponentially, jittered within bounds, and resets after a quiet period', async () => {
    vi.useFakeTimers();
    let runFor = 0;
    const g = group(() => new Promise((_, reject) => setTimeout(() => reject(new Error('x')), runFor)), {
      intensity: { maxRestarts: Infinity },
      backoff: { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5, resetAfterMs: 5000, random: () => 0.5 },
    });
    const delays: number[] = [];
    const sub = g.inspect$.subscribe((e) => {
      if (e.type === 'restarted') delays.push(e.delayMs);
    });
    // (each run lasts one fake-timer tick before it fails)
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 800 + 1000 + 50);
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    // A run that lasts longer than resetAfterMs resets the delay.
    runFor = 6000;
    await vi.advanceTimersByTimeAsync(1000 + 6000 + 50);
    expect(delays.at(-1)).toBe(100);
    sub.unsubscribe();
    await g.shutdown({ timeoutMs: 0 });

    const jittered = group(() => Promise.reject(new Error('j')), {
      intensity: { maxRestarts: Infinity },
      backoff: { initialDelayMs: 100, maxDelayMs: 100, jitter: 0.5, random: () => 0 },
    });
    const first = firstValueFrom(jittered.inspect$.pipe(filter((e) => e.type === 'restarted')));
    await vi.advanceTimersByTimeAsync(0);
    expect(await first).toMatchObject({ delayMs: 50 });
    await jittered.shutdown({ timeoutMs: 0 });
  });

  it('upscale adds tasks at once; downscale stops the newest ones gracefully and reports how they ended', async () => {
    const stopping: string[] = [];
    const g = group(
      (ctx) =>
        new Promise<void>((resolve) =>
          ctx.stopping.addEventListener('abort', () => {
            stopping.push(ctx.id);
            resolve();
          }),
        ),
      { name: 'pool', size: 2 },
    );
    g.upscale(3);
    expect(g.stats$.value).toMatchObject({ size: 5, running: 5 });
    const reports = await g.downscale(2);
    expect(reports).toEqual([
      { id: 'stage/pool/3', slot: 3, reason: 'shutdown' },
      { id: 'stage/pool/4', slot: 4, reason: 'shutdown' },
    ]);
    expect(stopping.sort()).toEqual(['stage/pool/3', 'stage/pool/4']);
    expect(g.stats$.value).toMatchObject({ size: 3, running: 3, restarts: 0 });
    expect(() => g.upscale(-1)).toThrow(InvalidConfigError);
    await expect(g.downscale(4)).rejects.toBeInstanceOf(InvalidConfigError);
    expect(g.stats$.value.size).toBe(3);
    await g.shutdown();
    expect(() => g.upscale(1)).toThrow(StoppedError);
  });

  it('shutdown lets tasks finish within the deadline and aborts the rest at it', async () => {
    vi.useFakeTimers();
    const signals: AbortSignal[] = [];
    const g = group(
      (ctx) => {
        signals.push(ctx.signal);
        if (ctx.slot === 0) {
          // Cooperative: finishes 100 ms after being asked to stop.
          return new Promise<void>((resolve) => ctx.stopping.addEventListener('abort', () => setTimeout(resolve, 100)));
        }
        void ctx.stopping; // looks at it (so it is given the grace period) but is stuck
        return new Promise<void>(() => undefined);
      },
      { size: 2 },
    );
    const shutdown = g.shutdown({ timeoutMs: 1000 });
    await vi.advanceTimersByTimeAsync(999);
    expect(signals[1]!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const reports = await shutdown;
    expect(reports.map((r) => [r.slot, r.reason])).toEqual([
      [0, 'shutdown'],
      [1, 'killed'],
    ]);
    expect(signals[1]!.aborted).toBe(true);
    expect(g.stats$.value).toMatchObject({ running: 0, restarts: 0 });
  });

  it('a task that never looks at ctx.stopping is stopped at once, not after the grace period', async () => {
    const g = group(() => new Promise<void>(() => undefined), { size: 2 });
    const reports = await g.shutdown({ timeoutMs: 60_000 });
    expect(reports.map((r) => r.reason)).toEqual(['killed', 'killed']);
  });

  it('a failure during shutdown is reported as failed, with its cause', async () => {
    const g = group((ctx) => new Promise((_, reject) => ctx.stopping.addEventListener('abort', () => reject(new Error('cleanup failed')))));
    const [report] = await g.shutdown({ timeoutMs: 1000 });
    expect(report).toMatchObject({ reason: 'failed' });
    expect((report!.cause as Error).message).toBe('cleanup failed');
  });

  it('scope bounds the group by a promise: the group is shut down when it settles, and its value returned', async () => {
    const signals: AbortSignal[] = [];
    const g = group((ctx) => {
      signals.push(ctx.signal);
      return NEVER;
    }, { size: 2 });
    const result = await g.scope(Promise.resolve(42));
    expect(result).toBe(42);
    expect(signals.every((s) => s.aborted)).toBe(true);
    await expect(g.done).resolves.toEqual({ reason: 'shutdown' });
  });

  it('scope by an observable returns its last value; an input error is rethrown after shutdown', async () => {
    const g = group(() => NEVER);
    await expect(g.scope(new Observable<number>((s) => (s.next(1), s.next(2), s.complete())))).resolves.toBe(2);
    const h = group(() => NEVER);
    await expect(h.scope(Promise.reject(new Error('caller failed')))).rejects.toThrow('caller failed');
    expect(h.stats$.value.running).toBe(0);
  });

  it('scope rejects with the group failure and unsubscribes the input when the group gives up first', async () => {
    let unsubscribed = false;
    const g = group(() => {
      throw new Error('always');
    });
    const input = new Observable<number>(() => () => void (unsubscribed = true));
    await expect(g.scope(input)).rejects.toBeInstanceOf(RestartIntensityError);
    expect(unsubscribed).toBe(true);
  });

  it('an aborted config.signal shuts the group down', async () => {
    const controller = new AbortController();
    const g = group(() => NEVER, { signal: controller.signal, shutdownTimeoutMs: 0 });
    controller.abort();
    await expect(g.done).resolves.toEqual({ reason: 'shutdown' });
  });

  it('stats$ replays the current figures to a new subscriber and completes when the group is gone', async () => {
    const g = group(() => NEVER, { size: 2 });
    const all = firstValueFrom(g.stats$.pipe(toArray()));
    await g.shutdown({ timeoutMs: 0 });
    const values = await all;
    expect(values[0]).toMatchObject({ running: 2 });
    expect(values.at(-1)).toMatchObject({ running: 0 });
  });

  it('rejects bad options with InvalidConfigError and starts nothing', () => {
    let started = 0;
    const factory = (): Observable<never> => {
      started++;
      return NEVER;
    };
    for (const config of [{ size: -1 }, { size: 1.5 }, { restart: 'sometimes' as never }, { intensity: { maxRestarts: -1 } }, { intensity: { withinMs: 0 } }, { backoff: { factor: 0.5 } }, { backoff: { jitter: 2 } }]) {
      expect(() => group(factory, config)).toThrow(InvalidConfigError);
    }
    expect(() => group(42 as never)).toThrow(/factory must be a function/);
    expect(started).toBe(0);
  });
});

describe('a group of workers on a mailbox (the seed example)', () => {
  it('keeps serving requests while workers crash; the sender never sees a broken channel', async () => {
    interface Add {
      a: number;
      b: number;
      reply: (sum: number) => void;
    }
    const mailbox = new Mailbox<Add>({ capacity: 8 });
    let deliveries = 0;
    const system = createSystem({ name: 'seed' });
    const workers = system.group(
      serveMailbox(mailbox, (m) => {
        // Every third delivery crashes its worker mid-request.
        if (++deliveries % 3 === 0) throw new Error('worker panicked');
        m.reply(m.a + m.b);
      }),
      { name: 'adders', size: 2, intensity: { maxRestarts: 1000 } },
    );
    const exits: InspectionEvent[] = [];
    const sub = system.inspect$.pipe(filter((e) => e.type === 'exited')).subscribe((e) => exits.push(e));
    const sums = await workers.scope(
      Promise.all(
        Array.from({ length: 50 }, (_, i) => new Promise<number>((reply) => void mailbox.send({ a: i, b: 1, reply }))),
      ),
      { timeoutMs: 1000 },
    );
    sub.unsubscribe();
    expect(sums).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(workers.stats$.value.failed).toBeGreaterThanOrEqual(16);
    expect(exits.some((e) => e.type === 'exited' && e.reason === 'failed')).toBe(true);
    expect(mailbox.size + mailbox.inFlight).toBe(0);
  });
});

describe('sessions as tasks', () => {
  it('runs a server session per slot; a crashed session is restarted and its message redelivered; shutdown stops them gracefully', async () => {
    const mailbox = new Mailbox<number>({ capacity: 16 });
    const handled: number[] = [];
    const progress = new Subject<void>();
    const allHandled = firstValueFrom(progress.pipe(filter(() => handled.length === 5)));
    let crashed = false;
    const g = group(
      (ctx) =>
        server(mailbox.receiver(), {
          seed: () => 0,
          step: (total, n) => {
            if (n === 3 && !crashed) {
              crashed = true;
              throw new Error('session crashed on 3');
            }
            handled.push(n);
            progress.next();
            return total + n;
          },
          shutdown: ctx.stopping,
        }),
      { name: 'sessions', size: 2 },
    );
    for (let n = 1; n <= 5; n++) await mailbox.send(n);
    await allHandled;
    expect(handled.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(g.stats$.value).toMatchObject({ failed: 1, restarts: 1, running: 2 });
    const reports = await g.shutdown({ timeoutMs: 1000 });
    expect(reports.map((r) => r.reason)).toEqual(['shutdown', 'shutdown']);
    expect(mailbox.size + mailbox.inFlight).toBe(0);
  });
});

describe('inspection of a group', () => {
  it('reports spawned, started, exited and restarted with ids and parent ids; late subscribers get the live tree first', async () => {
    const system = createSystem({ name: 'app' });
    const crash = new Subject<void>();
    const g = system.group(() => new Observable<never>((s) => crash.subscribe(() => s.error(new Error('bang')))), { name: 'w', size: 1, intensity: { maxRestarts: 5 } });
    const replay = await firstValueFrom(system.inspect$.pipe(take(6), toArray()));
    expect(replay.map((e) => [e.type, e.id, e.parentId])).toEqual([
      ['spawned', 'app', undefined],
      ['started', 'app', undefined],
      ['spawned', 'app/w', 'app'],
      ['started', 'app/w', 'app'],
      ['spawned', 'app/w/0', 'app/w'],
      ['started', 'app/w/0', 'app/w'],
    ]);
    const live = firstValueFrom(system.inspect$.pipe(filter((e) => !('replayed' in e && e.replayed)), take(3), toArray()));
    crash.next();
    expect((await live).map((e) => [e.type, e.id])).toEqual([
      ['exited', 'app/w/0'],
      ['restarted', 'app/w/0'],
      ['started', 'app/w/0'],
    ]);
    await g.shutdown({ timeoutMs: 0 });
  });
});

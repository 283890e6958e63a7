// Supervision trees (second degree): strategies, ordered start and reverse stop, intensity per
// supervisor, escalation up the tree, root failure reported.
import { filter, firstValueFrom, Observable, startWith, Subject, take, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import {
  createSystem,
  defineActor,
  InvalidConfigError,
  RestartIntensityError,
  supervisor,
  UnknownChildError,
  type ChildSpec,
  type InspectionEvent,
  type Reply,
  type Strategy,
  type TaskFactory,
} from './index.js';

/** Tasks that log their start and end and can be crashed from the test. */
function harness() {
  const log: string[] = [];
  const changed = new Subject<void>();
  const record = (entry: string): void => {
    log.push(entry);
    changed.next();
  };
  const until = (predicate: (log: string[]) => boolean): Promise<unknown> =>
    firstValueFrom(changed.pipe(startWith(undefined), filter(() => predicate(log))));
  const crashers = new Map<string, (error: Error) => void>();
  const task =
    (name: string): TaskFactory =>
    (ctx) =>
      new Observable<never>((subscriber) => {
        record(`start ${name}`);
        crashers.set(name, (error) => subscriber.error(error));
        // Cooperative: a graceful stop completes it.
        ctx.stopping.addEventListener('abort', () => subscriber.complete());
        return () => record(`end ${name}`);
      });
  const crash = (name: string): void => crashers.get(name)!(new Error(`${name} crashed`));
  return { log, task, crash, until };
}


const three = (task: (name: string) => TaskFactory): ChildSpec[] => [
  { id: 'a', task: task('a') },
  { id: 'b', task: task('b') },
  { id: 'c', task: task('c') },
];

describe('supervisor', () => {
  it('starts children in order and stops them in reverse order', async () => {
    const { log, task } = harness();
    const sup = supervisor({ children: three(task) });
    expect(log).toEqual(['start a', 'start b', 'start c']);
    log.length = 0;
    await sup.shutdown();
    expect(log).toEqual(['end c', 'end b', 'end a']);
    await expect(sup.done).resolves.toEqual({ reason: 'shutdown' });
  });

  const cases: Array<[Strategy, string[]]> = [
    ['one_for_one', ['end b', 'start b']],
    ['one_for_all', ['end b', 'end c', 'end a', 'start a', 'start b', 'start c']],
    ['rest_for_one', ['end b', 'end c', 'start b', 'start c']],
  ];
  for (const [strategy, expected] of cases) {
    it(`${strategy}: a crashed child restarts ${strategy === 'one_for_one' ? 'alone' : strategy === 'one_for_all' ? 'with all its siblings' : 'with the siblings started after it'}`, async () => {
      const { log, task, crash, until } = harness();
      const sup = supervisor({ strategy, children: three(task) });
      log.length = 0;
      crash('b');
      await until((l) => l.length >= expected.length && l.at(-1)!.startsWith('start'));
      expect(log).toEqual(expected);
      expect(sup.stats.restarts).toBe(1);
      expect(sup.children().map((c) => c.running)).toEqual([true, true, true]);
      await sup.shutdown();
    });
  }

  it('honours restart types: transient restarts only on failure, temporary never', async () => {
    let transientRuns = 0;
    let temporaryRuns = 0;
    const sup = supervisor({
      name: 'types',
      children: [
        { id: 't', restart: 'transient', task: () => (++transientRuns === 1 ? Promise.reject(new Error('once')) : Promise.resolve()) },
        { id: 'x', restart: 'temporary', task: () => (++temporaryRuns, Promise.reject(new Error('never again'))) },
      ],
    });
    // Both leave the tree for good: t after its successful second run, x after its only run.
    await firstValueFrom(sup.inspect$.pipe(filter((e) => e.type === 'exited' && e.final), take(2), toArray()));
    expect(transientRuns).toBe(2);
    expect(sup.children().every((c) => !c.running)).toBe(true);
    expect(temporaryRuns).toBe(1);
    expect(sup.stats.restarts).toBe(1);
    await sup.shutdown();
  });

  it('gives up past its intensity, stops its children and rejects done with the last cause', async () => {
    const { log, task } = harness();
    let crashes = 0;
    const sup = supervisor({
      name: 'root',
      intensity: { maxRestarts: 2, withinMs: 10_000 },
      children: [{ id: 'steady', task: task('steady') }, { id: 'flaky', task: () => Promise.reject(new Error(`flaky ${++crashes}`)) }],
    });
    const error = await sup.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestartIntensityError);
    expect((error as RestartIntensityError).nodeId).toBe('stage/root');
    expect(((error as Error).cause as Error).message).toBe('flaky 3');
    expect(log).toEqual(['start steady', 'end steady']);
  });

  it('escalates up the tree: an inner supervisor that gives up is restarted by its parent, and the root failure is reported', async () => {
    const system = createSystem({ name: 'app' });
    const events: InspectionEvent[] = [];
    system.inspect$.subscribe((e) => events.push(e));
    let runs = 0;
    const root = system.supervisor({
      name: 'outer',
      intensity: { maxRestarts: 1 },
      children: [
        {
          id: 'inner',
          supervisor: {
            intensity: { maxRestarts: 1 },
            children: [{ id: 'worker', task: () => Promise.reject(new Error(`worker failed ${++runs}`)) }],
          },
        },
      ],
    });
    const error = (await root.done.catch((e: unknown) => e)) as RestartIntensityError;
    expect(error).toBeInstanceOf(RestartIntensityError);
    expect(error.nodeId).toBe('app/outer');
    const inner = error.cause as RestartIntensityError;
    expect(inner).toBeInstanceOf(RestartIntensityError);
    expect(inner.nodeId).toBe('app/outer/inner');
    expect((inner.cause as Error).message).toBe('worker failed 4'); // 2 runs per inner life, inner restarted once
    const escalations = events.filter((e) => e.type === 'escalated').map((e) => e.id);
    expect(escalations).toEqual(['app/outer/inner', 'app/outer/inner', 'app/outer']);
    const rootExit = events.find((e) => e.type === 'exited' && e.id === 'app/outer');
    expect(rootExit).toMatchObject({ reason: 'failed', final: true, parentId: 'app' });
  });

  it('restarts a group that gave up (its failure escalated to the supervisor)', async () => {
    const system = createSystem({ name: 'g' });
    const escalated: string[] = [];
    system.inspect$.subscribe((e) => {
      if (e.type === 'escalated') escalated.push(e.id);
    });
    let runs = 0;
    const sup = system.supervisor({
      name: 'sup',
      intensity: { maxRestarts: 5 },
      children: [{ id: 'pool', group: () => (++runs <= 2 ? Promise.reject(new Error('bad start')) : new Observable<never>()), config: { intensity: { maxRestarts: 1 } } }],
    });
    const pool = sup.group('pool');
    // The group's second run fails too (2 failures > its budget of 1 restart): it gives up, and
    // the supervisor starts it again; the same Group handle, fresh tasks, cumulative stats.
    const back = await firstValueFrom(pool.stats$.pipe(filter((st) => st.failed === 2 && st.running === 1)));
    expect(back).toMatchObject({ restarts: 1, size: 1 });
    expect(runs).toBe(3);
    expect(escalated).toEqual(['g/sup/pool']);
    expect(sup.group('pool')).toBe(pool);
    expect(sup.stats.restarts).toBe(1);
    await sup.shutdown({ timeoutMs: 0 });
  });

  it('delays a child restart by its backoff', async () => {
    vi.useFakeTimers();
    try {
      let runs = 0;
      const sup = supervisor({
        children: [{ id: 'slow', backoff: { initialDelayMs: 500, jitter: 0 }, task: () => (++runs === 1 ? Promise.reject(new Error('x')) : new Promise(() => undefined)) }],
      });
      await vi.advanceTimersByTimeAsync(499);
      expect(runs).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(runs).toBe(2);
      await sup.shutdown({ timeoutMs: 0 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('supervises groups and actors as children, and hands out their current handles', async () => {
    type CounterMessage = { type: 'inc' } | { type: 'get'; reply: Reply<number> };
    const counter = defineActor<number, CounterMessage>({
      name: 'counter',
      initial: 0,
      handle: (n, m) => (m.type === 'inc' ? n + 1 : (m.reply(n), n)),
    });
    let workerStarts = 0;
    const sup = supervisor({
      strategy: 'one_for_all',
      children: [
        { id: 'counter', actor: counter },
        { id: 'workers', group: () => (++workerStarts, new Observable<never>()), config: { size: 2 }, shutdownTimeoutMs: 0 },
      ],
    });
    const ref = sup.actor('counter', counter);
    ref.tell({ type: 'inc' });
    ref.tell({ type: 'inc' });
    await expect(ref.ask({ type: 'get' })).resolves.toBe(2);
    expect(sup.group('workers').stats$.value.running).toBe(2);
    expect(workerStarts).toBe(2);
    expect(() => sup.group('counter')).toThrow(UnknownChildError);
    expect(() => sup.actor('workers', counter)).toThrow(UnknownChildError);
    await sup.shutdown();
    expect(ref.stopped).toBe(true);
  });

  it('rejects bad specs with InvalidConfigError and starts nothing', () => {
    const { log, task } = harness();
    expect(() => supervisor({ children: [{ id: 'a', task: task('a') }, { id: 'a', task: task('a') }] })).toThrow(InvalidConfigError);
    expect(() => supervisor({ strategy: 'all_for_none' as never, children: [] })).toThrow(/strategy/);
    expect(() => supervisor({ children: [{ id: 'x' } as never] })).toThrow(/exactly one of/);
    expect(() => supervisor({ children: [{ id: 'a/b', task: task('a') }] })).toThrow(/without '\/'/);
    expect(log).toEqual([]);
  });

  it('a late subscriber to inspect$ first gets the live tree, parents before children', async () => {
    const system = createSystem({ name: 'live' });
    const { task } = harness();
    const sup = system.supervisor({ name: 'top', children: three(task) });
    const replayed: InspectionEvent[] = [];
    system.inspect$.subscribe((e) => replayed.push(e)).unsubscribe();
    expect(replayed.filter((e) => e.type === 'spawned').map((e) => [e.id, e.parentId])).toEqual([
      ['live', undefined],
      ['live/top', 'live'],
      ['live/top/a', 'live/top'],
      ['live/top/b', 'live/top'],
      ['live/top/c', 'live/top'],
    ]);
    expect(replayed.every((e) => 'replayed' in e && e.replayed)).toBe(true);
    await sup.shutdown();
  });
});

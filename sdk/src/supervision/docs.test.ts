// The examples of sdk/docs/supervision.md, run as tests so the documentation cannot rot.
import { fromEvent, interval, Observable, takeUntil } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Engine } from '../machine/index.js';
import { Mailbox } from '../mailbox/index.js';
import { Scope, server } from '../session/index.js';
import { createSystem, defineActor, group, inspectionTree, serveMailbox, type Reply, type TaskContext, type TreeNode } from './index.js';

describe('docs/supervision.md', () => {
  it('first degree: a task group on a mailbox', async () => {
    // --- example 1 ---
    interface Add {
      a: number;
      b: number;
      reply: (sum: number) => void;
    }
    const requests = new Mailbox<Add>({ capacity: 64 });

    let calls = 0;
    const adders = group(
      serveMailbox(requests, (m) => {
        if (++calls % 4 === 0) throw new Error('worker panicked'); // a crash: the message goes back to the mailbox
        m.reply(m.a + m.b);
      }),
      { name: 'adders', size: 2, intensity: { maxRestarts: 100, withinMs: 1000 } },
    );

    // The group lives as long as the caller's work; the sender never sees a broken channel.
    const sums = await adders.scope(
      Promise.all([1, 2, 3, 4, 5].map((a) => new Promise<number>((reply) => void requests.send({ a, b: 10, reply })))),
    );
    console.log(sums, adders.stats$.value); // [11, 12, 13, 14, 15] { size: 2, running: 0, failed: 1, restarts: 1, ... }
    // --- end ---
    expect(sums).toEqual([11, 12, 13, 14, 15]);
    expect(adders.stats$.value.failed).toBeGreaterThanOrEqual(1);
  });

  it('second degree: a supervision tree', async () => {
    // --- example 2 ---
    const system = createSystem({ name: 'app' });
    // A task that reads ctx.stopping gets a graceful stop; this one completes when asked.
    const poll = (ctx: TaskContext) => interval(1000).pipe(takeUntil(fromEvent(ctx.stopping, 'abort')));

    const root = system.supervisor({
      name: 'root',
      strategy: 'rest_for_one', // a crashed child restarts together with the children started after it
      intensity: { maxRestarts: 3, withinMs: 5000 },
      children: [
        { id: 'db', task: (ctx) => poll(ctx) },
        { id: 'workers', group: (ctx) => poll(ctx), config: { size: 4 } },
        { id: 'api', supervisor: { strategy: 'one_for_all', children: [{ id: 'http', task: (ctx) => poll(ctx) }] } },
      ],
    });
    root.done.catch((error) => console.error('the whole tree gave up:', error)); // the root failure is reported

    console.log(root.children().map((c) => `${c.nodeId} ${c.running ? 'up' : 'down'}`));
    await root.shutdown(); // api, then workers, then db
    // --- end ---
    expect(root.children().map((c) => c.running)).toEqual([false, false, false]);
  });

  it('third degree: actors', async () => {
    // --- example 3 ---
    type CounterMessage =
      | { type: 'add'; by: number }
      | { type: 'get'; reply: Reply<number> } // a `reply` field makes a message askable
      | { type: 'fail' };

    const counter = defineActor<number, CounterMessage>({
      name: 'counter',
      initial: 0,
      handle(count, message) {
        switch (message.type) {
          case 'add':
            return count + message.by;
          case 'get':
            message.reply(count);
            return count;
          case 'fail':
            throw new Error('cannot');
        }
      },
      maxDeliveries: 3, // a message that crashed the actor 3 times goes to dead letters
    });

    const system = createSystem({ name: 'app' });
    system.deadLetters$.subscribe((letter) => console.warn('dead letter', letter.recipient, letter.message, String(letter.cause)));

    const ref = system.spawn(counter);
    ref.tell({ type: 'add', by: 2 });
    ref.tell({ type: 'fail' }); // crashes it 3 times, then dead-lettered; state restarts from `initial`
    ref.tell({ type: 'add', by: 40 });
    const total: number = await ref.ask({ type: 'get' }, { timeoutMs: 1000 });
    console.log(total); // 40
    // --- end ---
    expect(total).toBe(40);
    expect(system.deadLetters()).toHaveLength(1);
  });

  it('inspection: the live tree', async () => {
    // --- example 4 ---
    const system = createSystem({ name: 'app' });
    system.group(() => new Observable<never>(), { name: 'workers', size: 2 });
    let tree: TreeNode[] = [];
    // A new subscriber first gets the live tree (replayed), then every change.
    system.inspect$.pipe(inspectionTree()).subscribe((current) => (tree = current));
    const show = (n: TreeNode): unknown => [n.id, n.status, n.children.map(show)];
    console.log(JSON.stringify(tree.map(show)));
    // [["app","running",[["app/workers","running",[["app/workers/0","running",[]],["app/workers/1","running",[]]]]]]]
    // --- end ---
    expect(JSON.stringify(tree.map(show))).toBe('[["app","running",[["app/workers","running",[["app/workers/0","running",[]],["app/workers/1","running",[]]]]]]]');
    await system.shutdown({ timeoutMs: 0 });
  });

  it('lifecycles: a scope, an engine and a server session stop with their task', async () => {
    // --- example 5 ---
    const inbox = new Mailbox<string>();
    const runs: Array<{ sessions: Scope; engine: Engine }> = [];
    const workers = group(
      (ctx) => {
        // Scope: this run's own sessions. ctx.signal aborts however the run ends, so they never outlive it.
        const sessions = new Scope({ name: `${ctx.id}/sessions`, signal: ctx.signal });
        sessions.spawn(({ signal }) => new Promise((done) => signal.addEventListener('abort', done)));
        // Engine: its machines stop in the run's graceful phase (every `leave` runs, channels close).
        const engine = new Engine();
        ctx.stopping.addEventListener('abort', () => engine.stop(), { once: true });
        runs.push({ sessions, engine });
        // The task itself is a seed-000 server session; `shutdown: ctx.stopping` ends it gracefully.
        return server(inbox.receiver(), { seed: () => 0, step: (n) => n + 1, shutdown: ctx.stopping });
      },
      { name: 'workers', size: 2 },
    );
    const reports = await workers.shutdown({ timeoutMs: 1000 });
    console.log(reports.map((r) => r.reason)); // [ 'shutdown', 'shutdown' ]
    console.log(runs.map((r) => [r.sessions.state, r.engine.stopped])); // [ [ 'cancelled', true ], [ 'cancelled', true ] ]
    // --- end ---
    expect(reports.map((r) => r.reason)).toEqual(['shutdown', 'shutdown']);
    expect(runs.map((r) => [r.sessions.state, r.engine.stopped])).toEqual([
      ['cancelled', true],
      ['cancelled', true],
    ]);
  });
});

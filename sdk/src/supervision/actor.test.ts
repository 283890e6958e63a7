// Actors (third degree): tell/ask with typed replies and timeouts, redelivery after a crash,
// dead letters after maxDeliveries, children stopped with their parent, escalation.
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  AskTimeoutError,
  ChildFailedError,
  createSystem,
  DeadLetteredError,
  defineActor,
  InvalidConfigError,
  StoppedError,
  spawn,
  supervisor,
  type ActorRef,
  type DeadLetter,
  type Reply,
} from './index.js';

type CounterMessage =
  | { type: 'add'; by: number }
  | { type: 'get'; reply: Reply<number> }
  | { type: 'describe'; reply: Reply<string> }
  | { type: 'crash' }
  | { type: 'ignore'; reply: Reply<number> };

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
      case 'describe':
        message.reply(`count=${count}`);
        return count;
      case 'crash':
        throw new Error('asked to crash');
      case 'ignore':
        return count;
    }
  },
});

afterEach(() => {
  vi.useRealTimers();
});

describe('actor', () => {
  it('processes tells in order and answers asks with a typed reply', async () => {
    const system = createSystem();
    const ref = system.spawn(counter);
    for (let i = 1; i <= 100; i++) ref.tell({ type: 'add', by: i });
    const total = ref.ask({ type: 'get' });
    expectTypeOf(total).toEqualTypeOf<Promise<number>>();
    expectTypeOf(ref.ask({ type: 'describe' })).toEqualTypeOf<Promise<string>>();
    // Only messages with a reply field are askable.
    // @ts-expect-error 'add' has no reply
    const notAskable = (): unknown => ref.ask({ type: 'add', by: 1 });
    expect(typeof notAskable).toBe('function');
    expect(await total).toBe(5050);
    expect(await ref.ask({ type: 'describe' })).toBe('count=5050');
    await system.shutdown();
  });

  it('rejects an unanswered ask with AskTimeoutError after timeoutMs', async () => {
    vi.useFakeTimers();
    const ref = spawn(counter);
    const answer = ref.ask({ type: 'ignore' }, { timeoutMs: 250 });
    const settled = answer.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(249);
    await vi.advanceTimersByTimeAsync(1);
    const error = await settled;
    expect(error).toBeInstanceOf(AskTimeoutError);
    expect(error).toMatchObject({ code: 'ask_timeout', actorId: 'stage/counter', timeoutMs: 250 });
  });

  it('an aborted ask rejects with the signal reason', async () => {
    const ref = spawn(counter);
    const controller = new AbortController();
    const answer = ref.ask({ type: 'ignore' }, { signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(answer).rejects.toThrow('caller gave up');
  });

  it('reports crashes, restarts and dead letters on the inspection stream', async () => {
    const system = createSystem({ name: 'obs' });
    const events: string[] = [];
    system.inspect$.subscribe((e) => {
      if (e.id === 'obs/counter' && e.type !== 'spawned') events.push(e.type === 'exited' ? `exited:${e.reason}` : e.type);
    });
    const ref = system.spawn(counter, { maxDeliveries: 1 });
    ref.tell({ type: 'crash' });
    await ref.ask({ type: 'get' });
    expect(events).toEqual(['started', 'dead-lettered', 'exited:failed', 'restarted', 'started']);
  });

  it('redelivers the message being processed to the restarted actor, which starts from its initial state', async () => {
    const seen: Array<[string, number, number]> = [];
    const flaky = defineActor<number, { n: number; reply?: Reply<number> }>({
      name: 'flaky',
      initial: () => 0,
      handle(state, message, ctx) {
        seen.push([`m${message.n}`, ctx.deliveries, state]);
        if (message.n === 2 && ctx.deliveries === 1) throw new Error('crash on first delivery of m2');
        message.reply?.(state + 1);
        return state + 1;
      },
    });
    const system = createSystem();
    const ref = system.spawn(flaky);
    ref.tell({ n: 1 });
    ref.tell({ n: 2 });
    const last = await ref.ask({ n: 3 });
    expect(seen).toEqual([
      ['m1', 1, 0],
      ['m2', 1, 1],
      ['m2', 2, 0], // same message, second delivery, fresh state
      ['m3', 1, 1],
    ]);
    expect(last).toBe(2);
    expect(system.deadLetters()).toEqual([]);
  });

  it('moves a poison message to dead letters after exactly maxDeliveries attempts, with its cause, and goes on', async () => {
    const system = createSystem();
    const letters: DeadLetter[] = [];
    system.deadLetters$.subscribe((l) => letters.push(l));
    let attempts = 0;
    const ref = system.spawn(
      defineActor<number, CounterMessage>({
        ...counter,
        handle: (s, m, ctx) => {
          if (m.type === 'crash') attempts++;
          return counter.handle(s, m, ctx);
        },
      }),
      { maxDeliveries: 3, intensity: { maxRestarts: 10 } },
    );
    ref.tell({ type: 'add', by: 5 });
    ref.tell({ type: 'crash' });
    ref.tell({ type: 'add', by: 1 });
    expect(await ref.ask({ type: 'get' })).toBe(1); // state restarted from 0 after the crashes
    expect(attempts).toBe(3);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ recipient: 'stage/counter', message: { type: 'crash' }, deliveries: 3 });
    expect((letters[0]!.cause as Error).message).toBe('asked to crash');
  });

  it('under random crashes, handles every message exactly once and in send order; poison ends in dead letters', async () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const handled: number[] = [];
    const system = createSystem({ name: 'storm' });
    const ref = system.spawn(
      defineActor<null, { id: number; reply?: Reply<number> }>({
        name: 'storm',
        initial: null,
        handle: (s, m, ctx) => {
          if (m.id % 997 === 500) throw new Error(`poison ${m.id}`);
          if (random() < 0.01 && ctx.deliveries < 3) throw new Error('transient');
          handled.push(m.id);
          m.reply?.(m.id);
          return s;
        },
      }),
      { intensity: { maxRestarts: Infinity } },
    );
    const count = 10_000;
    for (let id = 0; id < count - 1; id++) ref.tell({ id });
    expect(await ref.ask({ id: count - 1 })).toBe(count - 1);
    const poison = Array.from({ length: count }, (_, id) => id).filter((id) => id % 997 === 500);
    expect(handled).toEqual(Array.from({ length: count }, (_, id) => id).filter((id) => !poison.includes(id)));
    expect(system.deadLetters().map((l) => [(l.message as { id: number }).id, l.deliveries])).toEqual(poison.map((id) => [id, 3]));
  });

  it('rejects an ask whose message is dead-lettered with DeadLetteredError', async () => {
    const ref = createSystem().spawn(
      defineActor<null, { reply: Reply<number> }>({ name: 'broken', initial: null, handle: () => Promise.reject(new Error('cannot')) }),
      { maxDeliveries: 2 },
    );
    const error = await ref.ask({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadLetteredError);
    expect(error).toMatchObject({ code: 'dead_lettered', deliveries: 2 });
  });

  it('handles async handlers one message at a time, in order', async () => {
    const order: string[] = [];
    const slow = defineActor<string[], { tag: string; reply?: Reply<string[]> }>({
      name: 'slow',
      initial: () => [],
      async handle(list, m) {
        order.push(`begin ${m.tag}`);
        await Promise.resolve();
        order.push(`end ${m.tag}`);
        const next = [...list, m.tag];
        m.reply?.(next);
        return next;
      },
    });
    const ref = createSystem().spawn(slow);
    ref.tell({ tag: 'a' });
    ref.tell({ tag: 'b' });
    expect(await ref.ask({ tag: 'c' })).toEqual(['a', 'b', 'c']);
    expect(order).toEqual(['begin a', 'end a', 'begin b', 'end b', 'begin c', 'end c']);
  });

  it('after stop: what was left in the inbox and later tells go to dead letters; asks reject', async () => {
    const system = createSystem();
    const gate = defineActor<null, { tag: string; reply?: Reply<string> }>({
      name: 'gate',
      initial: null,
      handle: (s, m) => (m.reply?.(m.tag), s),
    });
    const ref = system.spawn(gate);
    await ref.stop();
    expect(ref.stopped).toBe(true);
    ref.tell({ tag: 'late' });
    await expect(ref.ask({ tag: 'question' })).rejects.toBeInstanceOf(DeadLetteredError);
    const letters = system.deadLetters();
    expect(letters.map((l) => (l.message as { tag: string }).tag)).toEqual(['late', 'question']);
    expect(letters[0]!.cause).toBeInstanceOf(StoppedError);
    await expect(ref.done).resolves.toEqual({ reason: 'shutdown' });
  });

  it('spawns children it supervises; stopping the parent stops its children first', async () => {
    const system = createSystem({ name: 'sys' });
    type ParentMessage = { type: 'spawn'; reply: Reply<ActorRef<CounterMessage>> };
    const parent = defineActor<number, ParentMessage>({
      name: 'parent',
      initial: 0,
      handle(n, m, ctx) {
        m.reply(ctx.spawn(counter, { name: `child${n}` }));
        return n + 1;
      },
    });
    const ref = system.spawn(parent);
    const child0 = await ref.ask({ type: 'spawn' });
    const child1 = await ref.ask({ type: 'spawn' });
    expect([child0.id, child1.id]).toEqual(['sys/parent/child0', 'sys/parent/child1']);
    child1.tell({ type: 'add', by: 7 });
    expect(await child1.ask({ type: 'get' })).toBe(7);
    const exits = firstValueFrom(system.inspect$.pipe(filter((e) => e.type === 'exited'), take(3), toArray()));
    await ref.stop();
    expect((await exits).map((e) => e.id)).toEqual(['sys/parent/child1', 'sys/parent/child0', 'sys/parent']);
    expect(child0.stopped && child1.stopped).toBe(true);
  });

  it('a child that exhausts its restart budget escalates: its parent fails with ChildFailedError and is restarted', async () => {
    const system = createSystem({ name: 'esc' });
    const escalations: string[] = [];
    system.inspect$.subscribe((e) => {
      if (e.type === 'escalated') escalations.push(e.id);
    });
    let parentStarts = 0;
    type Msg = { type: 'spawn-and-crash'; reply: Reply<string> } | { type: 'starts'; reply: Reply<number> };
    const parent = defineActor<null, Msg>({
      name: 'parent',
      initial: () => (parentStarts++, null),
      handle(s, m, ctx) {
        if (m.type === 'starts') {
          m.reply(parentStarts);
          return s;
        }
        const child = ctx.spawn(counter, { name: 'fragile', intensity: { maxRestarts: 0 } });
        child.tell({ type: 'crash' });
        m.reply(child.id);
        return s;
      },
    });
    const ref = system.spawn(parent);
    const failure = firstValueFrom(system.inspect$.pipe(filter((e) => e.type === 'exited' && e.id === 'esc/parent')));
    expect(await ref.ask({ type: 'spawn-and-crash' })).toBe('esc/parent/fragile');
    const parentExit = await failure;
    expect(parentExit).toMatchObject({ reason: 'failed', final: false });
    expect((parentExit as { cause: unknown }).cause).toBeInstanceOf(ChildFailedError);
    expect(escalations).toEqual(['esc/parent/fragile']);
    expect(await ref.ask({ type: 'starts' })).toBe(2);
  });

  it('a top-level actor that gives up rejects its done (the root failure is reported)', async () => {
    const ref = createSystem().spawn(counter, { intensity: { maxRestarts: 1 }, maxDeliveries: 5 });
    ref.tell({ type: 'crash' });
    const error = await ref.done.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'restart_intensity', nodeId: 'stage/counter' });
    expect(ref.stopped).toBe(true);
  });

  it('an actor crash under one_for_all restarts its siblings, and its inbox survives the restart', async () => {
    let siblingStarts = 0;
    const sup = supervisor({
      strategy: 'one_for_all',
      children: [
        { id: 'sibling', task: () => (++siblingStarts, new Promise(() => undefined)), shutdownTimeoutMs: 0 },
        { id: 'counter', actor: counter, options: { maxDeliveries: 1 } },
      ],
    });
    const ref = sup.actor('counter', counter);
    ref.tell({ type: 'add', by: 1 });
    ref.tell({ type: 'crash' });
    ref.tell({ type: 'add', by: 41 });
    expect(await ref.ask({ type: 'get' })).toBe(41);
    expect(siblingStarts).toBe(2);
    await sup.shutdown();
  });

  it('stop lets an async handler finish within the deadline; past it the actor is killed and its message dead-lettered', async () => {
    vi.useFakeTimers();
    const system = createSystem();
    const signals: AbortSignal[] = [];
    const worker = defineActor<number, { ms: number }>({
      name: 'worker',
      initial: 0,
      handle: (n, m, ctx) => {
        signals.push(ctx.signal);
        return new Promise<number>((resolve) => setTimeout(() => resolve(n + 1), m.ms));
      },
    });
    const quick = system.spawn(worker, { name: 'quick' });
    quick.tell({ ms: 100 });
    await vi.advanceTimersByTimeAsync(0);
    const quickStop = quick.stop({ timeoutMs: 1000 });
    await vi.advanceTimersByTimeAsync(100);
    await expect(quickStop).resolves.toEqual({ reason: 'shutdown' });

    const slow = system.spawn(worker, { name: 'slow' });
    slow.tell({ ms: 10_000 });
    await vi.advanceTimersByTimeAsync(0);
    const slowStop = slow.stop({ timeoutMs: 1000 });
    await vi.advanceTimersByTimeAsync(1000);
    await expect(slowStop).resolves.toEqual({ reason: 'killed' });
    expect(signals[1]!.aborted).toBe(true);
    expect(system.deadLetters().map((l) => [l.recipient, l.message])).toEqual([['stage/slow', { ms: 10_000 }]]);
  });

  it('rejects bad definitions and options with InvalidConfigError', () => {
    expect(() => defineActor({ name: '', initial: 0, handle: (s: number) => s })).toThrow(InvalidConfigError);
    expect(() => defineActor({ name: 'x', initial: 0, handle: 'nope' as never })).toThrow(/handle must be a function/);
    expect(() => createSystem().spawn(counter, { maxDeliveries: 0 })).toThrow(/maxDeliveries/);
    expect(() => createSystem().spawn(counter, { capacity: 0 })).toThrow(/capacity/);
  });

  it('a bounded inbox: tell throws mailbox_full, send waits for room', async () => {
    const ref = createSystem().spawn(counter, { capacity: 2 });
    ref.tell({ type: 'add', by: 1 });
    ref.tell({ type: 'add', by: 1 });
    expect(() => ref.tell({ type: 'add', by: 1 })).toThrow(expect.objectContaining({ code: 'mailbox_full' }));
    await ref.send({ type: 'add', by: 1 });
    expect(await ref.ask({ type: 'get' })).toBe(3);
  });
});

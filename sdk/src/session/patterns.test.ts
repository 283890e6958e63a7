// The four session patterns of seed 000, each with its termination rule, each used both as an
// Observable and with async/await.
import { describe, expect, it } from 'vitest';
import { Observable, Subject, firstValueFrom, from, lastValueFrom, of, toArray, EMPTY, NEVER } from 'rxjs';
import { Mailbox } from '../mailbox/index.js';
import { Scope, SessionError, collector, listener, server, service, type ServiceReply as Reply } from './index.js';

function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

const quorum = (needed: number) => ({
  seed: () => new Set<string>(),
  step: (votes: Set<string>, voter: string) => votes.add(voter),
  until: (votes: Set<string>) => votes.size >= needed,
  result: (votes: Set<string>) => [...votes].sort(),
});

describe('collector', () => {
  it('ends on its own condition with one result (async/await)', async () => {
    const votes = new Subject<string>();
    const result = collector(votes, quorum(2)).result();
    votes.next('a');
    votes.next('a');
    votes.next('b');
    expect(await result).toEqual(['a', 'b']);
    expect(votes.observed).toBe(false); // it stopped listening
  });

  it('emits once and completes (Observable), handling async steps one at a time', async () => {
    const batch = collector(from([1, 2, 3, 4, 5]), {
      seed: () => [] as number[],
      step: async (acc: number[], n: number) => [...acc, n * 10],
      until: (acc) => acc.length === 3,
    });
    expect(await lastValueFrom(batch.pipe(toArray()))).toEqual([[10, 20, 30]]);
  });

  it('fails typed when the input ends first, unless a partial result is accepted', async () => {
    await expect(collector(of('a'), quorum(3)).result()).rejects.toMatchObject({ code: 'input_ended' });
    await expect(collector(of('a'), { ...quorum(3), onInputEnd: 'result' }).result()).resolves.toEqual(['a']);
  });

  it('acks the mailbox messages it used and leaves the rest in the mailbox', async () => {
    const ballots = new Mailbox<string>();
    for (const v of ['x', 'y', 'z', 'w']) await ballots.send(v);
    const result = await collector(ballots.receiver(), quorum(2)).result();
    expect(result).toEqual(['x', 'y']);
    expect(ballots.inFlight).toBe(0);
    expect(ballots.size).toBe(2);
    const next = await ballots.receiver().receive();
    expect([next.value, next.deliveries]).toEqual(['z', 2]); // it was leased, then given back
  });

  it('is cancelled by its signal', async () => {
    const abort = new AbortController();
    const running = collector(NEVER, quorum(1)).result({ signal: abort.signal });
    abort.abort(new Error('no longer needed'));
    await expect(running).rejects.toThrow('no longer needed');
  });
});

describe('listener', () => {
  it('streams output from one-shot input until its shutdown signal, then cleans up', async () => {
    const shutdown = new AbortController();
    const connections = new Subject<string>();
    let sourceSignal: AbortSignal | undefined;
    const accepted: string[] = [];
    const done = listener(
      (ctx) => {
        sourceSignal = ctx.signal;
        return connections;
      },
      { shutdown: shutdown.signal },
    ).ended();
    const session = listener(() => connections, { shutdown: shutdown.signal });
    const iterating = (async () => {
      for await (const c of session.values()) accepted.push(c);
    })();
    connections.next('alice');
    connections.next('bob');
    shutdown.abort();
    await done;
    await iterating;
    expect(accepted).toEqual(['alice', 'bob']);
    expect(sourceSignal?.aborted).toBe(true);
    expect(connections.observed).toBe(false);
  });

  it('also stops on an Observable shutdown or when its source ends', async () => {
    const stop = new Subject<void>();
    const seen = lastValueFrom(listener(() => new Subject<number>(), { shutdown: stop }).pipe(toArray()));
    stop.next();
    expect(await seen).toEqual([]);
    expect(await lastValueFrom(listener(() => of(1, 2), { shutdown: NEVER }).pipe(toArray()))).toEqual([1, 2]);
  });
});

describe('server', () => {
  const counter = { seed: () => 0, step: (n: number) => n + 1 };

  it('runs until its shutdown signal and returns its result', async () => {
    const shutdown = new AbortController();
    const requests = new Subject<string>();
    const served = server(requests, { ...counter, shutdown: shutdown.signal, result: (n) => ({ served: n }) }).result();
    requests.next('GET /');
    requests.next('GET /a');
    shutdown.abort();
    requests.next('too late');
    expect(await served).toEqual({ served: 2 });
  });

  it('shuts itself down on a shutdown message, which it does not handle', async () => {
    const inbox = new Mailbox<string>();
    for (const m of ['hello', 'hello', 'SHUTDOWN', 'after']) await inbox.send(m);
    const seen = await firstValueFrom(server(inbox.receiver(), { ...counter, isShutdown: (m) => m === 'SHUTDOWN' }));
    expect(seen).toBe(2);
    expect(inbox.size).toBe(1); // 'after' stays for whoever comes next
    expect(inbox.inFlight).toBe(0);
  });

  it('ends with its result when the input closes, and runs as a task in a scope', async () => {
    const scope = new Scope<number>();
    const task = scope.spawn(server<string, number>(from(['a', 'b', 'c']), counter));
    expect(await task.result).toBe(3);
  });

  it('a step that throws fails the server; unhandled mailbox messages go back', async () => {
    const inbox = new Mailbox<number>();
    await inbox.send(1);
    await inbox.send(2);
    const failing = server(inbox.receiver(), {
      seed: () => 0,
      step: (sum: number, n: number) => {
        if (n === 2) throw new Error('cannot handle 2');
        return sum + n;
      },
    });
    await expect(failing.result()).rejects.toThrow('cannot handle 2');
    const back = await inbox.receiver().receive();
    expect([back.value, back.deliveries]).toEqual([2, 2]);
  });
});

describe('service', () => {
  it('replies exactly once per request, correlated and in request order, and ends with its input', async () => {
    const gates = new Map([1, 2, 3].map((n) => [n, deferred<number>()]));
    const replies = lastValueFrom(service(from([1, 2, 3]), (n: number) => gates.get(n)!.promise, { concurrency: 3 }).pipe(toArray()));
    gates.get(3)!.resolve(30);
    gates.get(1)!.resolve(10);
    gates.get(2)!.resolve(20);
    expect(await replies).toEqual([
      { index: 0, request: 1, ok: true, value: 10 },
      { index: 1, request: 2, ok: true, value: 20 },
      { index: 2, request: 3, ok: true, value: 30 },
    ]);
  });

  it('a failing request gets an error reply and the service goes on', async () => {
    const replies: Array<Reply<number, number>> = [];
    for await (const reply of service(of(1, 0, 2), (n: number) => {
      if (n === 0) throw new RangeError('division by zero');
      return 10 / n;
    }).values()) {
      replies.push(reply);
    }
    expect(replies.map((r) => (r.ok ? r.value : (r.error as Error).message))).toEqual([10, 'division by zero', 5]);
  });

  it('replies with the first value of an Observable handler, and says so when there is none', async () => {
    const replies = await lastValueFrom(
      service(of('two', 'none'), (req: string) => (req === 'two' ? of(1, 2) : EMPTY)).pipe(toArray()),
    );
    expect(replies[0]).toMatchObject({ ok: true, value: 1 });
    expect(replies[1]).toMatchObject({ ok: false, error: { code: 'no_reply' } });
    expect((replies[1] as { error: unknown }).error).toBeInstanceOf(SessionError);
  });

  it('acks a mailbox request only once its reply is out; cancelling returns the rest', async () => {
    const requests = new Mailbox<string>();
    for (const r of ['a', 'b']) await requests.send(r);
    const slow = deferred<string>();
    const replies: string[] = [];
    const subscription = service(requests.receiver(), (r: string) => (r === 'a' ? r.toUpperCase() : slow.promise)).subscribe((reply) =>
      replies.push(reply.ok ? reply.value : 'error'),
    );
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    expect(replies).toEqual(['A']);
    expect(requests.inFlight).toBe(1); // 'b' is being handled
    subscription.unsubscribe();
    expect(requests.inFlight).toBe(0);
    const back = await requests.receiver().receive();
    expect([back.value, back.deliveries]).toEqual(['b', 2]);
  });

  it('a handler sees its request cancelled with the service', async () => {
    let handlerSignal: AbortSignal | undefined;
    const subscription = service(of('x'), (_req: string, ctx) => {
      handlerSignal = ctx.signal;
      return new Observable<string>(() => undefined);
    }).subscribe();
    subscription.unsubscribe();
    expect(handlerSignal?.aborted).toBe(true);
  });
});

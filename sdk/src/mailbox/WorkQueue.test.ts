// What users of WorkQueue rely on: one item at a time, in offer order; synchronous items handled on the offering
// turn; a bound that counts the item in hand; pause/resume; close then drained; a failing item does not stop the
// queue.
import { describe, expect, it, vi } from 'vitest';
import { WorkQueue } from '../index.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('WorkQueue', () => {
  it('handles a synchronous item on the offering turn, and items offered meanwhile in order after it', () => {
    const seen: number[] = [];
    const queue: WorkQueue<number> = new WorkQueue((n) => {
      seen.push(n);
      if (n === 1) {
        // Offered from inside the handler: queued behind, handled in the same loop.
        queue.offer(3);
        queue.offer(4);
      }
    });
    queue.offer(1);
    expect(seen).toEqual([1, 3, 4]);
    queue.offer(2);
    expect(seen).toEqual([1, 3, 4, 2]);
    expect(queue.busy).toBe(false);
  });

  it('waits for an item’s promise before the next one: never two in hand', async () => {
    const gates = [deferred(), deferred(), deferred()];
    const log: string[] = [];
    let inHand = 0;
    let maxInHand = 0;
    const queue = new WorkQueue<number>(async (n) => {
      inHand++;
      maxInHand = Math.max(maxInHand, inHand);
      log.push(`start ${n}`);
      await gates[n]!.promise;
      log.push(`end ${n}`);
      inHand--;
    });
    queue.offer(0);
    queue.offer(1);
    queue.offer(2);
    expect(log).toEqual(['start 0']);
    expect(queue.length).toBe(2);
    expect(queue.size).toBe(3);
    gates[1]!.resolve(); // out of order: changes nothing until 0 is done
    gates[0]!.resolve();
    gates[2]!.resolve();
    queue.close();
    await queue.drained;
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
    expect(maxInHand).toBe(1);
  });

  it('refuses offers beyond its capacity, counting the item in hand', async () => {
    const gate = deferred();
    const queue = new WorkQueue<number>(() => gate.promise, { capacity: 2 });
    expect(queue.offer(1)).toBe(true); // in hand
    expect(queue.offer(2)).toBe(true); // waiting
    expect(queue.offer(3)).toBe(false);
    expect(queue.size).toBe(2);
    gate.resolve();
    queue.close();
    await queue.drained;
    expect(queue.offer(4)).toBe(false); // closed
  });

  it('rejects a capacity below 1, naming the rule and the value', () => {
    expect(() => new WorkQueue<number>(() => undefined, { capacity: 0 })).toThrow(
      new RangeError('WorkQueue capacity must be a whole number >= 1 or Infinity, got 0'),
    );
  });

  it('takes capacities by the same rule as a Mailbox: a whole number >= 1, or Infinity', () => {
    expect(() => new WorkQueue<number>(() => undefined, { capacity: 1.5 })).toThrow(RangeError);
    expect(() => new WorkQueue<number>(() => undefined, { capacity: Number.NaN })).toThrow(RangeError);
    expect(new WorkQueue<number>(() => undefined, { capacity: 1 }).offer(1)).toBe(true);
    expect(new WorkQueue<number>(() => undefined, { capacity: Infinity }).offer(1)).toBe(true);
  });

  it('a failing item is reported and the queue goes on with the next', async () => {
    const errors: Array<[unknown, number]> = [];
    const seen: number[] = [];
    const queue = new WorkQueue<number>(
      async (n) => {
        seen.push(n);
        if (n === 2) throw new Error('two');
        if (n === 3) return Promise.reject(new Error('three'));
      },
      { onError: (error, item) => errors.push([error, item]) },
    );
    for (const n of [1, 2, 3, 4]) queue.offer(n);
    queue.close();
    await queue.drained;
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(errors.map(([e, n]) => [(e as Error).message, n])).toEqual([
      ['two', 2],
      ['three', 3],
    ]);
  });

  it('a synchronous throw is reported too', () => {
    const errors: unknown[] = [];
    const seen: number[] = [];
    const queue = new WorkQueue<number>(
      (n) => {
        if (n === 1) throw new Error('one');
        seen.push(n);
      },
      { onError: (error) => errors.push(error) },
    );
    queue.offer(1);
    queue.offer(2);
    expect(errors).toHaveLength(1);
    expect(seen).toEqual([2]);
  });

  it('pause holds the next items (offers are still queued) until resume, in order', () => {
    const seen: number[] = [];
    const queue = new WorkQueue<number>((n) => {
      seen.push(n);
      if (n === 1) queue.pause();
    });
    queue.offer(1);
    queue.offer(2);
    queue.offer(3);
    expect(seen).toEqual([1]);
    expect(queue.length).toBe(2);
    queue.resume();
    expect(seen).toEqual([1, 2, 3]);
  });

  it('take lets a handler pull the items queued behind its own (a batch); clear drops the waiting ones', async () => {
    const batches: number[][] = [];
    const gate = deferred();
    const queue: WorkQueue<number> = new WorkQueue(async (first) => {
      await gate.promise;
      const batch = [first];
      for (let next = queue.take(); next !== undefined; next = queue.take()) batch.push(next);
      batches.push(batch);
    });
    for (const n of [1, 2, 3, 4]) queue.offer(n);
    gate.resolve();
    queue.close();
    await queue.drained;
    expect(batches).toEqual([[1, 2, 3, 4]]);

    const held = new WorkQueue<number>(() => new Promise<void>(() => undefined));
    held.offer(1);
    held.offer(2);
    held.offer(3);
    expect(held.clear()).toEqual([2, 3]);
    expect(held.size).toBe(1);
  });

  it('onOffer is told of every accepted offer (a handler waiting for more work)', async () => {
    let offers = 0;
    const gate = deferred();
    const queue = new WorkQueue<number>(() => gate.promise, { onOffer: () => offers++, capacity: 2 });
    queue.offer(1);
    queue.offer(2);
    queue.offer(3); // refused: not told
    expect(offers).toBe(2);
    gate.resolve();
    queue.close();
    await queue.drained;
  });

  it('onIdle: once the last item is done and nothing waits, each time the queue goes idle', async () => {
    let idle = 0;
    const gate = deferred();
    const queue = new WorkQueue<number>((n) => (n === 1 ? gate.promise : undefined), { onIdle: () => idle++ });
    queue.offer(0); // synchronous: idle again at once
    expect(idle).toBe(1);
    queue.offer(1);
    queue.offer(2);
    expect(idle).toBe(1); // 1 in hand, 2 waiting
    gate.resolve();
    queue.close();
    await queue.drained;
    expect(idle).toBe(2);
  });

  it('drained: at once for a closed idle queue; after the last item otherwise; never before close', async () => {
    const idle = new WorkQueue<number>(() => undefined);
    idle.close();
    await idle.drained;

    const gate = deferred();
    const queue = new WorkQueue<number>(() => gate.promise);
    queue.offer(1);
    let drained = false;
    void queue.drained.then(() => (drained = true));
    gate.resolve();
    await gate.promise;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(drained).toBe(false); // not closed yet
    queue.close();
    await queue.drained;
    expect(drained).toBe(true);
  });

  it('peek shows the next waiting item and leaves it in place', () => {
    const queue = new WorkQueue<number>(() => new Promise<void>(() => undefined));
    expect(queue.peek()).toBeUndefined(); // nothing ever waited
    expect(queue.take()).toBeUndefined();
    expect(queue.clear()).toEqual([]);
    queue.offer(1); // in hand: not waiting
    expect(queue.peek()).toBeUndefined();
    queue.offer(2);
    queue.offer(3);
    expect(queue.peek()).toBe(2);
    expect(queue.peek()).toBe(2);
    expect(queue.length).toBe(2);
    expect(queue.take()).toBe(2);
    expect(queue.peek()).toBe(3);
  });

  it('resume while an item is in hand hands out nothing more until it is done', async () => {
    const gate = deferred();
    const started: number[] = [];
    const queue = new WorkQueue<number>((n) => {
      started.push(n);
      return n === 1 ? gate.promise : undefined;
    });
    queue.offer(1);
    queue.pause();
    queue.offer(2);
    queue.resume(); // 1 is still in hand
    expect(started).toEqual([1]);
    expect(queue.busy).toBe(true);
    gate.resolve();
    queue.close();
    await queue.drained;
    expect(started).toEqual([1, 2]);
  });

  it('onIdle is not called while items wait behind a pause, nor by resuming a queue with nothing to do', () => {
    let idle = 0;
    const seen: number[] = [];
    const queue = new WorkQueue<number>(
      (n) => {
        seen.push(n);
        if (n === 1) queue.pause();
      },
      { onIdle: () => idle++ },
    );
    queue.resume(); // not paused: nothing happens
    queue.pause();
    queue.resume(); // paused with nothing waiting: nothing to do, so not "idle again"
    expect(idle).toBe(0);
    queue.offer(1); // pauses itself with nothing waiting
    expect(idle).toBe(1);
    queue.offer(2); // waits behind the pause
    expect([idle, queue.length, queue.busy]).toEqual([1, 1, false]);
    queue.pause();
    queue.resume();
    expect(seen).toEqual([1, 2]);
    expect(idle).toBe(2);
    queue.resume(); // nothing to do: not idle "again"
    expect(idle).toBe(2);
  });

  it('drained waits for the item in hand, for every caller that asked', async () => {
    const gate = deferred();
    const queue = new WorkQueue<number>(() => gate.promise);
    queue.offer(1);
    queue.close(); // nothing waits, but 1 is in hand
    const order: string[] = [];
    const first = queue.drained.then(() => order.push('first'));
    const second = queue.drained.then(() => order.push('second'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(order).toEqual([]);
    gate.resolve();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
  });

  it('a closed, paused queue with items waiting is not drained until they are handled or cleared', async () => {
    const seen: number[] = [];
    const queue = new WorkQueue<number>((n) => void seen.push(n));
    queue.pause();
    queue.offer(1);
    queue.offer(2);
    queue.close();
    let drained = false;
    void queue.drained.then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(drained).toBe(false);
    expect(queue.clear()).toEqual([1, 2]);
    await queue.drained;
    expect(drained).toBe(true);
    expect(seen).toEqual([]);

    const resumed = new WorkQueue<number>((n) => void seen.push(n));
    resumed.pause();
    resumed.offer(3);
    resumed.close();
    let resumedDrained = false;
    void resumed.drained.then(() => (resumedDrained = true));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(resumedDrained).toBe(false);
    resumed.resume();
    await resumed.drained;
    expect(seen).toEqual([3]);
  });

  it('without onError a failure is rethrown from a microtask (uncaught) and the queue goes on', () => {
    const rethrows: Array<() => void> = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => void rethrows.push(task));
    const seen: number[] = [];
    try {
      const queue = new WorkQueue<number>((n) => {
        if (n === 1) throw new Error('one');
        seen.push(n);
      });
      queue.offer(1);
      queue.offer(2);
    } finally {
      spy.mockRestore();
    }
    expect(seen).toEqual([2]);
    expect(rethrows).toHaveLength(1);
    expect(() => rethrows[0]!()).toThrow('one');
  });

  it('onIdle is not called when a pause stops the queue with items still waiting', async () => {
    let idle = 0;
    const gate = deferred();
    const seen: number[] = [];
    const queue = new WorkQueue<number>(
      (n) => {
        seen.push(n);
        return n === 1 ? gate.promise : undefined;
      },
      { onIdle: () => idle++ },
    );
    queue.offer(1);
    queue.offer(2);
    queue.pause();
    gate.resolve();
    await gate.promise;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect([seen, queue.busy, queue.length, idle]).toEqual([[1], false, 1, 0]);
    queue.resume();
    expect([seen, idle]).toEqual([[1, 2], 1]);
  });

  it('resume hands out the waiting items one at a time: an item offered meanwhile waits its turn', async () => {
    const gate = deferred();
    const log: string[] = [];
    const queue = new WorkQueue<number>(async (n) => {
      log.push(`start ${n}`);
      if (n === 1) await gate.promise;
      log.push(`end ${n}`);
    });
    queue.pause();
    queue.offer(1);
    queue.resume(); // 1 is handed out and its promise is pending
    expect(queue.busy).toBe(true);
    queue.offer(2);
    expect(log).toEqual(['start 1']);
    gate.resolve();
    queue.close();
    expect(queue.closed).toBe(true);
    await queue.drained;
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });
});

// What users of WorkQueue rely on: one item at a time, in offer order; synchronous items handled on the offering
// turn; a bound that counts the item in hand; pause/resume; close then drained; a failing item does not stop the
// queue.
import { describe, expect, it } from 'vitest';
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

  it('rejects a capacity below 1', () => {
    expect(() => new WorkQueue<number>(() => undefined, { capacity: 0 })).toThrow(RangeError);
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
});

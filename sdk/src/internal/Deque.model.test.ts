// The ring buffer under the mailbox's queue, senders and receivers, checked against a plain array as the model:
// pushes and unshifts that wrap around the buffer's end and grow it keep the order, `at` is bounded, `drain`
// empties it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Deque } from './Deque.js';

type Op = { push: number } | { unshift: number } | 'shift';

describe('Deque', () => {
  it('behaves as an array under any mix of push, unshift and shift, across wrap-arounds and growth', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.integer().map((n) => ({ push: n })),
      fc.integer().map((n) => ({ unshift: n })),
      fc.constant('shift' as const),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.constantFrom(1, 4, 5, 16), (ops, initialCapacity) => {
        const deque = new Deque<number>(initialCapacity);
        const model: number[] = [];
        for (const o of ops) {
          if (o === 'shift') expect(deque.shift()).toBe(model.shift());
          else if ('push' in o) {
            deque.push(o.push);
            model.push(o.push);
          } else {
            deque.unshift(o.unshift);
            model.unshift(o.unshift);
          }
          expect(deque.length).toBe(model.length);
          expect(deque.peek()).toBe(model[0]);
          expect(deque.at(model.length - 1)).toBe(model[model.length - 1]);
        }
        for (let i = 0; i < model.length; i++) expect(deque.at(i)).toBe(model[i]);
        expect(deque.drain()).toEqual(model);
        expect(deque.length).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps order when it grows while wrapped around its end', () => {
    const deque = new Deque<number>(4);
    for (let i = 0; i < 3; i++) deque.push(i);
    deque.shift();
    deque.shift(); // head at index 2
    for (let i = 3; i < 10; i++) deque.push(i); // wraps, then grows twice
    deque.unshift(1);
    expect(deque.drain()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('answers undefined outside its bounds and when empty', () => {
    const deque = new Deque<string>();
    expect(deque.shift()).toBeUndefined();
    expect(deque.peek()).toBeUndefined();
    expect(deque.at(0)).toBeUndefined();
    deque.push('a');
    deque.push('b');
    expect(deque.at(-1)).toBeUndefined();
    expect(deque.at(2)).toBeUndefined();
    expect(deque.at(1)).toBe('b');
    expect(deque.drain()).toEqual(['a', 'b']);
    expect(deque.at(0)).toBeUndefined();
    expect(deque.peek()).toBeUndefined();
    // usable again after draining, from a wrapped position too
    deque.unshift('z');
    deque.push('y');
    expect([deque.shift(), deque.shift(), deque.shift()]).toEqual(['z', 'y', undefined]);
  });
});

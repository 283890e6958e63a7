import { describe, expect, it } from 'vitest';
import { Deque } from './Deque.js';

describe('Deque', () => {
  it('keeps FIFO order across wrap-around and growth, at both ends', () => {
    const deque = new Deque<number>(4);
    const model: number[] = [];
    for (let i = 0; i < 50; i++) {
      if (i % 3 === 0) {
        deque.unshift(-i);
        model.unshift(-i);
      } else {
        deque.push(i);
        model.push(i);
      }
      if (i % 4 === 3) expect(deque.shift()).toBe(model.shift());
    }
    expect(deque.length).toBe(model.length);
    expect(deque.peek()).toBe(model[0]);
    expect(deque.at(5)).toBe(model[5]);
    expect(deque.at(model.length)).toBeUndefined();
    expect(deque.toArray()).toEqual(model);
    expect(deque.length).toBe(model.length); // toArray leaves the elements in place
    expect(deque.drain()).toEqual(model);
    expect(deque.length).toBe(0);
    expect(deque.shift()).toBeUndefined();
  });

  it('bounds a window of recent items with shift-then-push (as a system keeps its dead letters)', () => {
    const recent = new Deque<number>();
    for (let i = 0; i < 10; i++) {
      if (recent.length >= 3) recent.shift();
      recent.push(i);
    }
    expect(recent.toArray()).toEqual([7, 8, 9]);
  });
});

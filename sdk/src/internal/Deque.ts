// A growable ring buffer: O(1) push/shift/unshift at both ends without Array.shift's copying.
// The SDK's one FIFO: the mailbox queue and its waiting senders and receivers, WorkQueue's items,
// a scope's joiners, the session helpers' backlogs, the client's read queue, a system's recent
// dead letters all sit on one of these.

/** Double-ended queue on a power-of-two ring buffer. Internal to the SDK. */
export class Deque<T> {
  private buffer: Array<T | undefined>;
  private mask: number;
  private head = 0;
  private count = 0;

  constructor(initialCapacity = 16) {
    let size = 4;
    while (size < initialCapacity) size <<= 1;
    this.buffer = new Array<T | undefined>(size);
    this.mask = size - 1;
  }

  get length(): number {
    return this.count;
  }

  push(value: T): void {
    if (this.count === this.buffer.length) this.grow();
    this.buffer[(this.head + this.count) & this.mask] = value;
    this.count++;
  }

  unshift(value: T): void {
    if (this.count === this.buffer.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.buffer[this.head] = value;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const value = this.buffer[this.head];
    this.buffer[this.head] = undefined; // let the GC have it
    this.head = (this.head + 1) & this.mask;
    this.count--;
    return value;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.buffer[this.head];
  }

  /** The i-th element from the head, or undefined. */
  at(index: number): T | undefined {
    return index < 0 || index >= this.count ? undefined : this.buffer[(this.head + index) & this.mask];
  }

  /** Every element, head first, left in place. */
  toArray(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.buffer[(this.head + i) & this.mask] as T;
    return out;
  }

  /** Removes and returns every element, head first. */
  drain(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head + i) & this.mask;
      out[i] = this.buffer[slot] as T;
      this.buffer[slot] = undefined;
    }
    this.head = 0;
    this.count = 0;
    return out;
  }

  private grow(): void {
    const old = this.buffer;
    const size = old.length * 2;
    const next = new Array<T | undefined>(size);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask];
    this.buffer = next;
    this.mask = size - 1;
    this.head = 0;
  }
}

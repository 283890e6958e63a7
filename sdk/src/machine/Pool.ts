// A pool of idle machines (the seed's LISTENER takes a WORKER, a WORKER takes an RX or a TX).
// Machines put themselves back when they enter their idle state; `take` hands out the most
// recently returned one, or spawns a new one while under `max`.
import { MachineError } from './MachineError.js';

export interface PoolConfig<T> {
  /** Spawns a machine when the pool is empty. Its first `put` (on reaching idle) is absorbed, since it was already handed out. */
  readonly spawn: () => T;
  /** Most machines the pool will ever create. Default: unbounded. */
  readonly max?: number | undefined;
}

export class Pool<T extends { readonly name: string }> {
  private readonly idleStack: T[] = [];
  private readonly idleSet = new Set<T>();
  /** Spawned for a `take` before reaching idle: their first `put` must not make them idle. */
  private readonly handedOutUnborn = new Set<T>();
  private created = 0;
  private readonly spawn: () => T;
  private readonly max: number;

  constructor(config: PoolConfig<T>) {
    const max = config.max ?? Number.POSITIVE_INFINITY;
    if (!(max >= 1)) throw new RangeError(`Pool: max must be >= 1, got ${max}.`);
    this.spawn = config.spawn;
    this.max = max;
  }

  /** Machines currently idle in the pool. */
  get idle(): number {
    return this.idleStack.length;
  }

  /** Machines this pool has created. */
  get size(): number {
    return this.created;
  }

  /**
   * Takes an idle machine, or spawns one. Throws PoolExhaustedError (code POOL_EXHAUSTED) when
   * none is idle and `max` are already out; use `tryTake` to get undefined instead.
   */
  take(): T {
    const machine = this.tryTake();
    if (machine === undefined) {
      throw new MachineError(
        'POOL_EXHAUSTED',
        `Pool: all ${this.max} machines are busy; raise \`max\` or return machines with put().`,
      );
    }
    return machine;
  }

  /** Takes an idle machine or spawns one; undefined when `max` are already out. */
  tryTake(): T | undefined {
    const machine = this.idleStack.pop();
    if (machine !== undefined) {
      this.idleSet.delete(machine);
      return machine;
    }
    if (this.created >= this.max) return undefined;
    this.created++;
    const born = this.spawn();
    // If the new machine already reached idle inside spawn, it put itself back: take it out again.
    if (this.idleSet.delete(born)) {
      this.idleStack.splice(this.idleStack.lastIndexOf(born), 1);
    } else {
      this.handedOutUnborn.add(born);
    }
    return born;
  }

  /** Returns a machine to the pool (machines call this from their idle state's `enter`). */
  put(machine: T): void {
    if (this.handedOutUnborn.size > 0 && this.handedOutUnborn.delete(machine)) return;
    if (this.idleSet.has(machine)) {
      throw new MachineError('POOL_MISUSE', `Pool: ${machine.name} is already idle in this pool; put it back once.`);
    }
    this.idleSet.add(machine);
    this.idleStack.push(machine);
  }

  /**
   * Spawns `count` machines up front (bounded by `max`). They join the pool when they reach
   * their idle state, so the first takers do not pay for spawning.
   */
  prefill(count: number): void {
    for (let i = 0; i < count && this.created < this.max; i++) {
      this.created++;
      this.spawn();
    }
  }
}

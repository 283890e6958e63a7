// The registry reads the store (a joining device's outcome bounds, a replay page) without holding up the rest of the
// hub: while one device's read is slow (on PostgreSQL, queued behind commands waiting for a pooled connection),
// every other device still gets its live outcomes at once, and the slow device gets its own in order afterwards.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '@stage/sdk/im';
import { group } from '@stage/sdk';
import type { FanoutEntry } from '../src/fanout/Fanout.js';
import type { DeviceWriter } from '../src/hub/DeviceWriter.js';
import { Logger } from '../src/hub/Logger.js';
import { Metrics, hubMetrics } from '../src/hub/Metrics.js';
import { Registry } from '../src/hub/Registry.js';
import type { OutcomeBounds, Store, StoredOutcome } from '../src/store/Store.js';

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** A store read held until the test lets it go. */
class HeldRead<T> {
  readonly started: Promise<void>;
  private markStarted!: () => void;
  private answer!: (value: T) => void;
  constructor() {
    this.started = new Promise((resolve) => (this.markStarted = resolve));
  }
  read(): Promise<T> {
    this.markStarted();
    return new Promise((resolve) => (this.answer = resolve));
  }
  release(value: T): void {
    this.answer(value);
  }
}

/** Rejects with `what` if `promise` does not settle within `ms`: the registry must not need longer. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms))),
  ]);
}

function setup(store: Store) {
  const registry = new Registry({ store, limits: DEFAULT_LIMITS, windowStallMs: 30_000, log: new Logger('silent'), counters: hubMetrics(new Metrics()) });
  const tasks = group(registry.task(), { size: 1, restart: 'transient', intensity: { maxRestarts: 3, withinMs: 1_000 } });
  stops.push(() => {
    registry.close();
    void tasks.shutdown();
  });
  const devices = new Map<string, { pushed: number[]; waiting?: () => void }>();
  const join = (userId: string, lastOutcomeId = 0) => {
    const device: { pushed: number[]; waiting?: () => void } = { pushed: [] };
    devices.set(userId, device);
    const writer = {
      sendPush: (id: number) => {
        device.pushed.push(id);
        device.waiting?.();
      },
      send: () => undefined,
      disconnect: () => undefined,
      ping: () => undefined,
    } as unknown as DeviceWriter;
    registry.tell({ type: 'Join', link: { userId, deviceId: `${userId}-d`, connectionId: devices.size, writer, heard: { at: Date.now() } }, lastOutcomeId });
  };
  const pushed = (userId: string, count: number) =>
    new Promise<number[]>((resolve) => {
      const device = devices.get(userId)!;
      device.waiting = () => device.pushed.length >= count && resolve(device.pushed);
      device.waiting();
    });
  const publish = (userId: string, ...ids: number[]) =>
    registry.tell({ type: 'Outcome', entries: ids.map((outcomeId): FanoutEntry => ({ userId, outcomeId, outcome: { type: 'Note', outcomeId } })) });
  return { join, pushed, publish };
}

const stored = (ids: number[]): StoredOutcome[] => ids.map((id) => ({ id, body: { type: 'Note', outcomeId: id } }));

describe('the registry while a store read is slow', () => {
  it("another device's live outcomes are not held up by one device's replay read", async () => {
    const slowReplay = new HeldRead<StoredOutcome[]>();
    const store = {
      outcomes: {
        outcomeBounds: async (userId: string): Promise<OutcomeBounds> => (userId === 'slow' ? { first: 1, last: 3 } : { first: 0, last: 0 }),
        outcomesAfter: (userId: string) => (userId === 'slow' ? slowReplay.read() : Promise.resolve([])),
      },
    } as unknown as Store;
    const { join, pushed, publish } = setup(store);
    join('fast');
    join('slow'); // behind by 3 outcomes: replayed from the store
    await slowReplay.started;
    publish('fast', 1);
    publish('fast', 2);
    expect(await within(pushed('fast', 2), 2_000, 'a live push while another device replays')).toEqual([1, 2]);
    // The slow device's live outcome waits for its replay, then everything comes in order.
    publish('slow', 4);
    slowReplay.release(stored([1, 2, 3]));
    expect(await pushed('slow', 4)).toEqual([1, 2, 3, 4]);
  });

  it("another device's live outcomes are not held up by one device's join", async () => {
    const slowBounds = new HeldRead<OutcomeBounds>();
    const store = {
      outcomes: {
        outcomeBounds: (userId: string) => (userId === 'slow' ? slowBounds.read() : Promise.resolve({ first: 0, last: 0 })),
        outcomesAfter: async (_userId: string, after: number) => stored([1, 2].filter((id) => id > after)),
      },
    } as unknown as Store;
    const { join, pushed, publish } = setup(store);
    join('fast');
    join('slow');
    await slowBounds.started;
    publish('fast', 1);
    expect(await within(pushed('fast', 1), 2_000, 'a live push while another device joins')).toEqual([1]);
    // An outcome published while the slow device joined is kept and sent once its bounds are known.
    publish('slow', 3);
    slowBounds.release({ first: 1, last: 2 });
    expect(await pushed('slow', 3)).toEqual([1, 2, 3]);
  });

  it('reads the bounds of the devices that join while bounds reads are in flight in one store call (a reconnect storm)', async () => {
    const held = ['a', 'b', 'c', 'd'].map(() => new HeldRead<Map<string, OutcomeBounds>>());
    const calls: string[][] = [];
    const none: OutcomeBounds = { first: 0, last: 0 };
    const read = (userIds: readonly string[]): Promise<Map<string, OutcomeBounds>> => {
      calls.push([...userIds]);
      const hold = held[calls.length - 1];
      return hold ? hold.read() : Promise.resolve(new Map(userIds.map((u) => [u, none])));
    };
    const store = {
      outcomes: {
        // Either way of reading bounds is recorded the same: one call, the users it asked for.
        outcomeBounds: async (userId: string) => (await read([userId])).get(userId)!,
        outcomeBoundsOf: read,
        outcomesAfter: async () => [],
      },
    } as unknown as Store;
    const { join, pushed, publish } = setup(store);
    const first = ['a', 'b', 'c', 'd'];
    const later = ['e', 'f', 'g', 'h'];
    for (const userId of first) join(userId);
    await within(Promise.all(held.map((h) => h.started)), 2_000, 'four bounds reads');
    for (const userId of later) join(userId);
    held.forEach((h, i) => h.release(new Map([[first[i]!, none]])));
    for (const userId of [...first, ...later]) publish(userId, 1);
    for (const userId of [...first, ...later]) expect(await pushed(userId, 1)).toEqual([1]);
    // Four reads at a time; the joins that came while they were in flight were read together after them.
    expect(calls).toEqual([['a'], ['b'], ['c'], ['d'], later]);
  });
});

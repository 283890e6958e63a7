// Live outcomes of one user can reach a hub out of id order (two commits for the same recipient answered on two
// store connections in the other order, or published by two hubs). The registry must still send them in order,
// and should not read the store for an id that is about to arrive; an id that never comes is read after a grace.
import { createServer, connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_LIMITS } from '@stage/sdk/im';
import { group } from '@stage/sdk';
import type { FanoutEntry } from '../src/fanout/Fanout.js';
import type { DeviceWriter } from '../src/hub/DeviceWriter.js';
import { Logger } from '../src/hub/Logger.js';
import { Metrics, hubMetrics } from '../src/hub/Metrics.js';
import { Registry } from '../src/hub/Registry.js';
import type { Store, StoredOutcome } from '../src/store/Store.js';

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function setup(stored: StoredOutcome[]) {
  const reads: number[] = [];
  const store = {
    outcomes: {
      outcomeBounds: async () => ({ first: 0, last: 0 }),
      outcomesAfter: async (_user: string, after: number, limit: number) => {
        reads.push(after);
        return stored.filter((o) => o.id > after).slice(0, limit);
      },
    },
  } as unknown as Store;
  const registry = new Registry({ store, limits: DEFAULT_LIMITS, windowStallMs: 30_000, log: new Logger('silent'), counters: hubMetrics(new Metrics()) });
  const tasks = group(registry.task(), { size: 1, restart: 'transient', intensity: { maxRestarts: 3, withinMs: 1_000 } });
  stops.push(() => {
    registry.close();
    void tasks.shutdown();
  });
  const pushed: number[] = [];
  let onPush: (() => void) | undefined;
  const writer = {
    sendPush: (id: number) => {
      pushed.push(id);
      onPush?.();
    },
    send: () => undefined,
    disconnect: () => undefined,
    ping: () => undefined,
  } as unknown as DeviceWriter;
  const pushes = (count: number) =>
    new Promise<void>((resolve) => {
      onPush = () => pushed.length >= count && resolve();
      onPush();
    });
  registry.tell({ type: 'Join', link: { userId: 'u', deviceId: 'd', connectionId: 1, writer, heard: { at: Date.now() } }, lastOutcomeId: 0 });
  const publish = (...ids: number[]) =>
    registry.tell({ type: 'Outcome', entries: ids.map((outcomeId): FanoutEntry => ({ userId: 'u', outcomeId, outcome: { type: 'Note', outcomeId } })) });
  return { registry, reads, pushed, pushes, publish };
}

describe('the registry with outcomes out of order', () => {
  it('sends 1 then 2 when 2 arrives first, without reading the store for 1', async () => {
    const { reads, pushed, pushes, publish } = setup([]);
    publish(2);
    publish(1);
    await pushes(2);
    expect(pushed).toEqual([1, 2]);
    expect(reads).toEqual([]);
  });

  it('an ack while the next id is overdue does not read the store: the grace still holds', async () => {
    const { registry, reads, pushed, pushes, publish } = setup([]);
    publish(1);
    await pushes(1);
    publish(3); // 2 overtaken: its grace starts
    // The device acks what it has (as every device does under load), well within the grace.
    registry.tell({ type: 'Ack', userId: 'u', deviceId: 'd', connectionId: 1, outcomeId: 1 });
    publish(2);
    await pushes(3);
    expect(pushed).toEqual([1, 2, 3]);
    expect(reads).toEqual([]);
  });

  it('after an event-loop stall longer than the grace, an id already waiting on a socket is not read from the store', async () => {
    const { reads, pushed, pushes, publish } = setup([{ id: 1, body: { type: 'Note', outcomeId: 1 } }, { id: 2, body: { type: 'Note', outcomeId: 2 } }]);
    // The fan-out's socket (Redis, in a hub of several): what arrives on it is published.
    const server = createServer((socket) => socket.on('data', () => publish(1)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stops.push(() => server.close());
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    stops.push(() => client.destroy());
    await new Promise<void>((resolve) => client.once('connect', resolve));
    publish(2); // 1 overtaken: its grace starts
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pushed).toEqual([]);
    // 1 is sent on the socket, then the hub's event loop is held up for longer than the grace (a busy hub's stall).
    client.write('1');
    const until = performance.now() + 400;
    while (performance.now() < until) {
      // busy: the loop reads no socket and runs no timer meanwhile
    }
    await pushes(2);
    expect(pushed).toEqual([1, 2]);
    expect(reads).toEqual([]);
  });

  it('a second gap gets a whole grace of its own, not what was left of the first one', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
    stops.push(() => vi.useRealTimers());
    const { reads, pushed, pushes, publish } = setup([]);
    publish(1);
    await pushes(1);
    publish(3); // 2 overtaken: a 250 ms grace
    await vi.advanceTimersByTimeAsync(10);
    publish(2); // caught up after 10 ms
    await pushes(3);
    await vi.advanceTimersByTimeAsync(140);
    publish(5); // 4 overtaken at 150 ms: its grace runs to 400 ms
    await vi.advanceTimersByTimeAsync(150); // 300 ms: the first gap's timer would have fired at 250
    publish(4);
    await pushes(5);
    expect(pushed).toEqual([1, 2, 3, 4, 5]);
    expect(reads).toEqual([]);
  });

  it('reads a missing id from the store when it does not follow within the grace, then goes on in order', async () => {
    const { reads, pushed, pushes, publish } = setup([{ id: 1, body: { type: 'Note', outcomeId: 1 } }, { id: 2, body: { type: 'Note', outcomeId: 2 } }]);
    publish(2); // 1 was committed but its publish was lost
    await pushes(2);
    expect(pushed).toEqual([1, 2]);
    expect(reads).toEqual([0]);
    publish(3);
    await pushes(3);
    expect(pushed).toEqual([1, 2, 3]);
  });
});

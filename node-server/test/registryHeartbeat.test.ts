// The registry's heartbeat: a device silent for longer than idleTimeoutMs is closed (4010) after having been pinged
// at the two visits before; a device that answers its pings stays; a device heard from within the last
// idleTimeoutMs − 2 × heartbeatMs is not pinged at all (it just showed it is there: under load every device acks).
import { connect, createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, DEFAULT_LIMITS } from '@stage/sdk/im';
import { group } from '@stage/sdk';
import type { DeviceWriter } from '../src/hub/DeviceWriter.js';
import { Logger } from '../src/hub/Logger.js';
import { Metrics, hubMetrics } from '../src/hub/Metrics.js';
import { Registry } from '../src/hub/Registry.js';
import type { Store } from '../src/store/Store.js';

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

// Visits every 50 ms; closed after 300 ms of silence; not pinged if heard within the last 200 ms.
const limits = { ...DEFAULT_LIMITS, heartbeatMs: 50, idleTimeoutMs: 300 };

function setup() {
  const store = { outcomes: { outcomeBounds: async () => ({ first: 0, last: 0 }), outcomesAfter: async () => [] } } as unknown as Store;
  const registry = new Registry({ store, limits, windowStallMs: 30_000, log: new Logger('silent'), counters: hubMetrics(new Metrics()) });
  const tasks = group(registry.task(), { size: 1, restart: 'transient', intensity: { maxRestarts: 3, withinMs: 1_000 } });
  stops.push(() => {
    registry.close();
    void tasks.shutdown();
  });
  let connectionId = 0;
  /** A device whose writer records pings and closes; `answers` makes every ping come back as a pong at once. */
  const join = (deviceId: string, answers: boolean) => {
    const heard = { at: Date.now() };
    const device = { heard, pings: [] as number[], closedWith: undefined as number | undefined, closedAfterPings: 0 };
    const changed: (() => void)[] = [];
    const writer = {
      sendPush: () => undefined,
      send: () => undefined,
      ping: () => {
        device.pings.push(Date.now());
        if (answers) heard.at = Date.now();
        for (const f of changed.splice(0)) f();
      },
      disconnect: (code: number) => {
        device.closedWith = code;
        device.closedAfterPings = device.pings.length;
        for (const f of changed.splice(0)) f();
      },
    } as unknown as DeviceWriter;
    const until = (done: () => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => (done() ? resolve() : changed.push(check));
        check();
      });
    registry.tell({ type: 'Join', link: { userId: `u-${deviceId}`, deviceId, connectionId: ++connectionId, writer, heard }, lastOutcomeId: 0 });
    return { ...device, device, until };
  };
  return { join };
}

describe('the registry heartbeat', () => {
  it('does not ping a device that keeps sending frames, pings a quiet one, and closes a silent one after two pings', async () => {
    const { join } = setup();
    const talking = join('talking', false);
    const quiet = join('quiet', true);
    const dead = join('dead', false);
    // Frames keep coming from `talking` (acks, commands): its connection writes `heard` on each.
    const frames = setInterval(() => (talking.heard.at = Date.now()), 10);
    stops.push(() => clearInterval(frames));

    await dead.until(() => dead.device.closedWith !== undefined);
    expect(dead.device.closedWith).toBe(CloseCode.idle);
    // Pinged at (at least) the two visits before it was closed, as when every visit pinged.
    expect(dead.device.closedAfterPings).toBeGreaterThanOrEqual(2);

    // The quiet device answers its pings and stays; it is pinged again once it has been quiet for a while.
    await quiet.until(() => quiet.device.pings.length >= 2);
    expect(quiet.device.closedWith).toBeUndefined();

    // The talking device was visited as often and never pinged, never closed.
    expect(talking.device.pings).toEqual([]);
    expect(talking.device.closedWith).toBeUndefined();
  });

  it('pings a device last heard from longer ago than idleTimeoutMs − 2 × heartbeatMs', async () => {
    const { join } = setup();
    // A device heard 250 ms ago is pinged at its next visit (250 ≥ 300 − 2 × 50), and not closed.
    const lagging = join('lagging', false);
    lagging.heard.at = Date.now() - 250;
    await lagging.until(() => lagging.device.pings.length >= 1);
    expect(lagging.device.closedWith).toBeUndefined();
  });

  it('after an event-loop stall longer than idleTimeoutMs, reads the frames waiting on the sockets before it judges anyone silent', async () => {
    const { join } = setup();
    const device = join('behind-a-stall', false);
    // The device's socket: every frame that arrives on it is "heard", as DeviceConnection does.
    const server = createServer((socket) => socket.on('data', () => (device.heard.at = Date.now())));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stops.push(() => server.close());
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    stops.push(() => client.destroy());
    await new Promise<void>((resolve) => client.once('connect', resolve));
    device.heard.at = Date.now();
    // The device sends a frame, then the hub's event loop is held up for longer than idleTimeoutMs (300 ms): the
    // frame waits in the socket while the heartbeat's timer falls due.
    client.write('{"kind":"ping"}');
    const until = performance.now() + 450;
    while (performance.now() < until) {
      // busy: the loop reads no socket and runs no timer meanwhile
    }
    // The device stays silent after that frame: it is pinged once quiet for 200 ms, and must not be closed before.
    await device.until(() => device.device.pings.length >= 1 || device.device.closedWith !== undefined);
    expect(device.device.closedWith).toBeUndefined();
  });
});

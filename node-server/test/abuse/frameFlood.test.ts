// Attack: a client floods frames that cost the hub work but were never counted against a rate limit (issue #14,
// row 2): WebSocket pings (each answered with a pong it never reads) and refused frames (each answered with Err
// bad_schema). Every inbound frame now takes a token from the connection's frame bucket (`framesPerSecond`,
// `frameBurst`); a flood closes the connection with 4029. Scaled down from the 36 s: this hub runs with
// 100 frames/s and a burst of 200 (defaults 500 and 2,000) so that the close comes within the first few hundred
// frames however slowly a loaded CI machine lets the test send them; the bound proven is the same.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { AttackHub, describeWatch, expectResponsive, watchHub } from './support/attackHub.js';
import { closeCodeOf, connectedClient, sleep, tcpOf } from './support/attackers.js';
import type { TestClient } from '../support/TestClient.js';

let hub: AttackHub;
let bystander: TestClient;

beforeAll(async () => {
  hub = await AttackHub.start({ hubLimits: { framesPerSecond: 100, frameBurst: 200 } });
  ({ client: bystander } = await connectedClient(hub.url, 'bystander'));
});

afterAll(async () => {
  await bystander?.close();
  await hub?.stop();
});

async function flood(name: string, deviceId: string, ws: WebSocket, sendOne: () => void): Promise<void> {
  const watch = await watchHub(hub);
  const closed = closeCodeOf(ws);
  tcpOf(ws).pause();
  const started = Date.now();
  let refused: unknown;
  while (Date.now() - started < 10_000 && ws.readyState === ws.OPEN) {
    for (let i = 0; i < 200; i++) sendOne();
    refused = hub.lines.find((l) => l.msg === 'frame refused; closing' && l.deviceId === deviceId);
    if (refused) break;
    await sleep(10);
  }
  tcpOf(ws).resume();
  const code = await Promise.race([closed, sleep(8_000).then(() => 'not closed')]);
  const t0 = performance.now();
  await bystander.ok('GetGroups', {});
  const otherMs = performance.now() - t0;
  await sleep(300);
  const w = await watch.stop();
  console.log(describeWatch(name, w), `closed after ${Date.now() - started} ms`);
  expect(refused, `the hub never refused the flood; last lines: ${JSON.stringify(hub.lines.slice(-5))}`).toMatchObject({ closeCode: 4029 });
  expect(code).toBe(4029);
  expectResponsive(w, expect);
  expect(otherMs).toBeLessThan(1_000);
}

it('a client flooding WebSocket pings without reading the pongs is closed with 4029', async () => {
  const { client } = await connectedClient(hub.url, 'pinger');
  const ws = client.ws!;
  await flood('ping flood', 'pinger-1', ws, () => ws.ping());
});

it('a client flooding refused (bad_schema) frames is closed with 4029', async () => {
  const { client } = await connectedClient(hub.url, 'garbler');
  const ws = client.ws!;
  const bad = JSON.stringify({ kind: 'command', sessionId: client.sessionId, seq: 0, seal: 'x', command: { type: 'NoSuchCommand', traceId: 'bad' } });
  await flood('bad_schema flood', 'garbler-1', ws, () => ws.send(bad));
});

// The benchmark's Stage device (bench/hub/StageDevice.ts) against a stand-in hub: what it does when the hub closes
// its connection matters to every figure of `npm run bench:hub`.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { StageDevice } from '../bench/hub/StageDevice.js';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

/** Answers hello with a welcome, then keeps the socket for the test to close. */
async function standInHub(): Promise<{ port: number; connected: Promise<WebSocket> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  servers.push(wss);
  await new Promise((resolve) => wss.once('listening', resolve));
  const connected = new Promise<WebSocket>((resolve) => {
    wss.once('connection', (ws) => {
      ws.once('message', () => {
        ws.send(JSON.stringify({ kind: 'welcome', sessionId: 's1', key: '00'.repeat(32), limits: { commandsPerSecond: 50, commandBurst: 100, heartbeatMs: 5000 } }));
        resolve(ws);
      });
    });
  });
  return { port: (wss.address() as { port: number }).port, connected };
}

describe('bench StageDevice', () => {
  it('refuses a command at once on a connection the hub closed, instead of waiting for a reply that cannot come', async () => {
    const hub = await standInHub();
    const device = await StageDevice.connect({ wsBase: `ws://127.0.0.1:${hub.port}`, token: 't', deviceId: 'bench' });
    expect(device.lost).toBe(false);
    (await hub.connected).close(4010, 'idle');
    await vi.waitFor(() => expect(device.lost).toBe(true));
    expect(device.closedByHub).toBe(4010); // the harness reports lost connections by close code
    // Before: the command went into the closed socket (ws drops it without an error) and this never settled.
    const settled = await Promise.race([
      device.command('SendMessage', { stream: 's', topic: 't', content: 'x' }).then(
        () => 'replied',
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 2 s'), 2000)),
    ]);
    expect(settled).toMatch(/connection is closed/);
    device.close();
    expect(device.lost).toBe(false); // closed by the harness itself: not lost
  });
});

// ImClient against a real `ws` socket (the in-memory FakeHub cannot show what the ws library does on close).
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { WebSocketConstructor } from './WebSocketLike.js';
import { ImClient } from './ImClient.js';

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A TCP server that accepts and never answers the upgrade: the client's socket stays CONNECTING. */
async function silentServer(): Promise<{ url: string; accepted: Promise<void> }> {
  let onAccept!: () => void;
  const accepted = new Promise<void>((resolve) => (onAccept = resolve));
  server = createServer((socket) => {
    sockets.push(socket);
    onAccept();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, accepted };
}

describe('ImClient on a real ws socket', () => {
  it.each(['close', 'disconnect'] as const)('%s() while the socket is still connecting does not crash the process', async (how) => {
    const { url, accepted } = await silentServer();
    const errors: unknown[] = [];
    const onUncaught = (error: unknown): void => void errors.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const client = await ImClient.open({ url, deviceId: 'd1', token: 't', WebSocket: WebSocket as unknown as WebSocketConstructor });
      client.connect();
      await accepted; // the TCP connection is up; the HTTP upgrade is never answered
      if (how === 'close') await client.close();
      else client.disconnect();
      // ws reports an aborted handshake on the next tick: give it the chance to surface.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      if (how === 'disconnect') await client.close();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(errors).toEqual([]);
  });
});

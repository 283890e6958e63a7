// Baseline (b): a Socket.IO 4 server, WebSocket transport only. Connections authenticate in middleware (the
// handshake `auth.token`), receivers join one room, and each message from the sender is broadcast to the room WITH
// acknowledgements (`io.to(room).timeout(ms).emit(..., callback)`): every receiver acks every delivery, as Stage's
// devices ack every outcome. The sender's own emit is acked once the broadcast is handed to the sockets.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { BASELINE_TOKEN, ROOM, type BenchServer } from './protocol.js';

export async function startSocketIoServer(): Promise<BenchServer> {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
  let broadcasts = 0;
  let acked = 0;
  let timedOut = 0;
  io.use((socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown };
    next(auth.token === BASELINE_TOKEN ? undefined : new Error('unauthorized'));
  });
  io.on('connection', (socket) => {
    const auth = socket.handshake.auth as { role?: unknown };
    if (auth.role === 'receiver') void socket.join(ROOM);
    socket.on('send', (payload: unknown, ack?: (ok: boolean) => void) => {
      io.to(ROOM)
        .timeout(60_000)
        .emit('m', payload, (err: Error | null, responses: unknown[]) => {
          if (err) timedOut++;
          else acked += responses.length;
        });
      broadcasts++;
      ack?.(true);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    stats: () => ({ connections: io.engine.clientsCount, broadcasts, acked, timedOut }),
    close: () => new Promise<void>((resolve) => { io.close(() => resolve()); }),
  };
}

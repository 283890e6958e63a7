// Baselines `socketio` and `socketio_plain`: a Socket.IO 4 server, WebSocket transport only. Connections
// authenticate in middleware (the handshake's `auth.token`) and join the room named in `auth.room`. A member's
// `send` is broadcast to its room, acknowledged to the sender (the emit's ack callback) once handed to the sockets:
// - `socketio`: WITH per-delivery acks, the way the docs recommend for broadcasts
//   (`io.timeout(ms).to(room).emit(event, payload, (err, responses) => …)`): every member acks every delivery, as
//   Stage's devices ack every outcome;
// - `socketio_plain`: a plain `io.to(room).emit(event, payload)` (Socket.IO's own reliable mode is
//   connection-state recovery, not acks).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { BASELINE_TOKEN, type BenchServer } from './protocol.js';

export async function startSocketIoServer(options: { acks: boolean }): Promise<BenchServer> {
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
    const room = String((socket.handshake.auth as { room?: unknown }).room);
    void socket.join(room);
    socket.on('send', (payload: unknown, ack?: (ok: boolean) => void) => {
      if (options.acks) {
        io.timeout(60_000)
          .to(room)
          .emit('m', payload, (err: Error | null, responses: unknown[]) => {
            if (err) timedOut++;
            else acked += responses.length;
          });
      } else io.to(room).emit('m', payload);
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

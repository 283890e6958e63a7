// Baseline `ws`, the limit: a bare `ws` server. The token is checked before the upgrade; a message is framed ONCE
// (WebSocket.Sender.frame) and the same frame buffers are written to every member of the room, each member's socket
// corked on its first write of the tick and uncorked once per tick (one writev per socket per tick). No acks, no
// storage, no per-recipient work: what Node's socket layer can do on this machine.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import * as wsModule from 'ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { BASELINE_TOKEN, type BenchServer } from './protocol.js';

/** `Sender.frame` builds the frame header(s) once; @types/ws does not declare it. */
interface FrameOptions { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }
const frame = (wsModule as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } }).Sender.frame;

/** ws keeps the socket on a private field; writing pre-built frames to it is the known trick for broadcasts. */
function rawSocket(client: WebSocket): Duplex {
  return (client as unknown as { _socket: Duplex })._socket;
}

export async function startWsServer(): Promise<BenchServer> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  const rooms = new Map<string, Set<Duplex>>();
  const clients = new Set<WebSocket>();
  const corked = new Set<Duplex>();
  let broadcasts = 0;
  const uncorkAll = () => {
    for (const socket of corked) socket.uncork();
    corked.clear();
  };
  const write = (socket: Duplex, frames: Buffer[]) => {
    if (!corked.has(socket)) {
      if (corked.size === 0) process.nextTick(uncorkAll);
      socket.cork();
      corked.add(socket);
    }
    for (const f of frames) socket.write(f);
  };
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.searchParams.get('token') !== BASELINE_TOKEN) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    const name = url.searchParams.get('room') ?? '';
    wss.handleUpgrade(req, socket, head, (client) => {
      const room = rooms.get(name) ?? new Set<Duplex>();
      rooms.set(name, room);
      const raw = rawSocket(client);
      room.add(raw);
      clients.add(client);
      client.on('close', () => {
        room.delete(raw);
        clients.delete(client);
      });
      client.on('message', (data: Buffer) => {
        // data = "<seq>|<payload>"; the payload goes to the room, "<seq>" back to the sender as its ack.
        const bar = data.indexOf(0x7c);
        const frames = frame(data.subarray(bar + 1), { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false });
        for (const member of room) write(member, frames);
        broadcasts++;
        write(raw, frame(data.subarray(0, bar), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    stats: () => ({ connections: clients.size, broadcasts }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of clients) client.terminate();
        http.close(() => resolve());
      }),
  };
}

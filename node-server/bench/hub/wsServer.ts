// Baseline (c), the limit: a bare `ws` server. The token is checked before the upgrade; a message from the sender
// is framed ONCE (WebSocket.Sender.frame) and the same frames are written to every receiver's socket. No acks, no
// storage, no per-recipient work: what the hardware and Node's socket layer can do.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import * as wsModule from 'ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { BASELINE_TOKEN, type BenchServer } from './protocol.js';

/** `Sender.frame` builds the frame header(s) once; @types/ws does not declare it. */
interface FrameOptions { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }
const frame = (wsModule as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } }).Sender.frame;

/** ws keeps the socket on a private field; writing pre-built frames to it is the documented trick for broadcasts. */
function rawSocket(client: WebSocket): Duplex {
  return (client as unknown as { _socket: Duplex })._socket;
}

export async function startWsServer(): Promise<BenchServer> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  const room = new Set<WebSocket>();
  let broadcasts = 0;
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.searchParams.get('token') !== BASELINE_TOKEN) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    const role = url.searchParams.get('role');
    wss.handleUpgrade(req, socket, head, (client) => {
      if (role === 'receiver') {
        room.add(client);
        client.on('close', () => room.delete(client));
      } else if (role === 'sender') {
        client.on('message', (data: Buffer) => {
          // data = "<seq>|<payload>"; the payload goes to the room, "<seq>" back to the sender as its ack.
          const bar = data.indexOf(0x7c);
          const payload = data.subarray(bar + 1);
          const frames = frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false });
          for (const receiver of room) {
            const socket = rawSocket(receiver);
            if (frames.length === 1) socket.write(frames[0]);
            else { socket.cork(); for (const f of frames) socket.write(f); socket.uncork(); }
          }
          broadcasts++;
          client.send(data.subarray(0, bar));
        });
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    stats: () => ({ connections: room.size, broadcasts }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of room) client.terminate();
        http.close(() => resolve());
      }),
  };
}

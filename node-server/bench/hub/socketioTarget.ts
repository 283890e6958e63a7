// Client side of baseline (b): a minimal Socket.IO v5-protocol client (Engine.IO 4, WebSocket transport) on a
// plain `ws` socket, so the harness pays the same per-frame cost for every implementation. It authenticates with
// the CONNECT packet's auth payload, answers Engine.IO pings, and acks every broadcast it receives.
//   server -> "0{sid..}" (open), client -> "40{auth}", server -> "40{sid}" (connected) | "44{..}" (refused)
//   event "42[...]", event needing an ack "42<id>[...]", ack "43<id>[...]", ping "2" -> pong "3"
import { WebSocket } from 'ws';
import { BASELINE_TOKEN } from './protocol.js';
import { messageText, opened, sentAtOf, type BenchSender, type Closeable, type LoadTarget } from './target.js';

interface RawSocketIo {
  ws: WebSocket;
  /** Frames after the handshake: events and acks. */
  onPacket(handler: (frame: Buffer) => void): void;
}

async function connectSocketIo(port: number, role: string): Promise<RawSocketIo> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
  let handler: (frame: Buffer) => void = () => {};
  const connected = new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      const type = data[0];
      if (type === 0x34 /* '4' message */) {
        const sub = data[1];
        if (sub === 0x30 /* '0' connect */) resolve();
        else if (sub === 0x34 /* '4' connect_error */) reject(new Error(`socket.io refused: ${data.toString()}`));
        else handler(data);
      } else if (type === 0x30 /* '0' open */) {
        ws.send(`40${JSON.stringify({ token: BASELINE_TOKEN, role })}`);
      } else if (type === 0x32 /* '2' ping */) {
        ws.send('3');
      }
    });
    ws.once('close', () => reject(new Error('socket.io closed during the handshake')));
  });
  await opened(ws);
  await connected;
  return { ws, onPacket: (h) => { handler = h; } };
}

/** Parses the ack id in "42<id>[" / "43<id>[" (digits from offset 2). */
function ackIdOf(frame: Buffer): number {
  let id = 0;
  for (let i = 2; i < frame.length; i++) {
    const c = frame[i]!;
    if (c < 48 || c > 57) break;
    id = id * 10 + (c - 48);
  }
  return id;
}

export function socketioTarget(port: number): LoadTarget {
  return {
    label: 'socketio',
    prepare: async () => {},
    connectIdle: async () => {
      const { ws } = await connectSocketIo(port, 'idle');
      return { close: () => ws.terminate() };
    },
    connectReceiver: async (_index, onDeliver): Promise<Closeable> => {
      const io = await connectSocketIo(port, 'receiver');
      io.onPacket((frame) => {
        if (frame[1] !== 0x32 /* '2' event */) return;
        io.ws.send(`43${ackIdOf(frame)}[]`);
        onDeliver(sentAtOf(frame));
      });
      return { close: () => io.ws.terminate() };
    },
    connectSender: async (): Promise<BenchSender> => {
      const io = await connectSocketIo(port, 'sender');
      const pending = new Map<number, () => void>();
      let seq = 0;
      io.onPacket((frame) => {
        if (frame[1] !== 0x33 /* '3' ack */) return;
        const id = ackIdOf(frame);
        pending.get(id)?.();
        pending.delete(id);
      });
      return {
        send: (sentAt) =>
          new Promise<void>((resolve) => {
            const id = ++seq;
            pending.set(id, resolve);
            io.ws.send(`42${id}${JSON.stringify(['send', { text: messageText(sentAt) }])}`);
          }),
        close: () => io.ws.terminate(),
      };
    },
  };
}

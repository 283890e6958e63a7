// Client side of the Socket.IO baselines: a minimal Socket.IO v5-protocol client (Engine.IO 4, WebSocket
// transport) on a plain `ws` socket, so the harness pays the same per-frame cost for every implementation. It
// authenticates with the CONNECT packet's auth payload, answers Engine.IO pings, and acks every broadcast that asks
// for an ack (the `socketio` server asks; `socketio_plain` does not).
//   server -> "0{sid..}" (open), client -> "40{auth}", server -> "40{sid}" (connected) | "44{..}" (refused)
//   event "42[...]", event needing an ack "42<id>[...]", ack "43<id>[...]", ping "2" -> pong "3"
import { WebSocket } from 'ws';
import { BASELINE_TOKEN, roomOf, type Layout } from './protocol.js';
import { digitsAt, messageText, opened, sentAtOf, type BenchClient, type LoadTarget } from './target.js';

async function connectSocketIo(port: number, room: string, onPacket: (frame: Buffer) => void): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
  const connected = new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      const type = data[0];
      if (type === 0x34 /* '4' message */) {
        const sub = data[1];
        if (sub === 0x30 /* '0' connect */) resolve();
        else if (sub === 0x34 /* '4' connect_error */) reject(new Error(`socket.io refused: ${data.toString()}`));
        else onPacket(data);
      } else if (type === 0x30 /* '0' open */) {
        ws.send(`40${JSON.stringify({ token: BASELINE_TOKEN, room })}`);
      } else if (type === 0x32 /* '2' ping */) {
        ws.send('3');
      }
    });
    ws.once('close', () => reject(new Error('socket.io closed during the handshake')));
  });
  await opened(ws);
  await connected;
  return ws;
}

export function socketioTarget(port: number, layout: Layout, label: string): LoadTarget {
  return {
    label,
    connect: async (index, onDeliver): Promise<BenchClient> => {
      const pending = new Map<number, () => void>();
      let seq = 0;
      let ws: WebSocket | undefined;
      // eslint-disable-next-line prefer-const -- read by a callback that can run before the assignment; const would throw there
      ws = await connectSocketIo(port, roomOf(layout, index), (frame) => {
        if (frame[1] === 0x32 /* '2' event */) {
          // "42[" is an event without an ack id; "42<id>[" asks for an ack.
          if (frame[2] !== 0x5b) ws?.send(`43${digitsAt(frame, 2)}[]`);
          onDeliver(sentAtOf(frame));
        } else if (frame[1] === 0x33 /* '3' ack */) {
          const id = digitsAt(frame, 2);
          pending.get(id)?.();
          pending.delete(id);
        }
      });
      ws.once('close', () => {
        for (const done of pending.values()) done();
        pending.clear();
      });
      const socket = ws;
      return {
        send: (sentAt, bytes) =>
          new Promise<void>((resolve) => {
            const id = ++seq;
            pending.set(id, resolve);
            socket.send(`42${id}${JSON.stringify(['send', { text: messageText(sentAt, bytes) }])}`);
          }),
        close: () => socket.terminate(),
        lost: () => socket.readyState !== WebSocket.OPEN,
      };
    },
  };
}

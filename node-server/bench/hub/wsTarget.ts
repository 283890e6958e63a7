// Client side of baseline (c): receivers count pre-framed broadcasts; the sender's frames are "<seq>|<payload>"
// and the server echoes "<seq>" as its ack.
import { WebSocket } from 'ws';
import { BASELINE_TOKEN } from './protocol.js';
import { messageText, opened, sentAtOf, type BenchSender, type Closeable, type LoadTarget } from './target.js';

export function wsTarget(port: number): LoadTarget {
  const url = (role: string) => `ws://127.0.0.1:${port}/?token=${BASELINE_TOKEN}&role=${role}`;
  const connect = async (role: string): Promise<WebSocket> => {
    const ws = new WebSocket(url(role), { perMessageDeflate: false });
    await opened(ws);
    return ws;
  };
  return {
    label: 'ws',
    prepare: async () => {},
    connectIdle: async () => {
      const ws = await connect('idle');
      return { close: () => ws.terminate() };
    },
    connectReceiver: async (_index, onDeliver): Promise<Closeable> => {
      const ws = await connect('receiver');
      ws.on('message', (data: Buffer) => onDeliver(sentAtOf(data)));
      return { close: () => ws.terminate() };
    },
    connectSender: async (): Promise<BenchSender> => {
      const ws = await connect('sender');
      const pending = new Map<number, () => void>();
      let seq = 0;
      ws.on('message', (data: Buffer) => {
        const id = Number(data.toString());
        pending.get(id)?.();
        pending.delete(id);
      });
      return {
        send: (sentAt) =>
          new Promise<void>((resolve) => {
            const id = ++seq;
            pending.set(id, resolve);
            ws.send(`${id}|${JSON.stringify({ text: messageText(sentAt) })}`);
          }),
        close: () => ws.terminate(),
      };
    },
  };
}

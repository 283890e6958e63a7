// Client side of baseline `ws`: every member receives pre-framed broadcasts; a send is "<seq>|<payload>" and the
// server echoes "<seq>" (a frame without the marker) as its ack.
import { WebSocket } from 'ws';
import { BASELINE_TOKEN, roomOf, type Layout } from './protocol.js';
import { digitsAt, messageText, opened, sentAtOf, type BenchClient, type LoadTarget } from './target.js';

export function wsTarget(port: number, layout: Layout): LoadTarget {
  return {
    label: 'ws',
    connect: async (index, onDeliver): Promise<BenchClient> => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/?token=${BASELINE_TOKEN}&room=${roomOf(layout, index)}`, { perMessageDeflate: false });
      await opened(ws);
      const pending = new Map<number, () => void>();
      let seq = 0;
      ws.on('message', (data: Buffer) => {
        if (data[0] === 0x7b /* '{' a broadcast */) return onDeliver(sentAtOf(data));
        const id = digitsAt(data, 0);
        pending.get(id)?.();
        pending.delete(id);
      });
      ws.once('close', () => {
        for (const done of pending.values()) done();
        pending.clear();
      });
      return {
        send: (sentAt, bytes) =>
          new Promise<void>((resolve) => {
            const id = ++seq;
            pending.set(id, resolve);
            ws.send(`${id}|${JSON.stringify({ text: messageText(sentAt, bytes) })}`);
          }),
        close: () => ws.terminate(),
        lost: () => ws.readyState !== WebSocket.OPEN,
      };
    },
  };
}

import { describe, expect, it } from 'vitest';
import { encodePushFrame } from '@stage/sdk/im';
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { pushBody, pushFrame, pushHead, pushMessage } from './pushFrame.js';

describe('pushFrame', () => {
  it('builds the same bytes as encodePushFrame, non-ASCII content included', () => {
    const outcome = { type: 'NewMessage', text: 'héllo — 你好 👋', n: 1 };
    const json = JSON.stringify(outcome);
    const body = pushBody(json);
    for (const id of [1, 9, 10, 42, 1_000_000, 2 ** 40 + 7]) {
      const frame = pushFrame(id, body);
      expect(frame.equals(Buffer.from(encodePushFrame(id, json)))).toBe(true);
      expect(JSON.parse(frame.toString('utf8'))).toEqual({ kind: 'push', outcomeId: id, outcome });
    }
  });

  it('frames a push as one WebSocket text message of any length, read by a ws client between ws frames', async () => {
    const texts = [10, 200, 70_000].map((n) => JSON.stringify({ type: 'NewMessage', text: 'é'.repeat(n) }));
    const http = createServer();
    const wss = new WebSocketServer({ noServer: true });
    const opened = new Promise<{ ws: WebSocket; socket: Duplex }>((resolve) =>
      http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => resolve({ ws, socket }))),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as { port: number };
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const received: string[] = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (data: Buffer, isBinary: boolean) => {
        received.push(`${isBinary ? 'binary' : 'text'} ${data.toString('utf8')}`);
        if (received.length === texts.length + 1) resolve();
      }),
    );
    const { ws, socket } = await opened;
    socket.write(pushMessage(1, pushBody(texts[0]!)));
    ws.send('between');
    socket.write(pushMessage(2, pushBody(texts[1]!)));
    // As the writer sends it: its own head, then the body shared with every other recipient.
    const shared = pushBody(texts[2]!);
    socket.write(pushHead(3, shared));
    socket.write(shared);
    await all;
    expect(received).toEqual([
      `text ${encodePushFrame(1, texts[0]!)}`,
      'text between',
      `text ${encodePushFrame(2, texts[1]!)}`,
      `text ${encodePushFrame(3, texts[2]!)}`,
    ]);
    client.close();
    wss.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
});

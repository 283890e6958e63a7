// The WebSocket byte channel with machines on top, against a real WebSocket server on loopback.
// The client socket is the `ws` package's, which has the standard (browser) WebSocket API that
// WebSocketChannel relies on; in a browser the same code takes `new WebSocket(url)`.
import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { filter, firstValueFrom } from 'rxjs';
import { defineMachine, Engine, WebSocketChannel, type ByteChannel, type WebSocketLike } from './index.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function echoServer(): Promise<{ url: string; server: WebSocketServer }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  server.on('connection', (socket) => socket.on('message', (data: Buffer) => socket.send(data)));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

interface AskMsgs {
  M0: void;
  D0: void;
  D1: void;
  D2: Error;
}
interface AskData {
  readonly channel: ByteChannel;
  readonly questions: string[];
  readonly answers: string[];
  hangup: string | null;
}

const asker = defineMachine<AskMsgs, AskData>()({
  kind: 'ASK',
  initial: 'CONN',
  states: {
    CONN: {
      enter: (me) => {
        me.on('D1', me.data.channel.writable$);
        me.on('D2', me.data.channel.hangup$);
      },
      D1: (me) => me.goto('SEND'),
      D2: (me, reason) => {
        me.data.hangup = reason.message;
        me.goto('DONE');
      },
    },
    SEND: {
      enter: (me) => {
        const question = me.data.questions.shift();
        if (question === undefined) return me.goto('DRAIN');
        me.data.channel.write(new TextEncoder().encode(question));
        me.goto('RECV');
      },
    },
    RECV: {
      enter: (me) => {
        me.on('D0', me.data.channel.readable$);
        me.on('D2', me.data.channel.hangup$);
      },
      D0: (me) => {
        me.data.answers.push(new TextDecoder().decode(me.data.channel.read()!));
        me.goto('SEND');
      },
      D2: (me, reason) => {
        me.data.hangup = reason.message;
        me.goto('DONE');
      },
    },
    DRAIN: {
      enter: (me) => {
        me.on('D2', me.data.channel.hangup$);
        me.note('all answered');
      },
      D2: (me, reason) => {
        me.data.hangup = reason.message;
        me.goto('DONE');
      },
    },
    DONE: { enter: (me) => me.note('done') },
  },
});

describe('WebSocketChannel', () => {
  it('carries a machine request-reply conversation over a WebSocket and reports the hang-up (D2)', async () => {
    const { url, server } = await echoServer();
    const socket = new WebSocket(url);
    const channel = new WebSocketChannel(socket as unknown as WebSocketLike);
    cleanup.push(() => channel.close());
    const engine = new Engine();
    cleanup.push(() => engine.stop());
    const lines: string[] = [];
    engine.trace$.subscribe((entry) => lines.push(entry.line));
    const line = (text: string): Promise<unknown> => firstValueFrom(engine.trace$.pipe(filter((e) => e.line === text)));
    const answered = line('ASK-1 : all answered');
    const me = engine.spawn(asker, { channel, questions: ['ping', 'pong'], answers: [], hangup: null });
    await answered;
    expect(me.data.answers).toEqual(['ping', 'pong']);
    const done = line('ASK-1 : done');
    for (const client of server.clients) client.close();
    await done;
    expect(me.data.hangup).toMatch(/WebSocket closed/);
    expect(lines).toEqual([
      "ASK-1 @ CONN got 'D1' from OS",
      "ASK-1 @ RECV got 'D0' from OS",
      "ASK-1 @ RECV got 'D0' from OS",
      'ASK-1 : all answered',
      "ASK-1 @ DRAIN got 'D2' from OS",
      'ASK-1 : done',
    ]);
  });

  it('reports a refused connection on D2 and is never writable', async () => {
    const { url } = await echoServer();
    cleanup.pop()!(); // close the server again: nothing listens on the port now
    const channel = new WebSocketChannel(new WebSocket(url) as unknown as WebSocketLike);
    const socket = channel.socket as unknown as WebSocket;
    socket.on('error', () => undefined);
    let writable = false;
    channel.writable$.subscribe(() => (writable = true));
    const reason = await new Promise<Error>((resolve) => channel.hangup$.subscribe(resolve));
    expect(reason.message).toMatch(/WebSocket (error|closed)/);
    expect(writable).toBe(false);
    expect(channel.write(new Uint8Array([1]))).toBe(false);
  });

  it('tells how to proceed when the platform has no global WebSocket', () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
    try {
      expect(() => WebSocketChannel.connect('ws://127.0.0.1:1')).toThrow(/no global WebSocket/);
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });
});

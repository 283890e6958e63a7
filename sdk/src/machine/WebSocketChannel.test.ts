// WebSocketChannel's readiness rules over a scripted WebSocket (runs in Node and Chromium): the
// standard API events become level-triggered D0/D1/D2 the way socket channels behave.
import { describe, expect, it } from 'vitest';
import { WebSocketChannel, type WebSocketLike } from './index.js';

type Listener = (event: { readonly data: unknown }) => void;

/** A WebSocket whose events the test fires by hand. */
class ScriptedSocket implements WebSocketLike {
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  readonly url = 'ws://scripted';
  readonly sent: Uint8Array[] = [];
  private readonly listeners = new Map<string, Listener[]>();

  send(data: Uint8Array): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
    this.fire('close');
  }
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  fire(type: string, data?: unknown): void {
    if (type === 'open') this.readyState = 1;
    for (const listener of this.listeners.get(type) ?? []) listener({ data });
  }
}

describe('WebSocketChannel (scripted socket)', () => {
  it('becomes writable (D1) on open, asks for binary frames, and sends bytes', () => {
    const socket = new ScriptedSocket();
    const channel = new WebSocketChannel(socket);
    expect(socket.binaryType).toBe('arraybuffer');
    let writable = 0;
    channel.writable$.subscribe(() => writable++);
    expect(writable).toBe(0);
    expect(channel.write(new Uint8Array([1]))).toBe(false);
    socket.fire('open');
    expect(writable).toBe(1);
    expect(channel.write(new Uint8Array([7, 8]))).toBe(true);
    expect(socket.sent).toEqual([new Uint8Array([7, 8])]);
    channel.close();
  });

  it('keeps received frames until read, announcing them on every enable of D0', () => {
    const socket = new ScriptedSocket();
    const channel = new WebSocketChannel(socket);
    socket.fire('open');
    socket.fire('message', new Uint8Array([104, 105]).buffer);
    socket.fire('message', '!');
    let announced = 0;
    channel.readable$.subscribe(() => announced++).unsubscribe();
    channel.readable$.subscribe(() => announced++).unsubscribe();
    expect(announced).toBe(2);
    expect(new TextDecoder().decode(channel.read()!)).toBe('hi!');
    expect(channel.read()).toBeNull();
  });

  it('reports the close (D2) only after frames received before it were read', () => {
    const socket = new ScriptedSocket();
    const channel = new WebSocketChannel(socket);
    socket.fire('open');
    socket.fire('message', new Uint8Array([1, 2, 3]).buffer);
    socket.fire('close');
    const reasons: Error[] = [];
    channel.hangup$.subscribe((reason) => reasons.push(reason));
    expect(reasons).toEqual([]);
    expect(channel.read()).toEqual(new Uint8Array([1, 2, 3]));
    expect(reasons.map((r) => r.message)).toEqual(['ws://scripted: WebSocket closed']);
    // A late subscriber hears about it at once.
    channel.hangup$.subscribe((reason) => reasons.push(reason));
    expect(reasons).toHaveLength(2);
  });
});

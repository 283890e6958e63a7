// In the browser WebSocketChannel.connect uses the platform's own WebSocket: a refused
// connection arrives as a hang-up (D2), never as writable.
import { describe, expect, it } from 'vitest';
import { firstValueFrom } from 'rxjs';
import { WebSocketChannel } from './index.js';

describe('WebSocketChannel (browser WebSocket)', () => {
  it("reports a refused connection on D2 through the browser's WebSocket", async () => {
    const channel = WebSocketChannel.connect('ws://127.0.0.1:9/');
    let writable = false;
    const subscription = channel.writable$.subscribe(() => (writable = true));
    const reason = await firstValueFrom(channel.hangup$);
    subscription.unsubscribe();
    expect(reason.message).toMatch(/WebSocket (error|closed)/);
    expect(writable).toBe(false);
    expect(channel.write(new Uint8Array([1]))).toBe(false);
  });
});

// What the load harness needs from each implementation under test: authenticated idle connections (memory),
// receivers in the one room/stream (fan-out), and one sender. Each implementation's client speaks its wire
// protocol over a plain `ws` socket, so the client side costs the same for all three and the server is measured.

export interface Closeable {
  close(): void;
}

export interface BenchSender extends Closeable {
  /** Sends one ~200-byte message carrying `sentAt` (µs, this process's clock); resolves when the server acks it. */
  send(sentAt: number): Promise<void>;
}

export interface LoadTarget {
  readonly label: string;
  /** One-time setup for `receivers` receiving identities (accounts, tokens, the stream); may be a no-op. */
  prepare(receivers: number): Promise<void>;
  /** An authenticated connection that does nothing (memory phase). `index` < the prepared count × devices. */
  connectIdle(index: number): Promise<Closeable>;
  /** A receiver in the room; calls `onDeliver(sentAt)` per delivered message, after acking it if the protocol acks. */
  connectReceiver(index: number, onDeliver: (sentAt: number) => void): Promise<Closeable>;
  connectSender(): Promise<BenchSender>;
}

/** Padding so each message body is ~200 bytes, as the benchmark's brief says. */
const PAD = 'x'.repeat(170);

/** The message text: a timestamp marker the receivers find without parsing JSON, then padding. */
export function messageText(sentAt: number): string {
  return `@t=${sentAt};${PAD}`;
}

const MARK = Buffer.from('@t=');

/** Reads the `@t=<digits>` marker out of a received frame; -1 if absent. Cheap: no JSON parse, no string copy. */
export function sentAtOf(frame: Buffer): number {
  const at = frame.indexOf(MARK);
  if (at < 0) return -1;
  let value = 0;
  for (let i = at + 3; i < frame.length; i++) {
    const c = frame[i]!;
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  return value;
}

/** Reads the unsigned integer following `key` (e.g. `"outcomeId":`) in a frame; -1 if absent. */
export function intAfter(frame: Buffer, key: Buffer): number {
  const at = frame.indexOf(key);
  if (at < 0) return -1;
  let value = 0;
  for (let i = at + key.length; i < frame.length; i++) {
    const c = frame[i]!;
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  return value;
}

/** Microseconds on this process's monotonic clock; senders and receivers share the process, so the clock. */
export function nowMicros(): number {
  return Math.round(performance.now() * 1000);
}

export function opened(ws: import('ws').WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
  });
}

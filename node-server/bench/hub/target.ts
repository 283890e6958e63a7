// What the load harness needs from each implementation under test: a connection per member of the layout that
// receives its room's messages and can send one to its room. Each implementation's client speaks its wire protocol
// over a plain `ws` socket, so the client side costs about the same for all of them and the server is measured.

export interface BenchClient {
  /**
   * Sends one message of `bytes` bytes of text carrying `sentAt` (µs, this process's clock) to the client's room;
   * resolves when the server acknowledges it (Stage: the reply, after the commit), rejects if it refuses it.
   */
  send(sentAt: number, bytes: number): Promise<void>;
  close(): void;
  /** The server closed this connection (the harness did not): a session kept between rounds must reconnect. */
  readonly lost: () => boolean;
  /** The close code the server gave a lost connection, where the protocol has one worth reporting. */
  readonly closeCode?: () => number | undefined;
}

export interface LoadTarget {
  readonly label: string;
  /** Connection `index` of the layout; `onDeliver(sentAt)` per message received (after acking it, where acks exist). */
  connect(index: number, onDeliver: (sentAt: number) => void): Promise<BenchClient>;
}

const PAD = 'x'.repeat(8192);

/** The message text: a timestamp marker the receivers find without parsing JSON, padded to `bytes`. */
export function messageText(sentAt: number, bytes: number): string {
  const mark = `@t=${sentAt};`;
  return mark + PAD.slice(0, Math.max(0, bytes - mark.length));
}

const MARK = Buffer.from('@t=');

/** Reads the `@t=<digits>` marker out of a received frame; -1 if absent. Cheap: no JSON parse, no string copy. */
export function sentAtOf(frame: Buffer): number {
  const at = frame.indexOf(MARK);
  if (at < 0) return -1;
  return digitsAt(frame, at + 3);
}

/** The unsigned integer written in ASCII digits from `from` on. */
export function digitsAt(frame: Buffer, from: number): number {
  let value = 0;
  for (let i = from; i < frame.length; i++) {
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

// A WebSocket as a machine's byte channel, using only the standard WebSocket API (the browser's
// `globalThis.WebSocket`, or any object with the same shape such as the `ws` package's client).
// Each binary or text message's bytes join an inbox: readable$ (D0) is level-triggered like a
// socket's, writable$ (D1) fires once open with `bufferedAmount` under the high-water mark, and
// hangup$ (D2) fires on close or error after the bytes received before it were read.
import { ChannelSource } from './ChannelSource.js';
import type { ByteChannel } from './ByteChannel.js';

/** The part of the standard WebSocket API this channel uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  readonly url: string;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: (event: unknown) => void): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
}

export interface WebSocketChannelConfig {
  /** `bufferedAmount` at or above which the channel is not writable. Default 65536. */
  readonly highWaterMark?: number | undefined;
  /** How often to look at `bufferedAmount` while a writer waits (WebSocket has no drain event). Default 10 ms. */
  readonly drainPollMs?: number | undefined;
}

const OPEN = 1;
const CLOSING = 2;
const encoder = new TextEncoder();

export class WebSocketChannel implements ByteChannel {
  private inbox: Uint8Array[] = [];
  private inboxBytes = 0;
  private failure: Error | null = null;
  private ended = false;
  private drainPoll: ReturnType<typeof setTimeout> | undefined = undefined;
  private readonly highWaterMark: number;
  private readonly drainPollMs: number;

  /**
   * Opens `url` with the platform's WebSocket. Throws a TypeError naming the fix
   * when there is none (Node < 22: pass a `ws` client to the constructor instead).
   */
  static connect(url: string, config: WebSocketChannelConfig = {}): WebSocketChannel {
    const Ctor = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
    if (Ctor === undefined) {
      throw new TypeError(
        'WebSocketChannel.connect: this platform has no global WebSocket; construct the socket yourself ' +
          "(e.g. new WebSocket(url) from the 'ws' package) and pass it to new WebSocketChannel(socket).",
      );
    }
    return new WebSocketChannel(new Ctor(url), config);
  }

  constructor(
    /** The socket; owned by this channel from now on. */
    readonly socket: WebSocketLike,
    config: WebSocketChannelConfig = {},
  ) {
    this.highWaterMark = config.highWaterMark ?? 65536;
    this.drainPollMs = config.drainPollMs ?? 10;
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('open', () => this.notifyWriters());
    socket.addEventListener('message', (event) => this.receive(event.data));
    socket.addEventListener('error', () => this.hangUp(new Error(`${this.peer}: WebSocket error`)));
    socket.addEventListener('close', () => this.hangUp(new Error(`${this.peer}: WebSocket closed`)));
  }

  get peer(): string {
    return this.socket.url;
  }

  readonly readable$ = new ChannelSource<void>({ level: () => this.inboxBytes > 0 });
  readonly writable$ = new DrainSource(
    () => this.isWritable(),
    () => this.pollDrain(),
  );
  readonly hangup$ = new ChannelSource<Error>({
    level: () => this.failure !== null && this.inboxBytes === 0,
    value: () => this.failure!,
    once: true,
  });

  read(): Uint8Array | null {
    if (this.inboxBytes === 0) return null;
    const chunks = this.inbox;
    let bytes: Uint8Array;
    if (chunks.length === 1) bytes = chunks[0]!;
    else {
      bytes = new Uint8Array(this.inboxBytes);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
    }
    this.inbox = [];
    this.inboxBytes = 0;
    if (this.ended) this.announceHangup();
    return bytes;
  }

  write(bytes: Uint8Array): boolean {
    if (this.failure !== null || this.socket.readyState !== OPEN) return false;
    this.socket.send(bytes);
    return true;
  }

  close(): void {
    if (this.socket.readyState < CLOSING) this.socket.close();
    if (this.drainPoll !== undefined) clearTimeout(this.drainPoll);
  }

  private isWritable(): boolean {
    return this.failure === null && this.socket.readyState === OPEN && this.socket.bufferedAmount < this.highWaterMark;
  }

  private receive(data: unknown): void {
    const bytes =
      typeof data === 'string'
        ? encoder.encode(data)
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : ArrayBuffer.isView(data)
            ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
            : null;
    if (bytes === null || bytes.length === 0) return;
    this.inbox.push(bytes);
    this.inboxBytes += bytes.length;
    this.readable$.emit();
  }

  private notifyWriters(): void {
    if (this.isWritable()) this.writable$.emit();
  }

  private pollDrain(): void {
    if (this.drainPoll !== undefined || this.failure !== null || this.socket.readyState !== OPEN) return;
    this.drainPoll = setTimeout(() => {
      this.drainPoll = undefined;
      if (this.writable$.watching === 0) return;
      if (this.isWritable()) this.notifyWriters();
      else this.pollDrain();
    }, this.drainPollMs);
  }

  private hangUp(reason: Error): void {
    if (this.failure !== null) return;
    this.failure = reason;
    this.ended = true;
    if (this.drainPoll !== undefined) clearTimeout(this.drainPoll);
    if (this.inboxBytes === 0) this.announceHangup();
  }

  private announceHangup(): void {
    if (this.failure !== null) this.hangup$.emit(this.failure);
  }
}

/** writable$: a WebSocket has no drain event, so a watcher arriving while it is full starts a poll. */
class DrainSource extends ChannelSource<void> {
  constructor(
    private readonly isWritable: () => boolean,
    private readonly startPoll: () => void,
  ) {
    super({ level: isWritable });
  }

  override watch(watcher: { next(value: void): void }): void {
    super.watch(watcher);
    if (!this.isWritable()) this.startPoll();
  }
}

// A TCP socket as a machine's byte channel (the seed's fd under epoll): readable$ (D0) fires
// when bytes are buffered (the socket flows into a small inbox and pauses when it is full), writable$ (D1) when a write will not queue past the high-water mark
// (or once connected), hangup$ (D2) on end, error or close. Readiness is level-triggered, so a
// machine that enables a channel late still hears about bytes or a hang-up that came earlier.
import { connect, type Socket } from 'node:net';
import { ChannelSource, type ByteChannel } from '../machine/index.js';

export interface SocketConnectConfig {
  readonly port: number;
  readonly host?: string | undefined;
  /** Disable Nagle's algorithm (request-reply traffic wants it off). Default true. */
  readonly noDelay?: boolean | undefined;
}

export class SocketChannel implements ByteChannel {
  private failure: Error | null = null;
  /** Bytes received and not yet read; the socket runs in flowing mode and pauses when this is full. */
  private inbox: Buffer[] = [];
  private inboxBytes = 0;
  private ended = false;
  readonly peer: string;
  private readonly highWaterMark: number;

  /** Starts connecting and returns at once; writable$ fires when connected, hangup$ if it fails. */
  static connect(config: SocketConnectConfig): SocketChannel {
    const host = config.host ?? '127.0.0.1';
    const socket = connect({ port: config.port, host, noDelay: config.noDelay ?? true });
    return new SocketChannel(socket, `${host}:${config.port}`);
  }

  constructor(
    /** The socket; owned by this channel from now on. */
    readonly socket: Socket,
    peer?: string,
  ) {
    this.peer = peer ?? `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.highWaterMark = socket.readableHighWaterMark;
    socket.on('data', this.onData);
    socket.on('drain', this.onWritable);
    socket.on('connect', this.onWritable);
    socket.on('end', () => {
      this.ended = true;
      // Like epoll, the hang-up shows once every byte the peer sent has been read.
      if (this.inboxBytes === 0) this.hangUp(new Error(`${this.peer}: peer hung up`));
    });
    socket.on('error', (error) => this.hangUp(error));
    socket.on('close', () => this.hangUp(new Error(`${this.peer}: connection closed`)));
  }

  readonly readable$ = new ChannelSource<void>({ level: () => this.inboxBytes > 0 });
  readonly writable$ = new ChannelSource<void>({ level: () => this.isWritable() });
  readonly hangup$ = new ChannelSource<Error>({ level: () => this.failure !== null, value: () => this.failure!, once: true });

  read(): Uint8Array | null {
    const bytes = this.inboxBytes;
    if (bytes === 0) return null;
    const chunks = this.inbox;
    const out = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
    this.inbox = [];
    this.inboxBytes = 0;
    if (this.ended) this.hangUp(new Error(`${this.peer}: peer hung up`));
    else if (this.socket.isPaused()) this.socket.resume();
    return out;
  }

  write(bytes: Uint8Array): boolean {
    if (this.failure !== null || this.socket.destroyed) return false;
    this.socket.write(bytes);
    return true;
  }

  close(): void {
    this.socket.destroy();
  }

  private isWritable(): boolean {
    const socket = this.socket;
    return this.failure === null && !socket.connecting && !socket.destroyed && !socket.writableNeedDrain;
  }

  private readonly onData = (chunk: Buffer): void => {
    this.inbox.push(chunk);
    this.inboxBytes += chunk.length;
    // Backpressure: stop reading from the kernel until a reader takes the buffered bytes.
    if (this.inboxBytes >= this.highWaterMark) this.socket.pause();
    this.readable$.emit();
  };

  private readonly onWritable = (): void => {
    if (this.isWritable()) this.writable$.emit();
  };

  private hangUp(reason: Error): void {
    if (this.failure !== null) return;
    this.failure = reason;
    this.hangup$.emit(reason);
  }
}

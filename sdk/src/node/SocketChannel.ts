// A TCP socket as a machine's byte channel (the seed's fd under epoll): readable$ (D0) fires
// when bytes are buffered, writable$ (D1) when a write will not queue past the high-water mark
// (or once connected), hangup$ (D2) on end, error or close. Readiness is level-triggered, so a
// machine that enables a channel late still hears about bytes or a hang-up that came earlier.
import { connect, type Socket } from 'node:net';
import { Observable, type Subscriber } from 'rxjs';
import type { ByteChannel } from '../machine/index.js';

export interface SocketConnectConfig {
  readonly port: number;
  readonly host?: string;
  /** Disable Nagle's algorithm (request-reply traffic wants it off). Default true. */
  readonly noDelay?: boolean;
}

export class SocketChannel implements ByteChannel {
  private failure: Error | null = null;
  private readonly readers = new Set<Subscriber<void>>();
  private readonly writers = new Set<Subscriber<void>>();
  private readonly hangupWatchers = new Set<Subscriber<Error>>();
  readonly peer: string;

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
    socket.on('readable', this.onReadable);
    socket.on('drain', this.onWritable);
    socket.on('connect', this.onWritable);
    socket.on('end', () => this.hangUp(new Error(`${this.peer}: peer hung up`)));
    socket.on('error', (error) => this.hangUp(error));
    socket.on('close', () => this.hangUp(new Error(`${this.peer}: connection closed`)));
  }

  readonly readable$ = new Observable<void>((subscriber) => {
    this.readers.add(subscriber);
    if (this.socket.readableLength > 0) subscriber.next();
    return () => this.readers.delete(subscriber);
  });

  readonly writable$ = new Observable<void>((subscriber) => {
    this.writers.add(subscriber);
    if (this.isWritable()) subscriber.next();
    return () => this.writers.delete(subscriber);
  });

  readonly hangup$ = new Observable<Error>((subscriber) => {
    if (this.failure !== null) {
      subscriber.next(this.failure);
      return;
    }
    this.hangupWatchers.add(subscriber);
    return () => this.hangupWatchers.delete(subscriber);
  });

  read(): Uint8Array | null {
    const first = this.socket.read() as Buffer | null;
    if (first === null) return null;
    // read() until null so Node arms the next 'readable'.
    let next = this.socket.read() as Buffer | null;
    if (next === null) return first;
    const chunks = [first];
    while (next !== null) {
      chunks.push(next);
      next = this.socket.read() as Buffer | null;
    }
    return Buffer.concat(chunks);
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

  private readonly onReadable = (): void => {
    if (this.socket.readableLength === 0) {
      // End of stream: reading the empty buffer lets Node emit 'end', which becomes a hang-up.
      this.socket.read();
      return;
    }
    for (const reader of this.readers) reader.next();
  };

  private readonly onWritable = (): void => {
    if (!this.isWritable()) return;
    for (const writer of this.writers) writer.next();
  };

  private hangUp(reason: Error): void {
    if (this.failure !== null) return;
    this.failure = reason;
    const watchers = [...this.hangupWatchers];
    this.hangupWatchers.clear();
    for (const watcher of watchers) watcher.next(reason);
  }
}

// A listening TCP socket as a machine's event source: acceptable$ (D0) fires once per pending
// connection and accept() takes one, the seed's LISTENER accepting on EPOLLIN. Connections that
// arrive while nobody listens for D0 wait in the backlog and are announced on the next enable.
import { createServer, type Server, type Socket } from 'node:net';
import { Deque } from '../internal/Deque.js';
import { ChannelSource } from '../machine/index.js';
import { SocketChannel } from './SocketChannel.js';

export interface ListenConfig {
  /** Port to bind; 0 (default) picks a free one, see `port`. */
  readonly port?: number | undefined;
  /** Default 127.0.0.1. */
  readonly host?: string | undefined;
  /** Disable Nagle's algorithm on accepted sockets. Default true. */
  readonly noDelay?: boolean | undefined;
}

export class ListenerChannel {
  private readonly pending = new Deque<Socket>();
  private closed = false;

  /** Binds and resolves once listening. Rejects with the bind error (e.g. EADDRINUSE). */
  static listen(config: ListenConfig = {}): Promise<ListenerChannel> {
    const server = createServer({ noDelay: config.noDelay ?? true });
    const host = config.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port ?? 0, host, () => {
        server.off('error', reject);
        resolve(new ListenerChannel(server, host));
      });
    });
  }

  private constructor(
    readonly server: Server,
    readonly host: string,
  ) {
    server.on('connection', (socket) => {
      if (this.closed) {
        socket.destroy();
        return;
      }
      this.pending.push(socket);
      this.acceptable$.emit();
    });
  }

  /** The bound port. */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** One emission per pending connection: a new watcher hears about each one already waiting. */
  readonly acceptable$ = new PendingSource(() => this.pending.length);

  /** Takes the oldest pending connection, or null when none is waiting. */
  accept(): SocketChannel | null {
    const socket = this.pending.shift();
    return socket === undefined ? null : new SocketChannel(socket);
  }

  /** Stops listening and drops connections not yet accepted. Resolves when the server is closed. */
  close(): Promise<void> {
    this.closed = true;
    for (const socket of this.pending.drain()) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** acceptable$: like a ChannelSource, but a new watcher gets one announcement per pending connection. */
class PendingSource extends ChannelSource<void> {
  constructor(private readonly pendingCount: () => number) {
    super();
  }

  override watch(watcher: { next(value: void): void }): void {
    for (let i = this.pendingCount(); i > 0; i--) watcher.next();
    super.watch(watcher);
  }
}

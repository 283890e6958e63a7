// A TCP proxy in front of PostgreSQL or Redis that a test controls: `stop()` cuts every connection and refuses new
// ones (the service is down), `start()` listens again on the same port (it is back), `hold()` keeps connections open
// but forwards nothing (the service hangs mid-query) until `release()`.
import net from 'node:net';

export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private held = false;
  private readonly waiting: Array<() => void> = [];
  port = 0;

  constructor(
    private readonly target: { host: string; port: number },
  ) {}

  /** A proxy for the service of `url` (postgres://… or redis://…); `url()` gives the same URL through it. */
  static async forUrl(url: string, defaultPort: number): Promise<TcpProxy & { url: string }> {
    const u = new URL(url);
    const proxy = new TcpProxy({ host: u.hostname || '127.0.0.1', port: Number(u.port || defaultPort) });
    await proxy.start();
    u.hostname = '127.0.0.1';
    u.port = String(proxy.port);
    return Object.assign(proxy, { url: u.toString() });
  }

  /** Listens (again, on the same port after a stop). */
  async start(): Promise<void> {
    const server = net.createServer((client) => this.connect(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  /** Cuts every connection and stops listening: connects are refused until start(). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Forwards nothing in either direction until release(); connections stay open. */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    for (const resume of this.waiting.splice(0)) resume();
  }

  private connect(client: net.Socket): void {
    const upstream = net.connect(this.target);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => {
        this.sockets.delete(socket);
        (socket === client ? upstream : client).destroy();
      });
    }
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /** Copies chunks from → to, parking them while held. */
  private pipe(from: net.Socket, to: net.Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (!this.held) {
        to.write(chunk);
        return;
      }
      from.pause();
      this.waiting.push(() => {
        to.write(chunk);
        from.resume();
      });
    });
  }
}

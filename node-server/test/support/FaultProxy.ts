// A TCP proxy a test controls, to place network faults between a hub and PostgreSQL, Redis or a client:
// - `slow(ms)`: every chunk is held `ms` before it is forwarded (both directions, order kept);
// - `blackhole()`: nothing is forwarded and nothing is closed, as when packets vanish on a silent partition; what
//   was held is forwarded on `resume()`, as TCP retransmits once the link is back;
// - `cut()`: every current connection is destroyed (both ends see a reset), new ones are accepted;
// - `retarget(port)`: new connections go elsewhere (a balancer moving a device to another hub);
// - `silenceCurrent()`: the connections open now go silent for good (nothing forwarded, nothing closed), new ones
//   pass: a device's path to its hub dies silently while the balancer already routes to another hub.
import { EventEmitter } from 'node:events';
import net from 'node:net';

type Mode = { kind: 'pass' } | { kind: 'slow'; ms: number } | { kind: 'blackhole' };

interface Pipe {
  to: net.Socket;
  up: boolean;
  /** Chunks not yet forwarded, each with the time it is due. */
  queue: Array<{ chunk: Buffer; due: number }>;
  /** Chunks received while blackholed. */
  held: Buffer[];
  /** Silenced for good (silenceCurrent): chunks are dropped. */
  silenced: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class FaultProxy extends EventEmitter {
  private mode: Mode = { kind: 'pass' };
  private readonly pipes = new Set<Pipe>();
  private readonly sockets = new Set<net.Socket>();
  /** Chunks forwarded from clients to the target so far (tests await progress on it). */
  forwardedUp = 0;

  private constructor(
    private readonly server: net.Server,
    private targetPort: number,
  ) {
    super();
  }

  static async start(targetPort: number): Promise<FaultProxy> {
    const server = net.createServer();
    const proxy = new FaultProxy(server, targetPort);
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** `url` with its port replaced by the proxy's. */
  via(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  slow(ms: number): void {
    this.mode = { kind: 'slow', ms };
  }

  blackhole(): void {
    this.mode = { kind: 'blackhole' };
  }

  resume(): void {
    this.mode = { kind: 'pass' };
    for (const p of this.pipes) this.flush(p);
  }

  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  retarget(port: number): void {
    this.targetPort = port;
  }

  silenceCurrent(): void {
    for (const p of this.pipes) p.silenced = true;
  }

  /** Resolves once `n` more client→target chunks have been forwarded. */
  async untilForwardedUp(n: number): Promise<void> {
    const target = this.forwardedUp + n;
    while (this.forwardedUp < target) await new Promise((r) => this.once('up', r));
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect({ host: '127.0.0.1', port: this.targetPort });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.once('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    for (const [from, to, up] of [[client, upstream, true], [upstream, client, false]] as const) {
      const p: Pipe = { to, up, queue: [], held: [], timer: undefined, silenced: false };
      this.pipes.add(p);
      from.once('close', () => {
        this.pipes.delete(p);
        clearTimeout(p.timer);
      });
      from.on('data', (chunk: Buffer) => {
        if (p.silenced) return;
        if (this.mode.kind === 'blackhole') p.held.push(chunk);
        else this.enqueue(p, chunk);
      });
    }
  }

  private enqueue(p: Pipe, chunk: Buffer): void {
    p.queue.push({ chunk, due: Date.now() + (this.mode.kind === 'slow' ? this.mode.ms : 0) });
    this.pump(p);
  }

  /** Forwards due chunks in arrival order (a chunk never overtakes an earlier, slower one). */
  private pump(p: Pipe): void {
    while (p.timer === undefined && p.queue.length > 0) {
      const wait = p.queue[0]!.due - Date.now();
      if (wait > 0) {
        p.timer = setTimeout(() => {
          p.timer = undefined;
          this.pump(p);
        }, wait);
        return;
      }
      const { chunk } = p.queue.shift()!;
      if (p.to.destroyed) continue;
      p.to.write(chunk);
      if (p.up) {
        this.forwardedUp++;
        this.emit('up');
      }
    }
  }

  private flush(p: Pipe): void {
    for (const chunk of p.held.splice(0)) this.enqueue(p, chunk);
  }
}

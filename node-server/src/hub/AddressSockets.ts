// Anonymous TCP sockets per client address: one address cannot take all the hub's file descriptors (and with them
// every other user's logins and /healthz). A socket over the cap is destroyed as soon as it is accepted. A socket
// that becomes an authenticated WebSocket leaves the count (`authenticated`): from then on the per-user connection
// cap bounds it, so many users behind one NAT or office proxy (or a load test on loopback) are not refused.
import type { Socket } from 'node:net';

export class AddressSockets {
  private readonly open = new Map<string, number>();
  private readonly counted = new WeakSet<Socket>();

  constructor(private readonly maxPerAddress: number) {}

  /** Counts the socket until it closes; false (socket destroyed) when its address is at the cap. */
  admit(socket: Socket): boolean {
    const address = socket.remoteAddress ?? 'unknown';
    const count = this.open.get(address) ?? 0;
    if (count >= this.maxPerAddress) {
      socket.destroy();
      return false;
    }
    this.open.set(address, count + 1);
    this.counted.add(socket);
    socket.once('close', () => this.release(socket, address));
    return true;
  }

  /** The socket now carries an authenticated user's connection: it no longer counts against its address. */
  authenticated(socket: Socket): void {
    this.release(socket, socket.remoteAddress ?? 'unknown');
  }

  private release(socket: Socket, address: string): void {
    if (!this.counted.delete(socket)) return;
    const left = (this.open.get(address) ?? 1) - 1;
    if (left <= 0) this.open.delete(address);
    else this.open.set(address, left);
  }
}

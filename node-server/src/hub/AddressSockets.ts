// Open TCP sockets per client address: one address cannot take all the hub's file descriptors (and with them
// every other user's logins and /healthz). A socket over the cap is destroyed as soon as it is accepted.
import type { Socket } from 'node:net';

export class AddressSockets {
  private readonly open = new Map<string, number>();

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
    socket.once('close', () => {
      const left = (this.open.get(address) ?? 1) - 1;
      if (left <= 0) this.open.delete(address);
      else this.open.set(address, left);
    });
    return true;
  }
}

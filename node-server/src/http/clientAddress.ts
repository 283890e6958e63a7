// The address a request comes from, for per-address limits. Behind a reverse proxy every request comes from the
// proxy: with `trustProxy` set to the number of proxies in front of the hub, the client is the entry that many
// hops from the right of X-Forwarded-For (entries further left are written by the client and can be forged).
import type { IncomingMessage } from 'node:http';

export function clientAddress(req: IncomingMessage, trustProxy: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustProxy <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
  return hops[hops.length - trustProxy] ?? hops[0] ?? peer;
}

/** True for a loopback peer (127.0.0.0/8, ::1, IPv4-mapped loopback). */
export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

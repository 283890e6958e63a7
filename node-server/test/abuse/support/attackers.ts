// Attacker helpers for the abuse suite: pausing a client's TCP socket (a peer that stops reading), registering
// users, and raw loopback sockets from another address than the probes' 127.0.0.1.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { TestClient, registerUser, type Credentials } from '../../support/TestClient.js';

/** The TCP socket under a `ws` client. */
export function tcpOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}

/** Resolves with the close code the client receives (or 1006 when the hub dropped the socket). */
export function closeCodeOf(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

export async function connectedClient(url: string, username: string, deviceId = `${username}-1`): Promise<{ client: TestClient; creds: Credentials }> {
  const creds = await registerUser(url, username);
  const client = new TestClient({ baseUrl: url, token: creds.token, deviceId });
  await client.connect();
  return { client, creds };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

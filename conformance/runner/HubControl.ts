// What a conformance runner needs of the hub under test: its URL and a way to restart it (so it forgets every
// sealed session it held in memory, as after a crash). runWithHub.ts provides one over a real hub process.
export interface HubControl {
  /** http://host:port */
  readonly url: string;
  /** Restarts the hub process (same port, data dir and secret); resolves when it listens again. */
  restart(): Promise<void>;
  /** The hub secret (hex), so a runner can check welcome.key against the key derivation. */
  readonly secretHex: string;
}

// The hub's guards against abusive clients: every per-connection buffer, rate, connection count and timeout that
// is not part of the wire protocol (those are the protocol's `Limits`, announced in `welcome`). Each has a safe
// default; `docs/HUB.md` ("Limits") lists them with the close code or HTTP status a client over it gets.

export interface HubLimits {
  /**
   * Bytes a connection's writer may hold queued above the socket's high-water mark (1 MiB) while the peer does not
   * read. Over it the connection is closed with 4008 (slow consumer) and the queue is dropped.
   */
  maxQueuedBytes: number;
  /** After the hub sends a close frame, the socket is destroyed if the peer has not completed the close by then. */
  closeGraceMs: number;
  /** Inbound WebSocket frames per second per connection, every kind counted (commands, acks, pings, refused ones). */
  framesPerSecond: number;
  frameBurst: number;
  /** Commands per second per user, summed over all the user's devices (token bucket), and burst. */
  userCommandsPerSecond: number;
  userCommandBurst: number;
  /** Open WebSocket connections per user; one more is refused with HTTP 429. */
  maxConnectionsPerUser: number;
  /** Anonymous TCP sockets per client address (HTTP, SSE, and WebSockets until authenticated); more are closed at once. */
  maxSocketsPerAddress: number;
  /**
   * A socket whose request headers are not complete this long after it connected is answered 408 and closed; this
   * covers a socket that never sends a byte (Node counts from the accept) and one that trickles its headers.
   */
  headersTimeoutMs: number;
  /** A request whose body has not arrived after this long is answered 408 and closed. */
  requestTimeoutMs: number;
  /** A WebSocket that has not sent `hello` after this long is closed with 4010. */
  helloTimeoutMs: number;
  /** Open SSE streams per user; one more is answered 429. */
  maxSseStreamsPerUser: number;
  /** Bytes an SSE stream may hold unsent while the reader does not read; over it the stream is ended. */
  maxSseBufferedBytes: number;
  /** Failed logins per username before it is locked; each further failure doubles the lock (capped at 15 min). */
  loginFailuresBeforeLock: number;
  /** First lock of a username, in ms. */
  loginLockMs: number;
  /** Addresses and usernames the login limiters remember (least recently used are forgotten first). */
  limiterEntries: number;
  /**
   * How often open connections are checked against sign-outs and password changes made through other hubs (the hub
   * that takes the sign-out closes its own at once). One store query per check for all connections; none on a store
   * only this hub writes (SQLite: Store.singleWriter).
   */
  revocationCheckMs: number;
}

export const DEFAULT_HUB_LIMITS: HubLimits = {
  maxQueuedBytes: 4 * 1024 * 1024,
  closeGraceMs: 5_000,
  framesPerSecond: 500,
  frameBurst: 2_000,
  userCommandsPerSecond: 200,
  userCommandBurst: 400,
  maxConnectionsPerUser: 32,
  maxSocketsPerAddress: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  helloTimeoutMs: 10_000,
  maxSseStreamsPerUser: 8,
  maxSseBufferedBytes: 1024 * 1024,
  loginFailuresBeforeLock: 5,
  loginLockMs: 1_000,
  limiterEntries: 10_000,
  revocationCheckMs: 10_000,
};

/** Cap of the growing login lock. */
export const maxLoginLockMs = 15 * 60_000;

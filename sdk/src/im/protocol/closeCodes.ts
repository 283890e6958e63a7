// WebSocket close codes used by the hub (and the client's reaction to each). 1xxx are RFC 6455 codes;
// 4xxx are the application's own.

export const CloseCode = {
  /** Normal closure (client logout, or hub closing an idle connection politely). */
  normal: 1000,
  /** Hub shutting down (graceful). Reconnect with backoff. */
  goingAway: 1001,
  /** A frame that could not be read at all: not JSON, not an object, no kind, binary. Reconnect. */
  unreadable: 1007,
  /** A frame larger than MAX_FRAME_BYTES. Reconnect; do not resend the oversized frame. */
  tooBig: 1009,
  /** Hub internal error. Reconnect with backoff. */
  internalError: 1011,
  /** Protocol violation: a frame before `hello`, a second `hello`, an unsupported protocol version. */
  protocolError: 4000,
  /** The token expired or was revoked while connected. Log in again; do not reconnect with the same token. */
  unauthorized: 4001,
  /** The user may no longer connect (account removed). Do not reconnect. */
  forbidden: 4003,
  /** Another connection with the same deviceId replaced this one. Do not reconnect automatically. */
  replaced: 4004,
  /** The device's sealed chain could not be verified or recalled: start a fresh session (hello without sessionId). */
  brokenChain: 4005,
  /** The device's unacked window stayed full (slow consumer). Reconnect later; delivery resumes without loss. */
  windowFull: 4008,
  /** No frame (nor pong) for idleTimeoutMs: the connection is considered dead. Reconnect. */
  idle: 4010,
  /** The connection kept exceeding the rate limit after rate_limited replies. Reconnect after backoff. */
  rateLimited: 4029,
} as const;

export type CloseCodeName = keyof typeof CloseCode;
export type CloseCodeValue = (typeof CloseCode)[CloseCodeName];

/** Close codes after which a client must NOT reconnect on its own (the user has to act). */
export const terminalCloseCodes: ReadonlySet<number> = new Set<number>([CloseCode.unauthorized, CloseCode.forbidden, CloseCode.replaced]);

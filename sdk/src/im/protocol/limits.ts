// Protocol version and the limits both sides enforce. The hub announces its effective limits in the
// welcome frame; these are the defaults and the upper bounds a client can rely on.

/** Bumped on any incompatible change to a frame. Sent in `hello` and `welcome`. */
export const PROTOCOL_VERSION = 1;

/** Largest WebSocket message (UTF-8 bytes) either side accepts; larger ones close the socket with 1009. */
export const MAX_FRAME_BYTES = 64 * 1024;

/**
 * Headroom a client keeps below MAX_FRAME_BYTES for command frames, so every sealed command can be sent
 * again inside a `chain` page (whose envelope is slightly larger) when the hub recalls it.
 */
export const COMMAND_FRAME_HEADROOM = 256;

/** Largest command frame a client may send: MAX_FRAME_BYTES - COMMAND_FRAME_HEADROOM. */
export const MAX_COMMAND_FRAME_BYTES = MAX_FRAME_BYTES - COMMAND_FRAME_HEADROOM;

/** Message content, in UTF-16 code units (JSON-escaped worst case still fits a frame). */
export const MAX_CONTENT_LENGTH = 10_000;

export const MAX_NAME_LENGTH = 64;
export const MAX_TOPIC_LENGTH = 128;
export const MAX_DESCRIPTION_LENGTH = 1_000;
export const MAX_TRACE_ID_LENGTH = 64;
export const MAX_ID_LENGTH = 128;
/** Groups a stream may be visible to; users a SendMessage may narrow its recipients to. */
export const MAX_LIST_LENGTH = 256;
/** Administrators a stream's creator may name (SetStreamAdmins). */
export const MAX_STREAM_ADMINS = 32;
/**
 * Entries a recall may ask a device for: a session whose chain is longer is not rebuilt; its next command is
 * answered broken_chain and the connection closed 4005, and the device starts a fresh session (fresh chain).
 */
export const MAX_RECALL_ENTRIES = 50_000;
/**
 * Read cursors, and muted topics, one device session may hold. A MarkRead (or MuteTopic) for a new topic beyond it
 * is refused with payload_too_large; it stays in the chain and changes nothing.
 */
export const MAX_SESSION_TOPICS = 10_000;
/** Cursors, and mutes, one SyncReadState may carry (a client folds more in several). */
export const MAX_SYNC_ENTRIES = 256;
/** SearchUsers answers: default and maximum. */
export const DEFAULT_SEARCH_LIMIT = 10;
export const MAX_SEARCH_LIMIT = 20;
/** GetHistory page size: default and maximum. */
export const DEFAULT_HISTORY_LIMIT = 50;
export const MAX_HISTORY_LIMIT = 200;
/** Sealed entries per `chain` page at most (the page must also fit MAX_FRAME_BYTES). */
export const MAX_CHAIN_PAGE_ENTRIES = 256;

/** Defaults of the delivery and liveness rules (the hub may announce other values in `welcome.limits`). */
export const DEFAULT_LIMITS = {
  maxFrameBytes: MAX_FRAME_BYTES,
  /** Unacked outcomes a device may hold; when the window stays full the hub closes with 4008. */
  ackWindow: 1024,
  /** Unacked outcomes are sent again after this long without an ack (the seed's TimeOut). */
  retransmitAfterMs: 10_000,
  /**
   * Either side pings when it has sent or received nothing for this long. Chosen with idleTimeoutMs so a device
   * notices a silent cut (no FIN, no RST) and fails over in under 15 s (docs/HUB.md "Liveness"); each idle
   * connection then costs a ping and a pong each way every 5 s.
   */
  heartbeatMs: 5_000,
  /** A connection with nothing received for this long is dead and is closed (4010) by the hub; by the client when its ping went unanswered for idleTimeoutMs − heartbeatMs. */
  idleTimeoutMs: 11_000,
  /** Commands per second per connection (token bucket refill) and burst size; beyond it: Err rate_limited. */
  commandsPerSecond: 50,
  commandBurst: 100,
  /** Outcomes older than the retention window are pruned; a device further behind gets `resync`. */
  retainOutcomes: 10_000,
  /**
   * A device that keeps checkpoints gets one every this many entries of its chain: it keeps at most about this many
   * entries (plus its unanswered ones), and a recall replays at most about this many.
   */
  checkpointEvery: 256,
} as const;

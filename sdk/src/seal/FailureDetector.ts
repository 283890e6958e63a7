// Pluggable failure detection (the seed's FailureDetector): the handler watches each live
// session; when the detector declares it failed, the handler deletes its in-memory state, and the
// session is recalled lazily from the client's chain on its next message.

export interface FailureDetector {
  /** Starts watching `sessionId`; `onFailure` is called at most once, when it is deemed failed. */
  watch(sessionId: string, onFailure: () => void): SessionWatch;
  /** Stops every watch and releases timers. */
  close(): void;
}

export interface SessionWatch {
  /** Proof of life: a message or heartbeat from the session's client. */
  heartbeat(): void;
  hasFailed(): boolean;
  /** Stops watching (the session was deleted for another reason). */
  stop(): void;
}

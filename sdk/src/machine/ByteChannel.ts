// A byte stream as a machine sees it, the seed's file descriptor under epoll: readiness sources
// for D0 (can read), D1 (can write) and D2 (error / hang-up), plus non-blocking read and write.
// Readiness is level-triggered: enabling `readable$` while bytes are buffered emits at once, and
// `hangup$` emits at once on a stream that has already failed. Implemented by the in-memory pair
// here, TCP sockets in `@stage/sdk/node`, and the browser WebSocket adapter.
import type { Observable } from 'rxjs';

export interface ByteChannel {
  /** Emits when `read()` will return bytes. Subscribe in the state that reads (D0). */
  readonly readable$: Observable<void>;
  /** Emits when `write()` will be accepted without queueing beyond the high-water mark (D1). */
  readonly writable$: Observable<void>;
  /** Emits once per subscription when the stream fails or the peer hangs up (D2). */
  readonly hangup$: Observable<Error>;
  /** Takes every buffered byte, or null when none is buffered. Never blocks. */
  read(): Uint8Array | null;
  /** Queues bytes for the peer. Returns false when the stream is closed. */
  write(bytes: Uint8Array): boolean;
  /** Closes the stream; the peer sees a hang-up. Idempotent. */
  close(): void;
  /** Where the bytes come from, for traces (`127.0.0.1:3333`, `memory-2`). */
  readonly peer: string;
}

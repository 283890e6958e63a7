// An in-memory byte stream pair: what one end writes the other reads. It behaves like a socket
// under epoll (level-triggered readiness, hang-up after the buffered bytes are read), so the same
// machines run over it in Node and in the browser, and tests need no network.
import { Observable, type Subscriber } from 'rxjs';
import type { ByteChannel } from './ByteChannel.js';

export interface MemoryChannelConfig {
  /** Bytes buffered at the reader before the writer stops being writable. Default 65536. */
  readonly highWaterMark?: number;
}

let pairs = 0;

export class MemoryChannel implements ByteChannel {
  private other!: MemoryChannel;
  private inbox: Uint8Array[] = [];
  private inboxBytes = 0;
  private closedHere = false;
  private failure: Error | null = null;
  private readonly readers = new Set<Subscriber<void>>();
  private readonly writers = new Set<Subscriber<void>>();
  private readonly hangupWatchers = new Set<Subscriber<Error>>();

  /** Creates two connected ends. */
  static pair(config: MemoryChannelConfig = {}): [MemoryChannel, MemoryChannel] {
    const n = ++pairs;
    const a = new MemoryChannel(`memory-${n}b`, config.highWaterMark ?? 65536);
    const b = new MemoryChannel(`memory-${n}a`, config.highWaterMark ?? 65536);
    a.other = b;
    b.other = a;
    return [a, b];
  }

  private constructor(
    readonly peer: string,
    private readonly highWaterMark: number,
  ) {}

  readonly readable$ = new Observable<void>((subscriber) => {
    this.readers.add(subscriber);
    if (this.inboxBytes > 0) subscriber.next();
    return () => this.readers.delete(subscriber);
  });

  readonly writable$ = new Observable<void>((subscriber) => {
    this.writers.add(subscriber);
    if (this.isWritable()) subscriber.next();
    return () => this.writers.delete(subscriber);
  });

  readonly hangup$ = new Observable<Error>((subscriber) => {
    const failure = this.hangupReason();
    if (failure !== null) {
      subscriber.next(failure);
      return;
    }
    this.hangupWatchers.add(subscriber);
    return () => this.hangupWatchers.delete(subscriber);
  });

  read(): Uint8Array | null {
    if (this.inboxBytes === 0) return null;
    const chunks = this.inbox;
    const bytes = chunks.length === 1 ? chunks[0]! : concat(chunks, this.inboxBytes);
    this.inbox = [];
    this.inboxBytes = 0;
    for (const writer of [...this.other.writers]) if (this.other.isWritable()) writer.next();
    this.checkHangup();
    return bytes;
  }

  write(bytes: Uint8Array): boolean {
    if (this.closedHere || this.other.closedHere) return false;
    if (bytes.length === 0) return true;
    const target = this.other;
    target.inbox.push(bytes.slice());
    target.inboxBytes += bytes.length;
    for (const reader of [...target.readers]) reader.next();
    return true;
  }

  close(): void {
    if (this.closedHere) return;
    this.closedHere = true;
    this.inbox = [];
    this.inboxBytes = 0;
    this.checkHangup();
    this.other.checkHangup();
  }

  /** Makes both ends fail with `error`, like a connection reset. */
  fail(error: Error): void {
    this.failure = error;
    this.other.failure = error;
    this.close();
  }

  private isWritable(): boolean {
    return !this.closedHere && !this.other.closedHere && this.other.inboxBytes < this.highWaterMark;
  }

  private hangupReason(): Error | null {
    if (this.failure !== null && (this.closedHere || this.inboxBytes === 0)) return this.failure;
    if (this.closedHere) return new Error(`${this.peer}: closed here`);
    // Like TCP, the peer's hang-up shows only after every byte it sent has been read.
    if (this.other.closedHere && this.inboxBytes === 0) return new Error(`${this.peer}: peer hung up`);
    return null;
  }

  private checkHangup(): void {
    if (this.hangupWatchers.size === 0) return;
    const reason = this.hangupReason();
    if (reason === null) return;
    const watchers = [...this.hangupWatchers];
    this.hangupWatchers.clear();
    for (const watcher of watchers) watcher.next(reason);
  }
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

// An in-memory byte stream pair: what one end writes the other reads. It behaves like a socket
// under epoll (level-triggered readiness, hang-up after the buffered bytes are read), so the same
// machines run over it in Node and in the browser, and tests need no network.
import { ChannelSource } from './ChannelSource.js';
import type { ByteChannel } from './ByteChannel.js';

export interface MemoryChannelConfig {
  /** Bytes buffered at the reader before the writer stops being writable. Default 65536. */
  readonly highWaterMark?: number | undefined;
}

let pairs = 0;

export class MemoryChannel implements ByteChannel {
  private other!: MemoryChannel;
  private inbox: Uint8Array[] = [];
  private inboxBytes = 0;
  private closedHere = false;
  private failure: Error | null = null;

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

  readonly readable$ = new ChannelSource<void>({ level: () => this.inboxBytes > 0 });
  readonly writable$ = new ChannelSource<void>({ level: () => this.isWritable() });
  readonly hangup$ = new ChannelSource<Error>({
    level: () => this.hangupReason() !== null,
    value: () => this.hangupReason()!,
    once: true,
  });

  read(): Uint8Array | null {
    if (this.inboxBytes === 0) return null;
    const chunks = this.inbox;
    const bytes = chunks.length === 1 ? chunks[0]! : concat(chunks, this.inboxBytes);
    this.inbox = [];
    this.inboxBytes = 0;
    if (this.other.isWritable()) this.other.writable$.emit();
    this.checkHangup();
    return bytes;
  }

  write(bytes: Uint8Array): boolean {
    if (this.closedHere || this.other.closedHere) return false;
    if (bytes.length === 0) return true;
    const target = this.other;
    target.inbox.push(bytes.slice());
    target.inboxBytes += bytes.length;
    target.readable$.emit();
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
    if (this.hangup$.watching === 0) return;
    const reason = this.hangupReason();
    if (reason !== null) this.hangup$.emit(reason);
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

// The writer session of one connection (the seed's WebsocketSessions): the only code that sends on the socket.
// Message(text), Disconnect(code, reason) and Ping are written in the order they are posted; everything else
// (registry, command replies) posts and never touches the socket. When nothing is queued a message is written
// at once, on the caller's turn (a fan-out to 1,000 devices costs no mailbox hop, lease or wake-up per device);
// only while the socket is above its high-water mark do messages wait, in a backlog (the SDK's WorkQueue, paused
// while the socket drains) whose buffer exists only once something had to wait.
// An idle connection holds no pending receive and no queue.
//
// Frames written in one run of callbacks leave in one system call: the first write corks the TCP socket and one
// shared process.nextTick uncorks every corked socket once the current callback and its promise jobs are done. A
// group commit pushes several outcomes to each device at once; one writev per device instead of one per outcome is
// most of what a fan-out costs. (Not setImmediate: a timer due before the next check phase, such as the store's
// compaction, would run before the frames left.)
import type { Writable } from 'node:stream';
import { WebSocket } from 'ws';
import { WorkQueue } from '@stage/sdk';
import { pushFrame, pushHead } from './pushFrame.js';

export type WriterMessage =
  | { type: 'Message'; text: string }
  /** An outcome push: its id and the body shared by all its recipients (see pushFrame). */
  | { type: 'Push'; outcomeId: number; body: Buffer }
  | { type: 'Disconnect'; code: number; reason: string }
  | { type: 'Ping' }
  /** The answer to a WebSocket ping from the peer (the hub does not auto-pong: pongs count against the queue). */
  | { type: 'Pong'; data: Buffer };

/** Byte bounds of one writer (see HubLimits). */
export interface WriterBounds {
  /** Bytes queued above the high-water mark before the peer is closed with 4008 as a slow consumer. */
  maxQueuedBytes: number;
  /** After a close frame, the socket is destroyed if the close is not complete within this. */
  closeGraceMs: number;
  /** Called once when the writer gives up on a peer that does not read (before the 4008 close). */
  onSlowConsumer?: () => void;
}

const defaultBounds: WriterBounds = { maxQueuedBytes: 4 * 1024 * 1024, closeGraceMs: 5_000 };

/** WebSocket close code for a peer that does not read (the protocol's "window full / slow consumer"). */
const slowConsumerCode = 4008;

/** Above this many buffered bytes the writer waits for the socket before writing more. */
const highWaterBytes = 1 << 20;

/** Push frames built as Buffers are text frames (they hold UTF-8 JSON). */
const textFrame = { binary: false } as const;

/** Sockets corked during this run of callbacks, uncorked together by one process.nextTick. */
const corked: Writable[] = [];
let uncorkScheduled = false;

function uncorkAll(): void {
  uncorkScheduled = false;
  for (const socket of corked.splice(0)) socket.uncork();
}

function corkUntilTick(socket: Writable): void {
  if (socket.writableCorked > 0) return;
  socket.cork();
  corked.push(socket);
  if (!uncorkScheduled) {
    uncorkScheduled = true;
    process.nextTick(uncorkAll);
  }
}

export class DeviceWriter {
  /**
   * Messages posted while the writer waits for the socket to drain, written in order once it did. Paused exactly
   * while `waiting`; messages are offered only then (otherwise they are written at once).
   */
  private readonly backlog = new WorkQueue<WriterMessage>((message) => {
    this.queuedBytes -= sizeOf(message);
    this.write(message);
  });
  /** Bytes of the messages in `backlog`. */
  private queuedBytes = 0;
  private waiting = false;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private stoppedPromise: Promise<void> | undefined;
  private onStopped: (() => void) | undefined;

  /** `socket`: the connection's TCP socket (the one given to handleUpgrade), corked to batch writes; optional. */
  constructor(
    private readonly ws: WebSocket,
    private readonly socket?: Writable,
    private readonly bounds: WriterBounds = defaultBounds,
  ) {
    ws.once('close', () => {
      this.stop();
      clearTimeout(this.graceTimer);
    });
  }

  /** Resolves when the writer has stopped (socket closed or Disconnect written). */
  get done(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return (this.stoppedPromise ??= new Promise<void>((resolve) => (this.onStopped = resolve)));
  }

  send(text: string): void {
    this.post({ type: 'Message', text });
  }

  sendPush(outcomeId: number, body: Buffer): void {
    this.post({ type: 'Push', outcomeId, body });
  }

  disconnect(code: number, reason: string): void {
    this.post({ type: 'Disconnect', code, reason: reason.slice(0, 120) });
  }

  ping(): void {
    this.post({ type: 'Ping' });
  }

  pong(data: Buffer): void {
    this.post({ type: 'Pong', data });
  }

  /** Bytes waiting in the writer's queue (not yet handed to the socket). */
  get queued(): number {
    return this.queuedBytes;
  }

  get closed(): boolean {
    return this.stopped;
  }

  private post(message: WriterMessage): void {
    if (this.stopped) return;
    if (!this.waiting) return this.write(message);
    if (message.type === 'Disconnect') {
      // A close jumps the queue: what waits would only delay it behind a peer that does not read.
      this.dropBacklog();
      return this.write(message);
    }
    this.queuedBytes += sizeOf(message);
    if (this.queuedBytes > this.bounds.maxQueuedBytes) {
      this.dropBacklog();
      this.bounds.onSlowConsumer?.();
      return this.write({ type: 'Disconnect', code: slowConsumerCode, reason: `slow consumer: over ${this.bounds.maxQueuedBytes} bytes unread` });
    }
    this.backlog.offer(message);
  }

  private dropBacklog(): void {
    this.backlog.clear();
    this.queuedBytes = 0;
  }

  private write(message: WriterMessage): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.socket) corkUntilTick(this.socket);
    switch (message.type) {
      case 'Message':
      case 'Push':
      case 'Pong': {
        // Backpressure: above the high-water mark this message goes out, later ones wait until the socket took it.
        const resume = this.ws.bufferedAmount > highWaterBytes ? () => this.resume() : undefined;
        if (resume) {
          this.waiting = true;
          this.backlog.pause();
        }
        if (message.type === 'Message') this.ws.send(message.text, resume);
        else if (message.type === 'Pong') this.ws.pong(message.data, undefined, resume);
        else if (this.socket) {
          // The head, then the body every recipient shares: two chunks of the socket's next writev (see pushFrame).
          this.socket.write(pushHead(message.outcomeId, message.body));
          this.socket.write(message.body, resume);
        }
        else this.ws.send(pushFrame(message.outcomeId, message.body), textFrame, resume);
        return;
      }
      case 'Ping':
        this.ws.ping();
        return;
      case 'Disconnect':
        this.ws.close(message.code, message.reason);
        this.stop();
        // A peer that does not read never completes the close: free the socket and its buffers after the grace.
        this.graceTimer = setTimeout(() => this.ws.terminate(), this.bounds.closeGraceMs);
        this.graceTimer.unref();
        return;
    }
  }

  /** The socket drained (or failed): write what waited, in order, until it fills up again. */
  private resume(): void {
    this.waiting = false;
    this.backlog.resume(); // writes what waited until a write finds the socket full again (and pauses it)
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.dropBacklog();
    this.backlog.close();
    this.onStopped?.();
  }
}

/** Bytes a queued message will take on the wire (UTF-16 length is close enough for JSON text). */
function sizeOf(message: WriterMessage): number {
  switch (message.type) {
    case 'Message':
      return message.text.length;
    case 'Push':
      return message.body.length + 32;
    case 'Pong':
      return message.data.length + 2;
    default:
      return 2;
  }
}

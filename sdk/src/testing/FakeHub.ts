// An in-memory hub for testing an app built on ImClient (`@stage/sdk/testing`, also the SDK's own tests): speaks the protocol of docs/PROTOCOL.md over fake WebSockets,
// verifies sealed commands with the real SessionHandler (so recall is the real thing), keeps a per-user outcome
// log with replay and resync, records replies by trace id, and lets a test drop connections, restart (lose
// every session), rate-limit, or lose a reply. Domain commands are answered by a pluggable `execute`. With
// `checkpointEvery` it seals checkpoints as the hub does, for devices that ask for them.
import { toHex } from '../internal/hex.js';
import { ChainError } from '../seal/ChainError.js';
import { SessionHandler, type RecallPage } from '../seal/SessionHandler.js';
import type { WebSocketConstructor, WebSocketLike, CloseEventLike, MessageEventLike } from '../im/client/WebSocketLike.js';
import { readCommandTypes, type Command } from '../im/protocol/commands.js';
import { deviceSession, type DeviceSessionState } from '../im/protocol/deviceSession.js';
import { isTransientErrorCode, type ErrorBody } from '../im/protocol/errors.js';
import { decodeClientFrame, defaultLimits, encodePushFrame, serializeOutcome, type ClientFrame, type HubFrame, type SealedCommand } from '../im/protocol/frames.js';
import type { Outcome } from '../im/protocol/outcomes.js';

export type Execution = { data: unknown; outcomes?: Outcome[] } | { error: ErrorBody };

export interface FakeHubConfig {
  readonly userId?: string;
  readonly username?: string;
  /** Hub secret (≥ 16 bytes). */
  readonly secret?: Uint8Array;
  /** Answers a command (once per trace id). Default: canned data for reads, a message for SendMessage. */
  readonly execute?: (command: Command, hub: FakeHub) => Execution;
  /** Liveness limits announced in welcome; default 60 s / 120 s, so tests on fake timers see few pings. */
  readonly liveness?: { readonly heartbeatMs: number; readonly idleTimeoutMs: number };
  /** Seal a checkpoint every this many entries for devices whose hello asked (PROTOCOL.md §5). Default: never. */
  readonly checkpointEvery?: number;
}

interface Recall {
  readonly pages: Array<RecallPage<Command>>;
  done: boolean;
  missing: boolean;
  wake: (() => void) | undefined;
}

export class FakeSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: MessageEventLike) => void) | null = null;
  onclose: ((event: CloseEventLike) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  sessionId: string | undefined;
  /** The device's hello asked for checkpoints. */
  checkpoints = false;
  deviceId: string;
  readonly recalls = new Map<string, Recall>();
  closing = false;
  /** A silent socket stays open but neither side's frames get through (a dead peer behind a live TCP). */
  silent = false;
  /** Frames are handled one at a time, like the hub's per-connection loop. */
  queue: Promise<void> = Promise.resolve();

  constructor(
    readonly hub: FakeHub,
    readonly url: string,
    /** The subprotocols the client offered (the token travels in one of them). */
    readonly protocols: readonly string[] = [],
  ) {
    this.deviceId = decodeURIComponent(url.split('/').pop() ?? '');
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('FakeSocket: send on a socket that is not open');
    if (this.closing || this.silent) return;
    // Chain pages answer a recall that a queued command is waiting on: they must not queue behind it.
    if (data.startsWith('{"kind":"chain"')) {
      void this.hub.receive(this, data);
      return;
    }
    this.queue = this.queue.then(() => this.hub.receive(this, data)).catch((error: unknown) => {
      this.hub.errors.push(error);
    });
  }

  close(code = 1000, reason = ''): void {
    this.closeFromHub(code, reason);
  }

  /** Hub → client. */
  deliver(frame: HubFrame | string): void {
    if (this.readyState !== 1 || this.closing || this.silent) return;
    const data = typeof frame === 'string' ? frame : JSON.stringify(frame);
    queueMicrotask(() => {
      if (this.readyState === 1) this.onmessage?.({ data });
    });
  }

  closeFromHub(code: number, reason = ''): void {
    if (this.readyState >= 2 || this.closing) return;
    // Frames already delivered still arrive first, as over a real socket.
    this.closing = true;
    this.hub.sockets.delete(this);
    for (const recall of this.recalls.values()) {
      recall.done = true;
      recall.missing = true;
      recall.wake?.();
    }
    queueMicrotask(() => {
      this.readyState = 3;
      this.onclose?.({ code, reason });
    });
  }
}

export class FakeHub {
  readonly userId: string;
  readonly username: string;
  readonly sockets = new Set<FakeSocket>();
  /** Every frame received, decoded. */
  readonly received: ClientFrame[] = [];
  /** Domain commands executed (once per trace id), in order. */
  readonly executed: Command[] = [];
  readonly outcomes: Outcome[] = [];
  readonly replies = new Map<string, HubFrame>();
  readonly errors: unknown[] = [];
  handler: SessionHandler<DeviceSessionState, Command>;
  secret: Uint8Array;
  accepting = true;
  /** Highest cumulative ack received. */
  acked = 0;
  /** Outcomes with id below this are pruned (resync for devices further behind). */
  retainedFrom = 1;
  recallsServed = 0;
  /** Commands refused with rate_limited while > 0 (decremented per refusal). */
  rateLimitNext = 0;
  /** Close the connection instead of replying to the next N executed commands (their effects stay). */
  loseRepliesNext = 0;
  readonly #execute: (command: Command, hub: FakeHub) => Execution;
  readonly #liveness: { readonly heartbeatMs: number; readonly idleTimeoutMs: number };
  readonly #checkpointEvery: number | undefined;
  /** Checkpoint frames sent, in order. */
  readonly checkpointsSent: Array<Extract<HubFrame, { kind: 'checkpoint' }>> = [];
  #sessionCounter = 0;
  /** Session ids this hub issued, with the secret they were issued under (see hello). */
  readonly #issuedUnder = new Map<string, string>();
  #recallCounter = 0;
  #rateLimitedFrom = new Map<string, number>();

  readonly WebSocket: WebSocketConstructor;

  constructor(config: FakeHubConfig = {}) {
    this.userId = config.userId ?? 'u1';
    this.username = config.username ?? 'alice';
    this.secret = config.secret ?? new Uint8Array(32).fill(7);
    this.#execute = config.execute ?? defaultExecute;
    this.#liveness = config.liveness ?? { heartbeatMs: 60_000, idleTimeoutMs: 120_000 };
    this.#checkpointEvery = config.checkpointEvery;
    this.handler = this.#newHandler();
    // Inside the socket class below `this` is the socket; the sockets reach their hub through this name.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const hub = this;
    this.WebSocket = class extends FakeSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(hub, url, typeof protocols === 'string' ? [protocols] : (protocols ?? []));
        hub.sockets.add(this);
        queueMicrotask(() => {
          if (!hub.accepting) {
            hub.sockets.delete(this);
            this.readyState = 3;
            this.onerror?.({});
            this.onclose?.({ code: 1006, reason: 'connection refused' });
            return;
          }
          this.readyState = 1;
          this.onopen?.({});
        });
      }
    };
  }

  #newHandler(): SessionHandler<DeviceSessionState, Command> {
    return new SessionHandler<DeviceSessionState, Command>({
      secret: this.secret,
      definition: deviceSession,
      failureDetector: null,
      newSessionId: () => `s-${Date.now().toString(36)}-${++this.#sessionCounter}`,
    });
  }

  /** Loses every session (a crash); sockets are closed with 1001 unless `keepSockets`. */
  restart(options: { keepSockets?: boolean; secret?: Uint8Array } = {}): void {
    this.handler.close();
    if (options.secret) this.secret = options.secret;
    this.handler = this.#newHandler();
    if (!options.keepSockets) this.drop(1001, 'hub restarting');
  }

  /** Every open socket goes silent (frames lost both ways, no close): new connections are normal. */
  silence(): void {
    for (const socket of this.sockets) socket.silent = true;
  }

  drop(code = 1006, reason = 'dropped'): void {
    for (const socket of [...this.sockets]) socket.closeFromHub(code, reason);
  }

  /** Appends an outcome to the user's log and pushes it to every connected device. */
  push(outcome: Outcome): number {
    this.outcomes.push(outcome);
    const id = this.outcomes.length;
    const json = serializeOutcome(outcome);
    for (const socket of this.sockets) if (socket.sessionId) socket.deliver(encodePushFrame(id, json));
    return id;
  }

  /** Sends `frame` to every welcomed device (e.g. a forged checkpoint, in a test). */
  sendToDevices(frame: HubFrame): void {
    for (const socket of this.sockets) if (socket.sessionId) socket.deliver(frame);
  }

  /** Sends again every outcome after `afterId` to every welcomed device (a retransmit). */
  retransmit(afterId: number): void {
    for (const socket of this.sockets) if (socket.sessionId) this.#replay(socket, afterId);
  }

  #replay(socket: FakeSocket, afterId: number): void {
    for (let id = Math.max(afterId + 1, this.retainedFrom); id <= this.outcomes.length; id++) {
      socket.deliver(encodePushFrame(id, serializeOutcome(this.outcomes[id - 1]!)));
    }
  }

  #secretTag(): string {
    return this.secret.join(',');
  }

  sessionState(sessionId: string): DeviceSessionState | undefined {
    return this.handler.state(sessionId);
  }

  async receive(socket: FakeSocket, text: string): Promise<void> {
    const decoded = decodeClientFrame(text);
    if (!decoded.ok) {
      if (decoded.traceId !== undefined) socket.deliver({ kind: 'reply', traceId: decoded.traceId, ok: false, error: decoded.error });
      else socket.closeFromHub(decoded.closeCode ?? 1007, decoded.error.message);
      return;
    }
    const frame = decoded.frame;
    this.received.push(frame);
    switch (frame.kind) {
      case 'hello': {
        // The device's last processed id is an ack too (its ack frame may have been lost with the old socket).
        this.acked = Math.max(this.acked, frame.lastOutcomeId);
        // As the hub (whose ids carry a MAC under its secret): an id is resumed only if this hub issued it under its
        // current secret; after a restart with another secret the device starts a fresh session.
        const issued = frame.sessionId !== undefined && this.#issuedUnder.get(frame.sessionId) === this.#secretTag();
        const sessionId = issued ? frame.sessionId! : this.handler.initiate().sessionId;
        this.#issuedUnder.set(sessionId, this.#secretTag());
        socket.sessionId = sessionId;
        socket.checkpoints = frame.checkpoints === true;
        const keyHex = toHex(this.handler.keyOf(sessionId));
        socket.deliver({
          kind: 'welcome',
          protocol: 1,
          userId: this.userId,
          username: this.username,
          deviceId: socket.deviceId,
          sessionId,
          key: keyHex,
          resumed: issued,
          latestOutcomeId: this.outcomes.length,
          limits: { ...defaultLimits, ...this.#liveness, ...(this.#checkpointEvery !== undefined ? { checkpointEvery: this.#checkpointEvery } : {}) },
        });
        if (frame.lastOutcomeId + 1 < this.retainedFrom) {
          socket.deliver({ kind: 'resync', reason: 'beyond_retention', lastOutcomeId: this.outcomes.length });
        } else {
          this.#replay(socket, frame.lastOutcomeId);
        }
        return;
      }
      case 'ack':
        this.acked = Math.max(this.acked, frame.outcomeId);
        return;
      case 'ping':
        socket.deliver({ kind: 'pong', ...(frame.t !== undefined ? { t: frame.t } : {}) });
        return;
      case 'chain': {
        const recall = socket.recalls.get(frame.recallId);
        if (!recall) return;
        const entries = frame.entries as SealedCommand[];
        recall.pages.push(frame.checkpoint !== undefined ? { checkpoint: frame.checkpoint, entries } : entries);
        if (frame.done) recall.done = true;
        if (frame.missing) recall.missing = true;
        recall.wake?.();
        return;
      }
      case 'command':
        return this.#command(socket, frame.sessionId, { seq: frame.seq, seal: frame.seal, body: frame.command });
    }
  }

  async #command(socket: FakeSocket, sessionId: string, entry: SealedCommand): Promise<void> {
    const traceId = entry.body.traceId;
    const reply = (frame: HubFrame) => socket.deliver(frame);
    if (sessionId !== socket.sessionId) {
      reply({ kind: 'reply', traceId, ok: false, error: { code: 'unknown_session', message: 'not this connection\'s session' } });
      return;
    }
    const blockedFrom = this.#rateLimitedFrom.get(sessionId);
    if (this.rateLimitNext > 0 || (blockedFrom !== undefined && entry.seq > blockedFrom)) {
      if (this.rateLimitNext > 0) {
        this.rateLimitNext--;
        if (blockedFrom === undefined || entry.seq < blockedFrom) this.#rateLimitedFrom.set(sessionId, entry.seq);
      }
      reply({ kind: 'reply', traceId, ok: false, error: { code: 'rate_limited', message: 'slow down', retryAfterMs: 20 } });
      return;
    }
    if (blockedFrom === entry.seq) this.#rateLimitedFrom.delete(sessionId);
    let checkpoint: Extract<HubFrame, { kind: 'checkpoint' }> | undefined;
    try {
      await this.handler.receive(sessionId, entry, (id, upTo) => this.#recall(socket, id, upTo));
      const every = this.#checkpointEvery;
      if (socket.checkpoints && every !== undefined && (entry.seq + 1) % every === 0) {
        const sealed = this.handler.checkpoint(sessionId);
        if (sealed?.seq === entry.seq + 1) checkpoint = { kind: 'checkpoint', sessionId, checkpoint: sealed };
      }
    } catch (error) {
      if (!(error instanceof ChainError) || error.code !== 'duplicate') {
        reply({ kind: 'reply', traceId, ok: false, error: { code: 'broken_chain', message: String(error) } });
        socket.closeFromHub(4005, 'broken chain');
        return;
      }
    }
    const recorded = this.replies.get(traceId);
    if (recorded) {
      reply(recorded);
      this.#sendCheckpoint(socket, checkpoint);
      return;
    }
    const command = entry.body;
    const result = this.#execute(command, this);
    const frame: HubFrame =
      'error' in result
        ? { kind: 'reply', traceId, ok: false, error: result.error }
        : { kind: 'reply', traceId, ok: true, type: command.type, data: result.data };
    // As the hub does (PROTOCOL.md §7): a transient Err changed nothing and is not recorded, so a resend runs again.
    const transient = 'error' in result && isTransientErrorCode(result.error.code);
    if (!transient && !readCommandTypes.has(command.type)) {
      this.executed.push(command);
      this.replies.set(traceId, frame);
    }
    for (const outcome of 'error' in result ? [] : (result.outcomes ?? [])) this.push(outcome);
    if (this.loseRepliesNext > 0) {
      this.loseRepliesNext--;
      socket.closeFromHub(1006, 'lost before the reply');
      return;
    }
    reply(frame);
    this.#sendCheckpoint(socket, checkpoint);
  }

  /** As the hub: after the reply of the entry before it. */
  #sendCheckpoint(socket: FakeSocket, checkpoint: Extract<HubFrame, { kind: 'checkpoint' }> | undefined): void {
    if (checkpoint === undefined) return;
    this.checkpointsSent.push(checkpoint);
    socket.deliver(checkpoint);
  }

  async *#recall(socket: FakeSocket, sessionId: string, upTo: number): AsyncIterable<RecallPage<Command>> {
    this.recallsServed++;
    const recallId = `r${++this.#recallCounter}`;
    const recall: Recall = { pages: [], done: false, missing: false, wake: undefined };
    socket.recalls.set(recallId, recall);
    socket.deliver({ kind: 'recall', recallId, sessionId, fromSeq: 0, toSeq: upTo });
    try {
      while (true) {
        while (recall.pages.length > 0) yield recall.pages.shift()!;
        if (recall.done) break;
        await new Promise<void>((resolve) => (recall.wake = resolve));
        recall.wake = undefined;
      }
      if (recall.missing) return;
    } finally {
      socket.recalls.delete(recallId);
    }
  }
}

let messageCounter = 0;

/** Canned answers: enough for the client's tests. */
export function defaultExecute(command: Command, hub: FakeHub): Execution {
  const now = 1_700_000_000_000;
  switch (command.type) {
    case 'SendMessage': {
      const seq = ++messageCounter;
      const message = {
        messageId: `m${seq}`,
        seq,
        stream: command.stream,
        topic: command.topic,
        senderId: hub.userId,
        senderName: hub.username,
        content: command.content,
        createdAt: now,
        editedAt: null,
        deleted: false,
      };
      return { data: { message }, outcomes: [{ type: 'NewMessage', message }] };
    }
    case 'GetStreams':
      return { data: { streams: [], topics: [] } };
    case 'GetGroups':
      return { data: { groups: [] } };
    case 'GetSessionState':
      return { data: { cursors: [], muted: [], unread: [] } };
    case 'GetReadState':
      return { data: { cursors: [], muted: [], unread: [], fold: { cursors: [], mutes: [] } } };
    case 'SyncReadState':
      return { data: { cursors: command.cursors, unread: command.cursors.map(({ stream, topic }) => ({ stream, topic, count: 0 })) } };
    case 'MarkRead':
      return { data: { cursor: { stream: command.stream, topic: command.topic, upTo: command.upTo }, unread: 0 } };
    case 'MuteTopic':
    case 'UnmuteTopic':
      return { data: { muted: [] } };
    case 'CreateGroup':
      return { data: { group: { groupId: `g-${command.traceId}`, name: command.name, description: command.description ?? '', ownerId: hub.userId, createdAt: now } } };
    default:
      return { error: { code: 'internal', message: `FakeHub has no canned answer for ${command.type}` } };
  }
}

// The reading side of one device's WebSocket: decodes and validates every frame, answers or closes as the
// protocol says, and turns frames into messages for the sessions that own the work. Control frames (ack, chain,
// ping) are handled as they arrive; command frames go through this connection's inbound queue and are
// handled in order (a device's commands form one sealed chain): seal check and lazy recall by the SessionHandler,
// then execution by the supervised CommandRunner, then the reply through the writer session. The next command
// starts as soon as the previous one's writes are ordered in the store (not when they are committed), so a device
// sending many commands fills a group commit; replies still leave in command order, each after its commit.
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import { ChainError, WorkQueue, type RecallPage, type SealedEntry, type SessionHandler } from '@stage/sdk';
import {
  COMMAND_FRAME_HEADROOM,
  CloseCode,
  MAX_CHAIN_PAGE_ENTRIES,
  PROTOCOL_VERSION,
  SessionLimitError,
  decodeClientFrame,
  type ChainFrame,
  type Command,
  type CommandFrame,
  type DeviceSessionState,
  type ErrorBody,
  type HelloFrame,
  type Limits,
} from '@stage/sdk/im';
import type { Store } from '../store/Store.js';
import type { AppliedEntries } from './AppliedEntries.js';
import { errReply, type CommandRunner, type ReplyFrame } from './CommandRunner.js';
import { DeviceWriter } from './DeviceWriter.js';
import type { Logger } from './Logger.js';
import type { HubLimits } from './HubLimits.js';
import type { HubCounters } from './Metrics.js';
import type { Registry } from './Registry.js';
import type { JoinBounds } from './JoinBounds.js';
import type { SessionIds } from './SessionIds.js';
import { TokenBucket } from './TokenBucket.js';

export interface ConnectionDeps {
  store: Store;
  registry: Registry;
  /** The welcome's newest outcome id, read with the other joins of the moment (shared with the registry). */
  joinBounds: JoinBounds;
  sessions: SessionHandler<DeviceSessionState, Command>;
  /** Issues session ids and recognises the ones this hub issued (a hello with any other id gets a fresh session). */
  sessionIds: SessionIds;
  /** Recently applied entries per session, to recognise resent ones on any connection of the device. */
  applied: AppliedEntries;
  runner: CommandRunner;
  limits: Limits;
  /** Byte bounds, frame rate and hello timeout of a connection. */
  hubLimits: HubLimits;
  /** The command bucket shared by all the devices of a user. */
  userCommands(userId: string): TokenBucket;
  log: Logger;
  counters: HubCounters;
  /** How long the hub waits for the pages of a recall. */
  recallTimeoutMs: number;
  onRecall(sessionId: string, identity: DeviceIdentity): void;
}

export interface DeviceIdentity {
  userId: string;
  username: string;
  deviceId: string;
  /** When the token the connection was opened with expires (ms since the epoch): the socket is closed 4001 then. */
  tokenExpiresAt?: number;
  /** The token's login and issue time: a sign-out or a password change closes the connection 4001. */
  loginId?: string;
  tokenIssuedAt?: number;
}

/**
 * A command frame on the inbound queue. `refused`: its command failed the schema but its envelope is well formed,
 * so it is an entry of the chain: its seal is checked and the chain moves on, and it is answered `refused`, never
 * executed (`command` is then the body as sent, not a valid Command).
 */
type InboundCommand = CommandFrame & { refused?: ErrorBody };

/** A command handed to the runner: its reply, and when the next command of the device may start. */
interface StartedCommand {
  reply: Promise<ReplyFrame | undefined>;
  ordered: Promise<void>;
  /** A checkpoint frame (JSON) to send once the reply was written: the device then has every reply before it. */
  checkpoint?: string;
}

/** Rate-limited frames in a row after which the connection is closed with 4029. */
const rateLimitStrikes = 200;

let nextConnectionId = 1;

/** A recall in progress: pages of chain frames, consumed by the SessionHandler as an async iterable. */
class RecallPages {
  private readonly pages: ChainFrame[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  push(frame: ChainFrame): void {
    this.pages.push(frame);
    this.wake?.();
  }
  fail(error: Error): void {
    this.failure = error;
    this.wake?.();
  }
  async *iterate(timeoutMs: number): AsyncIterable<ChainFrame> {
    for (;;) {
      while (this.pages.length === 0) {
        if (this.failure) throw this.failure;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.failure ??= new ChainError('truncated', `the device did not answer the recall within ${timeoutMs} ms`);
            resolve();
          }, timeoutMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
      const page = this.pages.shift()!;
      if (page.missing) throw new ChainError('truncated', 'the device no longer has the entries the hub needs');
      yield page;
      if (page.done) return;
    }
  }
}

export class DeviceConnection {
  readonly connectionId = nextConnectionId++;
  readonly writer: DeviceWriter;
  /**
   * Command frames, handled one at a time in arrival order, bounded by `commandBurst * 2` with the one being
   * handled. The SDK's WorkQueue runs its handler only while there is something to handle, so an idle connection
   * holds no pending receive.
   */
  private readonly inbound: WorkQueue<InboundCommand>;
  /** Replies of started commands, written in command order; settles when the last one was written. */
  private replies: Promise<void> = Promise.resolve();
  private readonly bucket: TokenBucket;
  /** Every inbound frame takes a token (commands, acks, pings, refused frames): a flood closes with 4029. */
  private readonly frames: TokenBucket;
  private recalls: Map<string, RecallPages> | undefined;
  private state: 'hello' | 'welcoming' | 'ready' | 'closed' = 'hello';
  private sessionId = '';
  /** The device keeps checkpoints (hello.checkpoints): it is sent one every limits.checkpointEvery entries. */
  private checkpoints = false;
  private strikes = 0;
  /** The seq first refused for the rate limit: later seqs are refused too until it comes again (no holes). */
  private rateLimitedFrom: number | undefined;
  private helloTimer: ReturnType<typeof setTimeout> | undefined;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the peer last sent a frame or a pong; the registry's heartbeat reads it (DeviceLink.heard). */
  private readonly heard = { at: Date.now() };
  private draining = false;
  /** Set when the chain was refused: the connection is closing (4005), queued commands are not handled. */
  private chainRefused = false;
  /** Settles when the hello was answered; the command loop starts after it. */
  private onWelcomed: () => void = () => undefined;
  private welcomed: Promise<void> = new Promise<void>((resolve) => (this.onWelcomed = resolve));

  /** `socket`: the TCP socket under `ws`, for the writer to batch its writes (see DeviceWriter). */
  constructor(
    ws: WebSocket,
    readonly identity: DeviceIdentity,
    private readonly deps: ConnectionDeps,
    socket?: Writable,
  ) {
    const log = deps.log.child({ userId: identity.userId, deviceId: identity.deviceId, connectionId: this.connectionId });
    this.deps = { ...deps, log };
    const { hubLimits } = deps;
    this.writer = new DeviceWriter(ws, socket, {
      ...hubLimits,
      onSlowConsumer: () => log.info('slow consumer; closing', { closeCode: CloseCode.windowFull, queuedBytes: hubLimits.maxQueuedBytes }),
    });
    this.inbound = new WorkQueue((frame) => this.handleCommand(frame), {
      capacity: deps.limits.commandBurst * 2,
      onError: (err) => log.error('command loop failed', { err }),
    });
    this.bucket = new TokenBucket(deps.limits.commandsPerSecond, deps.limits.commandBurst);
    this.frames = new TokenBucket(hubLimits.framesPerSecond, hubLimits.frameBurst);
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('pong', () => {
      if (this.counted()) this.heard.at = Date.now();
    });
    // The server does not auto-pong: a peer's ping is a frame like any other, and its pong waits in the writer's
    // bounded queue when the peer does not read.
    ws.on('ping', (data) => {
      if (this.counted()) this.writer.pong(data);
    });
    ws.once('close', (code) => this.onClose(code));
    ws.on('error', (err) => log.debug('socket error', { err }));
    deps.counters.connectionsOpened.inc();
    this.helloTimer = setTimeout(() => {
      if (this.state === 'hello') this.refuse(`no hello within ${hubLimits.helloTimeoutMs} ms`, CloseCode.idle);
    }, hubLimits.helloTimeoutMs);
    this.helloTimer.unref();
    if (identity.tokenExpiresAt !== undefined) {
      this.expiryTimer = setTimeout(() => this.refuse('token expired: log in again', CloseCode.unauthorized), Math.min(2 ** 31 - 1, Math.max(0, identity.tokenExpiresAt - Date.now())));
      this.expiryTimer.unref();
    }
    log.info('device connected');
  }

  /** Resolves when the command loop has finished (connection closed or draining, queue drained). */
  get done(): Promise<void> {
    return this.inbound.drained;
  }

  /** No more commands are queued; the ones queued are still handled (or skipped once the socket closed). */
  private closeInbound(): void {
    this.inbound.close();
  }

  /** Stops taking commands, lets the queued ones finish, then closes with 1001. */
  async drain(): Promise<void> {
    this.draining = true;
    this.closeInbound();
    await this.done;
    await this.replies;
    this.writer.disconnect(CloseCode.goingAway, 'hub shutting down');
    await this.writer.done;
  }

  private reply(frame: ReplyFrame | object): void {
    this.writer.send(JSON.stringify(frame));
  }

  private key() {
    return { userId: this.identity.userId, deviceId: this.identity.deviceId, connectionId: this.connectionId };
  }

  /** The token's login was signed out or its password changed: closed 4001 (the client stops reconnecting). */
  revoke(reason: string): void {
    this.deps.log.info('token revoked; closing', { reason });
    this.writer.disconnect(CloseCode.unauthorized, reason);
  }

  private refuse(message: string, code: number): void {
    this.deps.counters.rejectedFrames.inc();
    this.deps.log.info('frame refused; closing', { closeCode: code, reason: message });
    this.writer.disconnect(code, message);
  }

  /** Takes a frame token; false (and the connection closing with 4029) when the peer floods. */
  private counted(): boolean {
    if (this.state === 'closed' || this.writer.closed) return false;
    if (this.frames.take() === 0) return true;
    this.refuse(`more than ${this.deps.hubLimits.framesPerSecond} frames/s`, CloseCode.rateLimited);
    return false;
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (!this.counted()) return;
    this.heard.at = Date.now();
    if (isBinary) return this.refuse('binary frames are not part of the protocol', CloseCode.unreadable);
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const decoded = decodeClientFrame(text, this.deps.limits.maxFrameBytes);
    if (!decoded.ok) {
      if (decoded.traceId !== undefined) {
        this.deps.counters.rejectedFrames.inc();
        // A sealed entry with a refused body is part of the chain: it takes its place in the command queue.
        if (decoded.entry !== undefined && this.state !== 'hello') {
          const { sessionId, seq, seal, body } = decoded.entry;
          const command = body as Command;
          return this.enqueue({ kind: 'command', sessionId, seq, seal, command, refused: decoded.error }, decoded.traceId);
        }
        return this.reply(errReply(decoded.traceId, decoded.error));
      }
      const wrongVersion = decoded.error.path?.[0] === 'protocol';
      return this.refuse(decoded.error.message, wrongVersion ? CloseCode.protocolError : (decoded.closeCode ?? CloseCode.unreadable));
    }
    const frame = decoded.frame;
    if (frame.kind === 'hello') {
      if (this.state !== 'hello') return this.refuse('hello may be sent once, first', CloseCode.protocolError);
      this.state = 'welcoming';
      clearTimeout(this.helloTimer);
      this.welcome(frame)
        .catch((err: unknown) => {
          this.deps.log.error('welcome failed', { err });
          this.refuse('hub failed to open the session', CloseCode.internalError);
        })
        .finally(() => this.onWelcomed());
      return;
    }
    if (this.state === 'hello') return this.refuse(`"${frame.kind}" before hello`, CloseCode.protocolError);
    switch (frame.kind) {
      case 'command':
        return this.enqueue(frame);
      case 'ack':
        if (this.state === 'ready') this.deps.registry.tell({ type: 'Ack', ...this.key(), outcomeId: frame.outcomeId });
        return;
      case 'chain':
        this.recalls?.get(frame.recallId)?.push(frame);
        return;
      case 'ping':
        return this.reply(frame.t === undefined ? { kind: 'pong' } : { kind: 'pong', t: frame.t });
    }
  }

  private enqueue(frame: InboundCommand, traceId = frame.command.traceId): void {
    if (this.draining) return this.reply(errReply(traceId, { code: 'unavailable', message: 'the hub is shutting down; resend after reconnecting' }));
    const behindRefused = this.rateLimitedFrom !== undefined && frame.seq > this.rateLimitedFrom;
    let wait = behindRefused ? 1000 / this.deps.limits.commandsPerSecond : this.bucket.take();
    // The user's bucket is shared by its devices: twenty devices do not get twenty times the rate.
    if (wait === 0) wait = this.deps.userCommands(this.identity.userId).take();
    if (wait > 0 || !this.accept(frame)) {
      if (this.rateLimitedFrom === undefined || frame.seq < this.rateLimitedFrom) this.rateLimitedFrom = frame.seq;
      this.deps.counters.rejectedFrames.inc();
      if (++this.strikes >= rateLimitStrikes) return this.refuse('rate limit exceeded repeatedly', CloseCode.rateLimited);
      const retryAfterMs = Math.max(Math.ceil(wait), 1);
      return this.reply(
        errReply(traceId, {
          code: 'rate_limited',
          message: `more than ${this.deps.limits.commandsPerSecond} commands/s on this connection; resend seq ${this.rateLimitedFrom} after ${retryAfterMs} ms`,
          retryAfterMs,
        }),
      );
    }
    this.strikes = 0;
    if (frame.seq === this.rateLimitedFrom) this.rateLimitedFrom = undefined;
  }

  private async welcome(hello: HelloFrame): Promise<void> {
    const { userId, username, deviceId } = this.identity;
    // Only an id this hub issued to this user and device is resumed (PROTOCOL.md §2); any other gets a fresh one.
    const resumed = hello.sessionId !== undefined && this.deps.sessionIds.accepts(hello.sessionId, userId, deviceId);
    this.sessionId = resumed ? hello.sessionId! : this.deps.sessionIds.issue(userId, deviceId);
    this.checkpoints = hello.checkpoints === true;
    const key = Buffer.from(this.deps.sessions.keyOf(this.sessionId)).toString('hex');
    const { last } = await this.deps.joinBounds.of(userId);
    if (this.state !== 'welcoming') return; // closed meanwhile
    this.reply({
      kind: 'welcome',
      protocol: PROTOCOL_VERSION,
      userId,
      username,
      deviceId,
      sessionId: this.sessionId,
      key,
      resumed,
      latestOutcomeId: last,
      limits: this.deps.limits,
    });
    this.state = 'ready';
    this.deps.registry.tell({ type: 'Join', link: { ...this.key(), writer: this.writer, heard: this.heard }, lastOutcomeId: hello.lastOutcomeId });
  }

  /** Queues a command frame (handled at once if none is in hand); false when the queue is full or closed. */
  private accept(frame: InboundCommand): boolean {
    return this.inbound.offer(frame);
  }

  /** One command of the inbound queue: started after the welcome; the next one starts once this one is ordered. */
  private async handleCommand(frame: InboundCommand): Promise<void> {
    let started: StartedCommand;
    try {
      await this.welcomed;
      started = await this.startCommand(frame);
    } catch (err) {
      started = { reply: Promise.reject(err), ordered: Promise.resolve() };
    }
    this.replyInOrder(frame, started.reply, started.checkpoint);
    await started.ordered;
  }

  /** Writes the reply once it and every earlier command's reply are ready; then the checkpoint, if any. */
  private replyInOrder(frame: InboundCommand, reply: Promise<ReplyFrame | undefined>, checkpoint?: string): void {
    this.replies = this.replies.then(async () => {
      try {
        const r = await reply;
        if (r) this.reply(r);
      } catch (err) {
        this.deps.log.error('command failed unexpectedly', { err });
        this.reply(errReply(traceIdOf(frame), { code: 'internal', message: 'the hub failed on this command; nothing changed' }));
      }
      if (checkpoint !== undefined && !this.chainRefused) this.writer.send(checkpoint);
    });
  }

  /**
   * The checkpoint frame of the session after entry `seq`, when the device keeps checkpoints and seq + 1 is a
   * multiple of limits.checkpointEvery; taken right after the entry was applied (the state changes in place with
   * the next one). Skipped when it would not fit a frame (a device with thousands of topics): its log then grows
   * until a later, smaller state fits.
   */
  private checkpointAfter(seq: number): string | undefined {
    const every = this.deps.limits.checkpointEvery;
    if (!this.checkpoints || every === undefined || (seq + 1) % every !== 0) return undefined;
    const checkpoint = this.deps.sessions.checkpoint(this.sessionId);
    if (checkpoint?.seq !== seq + 1) return undefined;
    const text = JSON.stringify({ kind: 'checkpoint', sessionId: this.sessionId, checkpoint });
    const bytes = Buffer.byteLength(text);
    if (bytes > this.deps.limits.maxFrameBytes - COMMAND_FRAME_HEADROOM) {
      this.deps.log.info('checkpoint too large for a frame; not sent', { seq: seq + 1, bytes });
      return undefined;
    }
    this.deps.counters.checkpointsSent.inc();
    return text;
  }

  /**
   * Checks the seal and hands the command to the runner. `ordered` settles when the next command may start: when
   * this one's writes are ordered in the store, or when its reply is known.
   */
  private async startCommand(frame: InboundCommand): Promise<StartedCommand> {
    const { command } = frame;
    const traceId = traceIdOf(frame);
    const answer = (reply: ReplyFrame | undefined): StartedCommand => ({ reply: Promise.resolve(reply), ordered: Promise.resolve() });
    if (this.state === 'closed' || this.chainRefused) return answer(undefined);
    if (frame.sessionId !== this.sessionId) {
      this.deps.counters.rejectedFrames.inc();
      return answer(errReply(traceId, { code: 'unknown_session', message: `sessionId is not the one this connection was welcomed with (${this.sessionId})`, path: ['sessionId'] }));
    }
    const entry: SealedEntry<Command> = { seq: frame.seq, body: command, seal: frame.seal };
    let session: DeviceSessionState;
    let checkpoint: string | undefined;
    const position = this.deps.sessions.position(this.sessionId);
    const seen = position && frame.seq < position.seq ? this.deps.applied.match(this.sessionId, entry) : 'unknown';
    if (seen === 'body_mismatch') {
      if (frame.refused) return answer(errReply(traceId, frame.refused)); // not a sealed entry: not in the chain
      return this.refuseChain(new ChainError('body_mismatch', `entry ${frame.seq} came again with a body other than the one sealed`, { seq: frame.seq }), frame);
    }
    if (seen === 'applied') {
      // An older entry sent again (its reply was lost): already applied; answer it without applying twice.
      session = this.deps.sessions.state(this.sessionId)!;
    } else {
      try {
        const received = await this.deps.sessions.receive(this.sessionId, entry, (sessionId, upTo) => this.recall(sessionId, upTo));
        if (received.recalled) this.deps.onRecall(this.sessionId, this.identity);
        session = received.state;
        checkpoint = this.checkpointAfter(frame.seq);
      } catch (e) {
        if (e instanceof SessionLimitError) {
          // The entry is in the chain and changed nothing (see deviceSession): answer it, keep the connection.
          this.deps.applied.record(this.sessionId, frame.seq, frame.seal);
          return answer(errReply(traceId, { code: e.code, message: e.message }));
        }
        if (!(e instanceof ChainError)) throw e;
        // A refused body whose seal does not continue the chain is no entry of it: answered, nothing else.
        if (frame.refused) return answer(errReply(traceId, frame.refused));
        return this.refuseChain(e, frame);
      }
      this.deps.applied.record(this.sessionId, frame.seq, frame.seal);
    }
    // A refused body was sealed and is part of the chain, but it is never executed.
    if (frame.refused) return { ...answer(errReply(traceId, frame.refused)), ...(checkpoint ? { checkpoint } : {}) };
    // The runner resolves it when the command's transaction is ordered, or at the latest with the reply.
    let onOrdered!: () => void;
    const ordered = new Promise<void>((resolve) => (onOrdered = resolve));
    const reply = this.deps.runner.run({ userId: this.identity.userId, deviceId: this.identity.deviceId, session, command, onOrdered });
    return { reply, ordered, ...(checkpoint ? { checkpoint } : {}) };
  }

  /** The entry (or its chain) is refused: Err broken_chain after the earlier replies, then close 4005. */
  private refuseChain(e: ChainError, frame: InboundCommand): StartedCommand {
    this.deps.counters.rejectedFrames.inc();
    this.deps.log.info('sealed entry refused; closing 4005', { code: e.code, seq: frame.seq, reason: e.message });
    this.chainRefused = true;
    // The Err goes after the replies of the commands before it, then the close: the client restarts with a
    // fresh chain.
    const refused = errReply(traceIdOf(frame), { code: 'broken_chain', message: `${e.code}: ${e.message}`, path: ['seal'] });
    const reply = this.replies.then(() => {
      this.reply(refused);
      this.writer.disconnect(CloseCode.brokenChain, 'sealed chain refused; reconnect with a fresh session');
      return undefined;
    });
    return { reply, ordered: Promise.resolve() };
  }

  /**
   * Asks the device for its chain entries [0, upTo) and yields them as they arrive. A device that keeps a checkpoint
   * sends it with the first page instead of the entries before it (the SessionHandler verifies it).
   */
  private recall(sessionId: string, upTo: number): AsyncIterable<RecallPage<Command>> {
    const recallId = randomUUID();
    const pages = new RecallPages();
    const recalls = (this.recalls ??= new Map());
    recalls.set(recallId, pages);
    this.deps.log.info('recalling sealed session', { sessionId, upTo, pageSize: MAX_CHAIN_PAGE_ENTRIES });
    this.reply({ kind: 'recall', recallId, sessionId, fromSeq: 0, toSeq: upTo });
    const timeoutMs = this.deps.recallTimeoutMs;
    const applied = this.deps.applied;
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for await (const page of pages.iterate(timeoutMs)) {
            // The recalled entries are applied too: one of them sent again later (its frame was behind the one that
            // caused the recall, or its reply was lost) is that entry, answered from the record, not a broken chain.
            // Recorded as they arrive, before the chain is verified: harmless, since `applied.match` accepts a
            // resend only if its body seals to its seal under the session's key, and a refused chain ends the
            // session. AppliedEntries keeps the newest entries per session only.
            const entries = page.entries as SealedEntry<Command>[];
            for (const recalled of entries) applied.record(sessionId, recalled.seq, recalled.seal);
            yield page.checkpoint === undefined ? entries : { checkpoint: page.checkpoint, entries };
          }
        } finally {
          recalls.delete(recallId);
        }
      },
    };
  }

  private onClose(code: number): void {
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.state = 'closed';
    this.closeInbound();
    clearTimeout(this.helloTimer);
    clearTimeout(this.expiryTimer);
    this.onWelcomed();
    for (const pages of this.recalls?.values() ?? []) pages.fail(new ChainError('truncated', 'the device disconnected during the recall'));
    if (wasReady) this.deps.registry.tell({ type: 'Disconnect', ...this.key() });
    this.deps.log.info('device disconnected', { closeCode: code });
  }
}

/** The trace id of a queued command (a refused body's was read by the decoder, so it is a string). */
function traceIdOf(frame: InboundCommand): string {
  return (frame.command as { traceId: string }).traceId;
}

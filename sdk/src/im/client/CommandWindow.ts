// The command window: every command issued and not answered yet (by trace id, with the callers awaiting its reply),
// and, per welcomed connection, the send loop that puts them on the wire — reads first, then the outbox in order,
// each sealed into the device's chain once — with at most `maxInFlight` awaiting their reply. A reply settles its
// command; a transient refusal gives every lease back and resends from the oldest after a delay.
import { BehaviorSubject, type Observable } from 'rxjs';
import { Deque } from '../../internal/Deque.js';
import type { Lease } from '../../mailbox/Lease.js';
import type { MailboxEntry } from '../../mailbox/MailboxBacking.js';
import type { MailboxReceiver } from '../../mailbox/MailboxReceiver.js';
import { ChainError } from '../../seal/ChainError.js';
import type { SealedEntry } from '../../seal/SealedEntry.js';
import type { SessionClient } from '../../seal/SessionClient.js';
import { readCommandTypes, type Command, type CommandType } from '../protocol/commands.js';
import { ImError, isTransientErrorCode } from '../protocol/errors.js';
import { replyDataSchemas, type ReplyFrame } from '../protocol/replies.js';
import type { HubSocket } from './HubSocket.js';
import type { OutboxItem } from './ImClientStorage.js';
import type { Outbox } from './Outbox.js';
import { reconnectDelay, type ReconnectConfig } from './ReconnectConfig.js';

export interface PendingCommand {
  readonly traceId: string;
  readonly type: CommandType;
  readonly command: Command;
  /** queued: in the outbox, not on the wire; sent: waiting for its reply. */
  readonly status: 'queued' | 'sent';
  readonly issuedAt: number;
  /** Times it was put on the wire. */
  readonly attempts: number;
}

export interface CommandOptions {
  /** Stop waiting for the reply. The command stays in the outbox and is still delivered. */
  readonly signal?: AbortSignal;
  /** Use this trace id (e.g. to retry an earlier call idempotently); default: a random one. */
  readonly traceId?: string;
}

/** A command in the window: when it is durable, and its reply. */
interface TrackedCommand {
  readonly stored: Promise<void>;
  readonly reply: Promise<unknown>;
}

interface CommandWindowConfig {
  readonly outbox: Outbox;
  /** Commands on the wire without a reply yet (≥ 1). */
  readonly maxInFlight: number;
  /** The backoff of a resend after a transient refusal without retryAfterMs. */
  readonly reconnect: ReconnectConfig;
  readonly random: (() => number) | undefined;
  /** The device's session, whose chain each command is sealed into before it is sent. */
  session(): SessionClient<Command> | undefined;
  /** A command was sealed: `entry` is the chain's newest. */
  sealed(entry: SealedEntry<Command>): void;
  /**
   * A reply's data, checked against the protocol, before its callers get it. `sentAfter`: the last outcome the
   * client had taken when the command was last sent (the reply reflects at least every outcome up to it).
   */
  answered(type: CommandType, data: unknown, sentAfter: number): void;
  /** The last outcome id the client has taken. */
  lastOutcomeId(): number;
  /** The hub refused the device's chain (broken_chain, unknown_session): reconnect with a fresh session. */
  chainRefused(socket: HubSocket, message: string): void;
  /** The error of a command nobody awaits. */
  failed(error: ImError): void;
  /** The client is closed: pending$ emits no more. */
  closed(): boolean;
}

interface PendingRecord {
  readonly command: Command;
  readonly issuedAt: number;
  /** Resolves once the command is in the outbox's storage (at once for a read or a recovered command). */
  stored: Promise<void>;
  status: 'queued' | 'sent';
  attempts: number;
  /** The last outcome the client had taken when the command was last sent. */
  sentAfter: number;
  /** Callers awaiting the reply (none for commands recovered from the outbox). */
  readonly waiters: Array<{ resolve: (data: unknown) => void; reject: (error: unknown) => void }>;
}

interface InFlight {
  /** The outbox lease; undefined for a read, which never enters the outbox. */
  readonly lease: Lease<OutboxItem> | undefined;
  readonly entry: SealedEntry<Command>;
}

/** One welcomed connection's share of the window. */
interface Lane {
  readonly socket: HubSocket;
  receiver: MailboxReceiver<OutboxItem> | undefined;
  readonly inFlight: Map<string, InFlight>;
  paused: boolean;
  wake: (() => void) | undefined;
  resumeTimer: ReturnType<typeof setTimeout> | undefined;
}

const RESOLVED: Promise<void> = Promise.resolve();

export class CommandWindow {
  readonly #config: CommandWindowConfig;
  /** Every command in the window (issued here or recovered from the outbox), by trace id. */
  readonly #pending = new Map<string, PendingRecord>();
  readonly #pending$ = new BehaviorSubject<readonly PendingCommand[]>([]);
  /** Commands issued and not answered yet, in issue order. */
  readonly pending$: Observable<readonly PendingCommand[]> = this.#pending$.asObservable();
  /** Unanswered commands sealed in the current session, by trace id. */
  readonly #sealed = new Map<string, SealedEntry<Command>>();
  /** Answered while their lease was not held (given back for a resend): ack when they come round. */
  readonly #answered = new Set<string>();
  /**
   * Reads (request messages) waiting for the wire. They change nothing, so they skip the persistent outbox and go
   * out before queued writes: a page with 400 messages queued offline still loads its streams at once.
   */
  readonly #reads = new Deque<Command>();
  /** Wakes a send loop waiting on the outbox when a read is queued. */
  #readArrived: AbortController | undefined;
  #lane: Lane | undefined;

  constructor(config: CommandWindowConfig) {
    this.#config = config;
  }

  /** The value of pending$. */
  get pending(): readonly PendingCommand[] {
    return this.#pending$.value;
  }

  /** A command with this trace id in the window already (issued again): its durability and a wait for its reply. */
  existing(traceId: string, signal: AbortSignal | undefined): TrackedCommand | undefined {
    const record = this.#pending.get(traceId);
    return record && { stored: record.stored, reply: this.#await(record, signal) };
  }

  /** Takes a new command: a read is queued for the wire, anything else is stored in the outbox. */
  track(command: Command, signal: AbortSignal | undefined): TrackedCommand {
    const traceId = command.traceId;
    const record: PendingRecord = { command, issuedAt: Date.now(), stored: RESOLVED, status: 'queued', attempts: 0, sentAfter: 0, waiters: [] };
    this.#pending.set(traceId, record);
    const reply = this.#await(record, signal);
    this.#publish();
    if (readCommandTypes.has(command.type)) {
      this.#reads.push(command);
      this.#readArrived?.abort();
      this.#lane?.wake?.();
      return { stored: RESOLVED, reply };
    }
    const stored = this.#config.outbox.store({ command, issuedAt: record.issuedAt });
    record.stored = stored;
    stored.then(undefined, (error: unknown) => {
      this.#pending.delete(traceId);
      this.#publish();
      for (const waiter of record.waiters.splice(0)) waiter.reject(error);
    });
    return { stored, reply };
  }

  /** Takes the commands recovered from the outbox (oldest first), and finds those already sealed in `session`. */
  async recover(entries: Array<MailboxEntry<OutboxItem>>, session: SessionClient<Command> | undefined): Promise<void> {
    for (const entry of entries) {
      const command = entry.value.command;
      this.#pending.set(command.traceId, { command, issuedAt: entry.value.issuedAt, stored: RESOLVED, status: 'queued', attempts: entry.deliveries, sentAfter: 0, waiters: [] });
    }
    this.#publish();
    if (!session) return;
    const length = await session.store.length();
    // Sealed but unanswered entries are the tail of the chain (at most one in-flight window, plus resends).
    const from = Math.max(0, length - Math.max(256, 4 * this.#config.maxInFlight));
    for (const entry of await session.store.read(from, length - from)) {
      if (this.#pending.has(entry.body.traceId)) this.#sealed.set(entry.body.traceId, entry);
    }
  }

  /**
   * The lowest seq of a sealed command not answered yet, if any: a checkpoint past it must not drop its entry, which
   * a resend (after a reconnect or restart) sends as it was sealed.
   */
  oldestUnansweredSeq(): number | undefined {
    let oldest: number | undefined;
    for (const entry of this.#sealed.values()) if (oldest === undefined || entry.seq < oldest) oldest = entry.seq;
    return oldest;
  }

  /** The device has a new session: every command is sealed again into its chain. */
  newSession(): void {
    this.#sealed.clear();
  }

  /** The hub welcomed `socket`: start sending on it. */
  start(socket: HubSocket): void {
    const lane: Lane = { socket, receiver: this.#config.outbox.receiver(), inFlight: new Map(), paused: false, wake: undefined, resumeTimer: undefined };
    this.#lane = lane;
    void this.#sendLoop(lane);
  }

  /** `socket` is over: its leases go back to the outbox, its reads to the read queue, its commands to 'queued'. */
  stop(socket: HubSocket): void {
    const lane = this.#lane;
    if (lane?.socket === socket) {
      this.#lane = undefined;
      if (lane.resumeTimer) clearTimeout(lane.resumeTimer);
      lane.resumeTimer = undefined;
      lane.receiver?.release();
      lane.receiver = undefined;
      this.#requeueReads(lane);
      lane.inFlight.clear();
      lane.wake?.();
    }
    let changed = false;
    for (const record of this.#pending.values()) {
      if (record.status === 'sent') {
        record.status = 'queued';
        changed = true;
      }
    }
    if (changed) this.#publish();
  }

  onReply(socket: HubSocket, frame: ReplyFrame): void {
    const traceId = frame.traceId;
    const lane = this.#lane?.socket === socket ? this.#lane : undefined;
    const flight = lane?.inFlight.get(traceId);
    if (!frame.ok) {
      const code = frame.error.code;
      if (code === 'broken_chain' || code === 'unknown_session') {
        // Our chain is of no use to the hub any more: reconnect with a fresh session and resend re-sealed.
        this.#config.chainRefused(socket, frame.error.message);
        return;
      }
      if (isTransientErrorCode(code)) {
        if (lane && flight) this.#pauseAndResend(lane, code === 'rate_limited' ? Math.max(50, frame.error.retryAfterMs ?? 1000) : reconnectDelay(this.#config.reconnect, flight.lease?.deliveries ?? 0, this.#config.random));
        return;
      }
    }
    const record = this.#pending.get(traceId);
    if (!record) return; // a stale duplicate reply
    if (lane && flight) {
      lane.inFlight.delete(traceId);
      flight.lease?.ack();
    } else {
      this.#answered.add(traceId);
    }
    this.#sealed.delete(traceId);
    this.#pending.delete(traceId);
    this.#publish();
    lane?.wake?.();
    if (frame.ok) {
      const type = record.command.type;
      const checked = replyDataSchemas[type].safeParse(frame.data);
      if (!checked.success) {
        this.#fail(record, new ImError({ code: 'internal', message: `the hub's ${type} reply does not match the protocol: ${checked.error.issues[0]?.message ?? ''}` }, traceId));
        return;
      }
      this.#config.answered(type, checked.data, record.sentAfter);
      for (const waiter of record.waiters.splice(0)) waiter.resolve(checked.data);
    } else {
      this.#fail(record, new ImError(frame.error, traceId));
    }
  }

  /** The client is closing: every caller still waiting gets `unavailable` (the commands stay in the outbox). */
  rejectWaiters(): void {
    for (const record of this.#pending.values()) {
      const error = new ImError({ code: 'unavailable', message: 'the ImClient was closed before the reply came; the command stays in the outbox' }, record.command.traceId);
      for (const waiter of record.waiters.splice(0)) waiter.reject(error);
    }
  }

  complete(): void {
    this.#pending$.complete();
  }

  async #sendLoop(lane: Lane): Promise<void> {
    const signal = lane.socket.signal;
    const maxInFlight = this.#config.maxInFlight;
    while (!signal.aborted) {
      while (!signal.aborted && (lane.paused || lane.inFlight.size >= maxInFlight || !lane.receiver)) {
        await new Promise<void>((resolve) => (lane.wake = resolve));
        lane.wake = undefined;
      }
      const receiver = lane.receiver;
      if (signal.aborted || !receiver) return;
      // Reads first; otherwise wait for the outbox, or for a read to arrive.
      let lease: Lease<OutboxItem> | undefined;
      let command = this.#reads.shift();
      if (!command) {
        const arrived = new AbortController();
        const onAbort = () => arrived.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        this.#readArrived = arrived;
        try {
          lease = await receiver.receive({ signal: arrived.signal });
        } catch {
          continue; // aborted, a read arrived, or the receiver was released for a resend: loop and re-check
        } finally {
          signal.removeEventListener('abort', onAbort);
          if (this.#readArrived === arrived) this.#readArrived = undefined;
        }
        command = lease.value.command;
      }
      const traceId = command.traceId;
      if (this.#answered.delete(traceId) || !this.#pending.has(traceId)) {
        lease?.ack();
        continue;
      }
      const giveBack = () => (lease ? lease.nack() : this.#reads.unshift(command));
      const session = this.#config.session();
      if (!session) {
        giveBack();
        return;
      }
      let entry = this.#sealed.get(traceId);
      if (!entry) {
        try {
          entry = await session.append(command);
        } catch (error) {
          if (error instanceof ChainError && error.code === 'malformed' && error.message.startsWith('cannot seal')) {
            // Not JSON at all (a recovered entry from elsewhere): it can never be sent; answer it and move on.
            lease?.ack();
            const record = this.#pending.get(traceId);
            this.#pending.delete(traceId);
            this.#publish();
            if (record) this.#fail(record, new ImError({ code: 'bad_schema', message: error.message }, traceId));
            continue;
          }
          // The log refused it (storage failure): it stays queued; drop the connection and retry later.
          giveBack();
          lane.socket.finish(1011, `the sealed log refused a command: ${String(error)}`);
          return;
        }
        this.#sealed.set(traceId, entry);
        this.#config.sealed(entry);
      }
      if (lease ? !lease.held || signal.aborted || lane.receiver !== receiver : signal.aborted || lane.paused || lane.receiver !== receiver) {
        if (!lease) this.#reads.unshift(command);
        continue; // given back meanwhile
      }
      lane.inFlight.set(traceId, { lease, entry });
      const record = this.#pending.get(traceId);
      if (record) {
        record.status = 'sent';
        record.attempts++;
        record.sentAfter = this.#config.lastOutcomeId();
        this.#publish();
      }
      lane.socket.send({ kind: 'command', sessionId: session.sessionId, seq: entry.seq, seal: entry.seal, command: entry.body });
    }
  }

  /** Reads on the wire go back to the front of the read queue, in the order they were sealed. */
  #requeueReads(lane: Lane): void {
    const reads = [...lane.inFlight.values()].filter((flight) => !flight.lease).sort((a, b) => a.entry.seq - b.entry.seq);
    for (let i = reads.length - 1; i >= 0; i--) this.#reads.unshift(reads[i]!.entry.body);
  }

  /** Gives every in-flight lease back (in order) and resends from the oldest after `delayMs`. */
  #pauseAndResend(lane: Lane, delayMs: number): void {
    if (lane.paused) return;
    lane.paused = true;
    lane.receiver?.release();
    lane.receiver = undefined;
    this.#requeueReads(lane);
    lane.inFlight.clear();
    for (const record of this.#pending.values()) if (record.status === 'sent') record.status = 'queued';
    this.#publish();
    lane.resumeTimer = setTimeout(() => {
      lane.resumeTimer = undefined;
      if (lane.socket.signal.aborted) return;
      lane.receiver = this.#config.outbox.receiver();
      lane.paused = false;
      lane.wake?.();
    }, delayMs);
  }

  #fail(record: PendingRecord, error: ImError): void {
    if (record.waiters.length === 0) this.#config.failed(error);
    for (const waiter of record.waiters.splice(0)) waiter.reject(error);
  }

  #await(record: PendingRecord, signal: AbortSignal | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const waiter = {
        resolve: (data: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(data);
        },
        reject: (error: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        const at = record.waiters.indexOf(waiter);
        if (at >= 0) record.waiters.splice(at, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      record.waiters.push(waiter);
    });
  }

  #publish(): void {
    if (this.#config.closed()) return;
    this.#pending$.next(
      [...this.#pending].map(([traceId, r]) => ({ traceId, type: r.command.type, command: r.command, status: r.status, issuedAt: r.issuedAt, attempts: r.attempts })),
    );
  }
}

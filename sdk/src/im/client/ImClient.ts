// The IM client (isomorphic: the browser's WebSocket, or `ws` in Node passed as config.WebSocket). It keeps a
// connection to the hub with reconnect and backoff, turns every command into a promise of its typed reply,
// sends commands through a persistent outbox (a Mailbox) so commands issued offline or before a crash are sent
// on reconnect, in order, exactly once (trace ids make resends idempotent), seals each command into the device's
// chain (SessionClient) and answers the hub's recalls from it, dedupes and acks pushed outcomes, and keeps an
// observable local state (streams, topics and reviews, groups, messages, unread counts). Protocol:
// docs/PROTOCOL.md.
import { BehaviorSubject, ReplaySubject, Subject, defer, distinctUntilChanged, filter, map, share, type Observable } from 'rxjs';
import { safeParse } from 'zod/mini';
import type { Lease } from '../../mailbox/Lease.js';
import { Mailbox } from '../../mailbox/Mailbox.js';
import type { MailboxBacking, MailboxEntry } from '../../mailbox/MailboxBacking.js';
import type { MailboxReceiver } from '../../mailbox/MailboxReceiver.js';
import { canonicalJson } from '../../seal/canonicalJson.js';
import { ChainError } from '../../seal/ChainError.js';
import { ChainVerifier } from '../../seal/ChainVerifier.js';
import type { SealedEntry } from '../../seal/SealedEntry.js';
import { SessionClient } from '../../seal/SessionClient.js';
import { CloseCode, terminalCloseCodes } from '../protocol/closeCodes.js';
import { commandSchema, readCommandTypes, sessionUpdateTypes, type Command, type CommandArgs, type CommandOf, type CommandType } from '../protocol/commands.js';
import { topicKey } from '../protocol/deviceSession.js';
import { ImError, isTransientErrorCode } from '../protocol/errors.js';
import {
  decodeHubFrame,
  defaultLimits,
  utf8ByteLength,
  type ClientFrame,
  type HubFrame,
  type Limits,
  type PushFrame,
  type RecallFrame,
  type WelcomeFrame,
} from '../protocol/frames.js';
import { webSocketProtocols, webSocketUrl } from '../protocol/http.js';
import { MAX_COMMAND_FRAME_BYTES, PROTOCOL_VERSION } from '../protocol/limits.js';
import type { GroupInfo, Message, StreamInfo, TopicInfo, TopicRef, UnreadCount, UserRef, VoteMap } from '../protocol/model.js';
import type { Outcome, OutcomeOf } from '../protocol/outcomes.js';
import { replyDataSchemas, type ReplyData, type ReplyFrame } from '../protocol/replies.js';
import { chainPages } from './chainPages.js';
import { issueMessage } from './issueMessage.js';
import type { ExtensionCommandDef, ExtensionDef } from '../extension/defineExtension.js';
import type { ExtensionClient } from '../extension/ExtensionClient.js';
import { applyOutcomeInBatch, applyReply, emptyImState, type ImState, type Unpublished } from './ImState.js';
import { memoryStorage, type DeviceRecord, type ImClientStorage, type OutboxItem } from './ImClientStorage.js';
import { ReadStateFold } from './ReadStateFold.js';
import { restoreSnapshot, snapshotOf } from './stateSnapshot.js';
import { reconnectDelay, type ReconnectConfig } from './ReconnectConfig.js';
import { logout, refreshToken } from './account.js';
import type { FetchLike } from './postCredentials.js';
import type { SessionToken } from '../protocol/http.js';
import { WS_OPEN, type WebSocketConstructor, type WebSocketLike } from './WebSocketLike.js';
import { pendingMessagesOf, type PendingMessage } from './PendingMessage.js';
import { installCommandMethods, type CommandMethods } from './commandMethods.js';

export type ConnectionState = 'offline' | 'connecting' | 'online' | 'reconnecting' | 'recalling';

export interface ConnectionInfo {
  readonly state: ConnectionState;
  /** Failed attempts since the last welcome. */
  readonly attempt: number;
  /** How the last connection ended. */
  readonly lastClose?: { readonly code: number; readonly reason: string };
  /** When offline after a terminal close (4001 unauthorized, 4003 forbidden, 4004 replaced): that code. */
  readonly stoppedBy?: number;
}

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

/** What paging through one topic's history found so far (ImClient.topicHistory$). */
export interface TopicHistory {
  /** A page of the topic is being loaded. */
  readonly loading: boolean;
  /** Whether older messages exist on the hub than the oldest loaded; undefined until a page was loaded. */
  readonly hasOlder: boolean | undefined;
}

export interface SealedLogInfo {
  readonly sessionId: string;
  /** Entries in the chain (= next seq). */
  readonly length: number;
  /** Seal of the last entry (hex), or undefined when empty. */
  readonly lastSeal: string | undefined;
  /** Recalls this device answered (the trace a hub restart leaves). */
  readonly recalls: number;
}

export type LogVerification = { readonly ok: true; readonly length: number } | { readonly ok: false; readonly error: Error };

/** A review as the UI shows it: a topic's status and votes with its stream's reviewers. */
export interface Review {
  readonly stream: string;
  readonly topic: string;
  readonly status: TopicInfo['status'];
  readonly votes: VoteMap;
  readonly reviewers: readonly string[];
  readonly conclusion: OutcomeOf<'ReviewConcluded'> | undefined;
}

/** A command issued with `issue()`: its trace id, when it is durable, and its reply. */
export interface IssuedCommand<T extends CommandType> {
  readonly traceId: string;
  /** Resolves once the command is in the outbox's storage: from then on no crash or reload loses it. */
  readonly stored: Promise<void>;
  readonly reply: Promise<ReplyData<T>>;
}

export interface CommandOptions {
  /** Stop waiting for the reply. The command stays in the outbox and is still delivered. */
  readonly signal?: AbortSignal;
  /** Use this trace id (e.g. to retry an earlier call idempotently); default: a random one. */
  readonly traceId?: string;
}

export interface ImClientConfig {
  /** The hub's base URL, http(s)://host:port. */
  readonly url: string;
  /** This device's id, stable across runs (1–64 chars of A-Za-z0-9_-). */
  readonly deviceId: string;
  /** Session token from login/register; can be set later with setToken. */
  readonly token?: string;
  /**
   * When `token` expires (SessionToken.expiresAt). Given, the client refreshes the token at half its remaining life
   * (POST /api/refresh), moves its connection to the new one and emits it on `token$` for the app to keep.
   */
  readonly tokenExpiresAt?: number | undefined;
  /** For the account calls (token refresh, sign-out). Default: globalThis.fetch. */
  readonly fetch?: FetchLike | undefined;
  /** Default: globalThis.WebSocket. In Node pass `WebSocket` from 'ws'. */
  readonly WebSocket?: WebSocketConstructor;
  /** Default: memoryStorage(). The web app passes IndexedDB-backed storage, Node file-backed. */
  readonly storage?: ImClientStorage;
  readonly reconnect?: ReconnectConfig;
  /** Commands on the wire without a reply yet. Default 16. */
  readonly maxInFlight?: number;
  /** Acks are sent after this idle time or every `ackEvery` pushes. Defaults 20 ms, 32. */
  readonly ackDelayMs?: number;
  readonly ackEvery?: number;
  /** Fetch streams, groups and session state on the first welcome and after resync. Default true. */
  readonly autoSync?: boolean;
  /** Outbox capacity (commands waiting); issuing beyond waits. Default 10 000. */
  readonly outboxCapacity?: number;
  /** Random source for trace ids' fallback and backoff jitter (tests). */
  readonly random?: () => number;
  /**
   * Pushed outcomes arriving within this many ms are applied together and state$ emits once for them, so a busy
   * topic does not re-render a UI per message. `client.state` is always current. Default 16 (one frame); 0 emits
   * on the next macrotask.
   */
  readonly stateBatchMs?: number;
  /**
   * The signed-in user (from login/register). The storage belongs to this user: the client refuses to open over
   * another user's data and stops (offline, stoppedBy 4001) rather than send it under a token of another user.
   * Default: storage.userId, else the user of the stored device record, else whoever is welcomed first.
   */
  readonly userId?: string;
}

/** What sign-out does with commands the hub has not answered yet. */
export interface SignOutOptions {
  /** 'send': wait until the hub answered every queued command (needs a connection); 'discard': drop them. */
  readonly unsent: 'send' | 'discard';
  /** Stops waiting for 'send': signOut rejects and nothing is wiped. */
  readonly signal?: AbortSignal;
  /**
   * Also sign the token out at the hub (POST /api/logout, best effort, at most 5 s), so a copy of it left anywhere
   * is refused from now on. Default true; an offline device cannot, and its token then lives until it expires.
   */
  readonly revokeToken?: boolean | undefined;
}

interface PendingRecord {
  readonly command: Command;
  readonly issuedAt: number;
  /** Resolves once the command is in the outbox's storage (at once for a read or a recovered command). */
  stored: Promise<void>;
  status: 'queued' | 'sent';
  attempts: number;
  /** Callers awaiting the reply (none for commands recovered from the outbox). */
  readonly waiters: Array<{ resolve: (data: unknown) => void; reject: (error: unknown) => void }>;
}

interface InFlight {
  /** The outbox lease; undefined for a read, which never enters the outbox. */
  readonly lease: Lease<OutboxItem> | undefined;
  readonly entry: SealedEntry<Command>;
}

interface Connection {
  readonly socket: WebSocketLike;
  readonly abort: AbortController;
  finish(code: number, reason: string): void;
  welcomed: boolean;
  limits: Limits;
  receiver: MailboxReceiver<OutboxItem> | undefined;
  readonly inFlight: Map<string, InFlight>;
  paused: boolean;
  wake: (() => void) | undefined;
  inbox: Promise<void>;
  lastReceivedAt: number;
  lastSentAt: number;
  /** When the oldest ping still unanswered (nothing received since) was sent; undefined when none is. */
  pingSentAt: number | undefined;
  unacked: number;
  ackTimer: ReturnType<typeof setTimeout> | undefined;
  heartbeat: ReturnType<typeof setInterval> | undefined;
  resumeTimer: ReturnType<typeof setTimeout> | undefined;
}

const DEVICE_ENTRY = 1;
const SNAPSHOT_ENTRY = 1;
/** How often at most the state is written as a snapshot while it changes. */
const SNAPSHOT_EVERY_MS = 1_000;
const RESOLVED: Promise<void> = Promise.resolve();
/** The largest envelope a command frame gets around its command (session id ≤ 200 chars, seq, seal). */
const COMMAND_ENVELOPE_BYTES = utf8ByteLength(JSON.stringify({ kind: 'command', sessionId: 'x'.repeat(200), seq: Number.MAX_SAFE_INTEGER, seal: '0'.repeat(64), command: null }));

// The command methods (sendMessage, markRead, getStreams, …) are made from the protocol's command table and
// installed on the prototype below the class; this interface, merged with the class, gives them their types.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface ImClient extends CommandMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class ImClient {
  readonly deviceId: string;
  readonly url: string;
  readonly #config: ImClientConfig;
  readonly #storage: ImClientStorage;
  readonly #outbox: Mailbox<OutboxItem>;
  /** Outbox writes not yet settled (whenStored). */
  readonly #storing = new Set<Promise<void>>();
  readonly #WebSocket: WebSocketConstructor;
  #token: string | undefined;
  readonly #token$ = new Subject<SessionToken>();
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** The next reconnect goes at once (the connection was closed on purpose, e.g. to move to a refreshed token). */
  #reconnectNow = false;
  /** The user whose storage this is; undefined until known (no userId given, nothing stored yet). */
  #owner: string | undefined;
  #device: DeviceRecord | undefined;
  #session: SessionClient<Command> | undefined;
  #lastSeal: string | undefined;
  #lastOutcomeId: number;
  #freshSession = false;
  #synced = false;
  #closed = false;
  #run: AbortController | undefined;
  #conn: Connection | undefined;
  #traceCounter = 0;
  readonly #tracePrefix: string;
  /** Unanswered commands sealed in the current session, by trace id. */
  readonly #sealed = new Map<string, SealedEntry<Command>>();
  /** Every command in the outbox (issued here or recovered), by trace id. */
  readonly #pending = new Map<string, PendingRecord>();
  /** Answered while their lease was not held (given back for a resend): ack when they come round. */
  readonly #answered = new Set<string>();
  /**
   * Reads (request messages) waiting for the wire. They change nothing, so they skip the persistent outbox and go
   * out before queued writes: a page with 400 messages queued offline still loads its streams at once.
   */
  #reads: Command[] = [];
  /** Wakes a send loop waiting on the outbox when a read is queued. */
  #readArrived: AbortController | undefined;
  /** The user's read state this device's session still lacks (folded in with SyncReadState). */
  readonly #readState = new ReadStateFold();
  #foldTimer: ReturnType<typeof setTimeout> | undefined;
  /** A snapshot of the state is due (storage.snapshot); written at most every SNAPSHOT_EVERY_MS. */
  #snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  #snapshotSaved: ImState | undefined;
  /** Extensions this client knows (client.extension): Ext/ExtQuery commands of any other are refused before sending. */
  readonly #extensions = new Map<string, ExtensionDef>();

  readonly #state$ = new BehaviorSubject<ImState>(emptyImState);
  /** The state as of the last applied outcome; #state$ lags it by at most one batch (stateBatchMs). */
  #current: ImState = emptyImState;
  /** Message arrays made since the last emission (grown in place until emitted). */
  #unpublished: Unpublished | undefined;
  #emitTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #connection$ = new BehaviorSubject<ConnectionInfo>({ state: 'offline', attempt: 0 });
  readonly #pending$ = new BehaviorSubject<readonly PendingCommand[]>([]);
  readonly #log$ = new BehaviorSubject<SealedLogInfo | undefined>(undefined);
  readonly #outcomes$ = new Subject<{ readonly outcomeId: number; readonly outcome: Outcome }>();
  readonly #failures$ = new Subject<ImError>();
  readonly #resyncs$ = new Subject<{ readonly reason: string; readonly lastOutcomeId: number }>();

  /** The whole local state, for selectors of your own. */
  readonly state$: Observable<ImState> = this.#state$.asObservable();
  readonly connection$: Observable<ConnectionInfo> = this.#connection$.asObservable();
  readonly connectionState$: Observable<ConnectionState> = this.#connection$.pipe(
    map((c) => c.state),
    distinctUntilChanged(),
  );
  /** Commands issued and not answered yet, in issue order. */
  readonly pending$: Observable<readonly PendingCommand[]> = this.#pending$.asObservable();
  /** The device's sealed log: session, length, last seal, recalls answered. */
  readonly log$: Observable<SealedLogInfo | undefined> = this.#log$.asObservable();
  /** Every newly processed push (duplicates are not emitted). */
  readonly outcomes$: Observable<{ readonly outcomeId: number; readonly outcome: Outcome }> = this.#outcomes$.asObservable();
  /** Errors of commands nobody awaits any more (recovered from the outbox after a restart). */
  readonly failures$: Observable<ImError> = this.#failures$.asObservable();
  /** Resyncs the hub asked for (local state was dropped and refetched). */
  readonly resyncs$: Observable<{ readonly reason: string; readonly lastOutcomeId: number }> = this.#resyncs$.asObservable();

  readonly streams$: Observable<readonly StreamInfo[]> = this.#select((s) => s.streams, (streams) => [...streams.values()].sort(byName));
  readonly groups$: Observable<readonly GroupInfo[]> = this.#select((s) => s.groups, (groups) => [...groups.values()].sort((a, b) => compare(a.name, b.name)));
  readonly unread$: Observable<readonly UnreadCount[]> = this.#select(
    (s) => s.unread,
    (unread) => [...unread].map(([key, count]) => ({ ...splitKey(key), count })).sort(byTopic),
  );
  /** Sum of unread counts over topics that are not muted. */
  readonly totalUnread$: Observable<number> = this.#state$.pipe(
    map((s) => [...s.unread].reduce((sum, [key, count]) => (s.muted.has(key) ? sum : sum + count), 0)),
    distinctUntilChanged(),
  );
  readonly muted$: Observable<readonly TopicRef[]> = this.#select((s) => s.muted, (muted) => [...muted].map(splitKey).sort(byTopic));
  /** Per stream, the sum of unread counts over its topics that are not muted (streams with none are absent). */
  readonly streamUnread$: Observable<ReadonlyMap<string, number>> = this.#state$.pipe(
    map((s) => {
      const sums = new Map<string, number>();
      for (const [key, count] of s.unread) {
        if (s.muted.has(key)) continue;
        const stream = splitKey(key).stream;
        sums.set(stream, (sums.get(stream) ?? 0) + count);
      }
      return sums as ReadonlyMap<string, number>;
    }),
    distinctUntilChanged(sameCounts),
  );
  /**
   * userId → username of everyone the client has seen: the user, group members, message senders. Kept
   * incrementally (a busy topic's new messages are read once each) and shared by all subscribers.
   */
  readonly userNames$: Observable<ReadonlyMap<string, string>> = defer(() => {
    const names = knownUserNames();
    return this.#state$.pipe(map(names), distinctUntilChanged());
  }).pipe(share({ connector: () => new ReplaySubject(1), resetOnRefCountZero: true }));
  readonly #history$ = new BehaviorSubject<ReadonlyMap<string, TopicHistory>>(new Map());
  readonly #membersLoading = new Map<string, Promise<readonly UserRef[]>>();
  /** Topics under review or with a concluded review. */
  readonly reviews$: Observable<readonly Review[]> = this.#state$.pipe(
    map((s) => reviewsOf(s)),
    distinctUntilChanged(sameReviews),
  );

  /** Opens the client over its storage (recovering the outbox, the device's session and its log). Call connect() next. */
  static async open(config: ImClientConfig): Promise<ImClient> {
    const storage = config.storage ?? memoryStorage(config.userId);
    if (config.userId !== undefined && storage.userId !== undefined && storage.userId !== config.userId) {
      throw new ImError({ code: 'forbidden', message: `ImClient: the storage belongs to user ${storage.userId}, not to ${config.userId}; open that user's storage` });
    }
    const device = (await storage.device.load()).find((entry) => entry.id === DEVICE_ENTRY)?.value;
    const owner = config.userId ?? storage.userId;
    if (device && owner !== undefined && device.userId !== owner) {
      // Storage written before it was keyed by user (or shared by mistake): its outbox may be another user's.
      throw new ImError({ code: 'forbidden', message: `ImClient: this storage holds the data of user ${device.userId}, not of ${owner}; open storage keyed by user, or wipe this one` });
    }
    let recovered: Array<MailboxEntry<OutboxItem>> = [];
    const backing: MailboxBacking<OutboxItem> = {
      load: async () => (recovered = await storage.outbox.load()),
      put: (entry) => storage.outbox.put(entry),
      delete: (id) => storage.outbox.delete(id),
    };
    const outbox = await Mailbox.open<OutboxItem>({ backing, capacity: config.outboxCapacity ?? 10_000, name: `im-outbox:${config.deviceId}` });
    const session = device ? await SessionClient.open<Command>({ sessionId: device.sessionId, key: device.key, store: await storage.openLog(device.sessionId) }) : undefined;
    const client = new ImClient(config, storage, outbox, device, session);
    // The last state shown, so a reload without the hub still shows it (replaced by the hub's answers once online).
    const saved = await storage.snapshot?.load().catch(() => []);
    const restored = restoreSnapshot(saved?.find((entry) => entry.id === SNAPSHOT_ENTRY)?.value, owner ?? device?.userId);
    if (restored) {
      client.#snapshotSaved = restored;
      client.#setState(restored);
    }
    await client.#recover([...recovered].sort((a, b) => a.id - b.id));
    return client;
  }

  private constructor(config: ImClientConfig, storage: ImClientStorage, outbox: Mailbox<OutboxItem>, device: DeviceRecord | undefined, session: SessionClient<Command> | undefined) {
    const WebSocketImpl = config.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl) throw new TypeError('ImClient: no WebSocket available; in Node pass `WebSocket` from the "ws" package as config.WebSocket');
    this.#config = config;
    this.deviceId = config.deviceId;
    this.url = config.url;
    this.#storage = storage;
    this.#outbox = outbox;
    this.#WebSocket = WebSocketImpl;
    this.#token = config.token;
    this.#scheduleRefresh(config.tokenExpiresAt);
    this.#owner = config.userId ?? storage.userId ?? device?.userId;
    this.#device = device;
    this.#session = session;
    this.#lastOutcomeId = device?.lastOutcomeId ?? 0;
    this.#tracePrefix = randomHex(6, config.random);
  }

  // ------------------------------------------------------------------ public: connection

  get connection(): ConnectionInfo {
    return this.#connection$.value;
  }

  get state(): ImState {
    return this.#current;
  }

  /** The highest outcome id processed. */
  get lastOutcomeId(): number {
    return this.#lastOutcomeId;
  }

  get logInfo(): SealedLogInfo | undefined {
    return this.#log$.value;
  }

  /**
   * Replaces the token (after a 4001 close, log in again and call this, then connect()). With `expiresAt` the
   * client refreshes it before it expires, as with `config.tokenExpiresAt`.
   */
  setToken(token: string, expiresAt?: number): void {
    this.#token = token;
    this.#scheduleRefresh(expiresAt);
  }

  /** Tokens the client got by refreshing its own (persist them: the old one expires). */
  get token$(): Observable<SessionToken> {
    return this.#token$.asObservable();
  }

  #scheduleRefresh(expiresAt: number | undefined): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
    if (expiresAt === undefined || this.#closed) return;
    const delay = Math.min(2 ** 31 - 1, Math.max(1_000, Math.floor((expiresAt - Date.now()) / 2)));
    this.#refreshTimer = setTimeout(() => void this.#refreshNow(expiresAt), delay);
    // In Node a pending refresh alone must not keep the process alive.
    (this.#refreshTimer as { unref?: () => void }).unref?.();
  }

  /** Refreshes the token; on a network failure tries again in a minute; a refused token is left to expire (4001). */
  async #refreshNow(expiresAt: number): Promise<void> {
    const token = this.#token;
    if (!token || this.#closed) return;
    const fetchOption = this.#config.fetch ? { fetch: this.#config.fetch } : {};
    let fresh: SessionToken;
    try {
      fresh = await refreshToken(this.url, token, { ...fetchOption, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      if (!(error instanceof ImError && (error.code === 'unauthorized' || error.code === 'forbidden')) && Date.now() < expiresAt) {
        clearTimeout(this.#refreshTimer);
        this.#refreshTimer = setTimeout(() => void this.#refreshNow(expiresAt), Math.min(60_000, Math.max(1_000, expiresAt - Date.now())));
      }
      return;
    }
    if (this.#closed || this.#token !== token) return;
    this.#token = fresh.token;
    this.#token$.next(fresh);
    this.#scheduleRefresh(fresh.expiresAt);
    // The open connection was admitted with the old token, which the hub closes (4001) when it expires: move now.
    if (this.#conn?.welcomed) {
      this.#reconnectNow = true;
      this.#conn.finish(1000, 'token refreshed');
    }
  }

  /** Starts connecting (and reconnecting with backoff until disconnect/close or a terminal close code). */
  connect(): void {
    if (this.#closed) throw new ImError({ code: 'unavailable', message: 'this ImClient is closed; open a new one' });
    if (this.#run) return;
    if (!this.#token) throw new ImError({ code: 'unauthorized', message: 'ImClient.connect needs a token: pass config.token or call setToken() after login()' });
    const run = new AbortController();
    this.#run = run;
    void this.#connectLoop(run.signal).finally(() => {
      if (this.#run === run) this.#run = undefined;
    });
  }

  /** Closes the connection and stops reconnecting; commands keep queueing in the outbox. */
  disconnect(): void {
    const run = this.#run;
    this.#run = undefined;
    run?.abort();
    this.#conn?.finish(CloseCode.normal, 'client disconnected');
    if (!this.#closed) this.#setConnection({ state: 'offline', attempt: 0, ...this.#lastCloseField() });
  }

  /** Disconnects, closes the outbox and the log, completes every observable. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.disconnect();
    this.#closed = true;
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
    clearTimeout(this.#foldTimer);
    this.#foldTimer = undefined;
    await this.#saveSnapshot();
    for (const record of this.#pending.values()) {
      const error = new ImError({ code: 'unavailable', message: 'the ImClient was closed before the reply came; the command stays in the outbox' }, record.command.traceId);
      for (const waiter of record.waiters.splice(0)) waiter.reject(error);
    }
    this.#outbox.close();
    await this.#outbox.flush().catch(() => undefined);
    await this.#session?.close().catch(() => undefined);
    await Promise.resolve(this.#storage.close?.()).catch(() => undefined);
    this.#emitState();
    for (const subject of [this.#state$, this.#connection$, this.#pending$, this.#log$, this.#outcomes$, this.#failures$, this.#resyncs$, this.#token$]) subject.complete();
  }

  /** The user whose storage this client works on, once known. */
  get userId(): string | undefined {
    return this.#owner;
  }

  /** Commands issued and not answered yet (the value of pending$): what sign-out would have to send or drop. */
  get unsent(): readonly PendingCommand[] {
    return this.#pending$.value.filter((pending) => !readCommandTypes.has(pending.type));
  }

  /**
   * Signs this device's user out: sends or discards the commands not answered yet (options.unsent), closes the
   * client and wipes its storage (outbox, device record, sealed logs), so nothing of this user is left for the
   * next one. Resolves with the commands that were discarded. Rejects (and wipes nothing) when 'send' is aborted.
   */
  async signOut(options: SignOutOptions): Promise<readonly PendingCommand[]> {
    if (options.unsent === 'send' && this.unsent.length > 0) {
      if (this.#closed) throw new ImError({ code: 'unavailable', message: 'this ImClient is closed; its unsent commands cannot be sent' });
      await new Promise<void>((resolve, reject) => {
        const signal = options.signal;
        const subscription = this.#pending$.subscribe((pending) => {
          if (pending.some((item) => !readCommandTypes.has(item.type))) return;
          queueMicrotask(() => subscription.unsubscribe());
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        const onAbort = () => {
          subscription.unsubscribe();
          reject(signal?.reason);
        };
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    const discarded = this.unsent;
    await this.close();
    const token = this.#token;
    if ((options.revokeToken ?? true) && token) {
      await logout(this.url, token, { signal: AbortSignal.timeout(5_000), ...(this.#config.fetch ? { fetch: this.#config.fetch } : {}) }).catch(() => undefined);
    }
    await this.#storage.wipe?.();
    return discarded;
  }

  /** Resolves when the connection state satisfies `predicate` (e.g. s => s === 'online'). */
  whenConnection(predicate: (state: ConnectionState) => boolean, signal?: AbortSignal): Promise<ConnectionState> {
    return new Promise((resolve, reject) => {
      const subscription = this.connectionState$.subscribe((state) => {
        if (predicate(state)) {
          queueMicrotask(() => subscription.unsubscribe());
          resolve(state);
        }
      });
      signal?.addEventListener('abort', () => {
        subscription.unsubscribe();
        reject(signal.reason);
      }, { once: true });
    });
  }

  // ------------------------------------------------------------------ public: commands

  /**
   * Issues a command and resolves with its reply data, or rejects with ImError (a typed code). Invalid input
   * rejects at once (bad_schema with the failing path, payload_too_large) and nothing is queued. Otherwise the
   * command is written to the outbox, so it survives disconnects, reloads and crashes from the moment the write
   * is done. The write is asynchronous on every storage (IndexedDB, a file): to know when a crash can no longer
   * lose the command, use `issue()` and await `stored`, or await `whenStored()`.
   */
  command<T extends CommandType>(type: T, args: CommandArgs<T>, options: CommandOptions = {}): Promise<ReplyData<T>> {
    return this.issue(type, args, options).reply;
  }

  /**
   * Issues a command like `command()` and says when it is durable: `stored` resolves once the command is in the
   * outbox's storage (a crash or a reload after that never loses it; before it, the command may be lost) and
   * rejects like `reply` when the command is refused before queueing; a read (GetHistory, GetStreams, …) is never
   * stored and resolves at once. `reply` is what `command()` returns.
   */
  issue<T extends CommandType>(type: T, args: CommandArgs<T>, options: CommandOptions = {}): IssuedCommand<T> {
    const refused = (error: ImError): IssuedCommand<T> => {
      const rejected = Promise.reject(error);
      rejected.catch(() => undefined); // `stored` is optional to await: never an unhandled rejection
      return { traceId: error.traceId ?? '', stored: rejected, reply: Promise.reject(error) };
    };
    if (this.#closed) return refused(new ImError({ code: 'unavailable', message: 'this ImClient is closed; open a new one' }));
    const traceId = options.traceId ?? this.#newTraceId();
    const parsed = commandSchema.safeParse({ ...args, type, traceId }, { error: issueMessage });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = (issue?.path ?? []).map((p) => (typeof p === 'number' ? p : String(p)));
      return refused(new ImError({ code: 'bad_schema', message: `${type}: ${path.join('.') || 'command'}: ${issue?.message ?? 'invalid'}`, path }, traceId));
    }
    const command = parsed.data as CommandOf<T>;
    const sent = parsed.data;
    if (sent.type === 'Ext' || sent.type === 'ExtQuery') {
      const problem = this.#checkExtensionCommand(sent);
      if (problem) return refused(new ImError(problem, traceId));
    }
    try {
      canonicalJson(command); // what the seal is computed over: refuse here what could never be sealed
    } catch (error) {
      return refused(new ImError({ code: 'bad_schema', message: `${type}: ${(error as Error).message}` }, traceId));
    }
    const bytes = utf8ByteLength(JSON.stringify(command)) + COMMAND_ENVELOPE_BYTES;
    if (bytes > MAX_COMMAND_FRAME_BYTES) {
      return refused(new ImError({ code: 'payload_too_large', message: `${type} would make a ${bytes}-byte frame; the limit is ${MAX_COMMAND_FRAME_BYTES}` }, traceId));
    }
    const existing = this.#pending.get(traceId);
    if (existing) return { traceId, stored: existing.stored, reply: this.#await(existing, options.signal) as Promise<ReplyData<T>> };
    if (sessionUpdateTypes.has(type)) this.#readState.issued(command);
    const record: PendingRecord = { command, issuedAt: Date.now(), stored: RESOLVED, status: 'queued', attempts: 0, waiters: [] };
    this.#pending.set(traceId, record);
    const reply = this.#await(record, options.signal) as Promise<ReplyData<T>>;
    this.#publishPending();
    if (readCommandTypes.has(type)) {
      this.#reads.push(command);
      this.#readArrived?.abort();
      this.#conn?.wake?.();
      return { traceId, stored: RESOLVED, reply };
    }
    const stored = this.#outbox.send({ command, issuedAt: record.issuedAt });
    record.stored = stored;
    this.#storing.add(stored);
    stored.then(
      () => this.#storing.delete(stored),
      (error: unknown) => {
        this.#storing.delete(stored);
        this.#pending.delete(traceId);
        this.#publishPending();
        for (const waiter of record.waiters.splice(0)) waiter.reject(error);
      },
    );
    return { traceId, stored, reply };
  }

  /**
   * Resolves once every command issued so far is in the outbox's storage (whatever became of each write): await
   * it before a process exits or a page unloads on purpose.
   */
  async whenStored(): Promise<void> {
    await Promise.allSettled([...this.#storing]);
  }

  // ------------------------------------------------------------------ public: extensions

  /**
   * Binds an extension's definition (defineExtension) to this client: one typed function per command — a `write`
   * goes through the outbox as an `Ext` command (sealed, sent once, survives reloads), a `query` as an `ExtQuery`
   * read — and `events$`, the extension's pushed events. Until an extension is bound here, commands naming it are
   * refused before sending (not_found), as are payloads its schema refuses (bad_schema, path under `payload`).
   * Binding the same definition again returns an equivalent object; another definition under a bound name throws.
   */
  extension<D extends ExtensionDef>(def: D): ExtensionClient<D> {
    const known = this.#extensions.get(def.name);
    if (known && known !== def) throw new TypeError(`ImClient.extension: another definition of "${def.name}" is bound to this client already`);
    this.#extensions.set(def.name, def);
    const bound: Record<string, unknown> = { name: def.name };
    for (const [name, command] of Object.entries(def.commands)) {
      bound[name] = async (payload: unknown, options?: CommandOptions): Promise<unknown> => {
        const reply = await this.command(command.kind === 'write' ? 'Ext' : 'ExtQuery', { ext: def.name, name, payload }, options);
        const result = safeParse(command.result, reply.result);
        if (!result.success) {
          const issue = result.error.issues[0];
          throw new ImError({ code: 'internal', message: `the hub's ${def.name}.${name} result does not match the extension's schema: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim() }, options?.traceId);
        }
        return result.data;
      };
    }
    bound.events$ = this.#outcomes$.pipe(
      map(({ outcomeId, outcome }) => {
        if (outcome.type !== 'ExtEvent' || outcome.ext !== def.name || !Object.hasOwn(def.events, outcome.event)) return undefined;
        const data = safeParse(def.events[outcome.event]!, outcome.data);
        return data.success ? { outcomeId, event: outcome.event, data: data.data } : undefined;
      }),
      filter((event) => event !== undefined),
    );
    return bound as ExtensionClient<D>;
  }

  /** Why an extension command cannot be sent (unknown extension or command, wrong kind, payload refused), if so. */
  #checkExtensionCommand(command: CommandOf<'Ext'> | CommandOf<'ExtQuery'>): { code: 'not_found' | 'bad_schema'; message: string; path?: Array<string | number> } | undefined {
    const def = this.#extensions.get(command.ext);
    if (!def) return { code: 'not_found', message: `${command.type}: unknown extension "${command.ext}": bind its definition with client.extension(def) first`, path: ['ext'] };
    const member: ExtensionCommandDef | undefined = Object.hasOwn(def.commands, command.name) ? def.commands[command.name] : undefined;
    if (!member) return { code: 'not_found', message: `${command.type}: extension "${command.ext}" has no command "${command.name}"`, path: ['name'] };
    const kind = command.type === 'Ext' ? 'write' : 'query';
    if (member.kind !== kind) return { code: 'bad_schema', message: `${command.ext}.${command.name} is a ${member.kind}: send it as ${member.kind === 'write' ? 'Ext' : 'ExtQuery'}`, path: ['type'] };
    const payload = safeParse(member.payload, command.payload, { error: issueMessage });
    if (payload.success) return undefined;
    const issue = payload.error.issues[0];
    const path = ['payload', ...(issue?.path ?? []).map((p) => (typeof p === 'number' ? p : String(p)))];
    return { code: 'bad_schema', message: `${command.ext}.${command.name}: ${path.join('.')}: ${issue?.message ?? 'invalid'}`, path };
  }

  /** Fetches streams (with topics), groups and the user's read state into the local state. */
  async refresh(options?: CommandOptions): Promise<void> {
    const signal = options?.signal ? { signal: options.signal } : {};
    await Promise.all([this.getStreams(signal), this.getGroups(signal), this.getReadState(signal)]);
  }

  /** Loads the newest page of a topic (or older ones with `before`) into messages$. */
  async loadHistory(stream: string, topic: string, before?: number, options?: CommandOptions): Promise<ReplyData<'GetHistory'>> {
    const key = topicKey(stream, topic);
    this.#noteHistory(key, { loading: 1 });
    try {
      const page = await this.getHistory({ stream, topic, ...(before !== undefined ? { before } : {}) }, options);
      // Only the oldest page loaded says whether older ones exist; a newer page (a reload) keeps what an older one said.
      const oldest = this.#current.messages.get(key)?.[0];
      const known = this.#history$.value.get(key)?.hasOlder;
      const hasOlder = known === undefined || before !== undefined || oldest === undefined || page.messages[0]?.seq === oldest.seq ? page.hasMore : known;
      this.#noteHistory(key, { loading: -1, hasOlder });
      return page;
    } catch (error) {
      // A topic without messages yet has no history to page through.
      this.#noteHistory(key, { loading: -1, hasOlder: this.#history$.value.get(key)?.hasOlder ?? false });
      throw error;
    }
  }

  /** Loads the page before the oldest message known locally (the newest page when none is). */
  loadOlder(stream: string, topic: string, options?: CommandOptions): Promise<ReplyData<'GetHistory'>> {
    const oldest = this.#current.messages.get(topicKey(stream, topic))?.[0];
    return this.loadHistory(stream, topic, oldest?.seq, options);
  }

  /** Marks everything known in the topic as read on this device. */
  markTopicRead(stream: string, topic: string, options?: CommandOptions): Promise<ReplyData<'MarkRead'>> {
    const known = this.state.topics.get(topicKey(stream, topic))?.lastSeq ?? 0;
    const list = this.state.messages.get(topicKey(stream, topic));
    const upTo = Math.max(known, list?.[list.length - 1]?.seq ?? 0);
    return this.markRead({ stream, topic, upTo }, options);
  }

  // ------------------------------------------------------------------ public: selectors

  /** A stream's topics by name; without a stream, every topic by stream then name. */
  topics$(stream?: string): Observable<readonly TopicInfo[]> {
    const prefix = stream === undefined ? '' : topicKey(stream, '');
    return this.#select(
      (s) => s.topics,
      (topics) => [...topics].filter(([key]) => key.startsWith(prefix)).map(([, t]) => t).sort(byTopic),
    );
  }

  messages$(stream: string, topic: string): Observable<readonly Message[]> {
    const key = topicKey(stream, topic);
    return this.#select((s) => s.messages.get(key), (list) => list ?? []);
  }

  unreadCount$(stream: string, topic: string): Observable<number> {
    const key = topicKey(stream, topic);
    return this.#select((s) => s.unread.get(key) ?? 0, (count) => count);
  }

  members$(groupId: string): Observable<readonly UserRef[]> {
    return this.#select((s) => s.members.get(groupId), (list) => list ?? []);
  }

  /** Messages sent and not answered yet (all, or one stream's or topic's), in issue order; other commands do not make it emit. */
  pendingMessages$(stream?: string, topic?: string): Observable<readonly PendingMessage[]> {
    return pendingMessagesOf(this.pending$, stream, topic);
  }

  /** One topic, or undefined while it is unknown. */
  topic$(stream: string, topic: string): Observable<TopicInfo | undefined> {
    const key = topicKey(stream, topic);
    return this.#select((s) => s.topics.get(key), (info) => info);
  }

  /** Whether the user muted the topic (on every device). */
  topicMuted$(stream: string, topic: string): Observable<boolean> {
    const key = topicKey(stream, topic);
    return this.#select((s) => s.muted.has(key), (muted) => muted);
  }

  /** A group's members, or undefined until they were loaded (ensureGroupMembers) or pushed. */
  groupMembers$(groupId: string): Observable<readonly UserRef[] | undefined> {
    return this.#select((s) => s.members.get(groupId), (list) => list);
  }

  /** What paging through a topic's history found so far: whether a page is loading, whether older messages exist. */
  topicHistory$(stream: string, topic: string): Observable<TopicHistory> {
    const key = topicKey(stream, topic);
    return this.#history$.pipe(
      map((all) => all.get(key) ?? notLoaded),
      distinctUntilChanged(),
    );
  }

  /**
   * Loads a group's members unless they are known; concurrent calls share one request, and a failed one is
   * forgotten so the next call asks again.
   */
  ensureGroupMembers(groupId: string): Promise<readonly UserRef[]> {
    const known = this.#current.members.get(groupId);
    if (known) return Promise.resolve(known);
    let loading = this.#membersLoading.get(groupId);
    if (!loading) {
      loading = this.getGroupMembers({ groupId }).then(
        (reply) => {
          this.#membersLoading.delete(groupId);
          return reply.members;
        },
        (error: unknown) => {
          this.#membersLoading.delete(groupId);
          throw error;
        },
      );
      this.#membersLoading.set(groupId, loading);
    }
    return loading;
  }

  review$(stream: string, topic: string): Observable<Review | undefined> {
    return this.reviews$.pipe(
      map((reviews) => reviews.find((r) => r.stream === stream && r.topic === topic)),
      distinctUntilChanged(),
    );
  }

  // ------------------------------------------------------------------ public: sealed log

  /** Re-verifies every seal of the device's chain with the session key. */
  async verifyLog(): Promise<LogVerification> {
    const session = this.#session;
    const device = this.#device;
    if (!session || !device) return { ok: true, length: 0 };
    try {
      const verifier = new ChainVerifier({ key: device.key, sessionId: session.sessionId });
      for await (const page of session.chain(0)) verifier.verify(page);
      return { ok: true, length: verifier.verified };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  // ------------------------------------------------------------------ internals: outbox recovery

  async #recover(entries: Array<MailboxEntry<OutboxItem>>): Promise<void> {
    for (const entry of entries) {
      const command = entry.value.command;
      this.#pending.set(command.traceId, { command, issuedAt: entry.value.issuedAt, stored: RESOLVED, status: 'queued', attempts: entry.deliveries, waiters: [] });
    }
    this.#publishPending();
    const session = this.#session;
    if (session) {
      const length = await session.store.length();
      // Sealed but unanswered entries are the tail of the chain (at most one in-flight window, plus resends).
      const from = Math.max(0, length - Math.max(256, 4 * this.#maxInFlight));
      for (const entry of await session.store.read(from, length - from)) {
        if (this.#pending.has(entry.body.traceId)) this.#sealed.set(entry.body.traceId, entry);
      }
      this.#lastSeal = (await session.store.last())?.seal;
      this.#publishLog();
    }
  }

  // ------------------------------------------------------------------ internals: connection loop

  get #maxInFlight(): number {
    return Math.max(1, this.#config.maxInFlight ?? 16);
  }

  async #connectLoop(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    let everWelcomed = false;
    while (!signal.aborted) {
      this.#setConnection({ state: everWelcomed || attempt > 0 ? 'reconnecting' : 'connecting', attempt, ...this.#lastCloseField() });
      const closed = await this.#open();
      this.#conn = undefined;
      this.#lastClose = { code: closed.code, reason: closed.reason };
      if (signal.aborted) break;
      if (closed.welcomed) {
        everWelcomed = true;
        attempt = 0;
      }
      // 4005: the hub refused our chain; the next hello asks for a fresh session.
      if (closed.code === CloseCode.brokenChain) this.#freshSession = true;
      if (terminalCloseCodes.has(closed.code)) {
        this.#run = undefined;
        this.#setConnection({ state: 'offline', attempt, lastClose: this.#lastClose, stoppedBy: closed.code });
        return;
      }
      const immediate = closed.code === CloseCode.brokenChain || this.#reconnectNow;
      this.#reconnectNow = false;
      const delay = immediate ? 0 : reconnectDelay(this.#config.reconnect ?? {}, attempt, this.#config.random);
      attempt++;
      this.#setConnection({ state: 'reconnecting', attempt, lastClose: this.#lastClose });
      await sleep(delay, signal);
    }
  }

  #lastClose: { code: number; reason: string } | undefined;

  #lastCloseField(): { lastClose?: { code: number; reason: string } } {
    return this.#lastClose ? { lastClose: this.#lastClose } : {};
  }

  /** Opens one connection; resolves when it is over. */
  #open(): Promise<{ code: number; reason: string; welcomed: boolean }> {
    const url = webSocketUrl(this.url, this.deviceId);
    let socket: WebSocketLike;
    let resolveClosed!: (value: { code: number; reason: string; welcomed: boolean }) => void;
    const closed = new Promise<{ code: number; reason: string; welcomed: boolean }>((resolve) => (resolveClosed = resolve));
    const abort = new AbortController();
    try {
      socket = new this.#WebSocket(url, webSocketProtocols(this.#token ?? ''));
    } catch (error) {
      return Promise.resolve({ code: 1006, reason: `cannot open ${url}: ${String(error)}`, welcomed: false });
    }
    const now = Date.now();
    const conn: Connection = {
      socket,
      abort,
      finish: (code, reason) => {
        if (abort.signal.aborted) return;
        abort.abort();
        socket.onopen = socket.onmessage = socket.onclose = null;
        // Not null: closing a socket that is still connecting makes Node's ws emit 'error' (handshake aborted), and
        // an EventEmitter 'error' with no listener takes the whole process down.
        socket.onerror = ignoreSocketError;
        if (socket.readyState <= WS_OPEN) {
          try {
            socket.close(code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000, reason.slice(0, 120));
          } catch {
            // already closing
          }
        }
        this.#teardown(conn);
        resolveClosed({ code, reason, welcomed: conn.welcomed });
      },
      welcomed: false,
      limits: defaultLimits,
      receiver: undefined,
      inFlight: new Map(),
      paused: false,
      wake: undefined,
      inbox: Promise.resolve(),
      lastReceivedAt: now,
      lastSentAt: now,
      pingSentAt: undefined,
      unacked: 0,
      ackTimer: undefined,
      heartbeat: undefined,
      resumeTimer: undefined,
    };
    this.#conn = conn;
    socket.onopen = () => {
      const hello: ClientFrame = {
        kind: 'hello',
        protocol: PROTOCOL_VERSION,
        lastOutcomeId: this.#lastOutcomeId,
        ...(this.#session && !this.#freshSession ? { sessionId: this.#session.sessionId, chainLength: this.#session.nextSeq } : {}),
      };
      this.#send(conn, hello);
      this.#startHeartbeat(conn);
    };
    socket.onmessage = (event) => {
      conn.lastReceivedAt = Date.now();
      conn.pingSentAt = undefined;
      if (typeof event.data !== 'string') {
        conn.finish(1003, 'binary frames are not part of the protocol');
        return;
      }
      const decoded = decodeHubFrame(event.data, Number.POSITIVE_INFINITY);
      if (!decoded.ok) {
        conn.finish(1007, `unreadable hub frame: ${decoded.error.message}`);
        return;
      }
      const frame = decoded.frame;
      conn.inbox = conn.inbox.then(() => this.#handle(conn, frame)).catch((error: unknown) => conn.finish(1011, `client error: ${String(error)}`));
    };
    socket.onclose = (event) => conn.finish(event.code, event.reason);
    socket.onerror = () => {
      // A close event follows; nothing to do here.
    };
    return closed;
  }

  #teardown(conn: Connection): void {
    if (conn.ackTimer) clearTimeout(conn.ackTimer);
    if (conn.heartbeat) clearInterval(conn.heartbeat);
    if (conn.resumeTimer) clearTimeout(conn.resumeTimer);
    conn.ackTimer = conn.heartbeat = conn.resumeTimer = undefined;
    conn.receiver?.release();
    conn.receiver = undefined;
    this.#requeueReads(conn);
    conn.inFlight.clear();
    conn.wake?.();
    let changed = false;
    for (const record of this.#pending.values()) {
      if (record.status === 'sent') {
        record.status = 'queued';
        changed = true;
      }
    }
    if (changed) this.#publishPending();
  }

  #send(conn: Connection, frame: ClientFrame): boolean {
    if (conn.abort.signal.aborted || conn.socket.readyState !== WS_OPEN) return false;
    conn.socket.send(JSON.stringify(frame));
    conn.lastSentAt = Date.now();
    return true;
  }

  /**
   * Liveness from the client's side: after `heartbeatMs` without a frame either way it pings, and a connection whose
   * ping has gone unanswered (nothing at all received) for `idleTimeoutMs − heartbeatMs` is dead: closed 4010 and
   * reconnected. With the default limits (5 s, 11 s) a silent cut is noticed at most 12 s after the last frame, so a
   * device fails over in under 15 s. Dead means "a ping went unanswered", not "nothing arrived for a while": a
   * hidden browser tab's timers may fire once a minute, and a late tick must send a ping, not close a healthy socket.
   */
  #startHeartbeat(conn: Connection): void {
    if (conn.heartbeat) clearInterval(conn.heartbeat);
    const limits = conn.limits;
    const pongDeadline = Math.max(limits.idleTimeoutMs - limits.heartbeatMs, Math.min(limits.heartbeatMs, 1000));
    // Checked twice a second (the cost is a comparison), so the ping and the deadline each run late by ≤ 0.5 s.
    const every = Math.max(100, Math.min(500, Math.floor(limits.heartbeatMs / 4)));
    conn.heartbeat = setInterval(() => {
      const now = Date.now();
      if (conn.pingSentAt !== undefined && now - conn.pingSentAt > pongDeadline) {
        conn.finish(CloseCode.idle, `no answer from the hub ${now - conn.pingSentAt} ms after a ping (${now - conn.lastReceivedAt} ms since its last frame)`);
      } else if (now - conn.lastSentAt >= limits.heartbeatMs || now - conn.lastReceivedAt >= limits.heartbeatMs) {
        if (this.#send(conn, { kind: 'ping', t: now })) conn.pingSentAt ??= now;
      }
    }, every);
  }

  async #handle(conn: Connection, frame: HubFrame): Promise<void> {
    if (conn.abort.signal.aborted) return;
    switch (frame.kind) {
      case 'welcome':
        return this.#onWelcome(conn, frame);
      case 'reply':
        return this.#onReply(conn, frame);
      case 'push':
        return this.#onPush(conn, frame);
      case 'recall':
        void this.#answerRecall(conn, frame);
        return;
      case 'resync':
        return this.#onResync(conn, frame.lastOutcomeId, frame.reason);
      case 'pong':
        return;
    }
  }

  async #onWelcome(conn: Connection, frame: WelcomeFrame): Promise<void> {
    if (this.#owner !== undefined && this.#owner !== frame.userId) {
      // The token is another user's. Everything in this storage (queued commands, chain, cursors) belongs to the
      // owner and must never go out under someone else's name: stop before the send loop starts; the user has to
      // sign in as the owner, or sign the owner out (which wipes the storage).
      this.#failures$.next(new ImError({ code: 'unauthorized', message: `this client's storage belongs to user ${this.#owner}, but the token signed in ${frame.userId}; nothing was sent` }));
      conn.finish(CloseCode.unauthorized, 'the token is for another user than this storage');
      return;
    }
    this.#owner = frame.userId;
    this.#setState({ ...this.#current, me: { userId: frame.userId, username: frame.username } });
    if (!frame.resumed || !this.#session || this.#session.sessionId !== frame.sessionId) {
      const old = this.#session;
      const store = await this.#storage.openLog(frame.sessionId);
      this.#session = await SessionClient.open<Command>({ sessionId: frame.sessionId, key: frame.key, store });
      this.#lastSeal = (await store.last())?.seal;
      this.#sealed.clear();
      if (old && old.sessionId !== frame.sessionId) {
        await old.close().catch(() => undefined);
        await this.#storage.dropLog?.(old.sessionId);
      }
    }
    this.#freshSession = false;
    this.#device = { userId: frame.userId, sessionId: frame.sessionId, key: frame.key, lastOutcomeId: this.#lastOutcomeId };
    await this.#saveDevice();
    if (conn.abort.signal.aborted) return;
    conn.limits = frame.limits;
    conn.welcomed = true;
    this.#startHeartbeat(conn);
    this.#publishLog();
    this.#setConnection({ state: 'online', attempt: 0, ...this.#lastCloseField() });
    conn.receiver = this.#outbox.receiver();
    void this.#sendLoop(conn);
    if ((this.#config.autoSync ?? true) && (!this.#synced || !frame.resumed)) {
      this.#synced = true;
      this.refresh().catch((error: unknown) => this.#failures$.next(asImError(error)));
    }
  }

  async #sendLoop(conn: Connection): Promise<void> {
    const signal = conn.abort.signal;
    while (!signal.aborted) {
      while (!signal.aborted && (conn.paused || conn.inFlight.size >= this.#maxInFlight || !conn.receiver)) {
        await new Promise<void>((resolve) => (conn.wake = resolve));
        conn.wake = undefined;
      }
      const receiver = conn.receiver;
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
      const session = this.#session;
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
            this.#publishPending();
            if (record) this.#fail(record, new ImError({ code: 'bad_schema', message: error.message }, traceId));
            continue;
          }
          // The log refused it (storage failure): it stays queued; drop the connection and retry later.
          giveBack();
          conn.finish(1011, `the sealed log refused a command: ${String(error)}`);
          return;
        }
        this.#sealed.set(traceId, entry);
        this.#lastSeal = entry.seal;
        this.#publishLog();
      }
      if (lease ? !lease.held || signal.aborted || conn.receiver !== receiver : signal.aborted || conn.paused || conn.receiver !== receiver) {
        if (!lease) this.#reads.unshift(command);
        continue; // given back meanwhile
      }
      conn.inFlight.set(traceId, { lease, entry });
      const record = this.#pending.get(traceId);
      if (record) {
        record.status = 'sent';
        record.attempts++;
        this.#publishPending();
      }
      this.#send(conn, { kind: 'command', sessionId: session.sessionId, seq: entry.seq, seal: entry.seal, command: entry.body });
    }
  }

  /** Reads on the wire go back to the front of the read queue, in the order they were sealed. */
  #requeueReads(conn: Connection): void {
    const reads = [...conn.inFlight.values()].filter((flight) => !flight.lease).sort((a, b) => a.entry.seq - b.entry.seq);
    if (reads.length > 0) this.#reads = [...reads.map((flight) => flight.entry.body), ...this.#reads];
  }

  /** Gives every in-flight lease back (in order) and resends from the oldest after `delayMs`. */
  #pauseAndResend(conn: Connection, delayMs: number): void {
    if (conn.paused) return;
    conn.paused = true;
    conn.receiver?.release();
    conn.receiver = undefined;
    this.#requeueReads(conn);
    conn.inFlight.clear();
    for (const record of this.#pending.values()) if (record.status === 'sent') record.status = 'queued';
    this.#publishPending();
    conn.resumeTimer = setTimeout(() => {
      conn.resumeTimer = undefined;
      if (conn.abort.signal.aborted) return;
      conn.receiver = this.#outbox.receiver();
      conn.paused = false;
      conn.wake?.();
    }, delayMs);
  }

  #onReply(conn: Connection, frame: ReplyFrame): void {
    const traceId = frame.traceId;
    const flight = conn.inFlight.get(traceId);
    if (!frame.ok) {
      const code = frame.error.code;
      if (code === 'broken_chain' || code === 'unknown_session') {
        // Our chain is of no use to the hub any more: reconnect with a fresh session and resend re-sealed.
        this.#freshSession = true;
        conn.finish(CloseCode.brokenChain, `hub refused the chain: ${frame.error.message}`.slice(0, 120));
        return;
      }
      if (isTransientErrorCode(code)) {
        if (flight) this.#pauseAndResend(conn, code === 'rate_limited' ? Math.max(50, frame.error.retryAfterMs ?? 1000) : reconnectDelay(this.#config.reconnect ?? {}, flight.lease?.deliveries ?? 0, this.#config.random));
        return;
      }
    }
    const record = this.#pending.get(traceId);
    if (!record) return; // a stale duplicate reply
    if (flight) {
      conn.inFlight.delete(traceId);
      flight.lease?.ack();
    } else {
      this.#answered.add(traceId);
    }
    this.#sealed.delete(traceId);
    this.#pending.delete(traceId);
    this.#publishPending();
    conn.wake?.();
    if (frame.ok) {
      const type = record.command.type;
      const checked = replyDataSchemas[type].safeParse(frame.data);
      if (!checked.success) {
        const error = new ImError({ code: 'internal', message: `the hub's ${type} reply does not match the protocol: ${checked.error.issues[0]?.message ?? ''}` }, traceId);
        this.#fail(record, error);
        return;
      }
      this.#setState(applyReply(this.#current, type, checked.data as ReplyData<typeof type>));
      if (type === 'GetReadState') {
        this.#readState.reset(checked.data as ReplyData<'GetReadState'>);
        this.#scheduleFold();
      }
      for (const waiter of record.waiters.splice(0)) waiter.resolve(checked.data);
    } else {
      this.#fail(record, new ImError(frame.error, traceId));
    }
  }

  #onPush(conn: Connection, frame: PushFrame): void {
    if (frame.outcomeId > this.#lastOutcomeId) {
      this.#lastOutcomeId = frame.outcomeId;
      this.#unpublished ??= new WeakSet();
      this.#current = applyOutcomeInBatch(this.#current, frame.outcome, this.#unpublished);
      this.#emitTimer ??= setTimeout(() => this.#emitState(), this.#config.stateBatchMs ?? 16);
      // A stream that became visible (joined a group, groups widened) comes without its topics: fetch them.
      if (frame.outcome.type === 'StreamRevealed' && (this.#config.autoSync ?? true)) this.#refetchStreams();
      if (this.#readState.fold(frame.outcome)) this.#scheduleFold();
      this.#outcomes$.next({ outcomeId: frame.outcomeId, outcome: frame.outcome });
    }
    // Duplicates (retransmits, replays) are acked again so the hub stops resending them.
    conn.unacked++;
    if (conn.unacked >= (this.#config.ackEvery ?? 32)) void this.#flushAck(conn);
    else conn.ackTimer ??= setTimeout(() => void this.#flushAck(conn), this.#config.ackDelayMs ?? 20);
  }

  async #flushAck(conn: Connection): Promise<void> {
    if (conn.ackTimer) clearTimeout(conn.ackTimer);
    conn.ackTimer = undefined;
    conn.unacked = 0;
    const outcomeId = this.#lastOutcomeId;
    await this.#saveDevice();
    this.#send(conn, { kind: 'ack', outcomeId });
  }

  async #onResync(conn: Connection, lastOutcomeId: number, reason: string): Promise<void> {
    this.#lastOutcomeId = lastOutcomeId;
    this.#setState({ ...emptyImState, me: this.#current.me });
    await this.#flushAck(conn);
    this.#resyncs$.next({ reason, lastOutcomeId });
    if (this.#config.autoSync ?? true) {
      this.#synced = true;
      this.refresh().catch((error: unknown) => this.#failures$.next(asImError(error)));
    }
  }

  async #answerRecall(conn: Connection, frame: RecallFrame): Promise<void> {
    const session = this.#session;
    const wasOnline = this.#connection$.value.state === 'online';
    if (wasOnline) this.#setConnection({ ...this.#connection$.value, state: 'recalling' });
    try {
      if (!session || session.sessionId !== frame.sessionId) {
        this.#send(conn, { kind: 'chain', recallId: frame.recallId, sessionId: frame.sessionId, entries: [], done: true, missing: true });
        return;
      }
      const pages = frame.fromSeq === 0 ? session.answerRecall(frame.toSeq) : session.chain(frame.fromSeq, frame.toSeq);
      const config = { recallId: frame.recallId, sessionId: frame.sessionId, fromSeq: frame.fromSeq, toSeq: frame.toSeq, maxFrameBytes: conn.limits.maxFrameBytes };
      for await (const chain of chainPages(pages, config)) {
        if (!this.#send(conn, chain)) return;
      }
    } finally {
      this.#publishLog();
      if (!conn.abort.signal.aborted && this.#connection$.value.state === 'recalling') this.#setConnection({ ...this.#connection$.value, state: 'online' });
    }
  }

  // ------------------------------------------------------------------ internals: helpers

  #streamsFetch: 'idle' | 'running' | 'again' = 'idle';

  /**
   * Sends what is due of the user's read state as SyncReadState, once per burst of pushes (a reconnect may replay
   * hundreds of TopicRead): the next macrotask, after the burst's frames were handled.
   */
  #scheduleFold(): void {
    if (this.#foldTimer !== undefined || this.#closed) return;
    this.#foldTimer = setTimeout(() => {
      this.#foldTimer = undefined;
      if (this.#closed) return;
      for (const args of this.#readState.take()) {
        this.syncReadState(args).catch((error: unknown) => this.#failures$.next(asImError(error)));
      }
    }, 0);
  }

  /** GetStreams (topics) and GetReadState (their unread counts) after reveals: one at a time; reveals meanwhile ask for one more. */
  #refetchStreams(): void {
    if (this.#streamsFetch !== 'idle') {
      this.#streamsFetch = 'again';
      return;
    }
    this.#streamsFetch = 'running';
    Promise.all([this.getStreams(), this.getReadState()])
      .catch((error: unknown) => this.#failures$.next(asImError(error)))
      .finally(() => {
        const again = this.#streamsFetch === 'again';
        this.#streamsFetch = 'idle';
        if (again && !this.#closed) this.#refetchStreams();
      });
  }

  #fail(record: PendingRecord, error: ImError): void {
    if (record.waiters.length === 0) this.#failures$.next(error);
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

  /** Writes the current state as the snapshot (best effort: a failed write only means an older one is shown). */
  async #saveSnapshot(): Promise<void> {
    clearTimeout(this.#snapshotTimer);
    this.#snapshotTimer = undefined;
    const state = this.#current;
    if (!this.#storage.snapshot || state === this.#snapshotSaved) return;
    const snapshot = snapshotOf(state, Date.now());
    if (!snapshot) return;
    this.#snapshotSaved = state;
    await this.#storage.snapshot.put({ id: SNAPSHOT_ENTRY, value: snapshot, deliveries: 0 }).catch(() => undefined);
  }

  async #saveDevice(): Promise<void> {
    const device = this.#device;
    if (!device) return;
    const record: DeviceRecord = { ...device, lastOutcomeId: this.#lastOutcomeId };
    this.#device = record;
    await this.#storage.device.put({ id: DEVICE_ENTRY, value: record, deliveries: 0 });
  }

  #newTraceId(): string {
    this.#traceCounter++;
    return `${this.#tracePrefix}-${Date.now().toString(36)}-${this.#traceCounter.toString(36)}`;
  }

  /** Replaces the state and emits it at once (with whatever a pending batch of pushes had applied). */
  #setState(next: ImState): void {
    this.#current = next;
    this.#emitState();
  }

  /** Hands the current state to observers; from now on its arrays are theirs and are never changed in place. */
  #emitState(): void {
    if (this.#emitTimer !== undefined) clearTimeout(this.#emitTimer);
    this.#emitTimer = undefined;
    this.#unpublished = undefined;
    if (!this.#closed && this.#state$.value !== this.#current) this.#state$.next(this.#current);
    if (this.#storage.snapshot && !this.#closed && this.#snapshotTimer === undefined && this.#current !== this.#snapshotSaved) {
      this.#snapshotTimer = setTimeout(() => void this.#saveSnapshot(), SNAPSHOT_EVERY_MS);
      (this.#snapshotTimer as { unref?: () => void }).unref?.();
    }
  }

  #setConnection(info: ConnectionInfo): void {
    if (!this.#closed) this.#connection$.next(info);
  }

  #publishPending(): void {
    if (this.#closed) return;
    this.#pending$.next(
      [...this.#pending].map(([traceId, r]) => ({ traceId, type: r.command.type, command: r.command, status: r.status, issuedAt: r.issuedAt, attempts: r.attempts })),
    );
  }

  #publishLog(): void {
    const session = this.#session;
    if (!session || this.#closed) return;
    this.#log$.next({ sessionId: session.sessionId, length: session.nextSeq, lastSeal: this.#lastSeal, recalls: session.recalls });
  }

  #noteHistory(key: string, change: { loading: 1 | -1; hasOlder?: boolean }): void {
    if (this.#closed) return;
    const before = this.#history$.value.get(key) ?? notLoaded;
    const loadingPages = (this.#historyLoads.get(key) ?? 0) + change.loading;
    this.#historyLoads.set(key, loadingPages);
    const next: TopicHistory = { loading: loadingPages > 0, hasOlder: change.hasOlder ?? before.hasOlder };
    if (next.loading === before.loading && next.hasOlder === before.hasOlder) return;
    this.#history$.next(new Map(this.#history$.value).set(key, next));
  }
  readonly #historyLoads = new Map<string, number>();

  #select<P, R>(pick: (state: ImState) => P, project: (part: P) => R): Observable<R> {
    return this.#state$.pipe(map(pick), distinctUntilChanged(), map(project));
  }
}

installCommandMethods(ImClient.prototype);

function asImError(error: unknown): ImError {
  return error instanceof ImError ? error : new ImError({ code: 'internal', message: String(error) });
}

function randomHex(bytes: number, random?: () => number): string {
  const buffer = new Uint8Array(bytes);
  if (random) for (let i = 0; i < bytes; i++) buffer[i] = Math.floor(random() * 256);
  else globalThis.crypto.getRandomValues(buffer);
  return [...buffer].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byName(a: StreamInfo, b: StreamInfo): number {
  return compare(a.name, b.name);
}

function byTopic(a: TopicRef, b: TopicRef): number {
  return a.stream === b.stream ? compare(a.topic, b.topic) : compare(a.stream, b.stream);
}

function sameCounts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, count] of a) if (b.get(key) !== count) return false;
  return true;
}

function splitKey(key: string): TopicRef {
  const at = key.indexOf('\u0000');
  return { stream: key.slice(0, at), topic: key.slice(at + 1) };
}

function reviewsOf(state: ImState): Review[] {
  const reviews: Review[] = [];
  for (const [key, topic] of state.topics) {
    const conclusion = state.conclusions.get(key);
    if (topic.status !== 'under_review' && !conclusion) continue;
    reviews.push({
      stream: topic.stream,
      topic: topic.topic,
      status: topic.status,
      votes: topic.votes,
      reviewers: state.streams.get(topic.stream)?.reviewers ?? [],
      conclusion,
    });
  }
  return reviews.sort(byTopic);
}

function sameReviews(a: readonly Review[], b: readonly Review[]): boolean {
  return (
    a.length === b.length &&
    a.every((r, i) => {
      const o = b[i]!;
      return r.stream === o.stream && r.topic === o.topic && r.status === o.status && r.votes === o.votes && r.reviewers === o.reviewers && r.conclusion === o.conclusion;
    })
  );
}

const notLoaded: TopicHistory = { loading: false, hasOlder: undefined };

/** The people in a state (me, members, senders) by id; each topic's messages are scanned once, a page of older history rescans it. */
function knownUserNames(): (state: ImState) => ReadonlyMap<string, string> {
  const senders = new Map<string, string>();
  const scanned = new Map<string, { first: Message | undefined; length: number }>();
  let last: ReadonlyMap<string, string> = new Map();
  return (state) => {
    for (const [key, list] of state.messages) {
      const seen = scanned.get(key);
      const from = seen && seen.first === list[0] && seen.length <= list.length ? seen.length : 0;
      for (let i = from; i < list.length; i++) senders.set(list[i]!.senderId, list[i]!.senderName);
      scanned.set(key, { first: list[0], length: list.length });
    }
    const names = new Map(senders);
    for (const list of state.members.values()) for (const member of list) names.set(member.userId, member.username);
    if (state.me) names.set(state.me.userId, state.me.username);
    if (names.size === last.size && [...names].every(([id, name]) => last.get(id) === name)) return last;
    last = names;
    return names;
  };
}

/** Error handler left on a socket we are done with: its late errors are expected and have no one to tell. */
function ignoreSocketError(): void {}

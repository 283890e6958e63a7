// The IM client (isomorphic: the browser's WebSocket, or `ws` in Node passed as config.WebSocket): the facade over
// its parts, which it wires together and whose API it is.
// - ClientConnection, HubSocket: the connection to the hub, reconnect with backoff, heartbeat.
// - Outbox: commands that change something, stored until answered, so a command issued offline or before a crash
//   is sent on reconnect, in order, exactly once (trace ids make resends idempotent).
// - CommandWindow: commands in flight, sealed into the device's chain (SessionClient) and settled by their replies.
// - PushInbox: pushed outcomes taken once by id, acked once stored; LocalState applies them (state$).
// - answerRecall: the hub's recalls answered from the chain. selectors, TopicHistories: what the UI observes.
// - checkCommand: what is refused before queueing. TokenRefresh: the token kept fresh. bindExtension: extensions.
// - commandMethods: sendMessage, markRead, … made from the protocol's command table.
// Protocol: docs/PROTOCOL.md.
import { BehaviorSubject, Subject, distinctUntilChanged, map, type Observable } from 'rxjs';
import { toHex } from '../../internal/hex.js';
import { ChainVerifier } from '../../seal/ChainVerifier.js';
import { defaultSealing } from '../../seal/defaultSealing.js';
import { fromHex } from '../../internal/hex.js';
import { verifyCheckpoint } from '../../seal/SealedCheckpoint.js';
import type { SealedLogStore } from '../../seal/SealedLogStore.js';
import { SessionClient } from '../../seal/SessionClient.js';
import { CloseCode } from '../protocol/closeCodes.js';
import { readCommandTypes, sessionUpdateTypes, type Command, type CommandArgs, type CommandType } from '../protocol/commands.js';
import { topicKey } from '../protocol/deviceSession.js';
import { ImError } from '../protocol/errors.js';
import type { CheckpointFrame, HubFrame, RecallFrame, WelcomeFrame } from '../protocol/frames.js';
import { webSocketProtocols, webSocketUrl, type SessionToken } from '../protocol/http.js';
import { PROTOCOL_VERSION } from '../protocol/limits.js';
import type { GroupInfo, Message, StreamInfo, TopicInfo, TopicRef, UnreadCount, UserRef } from '../protocol/model.js';
import type { Outcome } from '../protocol/outcomes.js';
import type { ReplyData } from '../protocol/replies.js';
import { bindExtension } from '../extension/bindExtension.js';
import type { ExtensionDef } from '../extension/defineExtension.js';
import type { ExtensionClient } from '../extension/ExtensionClient.js';
import { logout } from './account.js';
import { answerRecall } from './answerRecall.js';
import { ClientConnection, type ConnectionInfo, type ConnectionState } from './ClientConnection.js';
import { installCommandMethods, type CommandMethods } from './commandMethods.js';
import { CommandWindow, type CommandOptions, type PendingCommand } from './CommandWindow.js';
import { HubSocket, type SocketClosed } from './HubSocket.js';
import { memoryStorage, type DeviceRecord, type ImClientStorage } from './ImClientStorage.js';
import { DEFAULT_ACKS, type ImClientConfig, type SignOutOptions } from './ImClientConfig.js';
import { applyOutcome, applyReply, emptyImState, type ImState } from './ImState.js';
import { checkCommand } from './checkCommand.js';
import { LocalState, SNAPSHOT_ENTRY } from './LocalState.js';
import { Outbox } from './Outbox.js';
import { pendingMessagesOf, type PendingMessage } from './PendingMessage.js';
import { PushInbox } from './PushInbox.js';
import { ReadStateFold } from './ReadStateFold.js';
import { ReadStatePushes } from './ReadStatePushes.js';
import * as select from './selectors.js';
import type { Review } from './selectors.js';
import { restoreSnapshot } from './stateSnapshot.js';
import { TopicHistories, type TopicHistory } from './TopicHistories.js';
import { TokenRefresh } from './TokenRefresh.js';
import type { WebSocketConstructor } from './WebSocketLike.js';

export type { CommandOptions, ConnectionInfo, ConnectionState, ImClientConfig, PendingCommand, Review, SignOutOptions, TopicHistory };

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

/** A command issued with `issue()`: its trace id, when it is durable, and its reply. */
export interface IssuedCommand<T extends CommandType> {
  readonly traceId: string;
  /** Resolves once the command is in the outbox's storage: from then on no crash or reload loses it. */
  readonly stored: Promise<void>;
  readonly reply: Promise<ReplyData<T>>;
}

const DEVICE_ENTRY = 1;

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
  readonly #WebSocket: WebSocketConstructor;
  readonly #connection: ClientConnection;
  readonly #outbox: Outbox;
  readonly #window: CommandWindow;
  readonly #inbox: PushInbox;
  readonly #local: LocalState;
  readonly #histories = new TopicHistories(() => this.#closed);
  readonly #token: TokenRefresh;
  /** The user whose storage this is; undefined until known (no userId given, nothing stored yet). */
  #owner: string | undefined;
  #device: DeviceRecord | undefined;
  #session: SessionClient<Command> | undefined;
  #lastSeal: string | undefined;
  /** The next hello asks for a fresh session (the hub refused the chain). */
  #freshSession = false;
  /**
   * Whether the hello asks for checkpoints. A hub from before them refuses the unknown hello field (close 1007
   * naming it): the next hello leaves it out, and this client keeps its whole log as before.
   */
  #askCheckpoints = true;
  #synced = false;
  #closed = false;
  #traceCounter = 0;
  readonly #tracePrefix: string;
  /** The user's read state this device's session still lacks (folded in with SyncReadState). */
  readonly #readState = new ReadStateFold();
  readonly #readStatePushes = new ReadStatePushes();
  #foldTimer: ReturnType<typeof setTimeout> | undefined;
  #streamsFetch: 'idle' | 'running' | 'again' = 'idle';
  /** Extensions this client knows (client.extension): Ext/ExtQuery commands of any other are refused before sending. */
  readonly #extensions = new Map<string, ExtensionDef>();
  readonly #membersLoading = new Map<string, Promise<readonly UserRef[]>>();
  readonly #log$ = new BehaviorSubject<SealedLogInfo | undefined>(undefined);
  readonly #outcomes$ = new Subject<{ readonly outcomeId: number; readonly outcome: Outcome }>();
  readonly #failures$ = new Subject<ImError>();
  readonly #resyncs$ = new Subject<{ readonly reason: string; readonly lastOutcomeId: number }>();

  /** The whole local state, for selectors of your own. */
  readonly state$: Observable<ImState>;
  readonly connection$: Observable<ConnectionInfo>;
  readonly connectionState$: Observable<ConnectionState>;
  /** Commands issued and not answered yet, in issue order. */
  readonly pending$: Observable<readonly PendingCommand[]>;
  /** The device's sealed log: session, length, last seal, recalls answered. */
  readonly log$: Observable<SealedLogInfo | undefined> = this.#log$.asObservable();
  /** Every newly processed push (duplicates are not emitted). */
  readonly outcomes$: Observable<{ readonly outcomeId: number; readonly outcome: Outcome }> = this.#outcomes$.asObservable();
  /** Errors of commands nobody awaits any more (recovered from the outbox after a restart). */
  readonly failures$: Observable<ImError> = this.#failures$.asObservable();
  /** Resyncs the hub asked for (local state was dropped and refetched). */
  readonly resyncs$: Observable<{ readonly reason: string; readonly lastOutcomeId: number }> = this.#resyncs$.asObservable();
  readonly streams$: Observable<readonly StreamInfo[]>;
  readonly groups$: Observable<readonly GroupInfo[]>;
  readonly unread$: Observable<readonly UnreadCount[]>;
  /** Sum of unread counts over topics that are not muted. */
  readonly totalUnread$: Observable<number>;
  readonly muted$: Observable<readonly TopicRef[]>;
  /** Per stream, the sum of unread counts over its topics that are not muted (streams with none are absent). */
  readonly streamUnread$: Observable<ReadonlyMap<string, number>>;
  /**
   * userId → username of everyone the client has seen: the user, group members, message senders. Kept
   * incrementally (a busy topic's new messages are read once each) and shared by all subscribers.
   */
  readonly userNames$: Observable<ReadonlyMap<string, string>>;
  /** Topics under review or with a concluded review. */
  readonly reviews$: Observable<readonly Review[]>;

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
    const { outbox, recovered } = await Outbox.open(storage, config.outboxCapacity ?? 10_000, `im-outbox:${config.deviceId}`);
    const session = device ? await SessionClient.open<Command>({ sessionId: device.sessionId, key: device.key, store: await storage.openLog(device.sessionId) }) : undefined;
    const client = new ImClient(config, storage, outbox, device, session);
    // The last state shown, so a reload without the hub still shows it (replaced by the hub's answers once online).
    const saved = await storage.snapshot?.load().catch(() => []);
    const restored = restoreSnapshot(saved?.find((entry) => entry.id === SNAPSHOT_ENTRY)?.value, owner ?? device?.userId);
    if (restored) client.#local.restore(restored);
    await client.#window.recover(recovered, session);
    if (session) {
      client.#lastSeal = await lastSealOf(session.store);
      client.#publishLog();
    }
    return client;
  }

  private constructor(config: ImClientConfig, storage: ImClientStorage, outbox: Outbox, device: DeviceRecord | undefined, session: SessionClient<Command> | undefined) {
    const WebSocketImpl = config.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl) throw new TypeError('ImClient: no WebSocket available; in Node pass `WebSocket` from the "ws" package as config.WebSocket');
    this.#config = config;
    this.deviceId = config.deviceId;
    this.url = config.url;
    this.#storage = storage;
    this.#outbox = outbox;
    this.#WebSocket = WebSocketImpl;
    this.#token = new TokenRefresh({
      url: config.url,
      fetch: config.fetch,
      closed: () => this.#closed,
      // The open connection was admitted with the old token, which the hub closes (4001) when it expires: move now.
      refreshed: () => this.#connection.reconnectNow('token refreshed'),
    });
    this.#token.set(config.token, config.tokenExpiresAt);
    this.#owner = config.userId ?? storage.userId ?? device?.userId;
    this.#device = device;
    this.#session = session;
    this.#tracePrefix = randomHex(6, config.random);
    const closed = () => this.#closed;
    const reconnect = config.reconnect ?? {};
    this.#local = new LocalState({ storage, batchMs: config.stateBatchMs ?? 16, closed });
    this.#connection = new ClientConnection({
      reconnect,
      random: config.random,
      open: () => this.#openSocket(),
      closed: (socket: SocketClosed) => {
        // 4005: the hub refused our chain; the next hello asks for a fresh session.
        if (socket.code === CloseCode.brokenChain) this.#freshSession = true;
        if (socket.code === 1007 && !socket.welcomed && socket.reason.includes('checkpoints')) this.#askCheckpoints = false;
      },
    });
    this.#window = new CommandWindow({
      outbox,
      maxInFlight: Math.max(1, config.maxInFlight ?? 16),
      reconnect,
      random: config.random,
      session: () => this.#session,
      sealed: (entry) => {
        this.#lastSeal = entry.seal;
        this.#publishLog();
      },
      answered: (type, data, sentAfter) => {
        let state = applyReply(this.#local.current, type, data as ReplyData<typeof type>);
        if (type === 'GetReadState') {
          this.#readState.reset(data as ReplyData<'GetReadState'>);
          // The snapshot may predate read-state pushes taken since the command was sent: they apply on top again.
          const newer = this.#readStatePushes.after(sentAfter);
          if (newer === undefined) this.#refetchStreams();
          for (const outcome of newer ?? []) {
            state = applyOutcome(state, outcome);
            this.#readState.fold(outcome);
          }
          this.#scheduleFold();
        }
        this.#local.set(state);
      },
      lastOutcomeId: () => this.#inbox.lastOutcomeId,
      chainRefused: (socket, message) => {
        // Our chain is of no use to the hub any more: reconnect with a fresh session and resend re-sealed.
        this.#freshSession = true;
        socket.finish(CloseCode.brokenChain, `hub refused the chain: ${message}`.slice(0, 120));
      },
      failed: (error) => this.#failures$.next(error),
      closed,
    });
    this.#inbox = new PushInbox({
      lastOutcomeId: device?.lastOutcomeId ?? 0,
      ackEvery: config.ackEvery ?? DEFAULT_ACKS.every,
      ackDelayMs: config.ackDelayMs ?? DEFAULT_ACKS.delayMs,
      take: (outcomeId, outcome) => {
        this.#local.applyPushed(outcome);
        this.#readStatePushes.took(outcomeId, outcome);
        // A stream that became visible (joined a group, groups widened) comes without its topics: fetch them.
        if (outcome.type === 'StreamRevealed' && (this.#config.autoSync ?? true)) this.#refetchStreams();
        if (this.#readState.fold(outcome)) this.#scheduleFold();
        this.#outcomes$.next({ outcomeId, outcome });
      },
      persist: () => this.#saveDevice(),
    });
    const state$ = this.#local.state$;
    this.state$ = state$;
    this.connection$ = this.#connection.info$;
    this.connectionState$ = this.connection$.pipe(
      map((c) => c.state),
      distinctUntilChanged(),
    );
    this.pending$ = this.#window.pending$;
    this.streams$ = select.streamsOf(state$);
    this.groups$ = select.groupsOf(state$);
    this.unread$ = select.unreadOf(state$);
    this.totalUnread$ = select.totalUnreadOf(state$);
    this.muted$ = select.mutedOf(state$);
    this.streamUnread$ = select.streamUnreadOf(state$);
    this.userNames$ = select.userNamesOf(state$);
    this.reviews$ = select.reviewsOf(state$);
  }

  // ------------------------------------------------------------------ public: connection

  get connection(): ConnectionInfo {
    return this.#connection.info;
  }

  get state(): ImState {
    return this.#local.current;
  }

  /** The highest outcome id processed. */
  get lastOutcomeId(): number {
    return this.#inbox.lastOutcomeId;
  }

  get logInfo(): SealedLogInfo | undefined {
    return this.#log$.value;
  }

  /**
   * Replaces the token (after a 4001 close, log in again and call this, then connect()). With `expiresAt` the
   * client refreshes it before it expires, as with `config.tokenExpiresAt`.
   */
  setToken(token: string, expiresAt?: number): void {
    this.#token.set(token, expiresAt);
  }

  /** Tokens the client got by refreshing its own (persist them: the old one expires). */
  get token$(): Observable<SessionToken> {
    return this.#token.token$;
  }

  /** Starts connecting (and reconnecting with backoff until disconnect/close or a terminal close code). */
  connect(): void {
    if (this.#closed) throw new ImError({ code: 'unavailable', message: 'this ImClient is closed; open a new one' });
    if (this.#connection.running) return;
    if (!this.#token.token) throw new ImError({ code: 'unauthorized', message: 'ImClient.connect needs a token: pass config.token or call setToken() after login()' });
    this.#connection.start();
  }

  /** Closes the connection and stops reconnecting; commands keep queueing in the outbox. */
  disconnect(): void {
    this.#connection.stop();
  }

  /** Disconnects, closes the outbox and the log, completes every observable. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.disconnect();
    this.#closed = true;
    this.#connection.close();
    this.#token.stop();
    clearTimeout(this.#foldTimer);
    this.#foldTimer = undefined;
    await this.#local.saveSnapshot();
    this.#window.rejectWaiters();
    await this.#outbox.close();
    await this.#session?.close().catch(() => undefined);
    await Promise.resolve(this.#storage.close?.()).catch(() => undefined);
    this.#local.emit();
    this.#local.complete();
    this.#connection.complete();
    this.#window.complete();
    for (const subject of [this.#log$, this.#outcomes$, this.#failures$, this.#resyncs$]) subject.complete();
    this.#token.close();
  }

  /** The user whose storage this client works on, once known. */
  get userId(): string | undefined {
    return this.#owner;
  }

  /** Commands issued and not answered yet (the value of pending$): what sign-out would have to send or drop. */
  get unsent(): readonly PendingCommand[] {
    return this.#window.pending.filter((pending) => !readCommandTypes.has(pending.type));
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
        const subscription = this.pending$.subscribe((pending) => {
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
    const token = this.#token.token;
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
    const command = checkCommand(type, args, traceId, this.#extensions);
    if (command instanceof ImError) return refused(command);
    const existing = this.#window.existing(traceId, options.signal);
    if (existing) return { traceId, stored: existing.stored, reply: existing.reply as Promise<ReplyData<T>> };
    if (sessionUpdateTypes.has(type)) this.#readState.issued(command);
    const tracked = this.#window.track(command, options.signal);
    return { traceId, stored: tracked.stored, reply: tracked.reply as Promise<ReplyData<T>> };
  }

  /**
   * Resolves once every command issued so far is in the outbox's storage (whatever became of each write): await
   * it before a process exits or a page unloads on purpose.
   */
  whenStored(): Promise<void> {
    return this.#outbox.whenStored();
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
    return bindExtension(def, (type, args, options) => this.command(type, args, options), this.outcomes$);
  }

  /** Fetches streams (with topics), groups and the user's read state into the local state. */
  async refresh(options?: CommandOptions): Promise<void> {
    const signal = options?.signal ? { signal: options.signal } : {};
    await Promise.all([this.getStreams(signal), this.getGroups(signal), this.getReadState(signal)]);
  }

  /** Loads the newest page of a topic (or older ones with `before`) into messages$. */
  async loadHistory(stream: string, topic: string, before?: number, options?: CommandOptions): Promise<ReplyData<'GetHistory'>> {
    const key = topicKey(stream, topic);
    this.#histories.note(key, { loading: 1 });
    try {
      const page = await this.getHistory({ stream, topic, ...(before !== undefined ? { before } : {}) }, options);
      // Only the oldest page loaded says whether older ones exist; a newer page (a reload) keeps what an older one said.
      const oldest = this.#local.current.messages.get(key)?.[0];
      const known = this.#histories.get(key)?.hasOlder;
      const hasOlder = known === undefined || before !== undefined || oldest === undefined || page.messages[0]?.seq === oldest.seq ? page.hasMore : known;
      this.#histories.note(key, { loading: -1, hasOlder });
      return page;
    } catch (error) {
      // A topic without messages yet has no history to page through.
      this.#histories.note(key, { loading: -1, hasOlder: this.#histories.get(key)?.hasOlder ?? false });
      throw error;
    }
  }

  /** Loads the page before the oldest message known locally (the newest page when none is). */
  loadOlder(stream: string, topic: string, options?: CommandOptions): Promise<ReplyData<'GetHistory'>> {
    const oldest = this.#local.current.messages.get(topicKey(stream, topic))?.[0];
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
    return select.topicsOf(this.state$, stream);
  }

  messages$(stream: string, topic: string): Observable<readonly Message[]> {
    return select.messagesOf(this.state$, stream, topic);
  }

  unreadCount$(stream: string, topic: string): Observable<number> {
    return select.unreadCountOf(this.state$, stream, topic);
  }

  members$(groupId: string): Observable<readonly UserRef[]> {
    return select.membersOf(this.state$, groupId);
  }

  /** Messages sent and not answered yet (all, or one stream's or topic's), in issue order; other commands do not make it emit. */
  pendingMessages$(stream?: string, topic?: string): Observable<readonly PendingMessage[]> {
    return pendingMessagesOf(this.pending$, stream, topic);
  }

  /** One topic, or undefined while it is unknown. */
  topic$(stream: string, topic: string): Observable<TopicInfo | undefined> {
    return select.topicOf(this.state$, stream, topic);
  }

  /** Whether the user muted the topic (on every device). */
  topicMuted$(stream: string, topic: string): Observable<boolean> {
    return select.topicMutedOf(this.state$, stream, topic);
  }

  /** A group's members, or undefined until they were loaded (ensureGroupMembers) or pushed. */
  groupMembers$(groupId: string): Observable<readonly UserRef[] | undefined> {
    return select.groupMembersOf(this.state$, groupId);
  }

  /** What paging through a topic's history found so far: whether a page is loading, whether older messages exist. */
  topicHistory$(stream: string, topic: string): Observable<TopicHistory> {
    return this.#histories.of$(topicKey(stream, topic));
  }

  /**
   * Loads a group's members unless they are known; concurrent calls share one request, and a failed one is
   * forgotten so the next call asks again.
   */
  ensureGroupMembers(groupId: string): Promise<readonly UserRef[]> {
    const known = this.#local.current.members.get(groupId);
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
    return select.reviewOf(this.reviews$, stream, topic);
  }

  // ------------------------------------------------------------------ public: sealed log

  /** Re-verifies every seal of the device's chain with the session key. */
  async verifyLog(): Promise<LogVerification> {
    const session = this.#session;
    const device = this.#device;
    if (!session || !device) return { ok: true, length: 0 };
    try {
      // A kept checkpoint stands for the entries before it: its seal is checked, and the chain from it.
      const checkpoint = await session.checkpoint();
      if (checkpoint !== undefined) verifyCheckpoint(defaultSealing(), fromHex(device.key), checkpoint, session.sessionId);
      const after = checkpoint === undefined ? undefined : { seq: checkpoint.seq - 1, seal: checkpoint.prevSeal };
      const verifier = new ChainVerifier({ key: device.key, sessionId: session.sessionId, ...(after ? { after } : {}) });
      for await (const page of session.chain(checkpoint?.seq ?? 0)) verifier.verify(page);
      return { ok: true, length: verifier.verified };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  // ------------------------------------------------------------------ internals: the connection's frames

  /** The next connection attempt's socket, its frames handed to the parts. */
  #openSocket(): HubSocket | SocketClosed {
    return HubSocket.open(this.#WebSocket, webSocketUrl(this.url, this.deviceId), webSocketProtocols(this.#token.token ?? ''), {
      opened: (socket) => {
        socket.send({
          kind: 'hello',
          protocol: PROTOCOL_VERSION,
          lastOutcomeId: this.#inbox.lastOutcomeId,
          // Checkpoints bound the log when it can keep them (a new session's log is opened after the welcome: ask).
          ...(this.#askCheckpoints && (this.#session?.keepsCheckpoints ?? true) ? { checkpoints: true } : {}),
          ...(this.#session && !this.#freshSession ? { sessionId: this.#session.sessionId, chainLength: this.#session.nextSeq } : {}),
        });
      },
      frame: (socket, frame) => this.#handle(socket, frame),
      finished: (socket) => {
        this.#inbox.stop();
        this.#window.stop(socket);
      },
    });
  }

  async #handle(socket: HubSocket, frame: HubFrame): Promise<void> {
    switch (frame.kind) {
      case 'welcome':
        return this.#onWelcome(socket, frame);
      case 'reply':
        return this.#window.onReply(socket, frame);
      case 'push':
        return this.#inbox.onPush(socket, frame);
      case 'recall':
        void this.#answerRecall(socket, frame);
        return;
      case 'resync':
        return this.#onResync(socket, frame.lastOutcomeId, frame.reason);
      case 'pong':
        return;
      case 'checkpoint':
        return this.#onCheckpoint(frame);
    }
  }

  /**
   * Keeps the hub's checkpoint and drops the log's entries before it (SessionClient.acceptCheckpoint verifies its
   * seal and that it sits on this chain). Skipped while a command sealed before it is unanswered: its entry must
   * stay for a resend. A checkpoint that does not verify changes nothing and is reported on failures$.
   */
  async #onCheckpoint(frame: CheckpointFrame): Promise<void> {
    const session = this.#session;
    if (!session || session.sessionId !== frame.sessionId || !session.keepsCheckpoints) return;
    const oldest = this.#window.oldestUnansweredSeq();
    if (oldest !== undefined && oldest < frame.checkpoint.seq) return;
    try {
      await session.acceptCheckpoint(frame.checkpoint);
    } catch (error) {
      this.#failures$.next(new ImError({ code: 'broken_chain', message: `the hub's checkpoint ${frame.checkpoint.seq} was refused, the log keeps its entries: ${String(error)}` }));
    }
  }

  async #onWelcome(socket: HubSocket, frame: WelcomeFrame): Promise<void> {
    if (this.#owner !== undefined && this.#owner !== frame.userId) {
      // The token is another user's. Everything in this storage (queued commands, chain, cursors) belongs to the
      // owner and must never go out under someone else's name: stop before the send loop starts; the user has to
      // sign in as the owner, or sign the owner out (which wipes the storage).
      this.#failures$.next(new ImError({ code: 'unauthorized', message: `this client's storage belongs to user ${this.#owner}, but the token signed in ${frame.userId}; nothing was sent` }));
      socket.finish(CloseCode.unauthorized, 'the token is for another user than this storage');
      return;
    }
    this.#owner = frame.userId;
    this.#local.set({ ...this.#local.current, me: { userId: frame.userId, username: frame.username } });
    if (!frame.resumed || !this.#session || this.#session.sessionId !== frame.sessionId) {
      const old = this.#session;
      const store = await this.#storage.openLog(frame.sessionId);
      this.#session = await SessionClient.open<Command>({ sessionId: frame.sessionId, key: frame.key, store });
      this.#lastSeal = await lastSealOf(store);
      this.#window.newSession();
      if (old && old.sessionId !== frame.sessionId) {
        await old.close().catch(() => undefined);
        await this.#storage.dropLog?.(old.sessionId);
      }
    }
    this.#freshSession = false;
    this.#device = { userId: frame.userId, sessionId: frame.sessionId, key: frame.key, lastOutcomeId: this.#inbox.lastOutcomeId };
    await this.#saveDevice();
    if (socket.signal.aborted) return;
    socket.welcome(frame.limits);
    this.#publishLog();
    this.#connection.online();
    this.#window.start(socket);
    if ((this.#config.autoSync ?? true) && (!this.#synced || !frame.resumed)) {
      this.#synced = true;
      this.refresh().catch((error: unknown) => this.#failures$.next(asImError(error)));
    }
  }

  async #onResync(socket: HubSocket, lastOutcomeId: number, reason: string): Promise<void> {
    this.#inbox.resetTo(lastOutcomeId);
    this.#readStatePushes.clear();
    this.#local.set({ ...emptyImState, me: this.#local.current.me });
    await this.#inbox.flushAck(socket);
    this.#resyncs$.next({ reason, lastOutcomeId });
    if (this.#config.autoSync ?? true) {
      this.#synced = true;
      this.refresh().catch((error: unknown) => this.#failures$.next(asImError(error)));
    }
  }

  async #answerRecall(socket: HubSocket, frame: RecallFrame): Promise<void> {
    this.#connection.recalling(true);
    try {
      await answerRecall(socket, frame, this.#session);
    } finally {
      this.#publishLog();
      if (!socket.signal.aborted) this.#connection.recalling(false);
    }
  }

  // ------------------------------------------------------------------ internals: helpers

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

  async #saveDevice(): Promise<void> {
    const device = this.#device;
    if (!device) return;
    const record: DeviceRecord = { ...device, lastOutcomeId: this.#inbox.lastOutcomeId };
    this.#device = record;
    await this.#storage.device.put({ id: DEVICE_ENTRY, value: record, deliveries: 0 });
  }

  #newTraceId(): string {
    this.#traceCounter++;
    return `${this.#tracePrefix}-${Date.now().toString(36)}-${this.#traceCounter.toString(36)}`;
  }

  #publishLog(): void {
    const session = this.#session;
    if (!session || this.#closed) return;
    this.#log$.next({ sessionId: session.sessionId, length: session.nextSeq, lastSeal: this.#lastSeal, recalls: session.recalls });
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
  return toHex(buffer);
}

/** The seal the chain continues from: the last entry's, or the kept checkpoint's prevSeal when it replaced every entry. */
async function lastSealOf(store: SealedLogStore<Command>): Promise<string | undefined> {
  return (await store.last())?.seal ?? (await store.checkpoint?.())?.prevSeal;
}

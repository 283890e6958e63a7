// The hub's durable state behind one async interface, so the embedded SQLite store and the PostgreSQL store of the
// scale-out issue are interchangeable. Domain data (users, groups, members, streams, topics, reviewers, votes,
// messages), the per-user outcome log (delivery), the command replies (idempotency) and the USER's read state
// (read cursors and muted topics shared by all their devices) live here. Per-device session state (each device's
// own cursors and mutes) does NOT: it lives in the hub's memory and is recalled from the client's chain.
//
// Contract for implementers:
// - Every method is async. Ids are strings chosen by the hub (UUIDs); the store never invents domain ids, except the
//   message `seq` (a global, strictly increasing integer used for paging and unread counts) and outcome ids.
// - The interface has three parts, by what they hold: the domain (`DomainStore`: users, groups, streams, topics,
//   messages, read state, extension records, API keys), the per-user outcome log (`OutcomeLog`, at `.outcomes`)
//   and the command replies (`ReplyLog`, at `.replies`). Command handlers are given the domain only.
// - `transaction(work)` runs `work` atomically: all writes made through the `StoreTx` (its domain, `tx.outcomes`
//   and `tx.replies`) commit together or not at all (the hub relies on this: a command's domain change, its pushed
//   outcomes and its stored reply are one unit). Transactions on one store are serialized or isolated so that
//   outcome ids stay gap-free and monotonic per user even with several hubs on one database (PostgreSQL: lock
//   the user's counter row). A store may run `work` more than once (a retry); `work` acts only through its `tx`.
// - Ordering (`startTransaction`): see TransactionHandle. Both stores honour it; it is how the hub starts a
//   device's next command before the previous one's commit is durable, on any engine.
// - Methods called on the `Store` itself (outside `transaction`) each run in their own implicit transaction.
// - Unique violations (username taken, stream name taken) reject with `StoreConflictError`.

/** A registered user. `passwordHash` is the self-describing scrypt string made by `auth/password.ts`. */
export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
  createdAt: number;
  /** Tokens issued before this time (ms since the epoch) are refused (a password change); 0 when never set. */
  tokensValidAfter?: number;
  /** Set while the operator has deactivated the account (no login, every token refused); null otherwise. */
  deactivatedAt?: number | null;
}

/** A token's login, as a hub checks it is still valid (not signed out, not issued before a password change). */
export interface LoginRef {
  loginId: string;
  userId: string;
  issuedAt: number;
}

/** A group of users; streams are made visible to groups. */
export interface GroupRecord {
  id: string;
  name: string;
  description: string;
  ownerId: string;
  createdAt: number;
}

/** A stream (the seed's StreamScope): a named channel visible to the members of its groups. */
export interface StreamRecord {
  name: string;
  description: string;
  creatorId: string;
  createdAt: number;
  /** Ids of the groups that can see the stream, sorted. */
  groups: string[];
}

/**
 * Topic status, as the seed's TopicType: 0 reject, 1 complete, 3 under review, 4 developing, 5 discussion.
 * A topic that was never given a status is a discussion (5).
 */
export type TopicStatus = 0 | 1 | 3 | 4 | 5;

export interface TopicRecord {
  stream: string;
  topic: string;
  status: TopicStatus;
  /** seq of the newest message in the topic, 0 when none. */
  lastSeq: number;
}

/** A reviewer's vote on a topic under review: 1 yes, 0 no (the seed's TopicReview). */
export type VoteValue = 0 | 1;

export interface MessageRecord {
  id: string;
  /** Global order: strictly increasing across all messages; pages and read cursors are expressed in it. */
  seq: number;
  stream: string;
  topic: string;
  senderId: string;
  /** The sender's username (joined from users). */
  senderName: string;
  content: string;
  createdAt: number;
  editedAt: number | null;
  deleted: boolean;
}

export interface NewMessage {
  id: string;
  stream: string;
  topic: string;
  senderId: string;
  content: string;
  createdAt: number;
  /**
   * A narrowed message (SendMessage.recipients): the only users who may read it, sender included. Absent: everyone
   * who sees the stream. Stored with the message, so history, unread counts, edits and deletes keep the narrowing.
   */
  recipients?: readonly string[];
}

/** SendMessage's store work (`DomainStore.postMessage`): a message to everyone who sees the stream, or to some of them. */
export interface MessagePost extends Omit<NewMessage, 'recipients'> {
  /**
   * Narrows the message to these users (the sender is added) among those who see the stream; absent: the whole
   * audience. Users outside the audience are dropped, never added.
   */
  narrowTo?: readonly string[];
}

/** A posted message and the users its NewMessage outcome goes to: the stream's audience, or its narrowed part, sorted. */
export interface PostedMessage {
  record: MessageRecord;
  recipients: string[];
}

export interface HistoryQuery {
  stream: string;
  /** Only this topic; all topics of the stream when absent. */
  topic?: string;
  /** Page backwards: messages with `seq < before` (newest page when absent). */
  before?: number;
  limit: number;
  /**
   * Stop once the page's content passes this many characters, counted newest first: the message that passes it and
   * the next older one are still returned (so a caller keeping messages within the budget sees one it left out),
   * no more. A page meant for one frame then reads a few large messages, not `limit` of them only to drop most
   * (GetHistory of 200 messages of 9,000 characters read 1.8 MB to send 64 KiB). Absent: `limit` alone.
   */
  maxContentChars?: number;
  /** Leave out narrowed messages not addressed to this user. Absent: every message (tools and tests only). */
  viewer?: string;
}

/** One entry of a user's outcome log: `id` is monotonic and gap-free per user, starting at 1. */
export interface StoredOutcome {
  id: number;
  /** The pushed outcome, a JSON value (stored as text / jsonb). */
  body: unknown;
}

/** One pushed outcome and the users whose logs it is appended to. */
export interface OutcomePush {
  userIds: readonly string[];
  body: unknown;
}

/** What is left of a user's outcome log: `first` is the oldest retained id (0 when empty), `last` the newest. */
export interface OutcomeBounds {
  first: number;
  last: number;
}

/**
 * Unread counting: messages after `afterSeq` in one topic that someone else sent and that are not deleted, as seen
 * by `excludeSender`: narrowed messages not addressed to them are not counted.
 */
export interface UnreadQuery {
  stream: string;
  topic: string;
  afterSeq: number;
  excludeSender: string;
}

/** A user's read cursor in one topic: every message with seq <= upTo is read on all their devices. */
export interface UserReadCursor {
  stream: string;
  topic: string;
  upTo: number;
}

/** A user's read state: their cursors and muted topics, each sorted by stream then topic. */
export interface UserReadState {
  cursors: UserReadCursor[];
  muted: Array<{ stream: string; topic: string }>;
}

/** One record an extension stored (extension_records): a JSON value under a key of the extension's choosing. */
export interface ExtensionRecord {
  key: string;
  value: unknown;
  updatedAt: number;
}

/**
 * A key for the publish API (api_keys). The key itself (`stg_…`) is shown once when created; only its SHA-256 is
 * stored, so a copy of the database does not hold usable keys. Requests made with it act as `userId` (a bot user).
 */
export interface ApiKeyRecord {
  id: string;
  /** The operator's label ("ci-bot"). */
  name: string;
  userId: string;
  /** Lower-case hex SHA-256 of the whole key. */
  hash: string;
  createdAt: number;
  revokedAt: number | null;
}

/**
 * The domain: what command handlers read and write (users, groups, streams, topics, messages, the users' read
 * state, extension records, API keys); available inside and outside a transaction.
 */
export interface DomainStore {
  // users
  insertUser(user: UserRecord): Promise<void>;
  userById(id: string): Promise<UserRecord | undefined>;
  userByName(username: string): Promise<UserRecord | undefined>;
  /** Active (not deactivated) users whose username starts with `prefix` (any user when empty), by username, at most `limit`. */
  usersByPrefix(prefix: string, limit: number): Promise<UserRecord[]>;
  /** Signs a login out: its tokens are refused from now on; the row is kept until `expiresAt` (the token's expiry). */
  revokeLogin(loginId: string, userId: string, expiresAt: number): Promise<void>;
  /** Of these logins, those no longer valid: signed out, issued before their user's tokensValidAfter, or user gone. */
  revokedAmong(logins: readonly LoginRef[]): Promise<Set<string>>;
  /** Sets a new password hash and refuses every token issued before `tokensValidAfter`. */
  setPassword(userId: string, passwordHash: string, tokensValidAfter: number): Promise<void>;
  /** Deactivates the account at `at` (every token refused, no login) or, with null, reactivates it. */
  setDeactivated(userId: string, at: number | null): Promise<void>;

  // groups and members
  insertGroup(group: GroupRecord): Promise<void>;
  groupById(id: string): Promise<GroupRecord | undefined>;
  /** Deletes the group, its memberships and its stream visibility entries. */
  deleteGroup(id: string): Promise<void>;
  addMember(groupId: string, userId: string): Promise<void>;
  removeMember(groupId: string, userId: string): Promise<void>;
  /** Member user ids, sorted. */
  members(groupId: string): Promise<string[]>;
  isMember(groupId: string, userId: string): Promise<boolean>;
  /** Groups the user belongs to, sorted by id. */
  groupsOf(userId: string): Promise<GroupRecord[]>;

  // streams
  insertStream(stream: StreamRecord): Promise<void>;
  streamByName(name: string): Promise<StreamRecord | undefined>;
  setStreamGroups(name: string, groupIds: string[]): Promise<void>;
  /** Deletes the stream and everything in it (topics, reviewers, votes, admins, messages), so its name is free again. */
  deleteStream(name: string): Promise<void>;
  /** Streams at least one group of the user can see, sorted by name. */
  streamsVisibleTo(userId: string): Promise<StreamRecord[]>;
  /** Distinct ids of the users who can see the stream (members of its groups), sorted. */
  streamAudience(name: string): Promise<string[]>;
  canSee(userId: string, stream: string): Promise<boolean>;
  /** Users the stream's creator named as its administrators, sorted (the creator is not listed). */
  streamAdmins(stream: string): Promise<string[]>;
  /** Replaces the stream's administrators. */
  setStreamAdmins(stream: string, userIds: readonly string[]): Promise<void>;

  // topics, reviewers, votes
  topic(stream: string, topic: string): Promise<TopicRecord | undefined>;
  setTopicStatus(stream: string, topic: string, status: TopicStatus): Promise<void>;
  /** Topics that exist in a stream (have a status or messages), sorted by name. */
  topicsOf(stream: string): Promise<TopicRecord[]>;
  reviewers(stream: string): Promise<string[]>;
  addReviewer(stream: string, userId: string): Promise<void>;
  removeReviewer(stream: string, userId: string): Promise<void>;
  /** Votes on a topic: reviewer id → vote. */
  votes(stream: string, topic: string): Promise<Record<string, VoteValue>>;
  setVote(stream: string, topic: string, reviewerId: string, vote: VoteValue): Promise<void>;
  clearVotes(stream: string, topic: string): Promise<void>;

  // messages
  /** Inserts and returns the message with its assigned `seq`. */
  insertMessage(message: NewMessage): Promise<MessageRecord>;
  /**
   * Optional: SendMessage's reads and writes in one call. When the sender is in the stream's audience (which is
   * also the visibility check: a stream that does not exist has none), inserts the message, narrowed to
   * `narrowTo` ∩ audience (sender included) when given, and returns it with its recipients; otherwise writes
   * nothing and returns undefined. Callers use `postMessage()` (./postMessage.ts), which falls back to
   * `streamAudience` + `insertMessage`. It takes no outcome ids: the push is appended as usual (`appendPushes`).
   */
  postMessage?(post: MessagePost): Promise<PostedMessage | undefined>;
  messageById(id: string): Promise<MessageRecord | undefined>;
  /** The users a narrowed message is addressed to (sorted, sender included); undefined when it is not narrowed. */
  messageRecipients(id: string): Promise<string[] | undefined>;
  editMessage(id: string, content: string, editedAt: number): Promise<void>;
  /** Marks the message deleted and blanks its content. */
  deleteMessage(id: string): Promise<void>;
  /** Newest first is NOT what clients want: returns the page in ascending `seq` order. */
  history(query: HistoryQuery): Promise<MessageRecord[]>;
  countUnread(query: UnreadQuery): Promise<number>;

  // the user's read state (shared by their devices)
  userReadState(userId: string): Promise<UserReadState>;
  /** Moves the user's cursor in the topic up to `upTo`; never back. True when it moved (or was created). */
  advanceUserCursor(userId: string, stream: string, topic: string, upTo: number): Promise<boolean>;
  /** Mutes or unmutes the topic for the user. True when that changed something. */
  setUserMuted(userId: string, stream: string, topic: string, muted: boolean): Promise<boolean>;

  // extensions: a generic table of JSON records per extension (written inside the command's transaction)
  extensionRecord(extension: string, key: string): Promise<ExtensionRecord | undefined>;
  /** Inserts or replaces the record. `value` is stored as JSON text. */
  putExtensionRecord(extension: string, key: string, value: unknown, updatedAt: number): Promise<void>;
  /** Deletes the record; true when there was one. */
  deleteExtensionRecord(extension: string, key: string): Promise<boolean>;
  /** Records whose key starts with `prefix`, ascending by key, keys > `after` when given, at most `limit`. */
  extensionRecords(extension: string, prefix: string, limit: number, after?: string): Promise<ExtensionRecord[]>;

  // API keys of the publish API
  insertApiKey(key: ApiKeyRecord): Promise<void>;
  apiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, revoked ones included, oldest first. */
  apiKeys(): Promise<ApiKeyRecord[]>;
  /** Revokes the key (requests with it are refused from now on); false when no such key or already revoked. */
  revokeApiKey(id: string, at: number): Promise<boolean>;
}

/**
 * The per-user outcome log (delivery): every pushed outcome, appended in the transaction of the command that
 * pushed it, numbered per user (monotonic, gap-free, from 1), read back for replay and recall, pruned to the
 * retention window.
 */
export interface OutcomeLog {
  /** Appends an outcome to the user's log and returns its id (last + 1). */
  appendOutcome(userId: string, body: unknown): Promise<number>;
  /**
   * Appends the same outcome to several users' logs (a fan-out) and returns each one's new id, in `userIds` order
   * (a user listed twice gets one entry and the same id twice). The body is serialized once; implementations do it
   * in one statement or one prepared statement in a loop, never one round trip per recipient.
   */
  appendOutcomes(userIds: readonly string[], body: unknown): Promise<number[]>;
  /**
   * Optional: appends every pushed outcome of one command at once and returns, per push, each recipient's new id
   * in its `userIds` order. A store that locks per-recipient rows implements it to take all of a command's locks
   * in ONE global order (sorted user ids), so commands pushing several outcomes cannot deadlock each other across
   * hubs. Callers use `appendPushes()` (./appendPushes.ts), which falls back to one `appendOutcomes` per push.
   */
  appendPushes?(pushes: readonly OutcomePush[]): Promise<number[][]>;
  /**
   * Optional, inside a transaction: `appendPushes`, executed with the transaction's COMMIT instead of now, so the
   * recipients' rows it locks are held for the COMMIT alone, never across a round trip to the hub. The ids are
   * known only then: the promise settles before the transaction's `committed` does, and a failure of the append
   * fails the transaction (nothing is written). The caller must not need the ids inside the transaction (it
   * awaits them after the commit), nor return the promise itself from `work` (a returned promise is adopted: the
   * work would wait for the COMMIT that waits for the work). A store without it appends at once (`appendPushes`).
   */
  appendPushesWithCommit?(pushes: readonly OutcomePush[]): Promise<number[][]>;
  /** Outcomes with `id > afterId`, ascending, at most `limit`. */
  outcomesAfter(userId: string, afterId: number, limit: number): Promise<StoredOutcome[]>;
  outcomeBounds(userId: string): Promise<OutcomeBounds>;
  /** Forgets outcomes with `id < keepFrom` (the retention window); the counter is kept. */
  pruneOutcomes(userId: string, keepFrom: number): Promise<void>;
  /** Ids of users with a non-empty outcome log, for the retention sweep. */
  usersWithOutcomes(): Promise<string[]>;
  /**
   * Optional: the newest outcome id of each of these users in one round trip (users without a log are absent).
   * Hubs poll it to deliver outcomes the fan-out lost; see `latestOutcomeIds()` (./latestOutcomeIds.ts).
   */
  latestOutcomeIds?(userIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Optional: `outcomeBounds` of each of these users in one round trip (every user listed is in the map; one
   * without a log has { first: 0, last: 0 }). Hubs read joining devices' bounds with it, many at once after a
   * reconnect storm; see `outcomeBoundsOf()` (./outcomeBoundsOf.ts).
   */
  outcomeBoundsOf?(userIds: readonly string[]): Promise<Map<string, OutcomeBounds>>;
}

/** The reply log (idempotency): the stored reply of each (user, trace id), so a command is applied at most once. */
export interface ReplyLog {
  /**
   * The recorded reply, if any. Inside a transaction this also CLAIMS (user, traceId) until the transaction ends:
   * another transaction's findReply for the same key waits for it, then sees the reply it recorded. So a command
   * resent to a second hub while the first still runs it is executed once (SQLite: transactions are serialized).
   */
  findReply(userId: string, traceId: string): Promise<unknown | undefined>;
  /** Records the reply; a reply already recorded for (user, traceId) is kept, never overwritten. */
  saveReply(userId: string, traceId: string, reply: unknown): Promise<void>;
}

/** What a transaction's `work` is given, and what the store offers outside transactions: the three parts. */
export interface StoreTx extends DomainStore {
  readonly outcomes: OutcomeLog;
  readonly replies: ReplyLog;
}

export interface TransactionOptions {
  /**
   * Aborts the work: a store that talks to a server cancels the running statement (drops the connection) and
   * rolls back, so a command's deadline holds even when the server stopped answering. The transaction then
   * rejects; whether anything committed is decided by the server (a COMMIT already sent may have).
   */
  signal?: AbortSignal;
}

/**
 * A transaction under way (`Store.startTransaction`), with the ordering contract every store honours:
 *
 * Once `ordered` has resolved, every transaction started after that moment (by `transaction` or
 * `startTransaction`, on this store object) sees this transaction's writes, and commits no earlier than it:
 * together with it or after it. A store resolves `ordered` as early as it can guarantee that:
 * - SQLite: when `work` returns. Transactions are serialized on one connection; a later one runs in the same open
 *   group commit or a later one, behind these writes.
 * - PostgreSQL: when the COMMIT has answered. A later transaction runs on another pooled connection, which does
 *   not see rows whose COMMIT is still in flight (earlier would take a device's transactions pipelined on one
 *   connection).
 *
 * `ordered` resolves no later than `committed` does, and never rejects. A transaction that fails before it is
 * ordered (its work threw, a statement or its COMMIT failed) never resolves `ordered`: a caller waits for whichever
 * of the two settles first. (A store could resolve it on failure, nothing of the transaction being visible; the hub
 * relies on it not doing so: a command that fails, or whose handler crashed and is redelivered, keeps the device's
 * next command waiting for its reply, so the redelivery cannot run after the command behind it.)
 * What `ordered` cannot promise: that the transaction commits. If it fails after `ordered` (SQLite: its group
 * COMMIT fails, or it fails when its batch is re-run), a later transaction that already saw its writes fails with
 * it when in the same group commit, and may commit without it otherwise; the hub answers the failed command Err,
 * and the client resends it.
 */
export interface TransactionHandle<T> {
  /** Resolves once this transaction is ordered before every later one (see above). */
  readonly ordered: Promise<void>;
  /** Resolves with the work's result once its writes are durable (committed); rejects if they are not. */
  readonly committed: Promise<T>;
}

export interface Store extends StoreTx {
  /** Which implementation this is ("sqlite", "postgres"), for logs and metrics. */
  readonly kind: string;
  /**
   * True when no other process can write this store while it is open (SQLite holds a lock on its file): every
   * sign-out and password change then goes through this hub, which closes the affected connections itself, so it
   * does not poll the store for revocations made elsewhere (`revocationCheckMs`). Left out: polled.
   */
  readonly singleWriter?: boolean;
  /**
   * Runs `work` in a transaction; resolves only once its writes are durable (committed). The same as
   * `startTransaction(work, options).committed`, for callers that need no ordering.
   */
  transaction<T>(work: (tx: StoreTx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Runs `work` in a transaction and says when it is ordered before every later one: see TransactionHandle. */
  startTransaction<T>(work: (tx: StoreTx) => Promise<T>, options?: TransactionOptions): TransactionHandle<T>;
  /**
   * Optional cheap health check for readiness (`/readyz`): resolves when the store answers a trivial query within
   * `timeoutMs`, rejects (StoreUnavailableError) otherwise. An embedded store may leave it out (always ready).
   */
  ping?(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A unique constraint was violated (username or stream name taken, member already in group). */
export class StoreConflictError extends Error {
  readonly code = 'conflict';
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}

/**
 * The store cannot serve right now (server unreachable or silent, disk full, too many connections): nothing the
 * failed call did is visible, except that a COMMIT whose answer was lost may have committed. Commands answer Err
 * `unavailable` with `retryAfterMs`; a resend with the same trace id is answered from the record if it committed.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'store_unavailable';
  constructor(
    message: string,
    readonly reason: 'unreachable' | 'timeout' | 'full' = 'unreachable',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }

  /** How long a client should wait before resending: a full disk needs an operator, a lost link a moment. */
  get retryAfterMs(): number {
    return this.reason === 'full' ? 5000 : 1000;
  }
}

const diskFullCodes = new Set(['53100' /* PostgreSQL disk_full */, 'SQLITE_FULL', 'ENOSPC']);

/** The StoreUnavailableError an error means, if it is one (a full disk reported by either engine included). */
export function asStoreUnavailable(e: unknown): StoreUnavailableError | undefined {
  if (e instanceof StoreUnavailableError) return e;
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  if (diskFullCodes.has(code)) return new StoreUnavailableError(`the store's disk is full (${(e as Error).message})`, 'full', { cause: e });
  return undefined;
}

// The embedded store: SQLite through better-sqlite3, one file in the data dir, WAL journal. better-sqlite3 is
// synchronous; every call and every transaction is serialized through one job queue (the SDK's WorkQueue), so an
// async `work` that only awaits its `tx` is atomic and isolated.
//
// Group commit: the COMMIT's fsync and the WAL pages a fan-out dirties (one per recipient's log) cost more than a
// command's statements. Transactions queued back to back therefore share one BEGIN IMMEDIATE … COMMIT, and every
// promise of the batch resolves only after the shared COMMIT is durable, so nothing is reported done before it is.
// A transaction that fails rejects at once; if it had written anything, the batch is rolled back and the
// transactions before it are run again (the Store contract already lets a store re-run `work`). A SAVEPOINT per
// transaction would do the same but copies every page a fan-out touches: measured 10x slower. A call made outside
// a transaction waits until everything committed before it is durable, so it never sees uncommitted rows, nor
// committed rows that a power loss could still take back.
//
// The fsync is off the event loop and batches overlap (docs/HUB.md, "Delivery pipeline"): the connection runs with
// synchronous=NORMAL, so COMMIT only writes the WAL frames to the OS, and the store then fdatasyncs the -wal file on
// libuv's thread pool (see SqliteOps.sync). While batch N syncs, batch N+1 stays open and takes the transactions of
// every connection; it commits when N is durable. Batch N+1 settles only after batch N, so replies and pushes keep
// commit order.
import { closeSync, constants, fdatasync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { WorkQueue } from '@stage/sdk';
import type { Database as Db, Statement } from 'better-sqlite3';
import { afterPromiseJobs, maxBatchMs, maxBatchTransactions } from './groupCommit.js';
import { messageSelect, toMessage, withinContentBudget, type MessageRow } from './messageRow.js';
import { sqliteMigrations } from './migrations.js';
import { SqliteOutcomeLog } from './SqliteOutcomeLog.js';
import {
  StoreConflictError,
  type DomainStore,
  type TransactionHandle,
  type TransactionOptions,
  type GroupRecord,
  type HistoryQuery,
  type MessageRecord,
  type NewMessage,
  type OutcomeBounds,
  type OutcomeLog,
  type ReplyLog,
  type Store,
  type StoreTx,
  type StoredOutcome,
  type StreamRecord,
  type TopicRecord,
  type TopicStatus,
  type UnreadQuery,
  type UserReadCursor,
  type UserReadState,
  type UserRecord,
  type LoginRef,
  type VoteValue,
  type ApiKeyRecord,
  type ExtensionRecord,
} from './Store.js';

const topicSelect = `SELECT t.stream, t.topic, t.status,
  COALESCE((SELECT MAX(seq) FROM messages m WHERE m.stream = t.stream AND m.topic = t.topic), 0) AS lastSeq FROM topics t`;

const isUniqueViolation = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && 'code' in e && String((e as { code: unknown }).code).startsWith('SQLITE_CONSTRAINT');

export interface SqliteStoreConfig {
  /** Database file; ':memory:' for tests that need no durability. */
  file: string;
  /**
   * Open for reading only, beside the hub that writes the file (tools, tests): no lock, no migrations, and every
   * write fails. Only one store may open a file for writing.
   */
  readonly?: boolean;
  /**
   * Outcome fan-outs written before the store compacts them in the background (default 32; Infinity: only when
   * compactOutcomes is called, for tests that look at what is pending).
   */
  compactAfterFanouts?: number;
  /**
   * Makes the -wal file's writes durable: fdatasync on libuv's thread pool by default. Tests pass a gated one to
   * see what waits for durability.
   */
  syncWal?: (fd: number) => Promise<void>;
}

const fdatasyncOnThreadPool = (fd: number): Promise<void> =>
  new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));

const userColumns =
  'id, username, password_hash AS passwordHash, created_at AS createdAt, tokens_valid_after AS tokensValidAfter, deactivated_at AS deactivatedAt';

const apiKeyColumns = 'id, name, user_id AS userId, hash, created_at AS createdAt, revoked_at AS revokedAt';

const domainMethods = [
  'insertUser', 'userById', 'userByName', 'usersByPrefix', 'revokeLogin', 'revokedAmong', 'setPassword', 'setDeactivated', 'insertGroup', 'groupById', 'deleteGroup', 'addMember', 'removeMember',
  'members', 'isMember', 'groupsOf', 'insertStream', 'streamByName', 'setStreamGroups', 'deleteStream', 'streamsVisibleTo',
  'streamAudience', 'canSee', 'streamAdmins', 'setStreamAdmins', 'messageRecipients', 'topic', 'setTopicStatus', 'topicsOf', 'reviewers', 'addReviewer', 'removeReviewer',
  'votes', 'setVote', 'clearVotes', 'insertMessage', 'messageById', 'editMessage', 'deleteMessage', 'history',
  'countUnread', 'userReadState', 'advanceUserCursor', 'setUserMuted',
  'extensionRecord', 'putExtensionRecord', 'deleteExtensionRecord', 'extensionRecords', 'insertApiKey', 'apiKeyByHash', 'apiKeys', 'revokeApiKey',
] as const satisfies readonly (keyof DomainStore)[];
const outcomeLogMethods = ['appendOutcome', 'appendOutcomes', 'outcomesAfter', 'outcomeBounds', 'pruneOutcomes', 'usersWithOutcomes'] as const satisfies readonly (keyof OutcomeLog)[];
const replyLogMethods = ['findReply', 'saveReply'] as const satisfies readonly (keyof ReplyLog)[];

// Declaration merging: the class gets every DomainStore method, installed in the constructor as serialized delegates
// (as are those of `outcomes` and `replies`).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging -- see above
export interface SqliteStore extends DomainStore {}

/** Outcome fan-outs written before their entries are compacted into the per-user table (see SqliteOutcomeLog). */
const defaultCompactAfterFanouts = 32;
/**
 * Entries moved per compaction job (a few milliseconds): the jobs queued meanwhile (commands) run between two
 * slices instead of waiting for a whole compaction.
 */
const compactionSlice = 1024;

type Settle = { resolve(value: unknown): void; reject(error: unknown): void };
type Job = ({ kind: 'call'; run: () => Promise<unknown> } & Settle) | TransactionJob;

const settled = Promise.resolve();

/**
 * A queued transaction: the store's job and the caller's TransactionHandle in one object, whose `ordered` promise
 * is made only if someone asks for it. So `startTransaction` allocates no more than a plain `transaction`.
 */
class TransactionJob implements TransactionHandle<unknown> {
  readonly kind = 'transaction';
  readonly committed: Promise<unknown>;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  private isOrdered = false;
  private orderedPromise: Promise<void> | undefined;
  private resolveOrdered: (() => void) | undefined;

  constructor(readonly work: (tx: StoreTx) => Promise<unknown>) {
    this.committed = new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  get ordered(): Promise<void> {
    this.orderedPromise ??= this.isOrdered ? settled : new Promise<void>((resolve) => (this.resolveOrdered = resolve));
    return this.orderedPromise;
  }

  /** The work returned: later transactions run behind its writes (see startTransaction). */
  markOrdered(): void {
    this.isOrdered = true;
    this.resolveOrdered?.();
  }
}

type Applied = { job: TransactionJob; result: unknown };


/**
 * The public store. Every call, transaction or not, goes through one job queue: a read made by another part of the
 * hub while a transaction awaits between statements would otherwise see its uncommitted rows (one connection),
 * e.g. an outcome that is then rolled back.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- merged with the interface above on purpose
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  /** The file lock (openFileLock) keeps every other writer out: revocations only come through this process. */
  readonly singleWriter = true;
  readonly outcomes: OutcomeLog;
  readonly replies: ReplyLog;
  private readonly ops: SqliteOps;
  /** Every call and transaction, one at a time in arrival order (a batch takes the transactions queued behind it). */
  private readonly jobs = new WorkQueue<Job>((job) => this.runJob(job), {
    onOffer: () => this.wake?.(),
    // runJob settles every job it takes; this only guards against a bug leaving one unsettled.
    onError: (error, job) => job.reject(error),
  });
  private compactionScheduled = false;
  private readonly compactAfterFanouts: number;
  /** Settles (never rejects) once everything committed so far is durable, or the store failed. */
  private durable: Promise<void> = Promise.resolve();
  private syncsInFlight = 0;
  /** Set while an open batch waits for a transaction or for the previous batch's sync, whichever comes first. */
  private wake: (() => void) | undefined;
  /** A sync that failed: committed rows may not be on disk, so the store takes no further work. */
  private failure: Error | undefined;
  /** Batches committed and the transactions they held (see commitStats). */
  private commits = 0;
  private committedTransactions = 0;

  constructor(config: SqliteStoreConfig) {
    this.ops = new SqliteOps(config.file, config.readonly ?? false, config.syncWal ?? fdatasyncOnThreadPool);
    this.compactAfterFanouts = config.compactAfterFanouts ?? defaultCompactAfterFanouts;
    this.delegate(this, domainMethods);
    this.outcomes = this.delegate({}, outcomeLogMethods) as OutcomeLog;
    this.replies = this.delegate({}, replyLogMethods) as ReplyLog;
  }

  // SQLite ignores `options.signal`: a transaction is a few synchronous statements; it cannot hang on a server.
  transaction<T>(work: (tx: StoreTx) => Promise<T>, _options?: TransactionOptions): Promise<T> {
    return this.startTransaction(work).committed;
  }

  /**
   * `ordered` resolves when `work` returns: every later transaction is queued behind it on the one connection and
   * runs in the same group commit (or a later one), so it sees these writes and cannot commit first.
   */
  startTransaction<T>(work: (tx: StoreTx) => Promise<T>, _options?: TransactionOptions): TransactionHandle<T> {
    const job = new TransactionJob(work);
    this.enqueue(job);
    return job as TransactionHandle<unknown> as TransactionHandle<T>;
  }

  /** Installs on `target` a serialized delegate (see `call`) of each named SqliteOps method. */
  private delegate<K extends keyof SqliteOps>(target: object, names: readonly K[]): object {
    for (const name of names) {
      const method = this.ops[name] as (...args: unknown[]) => Promise<unknown>;
      (target as Record<string, unknown>)[name] = (...args: unknown[]) => this.call(() => method.apply(this.ops, args));
    }
    return target;
  }

  /** Outcome fan-outs whose entries are not yet in the per-user table (compacted every 32, in the background). */
  get outcomeBacklog(): number {
    return this.ops.outcomeBacklog;
  }

  /**
   * Compacts pending outcome entries now, whole users at a time, about `maxEntries` of them (all by default; see
   * SqliteOutcomeLog). The hub does it by itself in the background. Resolves with whether some are still pending.
   */
  compactOutcomes(maxEntries = Infinity): Promise<boolean> {
    return this.call(async () => this.ops.compactOutcomes(maxEntries));
  }

  /** Group commits so far and the transactions they held: `transactions / commits` is the mean batch size. */
  get commitStats(): { commits: number; transactions: number } {
    return { commits: this.commits, transactions: this.committedTransactions };
  }

  async close(): Promise<void> {
    await this.call(async () => this.ops.close());
  }

  private call<T>(run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue({ kind: 'call', run, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private enqueue(job: Job): void {
    if (this.failure) return job.reject(this.failure);
    this.jobs.offer(job);
  }

  private runJob(job: Job): Promise<void> {
    return job.kind === 'transaction' ? this.batch(job) : this.runCall(job);
  }

  /** After every job that may have appended outcomes: compacts in the background once enough fan-outs wait. */
  private compactIfDue(): void {
    if (this.ops.outcomeBacklog >= this.compactAfterFanouts) this.scheduleCompaction();
  }

  /** Runs a call once everything committed before it is durable; settles it once what it committed is durable too. */
  private async runCall(job: Extract<Job, { kind: 'call' }>): Promise<void> {
    await this.durable;
    if (this.failure) return job.reject(this.failure);
    let result: unknown;
    try {
      result = await job.run();
    } catch (error) {
      job.reject(error);
      return;
    }
    this.compactIfDue();
    if (this.ops.unsynced) await this.sync().then(() => job.resolve(result), job.reject);
    else job.resolve(result);
  }

  /**
   * Starts making everything committed so far durable (an fdatasync of the WAL on the thread pool). Resolves once it
   * is and every earlier sync resolved; rejects, and fails the store for good, if it cannot be (after a failed
   * fsync the kernel may have dropped the dirty pages: retrying could report success for data that is gone).
   */
  private sync(): Promise<void> {
    this.syncsInFlight++;
    const own = this.ops.sync();
    const done = Promise.all([this.durable, own]).then(() => {
      if (this.failure) throw this.failure;
    });
    this.durable = done.then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= new Error('the SQLite write-ahead log could not be synced to disk; the store refuses further work: restart the hub', { cause: error });
      },
    );
    void this.durable.then(() => {
      this.syncsInFlight--;
      this.wake?.();
    });
    return done;
  }

  /** Resolves when a job is queued or no sync is in flight any more. */
  private jobOrSynced(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }

  /**
   * Runs `first` and the transactions queued behind it in one BEGIN … COMMIT; settles each once the COMMIT is
   * durable. While the previous batch's sync is in flight, the batch stays open for transactions from any
   * connection; otherwise it commits as soon as the promise jobs under way (pipelined commands) had their turn.
   */
  private async batch(first: TransactionJob): Promise<void> {
    const opened = performance.now();
    const applied: Applied[] = [];
    try {
      this.ops.begin();
    } catch (error) {
      first.reject(error);
      return;
    }
    for (let job: TransactionJob | undefined = first; job !== undefined; job = this.nextInBatch(applied.length, opened)) {
      const changesBefore = this.ops.changes();
      try {
        applied.push({ job, result: await job.work(this.ops) });
      } catch (error) {
        job.reject(error);
        // A failure that wrote nothing leaves nothing to undo (a failing statement undoes itself).
        if (this.ops.open && this.ops.changes() === changesBefore) continue;
        if (await this.redo(applied)) continue;
        return;
      }
      job.markOrdered();
      if (this.jobs.length > 0) continue;
      // Nothing else queued: let pipelined work join this batch, and while the previous batch syncs, any work.
      await afterPromiseJobs();
      while (this.jobs.length === 0 && this.syncsInFlight > 0 && performance.now() - opened < maxBatchMs) await this.jobOrSynced();
    }
    try {
      this.ops.commit();
    } catch (error) {
      this.ops.rollback();
      for (const { job } of applied) job.reject(error);
      return;
    }
    this.commits++;
    this.committedTransactions += applied.length;
    this.compactIfDue();
    this.sync().then(
      () => {
        for (const { job, result } of applied) job.resolve(result);
      },
      (error: unknown) => {
        for (const { job } of applied) job.reject(error);
      },
    );
  }

  /**
   * Compacts the outcome fan-outs slice by slice, each slice a transaction queued in a later turn of the event loop:
   * the pushes of the batch just committed are written to their sockets first (the writers flush on
   * process.nextTick), and commands queued meanwhile go between two slices. A slice that fails leaves its entries
   * where they are (durable and readable); the next commit starts again.
   */
  private scheduleCompaction(): void {
    if (this.compactionScheduled) return;
    this.compactionScheduled = true;
    setTimeout(() => {
      // A transaction, not a call: it joins the group commit of the commands queued with it instead of ending it.
      this.transaction(async () => this.ops.compactOutcomes(compactionSlice)).then(
        (more) => {
          this.compactionScheduled = false;
          // A round, once started, goes on slice by slice until nothing is pending.
          if (more) this.scheduleCompaction();
        },
        () => {
          this.compactionScheduled = false;
        },
      );
    }, 0).unref();
  }

  /**
   * Undoes a failed transaction's writes: rolls the batch back and runs the transactions applied before it again,
   * in order, in a new batch. False (and every one of them rejected) when no new batch can be opened.
   */
  private async redo(applied: Applied[]): Promise<boolean> {
    for (;;) {
      this.ops.rollback();
      try {
        this.ops.begin();
      } catch (error) {
        for (const { job } of applied.splice(0)) job.reject(error);
        return false;
      }
      const failed = await this.rerun(applied);
      if (failed < 0) return true;
      applied.splice(failed, 1);
    }
  }

  /**
   * Runs the applied works again; the index of the first that now fails (rejected), or -1. A work that succeeded
   * once fails again only if it is not deterministic (a deadline ran out meanwhile); its device's next command may
   * already be in the batch, so that command is applied although this one was not.
   */
  private async rerun(applied: Applied[]): Promise<number> {
    for (let i = 0; i < applied.length; i++) {
      const entry = applied[i]!;
      try {
        entry.result = await entry.job.work(this.ops);
      } catch (error) {
        entry.job.reject(error);
        return i;
      }
    }
    return -1;
  }

  private nextInBatch(size: number, opened: number): TransactionJob | undefined {
    const next = this.jobs.peek();
    if (next?.kind !== 'transaction' || size >= maxBatchTransactions || performance.now() - opened >= maxBatchMs) return undefined;
    return this.jobs.take() as TransactionJob;
  }
}

/**
 * Claims `file` for this store: an exclusive lock on a companion file, held until close and released by the OS if
 * the process dies. The store keeps outcome ids in memory, so a second writer (another hub on the same data dir,
 * or a second store in this process) is refused instead of corrupting them. Readers of the file are not affected.
 */
function openFileLock(file: string): Db {
  if (file === ':memory:') return new Database(':memory:');
  const lock = new Database(`${file}-lock`, { timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
    lock.exec('COMMIT');
  } catch (e) {
    lock.close();
    throw new Error(
      `the SQLite database ${file} is in use by another hub (or another store in this process): stop it, or give this hub its own data dir; several hubs share one PostgreSQL database instead (STAGE_DATABASE_URL)`,
      { cause: e },
    );
  }
  return lock;
}

/** The statements, unserialized; inside a transaction `work` receives this object directly. */
class SqliteOps implements StoreTx, OutcomeLog, ReplyLog {
  private readonly db: Db;
  private readonly stmts = new Map<string, Statement>();
  private inTransaction = false;
  /**
   * Stream audiences as last read: every message to a stream needs its audience (1,000 members: ~1 ms to query).
   * Emptied by every write to memberships or stream visibility, and by a rollback (it may hold uncommitted ones).
   * `members` (made on first use) answers canSee: the audience is exactly who sees the stream.
   */
  private readonly audiences = new Map<string, { list: string[]; members?: Set<string> }>();
  /**
   * Streams as last read (every message looks its stream up; a stream's row never changes after it is inserted,
   * its groups do): emptied with the audiences.
   */
  private readonly streams = new Map<string, StreamRecord>();
  /** Usernames as last read (a username never changes; every message names its sender); emptied by a rollback. */
  private readonly usernames = new Map<string, string>();
  /** In-memory changes of the open transaction, undone (last first) if it rolls back. */
  private readonly undo: (() => void)[] = [];
  private readonly outcomeLog: SqliteOutcomeLog;
  /** Held for the life of the store: no other process may write this file (see openFileLock). */
  private readonly fileLock: Db;
  /** The -wal file, fdatasynced after each COMMIT (see sync); undefined in memory or read-only. */
  private walFd: number | undefined;
  /** Something was committed since the last sync. */
  unsynced = false;

  // One object plays the three parts: a transaction's `tx.outcomes` and `tx.replies` cost no allocation.
  get outcomes(): OutcomeLog {
    return this;
  }
  get replies(): ReplyLog {
    return this;
  }

  constructor(
    file: string,
    readonly: boolean,
    private readonly syncWal: (fd: number) => Promise<void>,
  ) {
    this.fileLock = readonly ? new Database(':memory:') : openFileLock(file);
    this.db = new Database(file, { readonly });
    this.db.pragma('busy_timeout = 5000');
    // Statement journals (a statement that fails half-way is undone) in memory, not in temporary files.
    this.db.pragma('temp_store = MEMORY');
    // A compaction changes a page per user with outcomes (4 MB for 1,000 users). With the default 2 MB page cache
    // those pages were read back from the OS and spilled to the WAL in the middle of the transaction.
    this.db.pragma('cache_size = -65536');
    if (!readonly) {
      this.db.pragma('journal_mode = WAL');
      // FULL while migrating; NORMAL after, with the store's own fdatasync of the WAL after each COMMIT (see sync).
      // A compaction dirties one outcomes page per user; checkpointing every 1,000 WAL pages (the default) copied
      // pages into the database after nearly every round. Every 10,000 pages (≤ ~40 MB of WAL) a page rewritten by
      // many commits is copied once. (A PASSIVE checkpoint on a worker thread's connection was tried: on 2 cores it
      // competed with the hub for CPU and made the latency tail worse.) Durability is the WAL's fsync at COMMIT.
      this.db.pragma('wal_autocheckpoint = 10000');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('synchronous = FULL');
      this.migrate();
      if (file !== ':memory:') {
        // NORMAL: COMMIT writes the WAL frames without an fsync; checkpoints still fsync the WAL before copying it
        // into the database and the database before the WAL may be reused, so a power loss can only take back
        // commits whose WAL frames were not synced, and the store reports none done before sync() made them durable:
        // with that, the same guarantee as FULL. The WAL exists once the connection has read the database.
        this.db.pragma('synchronous = NORMAL');
        this.walFd = openSync(`${file}-wal`, constants.O_RDONLY | constants.O_CREAT, 0o644);
      }
    }
    this.outcomeLog = new SqliteOutcomeLog({ q: (sql) => this.q(sql), onRollback: (undo) => this.undo.push(undo) });
  }

  /** Applies the migrations newer than the file's `user_version`, each in its own transaction. */
  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (const m of sqliteMigrations) {
      if (m.version <= current) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.pragma(`user_version = ${m.version}`);
      })();
    }
  }

  private q(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  begin(): void {
    this.db.exec('BEGIN IMMEDIATE');
    this.inTransaction = true;
  }

  commit(): void {
    this.db.exec('COMMIT');
    this.inTransaction = false;
    this.undo.length = 0;
    this.unsynced = true;
  }

  /**
   * Makes every commit so far durable: fdatasync of the -wal file on libuv's thread pool, not on the event loop
   * (Linux syncs the file's dirty pages whichever descriptor asks). A checkpoint run inside a COMMIT syncs on its own.
   */
  sync(): Promise<void> {
    this.unsynced = false;
    const fd = this.walFd;
    if (fd === undefined) return Promise.resolve();
    return this.syncWal(fd);
  }

  /** False once SQLite ended the transaction by itself (after a disk or I/O error). */
  get open(): boolean {
    return this.db.inTransaction;
  }

  rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.inTransaction = false;
    for (let undo = this.undo.pop(); undo !== undefined; undo = this.undo.pop()) undo();
    this.forgetStreams();
    this.usernames.clear();
  }

  /** Memberships or stream visibility changed (or were rolled back): the cached audiences and streams are stale. */
  private forgetStreams(): void {
    this.audiences.clear();
    this.streams.clear();
  }

  /** Runs `run` in its own transaction unless one is open (then it is part of it). */
  private atomically<T>(run: () => T): T {
    if (this.inTransaction) return run();
    this.begin();
    try {
      const result = run();
      this.commit();
      return result;
    } catch (e) {
      this.rollback();
      throw e;
    }
  }

  /** Rows changed since the connection opened (SQLite's total_changes()). */
  changes(): number {
    return (this.q('SELECT total_changes() AS n').get() as { n: number }).n;
  }



  /** Outcome fan-outs not yet compacted into the per-user table. */
  get outcomeBacklog(): number {
    return this.outcomeLog.backlog;
  }

  /** Moves about `maxEntries` pending outcome entries into the per-user table; true if some are still pending. */
  compactOutcomes(maxEntries: number): boolean {
    return this.atomically(() => this.outcomeLog.compact(maxEntries));
  }

  close(): void {
    this.db.close();
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
    this.fileLock.close();
  }

  // users
  async insertUser(u: UserRecord): Promise<void> {
    try {
      this.q('INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)').run(
        u.id,
        u.username,
        u.passwordHash,
        u.createdAt,
      );
    } catch (e) {
      if (isUniqueViolation(e)) throw new StoreConflictError(`username "${u.username}" is taken`);
      throw e;
    }
  }
  async userById(id: string): Promise<UserRecord | undefined> {
    return this.q(`SELECT ${userColumns} FROM users WHERE id = ?`).get(id) as UserRecord | undefined;
  }
  async userByName(username: string): Promise<UserRecord | undefined> {
    return this.q(`SELECT ${userColumns} FROM users WHERE username = ?`).get(username) as UserRecord | undefined;
  }
  async usersByPrefix(prefix: string, limit: number): Promise<UserRecord[]> {
    // A range on the unique index (usernames are [a-z0-9_.-], all below '~'), not LIKE, whose _ is a wildcard.
    return this.q(`SELECT ${userColumns} FROM users WHERE username >= ? AND username < ? AND deactivated_at IS NULL ORDER BY username LIMIT ?`).all(
      prefix,
      `${prefix}~`,
      limit,
    ) as UserRecord[];
  }
  async revokeLogin(loginId: string, userId: string, expiresAt: number): Promise<void> {
    // Rows of tokens that have expired anyway are of no use: dropped as new ones come.
    this.q('DELETE FROM revoked_logins WHERE expires_at < ?').run(Date.now());
    this.q('INSERT OR IGNORE INTO revoked_logins (login_id, user_id, expires_at) VALUES (?, ?, ?)').run(loginId, userId, expiresAt);
  }
  async revokedAmong(logins: readonly LoginRef[]): Promise<Set<string>> {
    const revoked = new Set<string>();
    const validAfter = new Map<string, number | undefined>();
    for (const login of logins) {
      if (!validAfter.has(login.userId)) {
        const row = this.q('SELECT tokens_valid_after AS t, deactivated_at AS d FROM users WHERE id = ?').get(login.userId) as { t: number; d: number | null } | undefined;
        // A deactivated account: every token refused (as if all were issued before now).
        validAfter.set(login.userId, row === undefined ? undefined : row.d !== null ? Number.MAX_SAFE_INTEGER : row.t);
      }
      const after = validAfter.get(login.userId);
      if (after === undefined || login.issuedAt < after || this.q('SELECT 1 FROM revoked_logins WHERE login_id = ?').get(login.loginId) !== undefined) {
        revoked.add(login.loginId);
      }
    }
    return revoked;
  }
  async setPassword(userId: string, passwordHash: string, tokensValidAfter: number): Promise<void> {
    this.q('UPDATE users SET password_hash = ?, tokens_valid_after = ? WHERE id = ?').run(passwordHash, tokensValidAfter, userId);
  }
  async setDeactivated(userId: string, at: number | null): Promise<void> {
    // Reactivated, the account starts with no valid token: the tokens of before stay refused.
    this.q('UPDATE users SET deactivated_at = ?, tokens_valid_after = MAX(tokens_valid_after, ?) WHERE id = ?').run(at, at ?? Date.now(), userId);
  }

  // groups
  async insertGroup(g: GroupRecord): Promise<void> {
    this.q('INSERT INTO groups (id, name, description, owner_id, created_at) VALUES (?, ?, ?, ?, ?)').run(
      g.id,
      g.name,
      g.description,
      g.ownerId,
      g.createdAt,
    );
  }
  async groupById(id: string): Promise<GroupRecord | undefined> {
    return this.q(
      'SELECT id, name, description, owner_id AS ownerId, created_at AS createdAt FROM groups WHERE id = ?',
    ).get(id) as GroupRecord | undefined;
  }
  async deleteGroup(id: string): Promise<void> {
    this.forgetStreams();
    this.q('DELETE FROM group_members WHERE group_id = ?').run(id);
    this.q('DELETE FROM stream_groups WHERE group_id = ?').run(id);
    this.q('DELETE FROM groups WHERE id = ?').run(id);
  }
  async addMember(groupId: string, userId: string): Promise<void> {
    this.forgetStreams();
    this.q('INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)').run(groupId, userId);
  }
  async removeMember(groupId: string, userId: string): Promise<void> {
    this.forgetStreams();
    this.q('DELETE FROM group_members WHERE group_id = ? AND user_id = ?').run(groupId, userId);
  }
  async members(groupId: string): Promise<string[]> {
    return (this.q('SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id').all(groupId) as { user_id: string }[]).map(
      (r) => r.user_id,
    );
  }
  async isMember(groupId: string, userId: string): Promise<boolean> {
    return this.q('SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?').get(groupId, userId) !== undefined;
  }
  async groupsOf(userId: string): Promise<GroupRecord[]> {
    return this.q(
      `SELECT g.id, g.name, g.description, g.owner_id AS ownerId, g.created_at AS createdAt
       FROM groups g JOIN group_members m ON m.group_id = g.id WHERE m.user_id = ? ORDER BY g.id`,
    ).all(userId) as GroupRecord[];
  }

  // streams
  private streamGroups(name: string): string[] {
    return (this.q('SELECT group_id FROM stream_groups WHERE stream = ? ORDER BY group_id').all(name) as { group_id: string }[]).map(
      (r) => r.group_id,
    );
  }
  async insertStream(s: StreamRecord): Promise<void> {
    this.forgetStreams();
    try {
      this.q('INSERT INTO streams (name, description, creator_id, created_at) VALUES (?, ?, ?, ?)').run(
        s.name,
        s.description,
        s.creatorId,
        s.createdAt,
      );
    } catch (e) {
      if (isUniqueViolation(e)) throw new StoreConflictError(`stream "${s.name}" already exists`);
      throw e;
    }
    for (const g of s.groups) this.q('INSERT OR IGNORE INTO stream_groups (stream, group_id) VALUES (?, ?)').run(s.name, g);
  }
  async streamByName(name: string): Promise<StreamRecord | undefined> {
    let stream = this.streams.get(name);
    if (!stream) {
      const row = this.q('SELECT name, description, creator_id AS creatorId, created_at AS createdAt FROM streams WHERE name = ?').get(name) as
        | Omit<StreamRecord, 'groups'>
        | undefined;
      if (!row) return undefined;
      stream = { ...row, groups: this.streamGroups(name) };
      this.streams.set(name, stream);
    }
    return { ...stream, groups: [...stream.groups] };
  }
  async deleteStream(name: string): Promise<void> {
    this.audiences.clear();
    // Messages and votes do not cascade (votes carry no key to streams; messages must not vanish by accident).
    this.q('DELETE FROM message_recipients WHERE message_id IN (SELECT id FROM messages WHERE stream = ?)').run(name);
    this.q('DELETE FROM messages WHERE stream = ?').run(name);
    this.q('DELETE FROM votes WHERE stream = ?').run(name);
    // Users' read state has no key to streams either; a stream made again under the name must start unread, unmuted.
    this.q('DELETE FROM user_read_cursors WHERE stream = ?').run(name);
    this.q('DELETE FROM user_muted_topics WHERE stream = ?').run(name);
    this.q('DELETE FROM streams WHERE name = ?').run(name); // stream_groups, topics, reviewers, stream_admins cascade
  }
  async setStreamGroups(name: string, groupIds: string[]): Promise<void> {
    this.forgetStreams();
    this.q('DELETE FROM stream_groups WHERE stream = ?').run(name);
    for (const g of groupIds) this.q('INSERT OR IGNORE INTO stream_groups (stream, group_id) VALUES (?, ?)').run(name, g);
  }
  async streamsVisibleTo(userId: string): Promise<StreamRecord[]> {
    const rows = this.q(
      `SELECT DISTINCT s.name, s.description, s.creator_id AS creatorId, s.created_at AS createdAt
       FROM streams s JOIN stream_groups sg ON sg.stream = s.name JOIN group_members m ON m.group_id = sg.group_id
       WHERE m.user_id = ? ORDER BY s.name`,
    ).all(userId) as Omit<StreamRecord, 'groups'>[];
    return rows.map((r) => ({ ...r, groups: this.streamGroups(r.name) }));
  }
  async streamAudience(name: string): Promise<string[]> {
    return [...this.audience(name).list];
  }
  private audience(name: string): { list: string[]; members?: Set<string> } {
    let audience = this.audiences.get(name);
    if (!audience) {
      // pluck: plain strings, not one row object per member (a stream may have thousands).
      const list = this.q(
        `SELECT DISTINCT m.user_id FROM stream_groups sg JOIN group_members m ON m.group_id = sg.group_id
         WHERE sg.stream = ? ORDER BY m.user_id`,
      )
        .pluck()
        .all(name) as string[];
      audience = { list };
      this.audiences.set(name, audience);
    }
    return audience;
  }
  async canSee(userId: string, stream: string): Promise<boolean> {
    const audience = this.audiences.get(stream);
    if (audience) return (audience.members ??= new Set(audience.list)).has(userId);
    return (
      this.q(
        `SELECT 1 FROM stream_groups sg JOIN group_members m ON m.group_id = sg.group_id
         WHERE sg.stream = ? AND m.user_id = ? LIMIT 1`,
      ).get(stream, userId) !== undefined
    );
  }

  async streamAdmins(stream: string): Promise<string[]> {
    return this.q('SELECT user_id FROM stream_admins WHERE stream = ? ORDER BY user_id').pluck().all(stream) as string[];
  }
  async setStreamAdmins(stream: string, userIds: readonly string[]): Promise<void> {
    this.q('DELETE FROM stream_admins WHERE stream = ?').run(stream);
    for (const u of userIds) this.q('INSERT OR IGNORE INTO stream_admins (stream, user_id) VALUES (?, ?)').run(stream, u);
  }

  // topics, reviewers, votes
  async topic(stream: string, topic: string): Promise<TopicRecord | undefined> {
    return this.q(`${topicSelect} WHERE t.stream = ? AND t.topic = ?`).get(stream, topic) as TopicRecord | undefined;
  }
  async setTopicStatus(stream: string, topic: string, status: TopicStatus): Promise<void> {
    this.q(
      'INSERT INTO topics (stream, topic, status) VALUES (?, ?, ?) ON CONFLICT (stream, topic) DO UPDATE SET status = excluded.status',
    ).run(stream, topic, status);
  }
  async topicsOf(stream: string): Promise<TopicRecord[]> {
    return this.q(`${topicSelect} WHERE t.stream = ? ORDER BY t.topic`).all(stream) as TopicRecord[];
  }
  async reviewers(stream: string): Promise<string[]> {
    return (this.q('SELECT user_id FROM reviewers WHERE stream = ? ORDER BY user_id').all(stream) as { user_id: string }[]).map(
      (r) => r.user_id,
    );
  }
  async addReviewer(stream: string, userId: string): Promise<void> {
    this.q('INSERT OR IGNORE INTO reviewers (stream, user_id) VALUES (?, ?)').run(stream, userId);
  }
  async removeReviewer(stream: string, userId: string): Promise<void> {
    this.q('DELETE FROM reviewers WHERE stream = ? AND user_id = ?').run(stream, userId);
  }
  async votes(stream: string, topic: string): Promise<Record<string, VoteValue>> {
    const rows = this.q('SELECT reviewer_id, vote FROM votes WHERE stream = ? AND topic = ? ORDER BY reviewer_id').all(stream, topic) as {
      reviewer_id: string;
      vote: VoteValue;
    }[];
    return Object.fromEntries(rows.map((r) => [r.reviewer_id, r.vote]));
  }
  async setVote(stream: string, topic: string, reviewerId: string, vote: VoteValue): Promise<void> {
    this.q(
      `INSERT INTO votes (stream, topic, reviewer_id, vote) VALUES (?, ?, ?, ?)
       ON CONFLICT (stream, topic, reviewer_id) DO UPDATE SET vote = excluded.vote`,
    ).run(stream, topic, reviewerId, vote);
  }
  async clearVotes(stream: string, topic: string): Promise<void> {
    this.q('DELETE FROM votes WHERE stream = ? AND topic = ?').run(stream, topic);
  }

  // messages
  async insertMessage(m: NewMessage): Promise<MessageRecord> {
    try {
      const info = this.q(
        'INSERT INTO messages (id, stream, topic, sender_id, content, created_at, narrowed) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(m.id, m.stream, m.topic, m.senderId, m.content, m.createdAt, m.recipients ? 1 : 0);
      for (const u of m.recipients ?? []) this.q('INSERT OR IGNORE INTO message_recipients (message_id, user_id) VALUES (?, ?)').run(m.id, u);
      this.q('INSERT OR IGNORE INTO topics (stream, topic, status) VALUES (?, ?, 5)').run(m.stream, m.topic);
      const { recipients: _narrowedTo, ...message } = m;
      return { ...message, seq: Number(info.lastInsertRowid), senderName: this.usernameOf(m.senderId), editedAt: null, deleted: false };
    } catch (e) {
      if (isUniqueViolation(e)) throw new StoreConflictError(`message id "${m.id}" already exists`);
      throw e;
    }
  }
  private usernameOf(userId: string): string {
    let username = this.usernames.get(userId);
    if (username === undefined) {
      username = (this.q('SELECT username FROM users WHERE id = ?').pluck().get(userId) as string | undefined) ?? '';
      if (username !== '') this.usernames.set(userId, username);
    }
    return username;
  }
  async messageById(id: string): Promise<MessageRecord | undefined> {
    const r = this.q(`${messageSelect} WHERE m.id = ?`).get(id) as MessageRow | undefined;
    return r ? toMessage(r) : undefined;
  }
  async messageRecipients(id: string): Promise<string[] | undefined> {
    if (this.q('SELECT 1 FROM messages WHERE id = ? AND narrowed = 1').get(id) === undefined) return undefined;
    return this.q('SELECT user_id FROM message_recipients WHERE message_id = ? ORDER BY user_id').pluck().all(id) as string[];
  }
  async editMessage(id: string, content: string, editedAt: number): Promise<void> {
    this.q('UPDATE messages SET content = ?, edited_at = ? WHERE id = ?').run(content, editedAt, id);
  }
  async deleteMessage(id: string): Promise<void> {
    this.q("UPDATE messages SET deleted = 1, content = '' WHERE id = ?").run(id);
  }
  async history(query: HistoryQuery): Promise<MessageRecord[]> {
    const before = query.before ?? Number.MAX_SAFE_INTEGER;
    // A narrowed message is in the page only for the users it is addressed to.
    const readable = query.viewer === undefined ? '' : ` AND (m.narrowed = 0 OR EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND r.user_id = ?))`;
    const topic = query.topic === undefined ? '' : ' AND m.topic = ?';
    const page = `${messageSelect} WHERE m.stream = ?${topic} AND m.seq < ?${readable} ORDER BY m.seq DESC LIMIT ?`;
    const params = [query.stream, ...(query.topic === undefined ? [] : [query.topic]), before, ...(query.viewer === undefined ? [] : [query.viewer]), query.limit];
    const rows = (
      query.maxContentChars === undefined ? this.q(page).all(...params) : this.q(withinContentBudget(page, '?')).all(...params, query.maxContentChars)
    ) as MessageRow[];
    return rows.reverse().map(toMessage);
  }
  async countUnread(q: UnreadQuery): Promise<number> {
    return (
      this.q(
        `SELECT COUNT(*) AS n FROM messages m WHERE m.stream = ? AND m.topic = ? AND m.seq > ? AND m.sender_id <> ? AND m.deleted = 0
         AND (m.narrowed = 0 OR EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND r.user_id = ?))`,
      ).get(q.stream, q.topic, q.afterSeq, q.excludeSender, q.excludeSender) as { n: number }
    ).n;
  }

  // the user's read state
  async userReadState(userId: string): Promise<UserReadState> {
    const cursors = this.q('SELECT stream, topic, up_to AS upTo FROM user_read_cursors WHERE user_id = ? ORDER BY stream, topic').all(userId) as UserReadCursor[];
    const muted = this.q('SELECT stream, topic FROM user_muted_topics WHERE user_id = ? ORDER BY stream, topic').all(userId) as Array<{ stream: string; topic: string }>;
    return { cursors, muted };
  }
  async advanceUserCursor(userId: string, stream: string, topic: string, upTo: number): Promise<boolean> {
    const result = this.q(
      `INSERT INTO user_read_cursors (user_id, stream, topic, up_to) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, stream, topic) DO UPDATE SET up_to = excluded.up_to WHERE excluded.up_to > user_read_cursors.up_to`,
    ).run(userId, stream, topic, upTo);
    return result.changes > 0;
  }
  async setUserMuted(userId: string, stream: string, topic: string, muted: boolean): Promise<boolean> {
    const result = muted
      ? this.q('INSERT INTO user_muted_topics (user_id, stream, topic) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(userId, stream, topic)
      : this.q('DELETE FROM user_muted_topics WHERE user_id = ? AND stream = ? AND topic = ?').run(userId, stream, topic);
    return result.changes > 0;
  }

  // delivery: see SqliteOutcomeLog
  async appendOutcome(userId: string, body: unknown): Promise<number> {
    return (await this.appendOutcomes([userId], body))[0]!;
  }
  async appendOutcomes(userIds: readonly string[], body: unknown): Promise<number[]> {
    return this.atomically(() => this.outcomeLog.append(userIds, body));
  }
  async outcomesAfter(userId: string, afterId: number, limit: number): Promise<StoredOutcome[]> {
    return this.outcomeLog.after(userId, afterId, limit);
  }
  async outcomeBounds(userId: string): Promise<OutcomeBounds> {
    return this.outcomeLog.bounds(userId);
  }
  async pruneOutcomes(userId: string, keepFrom: number): Promise<void> {
    this.atomically(() => this.outcomeLog.prune(userId, keepFrom));
  }
  async usersWithOutcomes(): Promise<string[]> {
    return this.outcomeLog.users();
  }

  // idempotency
  // Replies are appended; replies_by_trace finds them by (user number, trace id): see migration 10.
  async findReply(userId: string, traceId: string): Promise<unknown | undefined> {
    const no = this.outcomeLog.userNo(userId, false);
    if (no === undefined) return undefined;
    const reply = this.q('SELECT reply FROM replies WHERE user_no = ? AND trace_id = ?').pluck().get(no, traceId) as string | undefined;
    return reply === undefined ? undefined : (JSON.parse(reply) as unknown);
  }
  async saveReply(userId: string, traceId: string, reply: unknown): Promise<void> {
    this.atomically(() => {
      const no = this.outcomeLog.userNo(userId, true)!;
      this.q('INSERT OR REPLACE INTO replies (user_no, trace_id, reply) VALUES (?, ?, ?)').run(no, traceId, JSON.stringify(reply));
    });
  }
  // extensions
  async extensionRecord(extension: string, key: string): Promise<ExtensionRecord | undefined> {
    const row = this.q('SELECT key, value, updated_at AS updatedAt FROM extension_records WHERE extension = ? AND key = ?').get(extension, key) as
      | { key: string; value: string; updatedAt: number }
      | undefined;
    return row && { key: row.key, value: JSON.parse(row.value) as unknown, updatedAt: row.updatedAt };
  }
  async putExtensionRecord(extension: string, key: string, value: unknown, updatedAt: number): Promise<void> {
    this.q('INSERT INTO extension_records (extension, key, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (extension, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at').run(
      extension,
      key,
      JSON.stringify(value),
      updatedAt,
    );
  }
  async deleteExtensionRecord(extension: string, key: string): Promise<boolean> {
    return this.q('DELETE FROM extension_records WHERE extension = ? AND key = ?').run(extension, key).changes > 0;
  }
  async extensionRecords(extension: string, prefix: string, limit: number, after?: string): Promise<ExtensionRecord[]> {
    // A range on the primary key (BINARY collation: code-point order for UTF-8): every key starting with `prefix`.
    const from = after !== undefined && after >= prefix ? after : undefined;
    const rows = this.q(
      `SELECT key, value, updated_at AS updatedAt FROM extension_records WHERE extension = ? AND key ${from === undefined ? '>=' : '>'} ? AND key < ? ORDER BY key LIMIT ?`,
    ).all(extension, from ?? prefix, `${prefix}\u{10FFFF}`, limit) as { key: string; value: string; updatedAt: number }[];
    return rows.map((row) => ({ key: row.key, value: JSON.parse(row.value) as unknown, updatedAt: row.updatedAt }));
  }

  // API keys
  async insertApiKey(k: ApiKeyRecord): Promise<void> {
    this.q('INSERT INTO api_keys (id, name, user_id, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)').run(k.id, k.name, k.userId, k.hash, k.createdAt, k.revokedAt);
  }
  async apiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.q(`SELECT ${apiKeyColumns} FROM api_keys WHERE hash = ?`).get(hash) as ApiKeyRecord | undefined;
  }
  async apiKeys(): Promise<ApiKeyRecord[]> {
    return this.q(`SELECT ${apiKeyColumns} FROM api_keys ORDER BY created_at, id`).all() as ApiKeyRecord[];
  }
  async revokeApiKey(id: string, at: number): Promise<boolean> {
    return this.q('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes > 0;
  }

}

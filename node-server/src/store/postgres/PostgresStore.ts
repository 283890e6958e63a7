// The hub's store on PostgreSQL (`pg`), for several hubs sharing one database: the same tables and behaviour as
// the SQLite store, selected by `STAGE_DATABASE_URL=postgres://…` (see ../openStore.ts).
//
// - Migrations run on open under a session advisory lock keyed by the schema, so hubs starting together apply
//   each migration exactly once; the applied versions are recorded in `stage_migrations`.
// - Outcome ids come from PostgreSQL, not from a hub's memory: `appendPushes` bumps each recipient's row in
//   `outcome_counters` and inserts the outcomes in ONE statement, inside the caller's transaction. The row lock
//   held until commit serializes hubs per user, so ids stay gap-free and monotonic in commit order across hubs.
//   A fan-out's body is stored once (`outcome_bodies`); each recipient's row refers to it (migration 5).
// - Connections run in pipeline mode: a statement is sent without waiting for the answers to those before it. A
//   transaction's BEGIN travels with its first statement, and its stored reply with its COMMIT. The reply claim
//   is speculative (findReply does not wait for it; the transaction checks it before its COMMIT and re-runs the
//   work if the key was taken), SendMessage's audience check and message are one statement (postMessage), and
//   the append of its push is held back and sent with the reply right before the COMMIT (appendPushesWithCommit):
//   a SendMessage costs 2 round trips (BEGIN + claim + postMessage, then append + reply + COMMIT; 9 at first, then
//   5), and the recipients' counter rows are locked only while that last round trip's statements and the COMMIT
//   run on the server, never while the hub works or the network carries an answer.
// - Unique conflicts are detected with ON CONFLICT DO NOTHING (not by catching the error), so a conflict inside a
//   transaction throws StoreConflictError WITHOUT aborting the transaction, as in SQLite.
// - A transaction that PostgreSQL aborts for a deadlock or a serialization failure is re-run (at most 5 times):
//   `work` must act only through its `tx`, which the Store contract already asks.
// - `?schema=name` in the URL (or `config.schema`) puts every table in that schema (tests use one per run).
import pg from 'pg';
import { messageSelect, toMessage, withinContentBudget, type MessageRow as SharedMessageRow } from '../messageRow.js';
import { postgresMigrations } from './migrations.js';
import { withTimeout } from '../../withTimeout.js';
import {
  StoreConflictError,
  StoreUnavailableError,
  type GroupRecord,
  type HistoryQuery,
  type MessagePost,
  type MessageRecord,
  type NewMessage,
  type PostedMessage,
  type OutcomeBounds,
  type OutcomeLog,
  type OutcomePush,
  type ReplyLog,
  type Store,
  type StoreTx,
  type StoredOutcome,
  type StreamRecord,
  type TransactionHandle,
  type TransactionOptions,
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
} from '../Store.js';

export interface PostgresStoreConfig {
  /** `postgres://user@host:port/db`; a `schema` query parameter is honoured and removed. */
  url: string;
  /** Schema for every table (created if missing); `public` when absent. */
  schema?: string;
  /** Connections in the command pool (default 10); the reads outside commands have 2 more of their own. */
  poolSize?: number;
  /**
   * Bound on every statement, client side (the call rejects) and server side (`statement_timeout`, so a
   * statement left behind by a vanished hub stops too). Default 10 s, the hub's command deadline.
   */
  queryTimeoutMs?: number;
  /** How long opening a connection may take before the call fails. Default 3 s. */
  connectTimeoutMs?: number;
}

// BIGINT (int8) and COUNT(*) arrive as strings by default; every integer here fits a double.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

type Row = Record<string, unknown>;
/** Runs one statement; prepared by name, so each connection parses it once. */
type Runner = <R extends Row = Row>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `stage_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name;
}

function runnerOf(db: pg.Pool | pg.PoolClient): Runner {
  return <R extends Row>(text: string, values: unknown[] = []) =>
    (db.query<R>({ name: statementName(text), text, values }) as Promise<pg.QueryResult<R>>).catch((e: unknown) => {
      throw unavailable(e) ?? e;
    });
}

const isCode = (e: unknown, ...codes: string[]): boolean =>
  typeof e === 'object' && e !== null && 'code' in e && codes.includes(String((e as { code: unknown }).code));

/** Connection-level failures of `pg` and `net` (no SQLSTATE): the server is gone, silent or refusing. */
const LINK_FAILURE = /Connection terminated|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/;

/** The StoreUnavailableError a failure means, or undefined when it is an ordinary error (a bug, a constraint). */
function unavailable(e: unknown): StoreUnavailableError | undefined {
  if (e instanceof StoreUnavailableError) return e;
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  const message = e instanceof Error ? e.message : String(e);
  if (code === '53100') return new StoreUnavailableError(`PostgreSQL's disk is full (${message})`, 'full', { cause: e });
  if (code === '57014' || message.includes('Query read timeout')) return new StoreUnavailableError(`PostgreSQL did not answer in time (${message})`, 'timeout', { cause: e });
  // 08: connection exception; 53: insufficient resources; 57P0x: shutting down, crashed, starting up.
  if (code.startsWith('08') || code.startsWith('53') || /^57P0[1-3]$/.test(code) || LINK_FAILURE.test(`${code} ${message}`)) {
    return new StoreUnavailableError(`PostgreSQL is unavailable (${message})`, 'unreachable', { cause: e });
  }
  return undefined;
}

/** A pg.Client whose connect (TCP + startup) fails after `ms`: a silent server must not hang a new connection. */
function boundedClient(ms: number): typeof pg.Client {
  return class BoundedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super({ ...(typeof config === 'string' ? { connectionString: config } : config), connectionTimeoutMillis: ms });
    }
  };
}

/** Drops a checked-out client's socket: its pending statement fails at once and the server rolls back. */
function destroyConnection(client: pg.PoolClient): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/** An error on a checked-out client with no statement running would otherwise be an uncaught 'error' event. */
const guarded = new WeakSet<pg.PoolClient>();
function ignoreClientErrors(client: pg.PoolClient): void {
  if (guarded.has(client)) return;
  guarded.add(client);
  client.on('error', () => undefined);
}

type MessageRow = SharedMessageRow & Row;

/**
 * A speculative claim (see findReply) found the (user, trace id) already claimed or answered: the work ran on a
 * wrong premise and is rolled back and re-run, this time waiting for the claim's answer.
 */
class ClaimLost extends Error {}

/** The outcome ids `postMessage` took in a transaction, for the one push that must follow (see appendPushes). */
/**
 * SendMessage in one statement (postMessage): the stream's audience, which is also the visibility check; the
 * narrowing ($7, $8: the wanted users, sender included); the message with its topic and recipients. Nothing is
 * written when the sender is not in the audience (or the message id exists). The push is appended with the COMMIT
 * (appendPushesWithCommit), so the recipients' counter rows are not locked across the round trip that follows.
 */
const POST_MESSAGE = `WITH audience AS (
    SELECT DISTINCT gm.user_id FROM stream_groups sg JOIN group_members gm ON gm.group_id = sg.group_id WHERE sg.stream = $2
  ), rcp AS (
    SELECT user_id FROM audience WHERE NOT $7::boolean OR user_id = ANY($8::text[])
  ), m AS (
    INSERT INTO messages (id, stream, topic, sender_id, content, created_at, narrowed)
    SELECT $1, $2, $3, $4, $5, $6, $7::boolean WHERE EXISTS (SELECT 1 FROM audience WHERE user_id = $4)
    ON CONFLICT (id) DO NOTHING RETURNING seq
  ), t AS (
    INSERT INTO topics (stream, topic, status) SELECT $2, $3, 5 FROM m ON CONFLICT DO NOTHING
  ), r AS (
    INSERT INTO message_recipients (message_id, user_id) SELECT $1, rcp.user_id FROM m CROSS JOIN rcp WHERE $7::boolean ON CONFLICT DO NOTHING
  )
  SELECT EXISTS (SELECT 1 FROM audience WHERE user_id = $4) AS visible,
    (SELECT seq FROM m) AS seq,
    (SELECT username FROM users WHERE id = $4) AS sender_name,
    ARRAY(SELECT user_id FROM rcp ORDER BY user_id) AS recipients`;

const USER_COLUMNS =
  'id, username, password_hash AS "passwordHash", created_at AS "createdAt", tokens_valid_after AS "tokensValidAfter", deactivated_at AS "deactivatedAt"';
const API_KEY_COLUMNS = 'id, name, user_id AS "userId", hash, created_at AS "createdAt", revoked_at AS "revokedAt"';
const GROUP_COLUMNS = 'id, name, description, owner_id AS "ownerId", created_at AS "createdAt"';
const TOPIC_SELECT = `SELECT t.stream, t.topic, t.status,
  COALESCE((SELECT MAX(seq) FROM messages m WHERE m.stream = t.stream AND m.topic = t.topic), 0) AS "lastSeq" FROM topics t`;
const STREAM_COLUMNS =
  's.name, s.description, s.creator_id AS "creatorId", s.created_at AS "createdAt", ' +
  'ARRAY(SELECT sg.group_id FROM stream_groups sg WHERE sg.stream = s.name ORDER BY sg.group_id) AS groups';

/** A row of an append statement: a recipient's new outcome id (p: the push, 1-based; absent for a single push). */
interface AppendedRow extends Row {
  user_id: string;
  id: number;
  p?: number;
}

/**
 * How to append a command's pushes (see PgOps.appendPushes): one statement, and how to read the ids from its rows
 * (per push, each recipient's id in its `userIds` order); or the ids at once when no push has a recipient.
 *
 * Each push's body is stored once (`outcome_bodies`, with the number of outcome rows referring to it in
 * `outcome_body_refs`); each recipient gets one small outcome row referring to it. Each recipient's counter row is
 * bumped once by the number of pushes it receives, the rows locked in one sorted order (so commands from several
 * hubs cannot deadlock, however many outcomes each pushes), and each push's entries get consecutive ids in push
 * order. One push (a SendMessage) takes the plain statement: every recipient's counter goes up by one.
 */
function appendPlan(pushes: readonly OutcomePush[]): { ids: number[][] } | { text: string; values: unknown[]; read(r: pg.QueryResult<AppendedRow>): number[][] } {
  const users: string[] = [];
  const pushIndex: number[] = [];
  const bodies: string[] = [];
  pushes.forEach((push, i) => {
    bodies.push(JSON.stringify(push.body));
    for (const u of new Set(push.userIds)) {
      users.push(u);
      pushIndex.push(i + 1);
    }
  });
  if (users.length === 0) return { ids: pushes.map((p) => p.userIds.map(() => 0)) };
  if (pushes.length === 1) {
    const userIds = pushes[0]!.userIds;
    return {
      text: `WITH b AS (
         INSERT INTO outcome_bodies (body) VALUES ($2) RETURNING id
       ), counted AS (
         INSERT INTO outcome_body_refs (body_id, refs) SELECT id, cardinality($1::text[]) FROM b
       ), c AS (                 -- bump each recipient's counter, locking the rows in sorted order
         INSERT INTO outcome_counters AS oc (user_id, last_id)
         SELECT u, 1 FROM unnest($1::text[]) AS u ORDER BY u COLLATE "C"
         ON CONFLICT (user_id) DO UPDATE SET last_id = oc.last_id + 1 RETURNING user_id, last_id
       ), logged AS (
         INSERT INTO outcomes (user_id, id, body_id) SELECT c.user_id, c.last_id, b.id FROM c CROSS JOIN b
       )
       SELECT user_id, last_id AS id FROM c`,
      values: [users, bodies[0]!],
      read: (r) => {
        const ids = new Map(r.rows.map((x) => [x.user_id, x.id]));
        return [userIds.map((u) => ids.get(u)!)];
      },
    };
  }
  return {
    text: `WITH body AS (            -- one row per push (p = 1, 2, …) with its new body id
         SELECT p::int AS p, nextval('outcome_bodies_id_seq') AS id, body FROM unnest($3::text[]) WITH ORDINALITY AS x(body, p)
       ), e AS (                 -- one row per (recipient, push); k numbers a recipient's pushes
         SELECT u, p, ROW_NUMBER() OVER (PARTITION BY u ORDER BY p) AS k FROM unnest($1::text[], $2::int[]) AS x(u, p)
       ), n AS (
         SELECT u, COUNT(*) AS total FROM e GROUP BY u
       ), c AS (                 -- bump each recipient's counter once, locking the rows in sorted order
         INSERT INTO outcome_counters AS oc (user_id, last_id)
         SELECT u, total FROM n ORDER BY u COLLATE "C"
         ON CONFLICT (user_id) DO UPDATE SET last_id = oc.last_id + excluded.last_id RETURNING user_id, last_id
       ), r AS (
         SELECT e.u, e.p, c.last_id - n.total + e.k AS id FROM e JOIN n ON n.u = e.u JOIN c ON c.user_id = e.u
       ), stored AS (
         INSERT INTO outcome_bodies (id, body) SELECT id, body FROM body
       ), counted AS (
         INSERT INTO outcome_body_refs (body_id, refs) SELECT body.id, COUNT(*) FROM e JOIN body USING (p) GROUP BY body.id
       ), logged AS (
         INSERT INTO outcomes (user_id, id, body_id) SELECT r.u, r.id, body.id FROM r JOIN body USING (p)
       )
       SELECT u AS user_id, p, id FROM r`,
    values: [users, pushIndex, bodies],
    read: (r) => {
      const ids = pushes.map(() => new Map<string, number>());
      for (const row of r.rows) ids[row.p! - 1]!.set(row.user_id, row.id);
      return pushes.map((push, i) => push.userIds.map((u) => ids[i]!.get(u)!));
    },
  };
}

/** Every StoreTx operation as SQL over a Runner: the pool (implicit transactions) or one transaction's client. */
class PgOps implements StoreTx, OutcomeLog, ReplyLog {
  /**
   * Writes sent but not awaited (pipelined): only inside a transaction, whose COMMIT is sent behind them and
   * which fails if any of them did (see `settle`).
   */
  private readonly unawaited: Promise<unknown>[] = [];
  /** A claim sent by findReply and not yet confirmed: resolves true when this transaction holds it. */
  private claim: Promise<boolean> | undefined;
  /** Statements held back to be sent right before the COMMIT, in order (see sendAtCommit). */
  private readonly atCommit: Array<{ text: string; values: unknown[]; resolve(result: pg.QueryResult): void; reject(error: unknown): void }> = [];

  /**
   * `inTransaction`: the runner is one transaction's client (findReply then claims, see there). `speculate`: its
   * findReply does not wait for the claim's answer (the transaction confirms it before its COMMIT).
   */
  constructor(
    protected readonly run: Runner,
    private readonly inTransaction = false,
    private readonly speculate = false,
  ) {}

  /** Sends a write whose answer nobody needs before the commit: the transaction awaits it with its COMMIT. */
  protected sendWithCommit(text: string, values: unknown[]): void {
    const sent = this.run(text, values);
    sent.catch(() => undefined); // awaited in settle(); not an unhandled rejection meanwhile
    this.unawaited.push(sent);
  }

  /**
   * A write executed with the COMMIT: held back until the transaction is about to commit (flushAtCommit), then
   * sent right before it, so whatever rows it locks stay locked for the COMMIT's round trip alone. Its result
   * arrives with the COMMIT's answer; if the transaction never gets there, it rejects.
   */
  protected sendAtCommit<R extends Row>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    const result = new Promise<pg.QueryResult<R>>((resolve, reject) => this.atCommit.push({ text, values, resolve: resolve as (r: pg.QueryResult) => void, reject }));
    result.catch(() => undefined); // the transaction reports its failure; not an unhandled rejection here
    return result;
  }

  /** Sends the writes held for the commit (the transaction sends its COMMIT right behind them). */
  flushAtCommit(): void {
    for (const held of this.atCommit.splice(0)) {
      const sent = this.run(held.text, held.values);
      sent.then(held.resolve, held.reject);
      sent.catch(() => undefined); // awaited in settle()
      this.unawaited.push(sent);
    }
  }

  /** The transaction did not commit: the writes held for it never ran. */
  dropAtCommit(reason: unknown): void {
    for (const held of this.atCommit.splice(0)) held.reject(reason);
  }

  /** Rejects with the first failure of the writes sent with the commit. */
  async settle(): Promise<void> {
    if (this.claim) await this.claim; // a claim that failed is the cause of whatever was refused behind it
    for (const sent of this.unawaited.splice(0)) await sent;
  }

  /**
   * Before the COMMIT is sent: throws ClaimLost when a speculative claim found the key taken (the work must be
   * re-run).
   */
  async readyToCommit(): Promise<void> {
    if (this.claim && !(await this.claim)) throw new ClaimLost('the reply was claimed by another transaction');
  }

  /** After a failure: whether it came from a speculative claim that found the key taken (then re-run the work). */
  async claimWasLost(): Promise<boolean> {
    return this.claim !== undefined && !(await this.claim.catch(() => true));
  }

  /** Runs several statements as one unit: inside a transaction that is the transaction itself. */
  protected atomic<T>(fn: (ops: PgOps) => Promise<T>): Promise<T> {
    return fn(this);
  }

  // One object plays the three parts: a transaction's `tx.outcomes` and `tx.replies` cost no allocation.
  get outcomes(): OutcomeLog {
    return this;
  }
  get replies(): ReplyLog {
    return this;
  }

  /** The cheapest round trip (readiness). */
  async select1(): Promise<void> {
    await this.run('SELECT 1');
  }

  // users
  async insertUser(u: UserRecord): Promise<void> {
    const r = await this.run(
      'INSERT INTO users (id, username, password_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [u.id, u.username, u.passwordHash, u.createdAt],
    );
    if (r.rowCount === 0) throw new StoreConflictError(`username "${u.username}" is taken`);
  }
  async userById(id: string): Promise<UserRecord | undefined> {
    return (await this.run<UserRecord & Row>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id])).rows[0];
  }
  async userByName(username: string): Promise<UserRecord | undefined> {
    return (await this.run<UserRecord & Row>(`SELECT ${USER_COLUMNS} FROM users WHERE username = $1`, [username])).rows[0];
  }
  async usersByPrefix(prefix: string, limit: number): Promise<UserRecord[]> {
    // A range on the unique index (COLLATE "C"; usernames are [a-z0-9_.-], all below '~'), not LIKE, whose _ is a wildcard.
    const r = await this.run<UserRecord & Row>(
      `SELECT ${USER_COLUMNS} FROM users WHERE username >= $1 AND username < $2 AND deactivated_at IS NULL ORDER BY username LIMIT $3`,
      [prefix, `${prefix}~`, limit],
    );
    return r.rows;
  }
  async revokeLogin(loginId: string, userId: string, expiresAt: number): Promise<void> {
    await this.run('DELETE FROM revoked_logins WHERE expires_at < $1', [Date.now()]);
    await this.run('INSERT INTO revoked_logins (login_id, user_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [loginId, userId, expiresAt]);
  }
  async revokedAmong(logins: readonly LoginRef[]): Promise<Set<string>> {
    if (logins.length === 0) return new Set();
    // One round trip for any number of logins (a hub rechecks all its open connections at once).
    const rows = await this.run<{ login_id: string } & Row>(
      `SELECT l.login_id FROM unnest($1::text[], $2::text[], $3::bigint[]) AS l(login_id, user_id, issued_at)
       LEFT JOIN users u ON u.id = l.user_id
       WHERE u.id IS NULL OR u.deactivated_at IS NOT NULL OR l.issued_at < u.tokens_valid_after
          OR EXISTS (SELECT 1 FROM revoked_logins r WHERE r.login_id = l.login_id)`,
      [logins.map((l) => l.loginId), logins.map((l) => l.userId), logins.map((l) => l.issuedAt)],
    );
    return new Set(rows.rows.map((r) => r.login_id));
  }
  async setPassword(userId: string, passwordHash: string, tokensValidAfter: number): Promise<void> {
    await this.run('UPDATE users SET password_hash = $1, tokens_valid_after = $2 WHERE id = $3', [passwordHash, tokensValidAfter, userId]);
  }
  async setDeactivated(userId: string, at: number | null): Promise<void> {
    await this.run('UPDATE users SET deactivated_at = $1, tokens_valid_after = GREATEST(tokens_valid_after, $2) WHERE id = $3', [at, at ?? Date.now(), userId]);
  }

  // groups
  async insertGroup(g: GroupRecord): Promise<void> {
    await this.run('INSERT INTO groups (id, name, description, owner_id, created_at) VALUES ($1, $2, $3, $4, $5)', [
      g.id,
      g.name,
      g.description,
      g.ownerId,
      g.createdAt,
    ]);
  }
  async groupById(id: string): Promise<GroupRecord | undefined> {
    return (await this.run<GroupRecord & Row>(`SELECT ${GROUP_COLUMNS} FROM groups WHERE id = $1`, [id])).rows[0];
  }
  async deleteGroup(id: string): Promise<void> {
    // Memberships and stream visibility go with it (ON DELETE CASCADE): one statement, atomic on its own.
    await this.run('DELETE FROM groups WHERE id = $1', [id]);
  }
  async addMember(groupId: string, userId: string): Promise<void> {
    await this.run('INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [groupId, userId]);
  }
  async removeMember(groupId: string, userId: string): Promise<void> {
    await this.run('DELETE FROM group_members WHERE group_id = $1 AND user_id = $2', [groupId, userId]);
  }
  async members(groupId: string): Promise<string[]> {
    const r = await this.run<{ user_id: string }>('SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id', [groupId]);
    return r.rows.map((x) => x.user_id);
  }
  async isMember(groupId: string, userId: string): Promise<boolean> {
    return (await this.run('SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2', [groupId, userId])).rows.length > 0;
  }
  async groupsOf(userId: string): Promise<GroupRecord[]> {
    const r = await this.run<GroupRecord & Row>(
      `SELECT g.id, g.name, g.description, g.owner_id AS "ownerId", g.created_at AS "createdAt"
       FROM groups g JOIN group_members m ON m.group_id = g.id WHERE m.user_id = $1 ORDER BY g.id`,
      [userId],
    );
    return r.rows;
  }

  // streams
  async insertStream(s: StreamRecord): Promise<void> {
    const r = await this.run<{ n: number }>(
      `WITH s AS (
         INSERT INTO streams (name, description, creator_id, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING name
       ), sg AS (
         INSERT INTO stream_groups (stream, group_id) SELECT s.name, g FROM s CROSS JOIN unnest($5::text[]) AS g ON CONFLICT DO NOTHING
       )
       SELECT COUNT(*) AS n FROM s`,
      [s.name, s.description, s.creatorId, s.createdAt, s.groups],
    );
    if (r.rows[0]!.n === 0) throw new StoreConflictError(`stream "${s.name}" already exists`);
  }
  async streamByName(name: string): Promise<StreamRecord | undefined> {
    return (await this.run<StreamRecord & Row>(`SELECT ${STREAM_COLUMNS} FROM streams s WHERE s.name = $1`, [name])).rows[0];
  }
  async deleteStream(name: string): Promise<void> {
    await this.atomic(async (ops) => {
      // Messages and votes do not cascade (votes carry no key to streams; messages must not vanish by accident).
      await ops.run('DELETE FROM message_recipients WHERE message_id IN (SELECT id FROM messages WHERE stream = $1)', [name]);
      await ops.run('DELETE FROM messages WHERE stream = $1', [name]);
      await ops.run('DELETE FROM votes WHERE stream = $1', [name]);
      // Users' read state has no key to streams either; a stream made again under the name must start unread, unmuted.
      await ops.run('DELETE FROM user_read_cursors WHERE stream = $1', [name]);
      await ops.run('DELETE FROM user_muted_topics WHERE stream = $1', [name]);
      await ops.run('DELETE FROM streams WHERE name = $1', [name]); // stream_groups, topics, reviewers, stream_admins cascade
    });
  }
  async setStreamGroups(name: string, groupIds: string[]): Promise<void> {
    await this.atomic(async (ops) => {
      await ops.run('DELETE FROM stream_groups WHERE stream = $1 AND NOT (group_id = ANY($2::text[]))', [name, groupIds]);
      await ops.run(
        'INSERT INTO stream_groups (stream, group_id) SELECT $1, g FROM unnest($2::text[]) AS g ON CONFLICT DO NOTHING',
        [name, groupIds],
      );
    });
  }
  async streamsVisibleTo(userId: string): Promise<StreamRecord[]> {
    const r = await this.run<StreamRecord & Row>(
      `SELECT ${STREAM_COLUMNS} FROM streams s
       WHERE EXISTS (SELECT 1 FROM stream_groups sg JOIN group_members m ON m.group_id = sg.group_id
                     WHERE sg.stream = s.name AND m.user_id = $1)
       ORDER BY s.name`,
      [userId],
    );
    return r.rows;
  }
  async streamAudience(name: string): Promise<string[]> {
    const r = await this.run<{ user_id: string }>(
      `SELECT DISTINCT m.user_id FROM stream_groups sg JOIN group_members m ON m.group_id = sg.group_id
       WHERE sg.stream = $1 ORDER BY m.user_id`,
      [name],
    );
    return r.rows.map((x) => x.user_id);
  }
  async canSee(userId: string, stream: string): Promise<boolean> {
    const r = await this.run(
      `SELECT 1 FROM stream_groups sg JOIN group_members m ON m.group_id = sg.group_id
       WHERE sg.stream = $1 AND m.user_id = $2 LIMIT 1`,
      [stream, userId],
    );
    return r.rows.length > 0;
  }

  async streamAdmins(stream: string): Promise<string[]> {
    const r = await this.run<{ user_id: string }>('SELECT user_id FROM stream_admins WHERE stream = $1 ORDER BY user_id', [stream]);
    return r.rows.map((x) => x.user_id);
  }
  async setStreamAdmins(stream: string, userIds: readonly string[]): Promise<void> {
    await this.atomic(async (ops) => {
      await ops.run('DELETE FROM stream_admins WHERE stream = $1', [stream]);
      await ops.run('INSERT INTO stream_admins (stream, user_id) SELECT $1, u FROM unnest($2::text[]) AS u ON CONFLICT DO NOTHING', [stream, userIds]);
    });
  }

  // topics, reviewers, votes
  async topic(stream: string, topic: string): Promise<TopicRecord | undefined> {
    return (await this.run<TopicRecord & Row>(`${TOPIC_SELECT} WHERE t.stream = $1 AND t.topic = $2`, [stream, topic])).rows[0];
  }
  async setTopicStatus(stream: string, topic: string, status: TopicStatus): Promise<void> {
    await this.run(
      'INSERT INTO topics (stream, topic, status) VALUES ($1, $2, $3) ON CONFLICT (stream, topic) DO UPDATE SET status = excluded.status',
      [stream, topic, status],
    );
  }
  async topicsOf(stream: string): Promise<TopicRecord[]> {
    return (await this.run<TopicRecord & Row>(`${TOPIC_SELECT} WHERE t.stream = $1 ORDER BY t.topic`, [stream])).rows;
  }
  async reviewers(stream: string): Promise<string[]> {
    const r = await this.run<{ user_id: string }>('SELECT user_id FROM reviewers WHERE stream = $1 ORDER BY user_id', [stream]);
    return r.rows.map((x) => x.user_id);
  }
  async addReviewer(stream: string, userId: string): Promise<void> {
    await this.run('INSERT INTO reviewers (stream, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [stream, userId]);
  }
  async removeReviewer(stream: string, userId: string): Promise<void> {
    await this.run('DELETE FROM reviewers WHERE stream = $1 AND user_id = $2', [stream, userId]);
  }
  async votes(stream: string, topic: string): Promise<Record<string, VoteValue>> {
    const r = await this.run<{ reviewer_id: string; vote: VoteValue }>(
      'SELECT reviewer_id, vote FROM votes WHERE stream = $1 AND topic = $2 ORDER BY reviewer_id',
      [stream, topic],
    );
    return Object.fromEntries(r.rows.map((x) => [x.reviewer_id, x.vote]));
  }
  async setVote(stream: string, topic: string, reviewerId: string, vote: VoteValue): Promise<void> {
    await this.run(
      `INSERT INTO votes (stream, topic, reviewer_id, vote) VALUES ($1, $2, $3, $4)
       ON CONFLICT (stream, topic, reviewer_id) DO UPDATE SET vote = excluded.vote`,
      [stream, topic, reviewerId, vote],
    );
  }
  async clearVotes(stream: string, topic: string): Promise<void> {
    await this.run('DELETE FROM votes WHERE stream = $1 AND topic = $2', [stream, topic]);
  }

  // messages
  async insertMessage(m: NewMessage): Promise<MessageRecord> {
    let r: pg.QueryResult<{ seq: number; sender_name: string }>;
    try {
      r = await this.run<{ seq: number; sender_name: string }>(
        `WITH m AS (
           INSERT INTO messages (id, stream, topic, sender_id, content, created_at, narrowed) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (id) DO NOTHING RETURNING seq
         ), t AS (
           INSERT INTO topics (stream, topic, status) SELECT $2, $3, 5 FROM m ON CONFLICT DO NOTHING
         ), r AS (
           INSERT INTO message_recipients (message_id, user_id) SELECT $1, u FROM m CROSS JOIN unnest($8::text[]) AS u ON CONFLICT DO NOTHING
         )
         SELECT seq, (SELECT username FROM users WHERE id = $4) AS sender_name FROM m`,
        [m.id, m.stream, m.topic, m.senderId, m.content, m.createdAt, m.recipients !== undefined, m.recipients ?? []],
      );
    } catch (e) {
      // An unknown stream or sender: SQLite reports it as a constraint violation too.
      if (isCode(e, '23503')) throw new StoreConflictError(`message "${m.id}" refers to an unknown stream or sender`);
      throw e;
    }
    const row = r.rows[0];
    if (row === undefined) throw new StoreConflictError(`message id "${m.id}" already exists`);
    const { recipients: _narrowedTo, ...message } = m;
    return { ...message, seq: row.seq, senderName: row.sender_name ?? '', editedAt: null, deleted: false };
  }
  async postMessage(post: MessagePost): Promise<PostedMessage | undefined> {
    const narrowed = post.narrowTo !== undefined;
    const r = await this.run<{ visible: boolean; seq: number | null; sender_name: string | null; recipients: string[] }>(
      POST_MESSAGE,
      [post.id, post.stream, post.topic, post.senderId, post.content, post.createdAt, narrowed, narrowed ? [...post.narrowTo!, post.senderId] : []],
    );
    const row = r.rows[0]!;
    if (!row.visible) return undefined;
    if (row.seq === null) throw new StoreConflictError(`message id "${post.id}" already exists`);
    const { narrowTo: _narrowTo, ...message } = post;
    return { record: { ...message, seq: row.seq, senderName: row.sender_name ?? '', editedAt: null, deleted: false }, recipients: row.recipients };
  }
  async messageById(id: string): Promise<MessageRecord | undefined> {
    const r = await this.run<MessageRow>(`${messageSelect} WHERE m.id = $1`, [id]);
    return r.rows[0] ? toMessage(r.rows[0]) : undefined;
  }
  async messageRecipients(id: string): Promise<string[] | undefined> {
    const r = await this.run<{ user_id: string | null }>(
      `SELECT r.user_id FROM messages m LEFT JOIN message_recipients r ON r.message_id = m.id
       WHERE m.id = $1 AND m.narrowed ORDER BY r.user_id`,
      [id],
    );
    if (r.rows.length === 0) return undefined;
    return r.rows.flatMap((x) => (x.user_id === null ? [] : [x.user_id]));
  }
  async editMessage(id: string, content: string, editedAt: number): Promise<void> {
    await this.run('UPDATE messages SET content = $1, edited_at = $2 WHERE id = $3', [content, editedAt, id]);
  }
  async deleteMessage(id: string): Promise<void> {
    await this.run("UPDATE messages SET deleted = TRUE, content = '' WHERE id = $1", [id]);
  }
  async history(query: HistoryQuery): Promise<MessageRecord[]> {
    const before = query.before ?? Number.MAX_SAFE_INTEGER;
    // A narrowed message is in the page only for the users it is addressed to ($viewer NULL: every message).
    const readable = `(NOT m.narrowed OR $VIEWER::text IS NULL OR EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND r.user_id = $VIEWER))`;
    const params: unknown[] = query.topic === undefined ? [query.stream, before, query.limit, query.viewer ?? null] : [query.stream, query.topic, before, query.limit, query.viewer ?? null];
    const page =
      query.topic === undefined
        ? `${messageSelect} WHERE m.stream = $1 AND m.seq < $2 AND ${readable.replaceAll('$VIEWER', '$4')} ORDER BY m.seq DESC LIMIT $3`
        : `${messageSelect} WHERE m.stream = $1 AND m.topic = $2 AND m.seq < $3 AND ${readable.replaceAll('$VIEWER', '$5')} ORDER BY m.seq DESC LIMIT $4`;
    const r =
      query.maxContentChars === undefined
        ? await this.run<MessageRow>(page, params)
        : await this.run<MessageRow>(withinContentBudget(page, `$${params.length + 1}`), [...params, query.maxContentChars]);
    return r.rows.reverse().map(toMessage);
  }
  async countUnread(q: UnreadQuery): Promise<number> {
    const r = await this.run<{ n: number }>(
      `SELECT COUNT(*) AS n FROM messages m WHERE m.stream = $1 AND m.topic = $2 AND m.seq > $3 AND m.sender_id <> $4 AND NOT m.deleted
       AND (NOT m.narrowed OR EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND r.user_id = $4))`,
      [q.stream, q.topic, q.afterSeq, q.excludeSender],
    );
    return r.rows[0]!.n;
  }

  // the user's read state
  async userReadState(userId: string): Promise<UserReadState> {
    const cursors = await this.run<UserReadCursor & Row>(
      'SELECT stream, topic, up_to AS "upTo" FROM user_read_cursors WHERE user_id = $1 ORDER BY stream, topic',
      [userId],
    );
    const muted = await this.run<{ stream: string; topic: string } & Row>('SELECT stream, topic FROM user_muted_topics WHERE user_id = $1 ORDER BY stream, topic', [userId]);
    return { cursors: cursors.rows.map((r) => ({ stream: r.stream, topic: r.topic, upTo: Number(r.upTo) })), muted: muted.rows.map((r) => ({ stream: r.stream, topic: r.topic })) };
  }
  async advanceUserCursor(userId: string, stream: string, topic: string, upTo: number): Promise<boolean> {
    const r = await this.run(
      `INSERT INTO user_read_cursors AS c (user_id, stream, topic, up_to) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, stream, topic) DO UPDATE SET up_to = EXCLUDED.up_to WHERE EXCLUDED.up_to > c.up_to`,
      [userId, stream, topic, upTo],
    );
    return (r.rowCount ?? 0) > 0;
  }
  async setUserMuted(userId: string, stream: string, topic: string, muted: boolean): Promise<boolean> {
    const r = muted
      ? await this.run('INSERT INTO user_muted_topics (user_id, stream, topic) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [userId, stream, topic])
      : await this.run('DELETE FROM user_muted_topics WHERE user_id = $1 AND stream = $2 AND topic = $3', [userId, stream, topic]);
    return (r.rowCount ?? 0) > 0;
  }

  // delivery
  async appendOutcome(userId: string, body: unknown): Promise<number> {
    return (await this.appendPushes([{ userIds: [userId], body }]))[0]![0]!;
  }
  /** One push: see appendPushes. */
  async appendOutcomes(userIds: readonly string[], body: unknown): Promise<number[]> {
    return (await this.appendPushes([{ userIds, body }]))[0]!;
  }
  /**
   * Appends every push of a command in ONE statement. Each push's body is stored once (`outcome_bodies`, with
   * the number of outcome rows referring to it in `outcome_body_refs`); each recipient gets one small outcome row
   * referring to it. Each recipient's counter row is bumped once by the number of pushes it receives, the rows
   * locked in one sorted order (so commands from several hubs cannot deadlock, however many outcomes each
   * pushes), and each push's entries get consecutive ids in push order.
   */
  async appendPushes(pushes: readonly OutcomePush[]): Promise<number[][]> {
    const plan = appendPlan(pushes);
    return 'ids' in plan ? plan.ids : plan.read(await this.run(plan.text, plan.values));
  }
  /** appendPushes, executed with the COMMIT (see OutcomeLog.appendPushesWithCommit); at once outside a transaction. */
  appendPushesWithCommit(pushes: readonly OutcomePush[]): Promise<number[][]> {
    if (!this.inTransaction) return this.appendPushes(pushes);
    const plan = appendPlan(pushes);
    if ('ids' in plan) return Promise.resolve(plan.ids);
    const ids = this.sendAtCommit<AppendedRow>(plan.text, plan.values).then(plan.read);
    ids.catch(() => undefined); // the transaction reports the failure
    return ids;
  }
  async outcomesAfter(userId: string, afterId: number, limit: number): Promise<StoredOutcome[]> {
    const r = await this.run<{ id: number; body: string }>(
      `SELECT o.id, b.body FROM outcomes o JOIN outcome_bodies b ON b.id = o.body_id
       WHERE o.user_id = $1 AND o.id > $2 ORDER BY o.id LIMIT $3`,
      [userId, afterId, limit],
    );
    return r.rows.map((x) => ({ id: x.id, body: JSON.parse(x.body) as unknown }));
  }
  async outcomeBounds(userId: string): Promise<OutcomeBounds> {
    const r = await this.run<{ first: number | null; last: number | null }>(
      `SELECT (SELECT MIN(id) FROM outcomes WHERE user_id = $1) AS first,
              (SELECT last_id FROM outcome_counters WHERE user_id = $1) AS last`,
      [userId],
    );
    return { first: r.rows[0]!.first ?? 0, last: r.rows[0]!.last ?? 0 };
  }
  /**
   * Forgets the user's outcomes before `keepFrom`, then deletes the bodies no log refers to any more: each
   * forgotten row releases one reference to its body, and a body whose count reaches 0 goes (with its count). The
   * counts are updated in body-id order, so two hubs sweeping at once cannot deadlock.
   */
  async pruneOutcomes(userId: string, keepFrom: number): Promise<void> {
    await this.atomic(async (ops) => {
      const released = await ops.run<{ body_id: number }>(
        `WITH gone AS (
           DELETE FROM outcomes WHERE user_id = $1 AND id < $2 RETURNING body_id
         ), released AS (
           INSERT INTO outcome_body_refs AS br (body_id, refs)
           SELECT body_id, -COUNT(*) FROM gone GROUP BY body_id ORDER BY body_id
           ON CONFLICT (body_id) DO UPDATE SET refs = br.refs + excluded.refs RETURNING body_id, refs
         )
         SELECT body_id FROM released WHERE refs <= 0`,
        [userId, keepFrom],
      );
      if (released.rows.length === 0) return;
      await ops.run(
        `WITH unreferenced AS (
           DELETE FROM outcome_body_refs WHERE body_id = ANY($1::bigint[]) AND refs <= 0 RETURNING body_id
         )
         DELETE FROM outcome_bodies b USING unreferenced WHERE b.id = unreferenced.body_id`,
        [released.rows.map((x) => x.body_id)],
      );
    });
  }

  async usersWithOutcomes(): Promise<string[]> {
    return (await this.run<{ user_id: string }>('SELECT DISTINCT user_id FROM outcomes ORDER BY user_id')).rows.map((r) => r.user_id);
  }

  async outcomeBoundsOf(userIds: readonly string[]): Promise<Map<string, OutcomeBounds>> {
    const bounds = new Map<string, OutcomeBounds>();
    if (userIds.length === 0) return bounds;
    const r = await this.run<{ user_id: string; first: number | null; last: number | null }>(
      `SELECT u.user_id,
              (SELECT MIN(id) FROM outcomes o WHERE o.user_id = u.user_id) AS first,
              (SELECT last_id FROM outcome_counters c WHERE c.user_id = u.user_id) AS last
         FROM unnest($1::text[]) AS u(user_id)`,
      [[...new Set(userIds)]],
    );
    for (const row of r.rows) bounds.set(row.user_id, { first: row.first ?? 0, last: row.last ?? 0 });
    return bounds;
  }

  async latestOutcomeIds(userIds: readonly string[]): Promise<Map<string, number>> {
    if (userIds.length === 0) return new Map();
    const r = await this.run<{ user_id: string; last_id: number }>('SELECT user_id, last_id FROM outcome_counters WHERE user_id = ANY($1::text[])', [userIds]);
    return new Map(r.rows.map((x) => [x.user_id, x.last_id]));
  }

  // idempotency
  /**
   * Inside a transaction this CLAIMS (user, traceId) before reading: a placeholder row (reply NULL) is inserted,
   * so a second hub running the same command (a resend after a failover) blocks on the unique key until this
   * transaction ends, then finds the recorded reply instead of executing the command again. Outside a
   * transaction it only reads.
   */
  async findReply(userId: string, traceId: string): Promise<unknown | undefined> {
    if (this.speculate && this.claim === undefined) {
      // Speculative (the hub's domain commands): the claim is sent and the work goes on as if it held, its
      // statements pipelined behind the claim (which they wait for on the server if another transaction holds
      // the key). The transaction confirms the claim before sending its COMMIT; if the key was taken, it rolls
      // back and re-runs the work with this read waiting for the answer. A first execution saves a round trip;
      // a resend that finds a recorded reply costs one wasted execution (rolled back).
      const sent = this.run('INSERT INTO replies (user_id, trace_id, reply) VALUES ($1, $2, NULL) ON CONFLICT DO NOTHING RETURNING 1', [userId, traceId]);
      this.claim = sent.then((claimed) => claimed.rows.length > 0);
      this.claim.catch(() => undefined); // awaited before the COMMIT; not an unhandled rejection meanwhile
      return undefined;
    }
    if (this.inTransaction) {
      const claimed = await this.run(
        'INSERT INTO replies (user_id, trace_id, reply) VALUES ($1, $2, NULL) ON CONFLICT DO NOTHING RETURNING 1',
        [userId, traceId],
      );
      if (claimed.rows.length > 0) return undefined;
    }
    // READ COMMITTED: this statement's snapshot sees the reply a concurrent claimant committed while we waited.
    const r = await this.run<{ reply: string | null }>('SELECT reply FROM replies WHERE user_id = $1 AND trace_id = $2', [userId, traceId]);
    const reply = r.rows[0]?.reply;
    return reply === undefined || reply === null ? undefined : (JSON.parse(reply) as unknown);
  }
  /**
   * Fills the claim (or inserts); a reply already recorded is never overwritten. Inside a transaction the write
   * is sent and not awaited: it reaches the server in the same round trip as the COMMIT, and the transaction
   * fails if it did.
   */
  async saveReply(userId: string, traceId: string, reply: unknown): Promise<void> {
    const text = `INSERT INTO replies (user_id, trace_id, reply) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, trace_id) DO UPDATE SET reply = excluded.reply WHERE replies.reply IS NULL`;
    const values = [userId, traceId, JSON.stringify(reply)];
    if (this.inTransaction) this.sendWithCommit(text, values);
    else await this.run(text, values);
  }
  // extensions
  async extensionRecord(extension: string, key: string): Promise<ExtensionRecord | undefined> {
    const r = await this.run<{ key: string; value: string; updatedAt: number }>(
      'SELECT key, value, updated_at AS "updatedAt" FROM extension_records WHERE extension = $1 AND key = $2',
      [extension, key],
    );
    const row = r.rows[0];
    return row && { key: row.key, value: JSON.parse(row.value) as unknown, updatedAt: row.updatedAt };
  }
  async putExtensionRecord(extension: string, key: string, value: unknown, updatedAt: number): Promise<void> {
    await this.run(
      `INSERT INTO extension_records (extension, key, value, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (extension, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [extension, key, JSON.stringify(value), updatedAt],
    );
  }
  async deleteExtensionRecord(extension: string, key: string): Promise<boolean> {
    return ((await this.run('DELETE FROM extension_records WHERE extension = $1 AND key = $2', [extension, key])).rowCount ?? 0) > 0;
  }
  async extensionRecords(extension: string, prefix: string, limit: number, after?: string): Promise<ExtensionRecord[]> {
    // COLLATE "C": byte order of UTF-8, which is code-point order, as SQLite's BINARY.
    const from = after !== undefined && after >= prefix ? after : undefined;
    const r = await this.run<{ key: string; value: string; updatedAt: number }>(
      `SELECT key, value, updated_at AS "updatedAt" FROM extension_records
       WHERE extension = $1 AND key ${from === undefined ? '>=' : '>'} $2 AND key < $3 ORDER BY key LIMIT $4`,
      [extension, from ?? prefix, `${prefix}\u{10FFFF}`, limit],
    );
    return r.rows.map((row) => ({ key: row.key, value: JSON.parse(row.value) as unknown, updatedAt: row.updatedAt }));
  }

  // API keys
  async insertApiKey(k: ApiKeyRecord): Promise<void> {
    await this.run('INSERT INTO api_keys (id, name, user_id, hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      k.id,
      k.name,
      k.userId,
      k.hash,
      k.createdAt,
      k.revokedAt,
    ]);
  }
  async apiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return (await this.run<ApiKeyRecord & Row>(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE hash = $1`, [hash])).rows[0];
  }
  async apiKeys(): Promise<ApiKeyRecord[]> {
    return (await this.run<ApiKeyRecord & Row>(`SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`)).rows;
  }
  async revokeApiKey(id: string, at: number): Promise<boolean> {
    return ((await this.run('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id])).rowCount ?? 0) > 0;
  }

}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const RETRYABLE = ['40P01' /* deadlock_detected */, '40001' /* serialization_failure */];

function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

export class PostgresStore extends PgOps implements Store {
  readonly kind = 'postgres';
  readonly schema: string;
  /**
   * Transactions re-run: PostgreSQL aborted them for a deadlock or a serialization failure, or their speculative
   * claim found the (user, trace id) taken (`claimLost`: a resend, answered from the record on the re-run).
   */
  readonly retried = { deadlock: 0, serialization: 0, claimLost: 0 };
  private readonly pool: pg.Pool;
  /**
   * A small pool of its own for the registry's reads (replay pages, a joining device's bounds, the reconciler's
   * newest ids), so that they do not queue behind every command waiting for a pooled connection.
   */
  private readonly readPool: pg.Pool;
  private readonly reader: PgOps;

  private constructor(pool: pg.Pool, readPool: pg.Pool, schema: string) {
    super(runnerOf(pool));
    this.pool = pool;
    this.readPool = readPool;
    this.reader = new PgOps(runnerOf(readPool));
    this.schema = schema;
  }

  override outcomesAfter(userId: string, afterId: number, limit: number): Promise<StoredOutcome[]> {
    return this.reader.outcomesAfter(userId, afterId, limit);
  }
  override outcomeBounds(userId: string): Promise<OutcomeBounds> {
    return this.reader.outcomeBounds(userId);
  }
  override latestOutcomeIds(userIds: readonly string[]): Promise<Map<string, number>> {
    return this.reader.latestOutcomeIds(userIds);
  }
  override outcomeBoundsOf(userIds: readonly string[]): Promise<Map<string, OutcomeBounds>> {
    return this.reader.outcomeBoundsOf(userIds);
  }

  /** Connects, creates the schema if needed and applies pending migrations (safe with several hubs at once). */
  static async open(urlOrConfig: string | PostgresStoreConfig): Promise<PostgresStore> {
    const config = typeof urlOrConfig === 'string' ? { url: urlOrConfig } : urlOrConfig;
    const url = new URL(config.url);
    const schema = config.schema ?? url.searchParams.get('schema') ?? 'public';
    url.searchParams.delete('schema');
    if (!SCHEMA_NAME.test(schema)) throw new TypeError(`PostgreSQL schema name "${schema}" is not a plain identifier`);
    const queryTimeoutMs = config.queryTimeoutMs ?? 10_000;
    const poolConfig = (max: number): pg.PoolConfig => ({
      connectionString: url.toString(),
      max,
      types,
      // Every connection resolves table names in the store's schema. Server side, a statement or an idle
      // transaction left behind by a hub that vanished ends by itself, and dead peers are found by keepalives
      // (and checked for during long statements, PostgreSQL >= 14), so their locks do not outlive them.
      options: [
        `-c search_path=${schema}`,
        `-c statement_timeout=${queryTimeoutMs}`,
        `-c idle_in_transaction_session_timeout=${queryTimeoutMs * 2}`,
        '-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3',
        '-c client_connection_check_interval=2000',
      ].join(' '),
      // Client side: a statement with no answer fails (the link may be silently dead), a connect that hangs
      // fails, and idle connections are probed by TCP keepalives.
      query_timeout: queryTimeoutMs + 1000,
      // Only opening a connection is bounded here (the client's own timeout); the pool's connectionTimeoutMillis
      // would also fail a command that merely waits for a busy pool under load. That wait is bounded by the
      // command deadline (transaction's signal) instead.
      Client: boundedClient(config.connectTimeoutMs ?? 3000),
      keepAlive: true,
      keepAliveInitialDelayMillis: 5000,
      // Statements are sent without waiting for the answers before them (see the header): each is still its own
      // extended-protocol message with its own Sync, so one failing does not swallow the next one's answer.
      pipeline: true,
    });
    const pool = new pg.Pool(poolConfig(config.poolSize ?? 10));
    const readPool = new pg.Pool(poolConfig(2));
    // An idle client losing its server (PostgreSQL restarted) must not crash the hub; the next query reconnects.
    pool.on('error', () => {});
    readPool.on('error', () => {});
    const store = new PostgresStore(pool, readPool, schema);
    try {
      await store.migrate();
    } catch (e) {
      await pool.end().catch(() => {});
      await readPool.end().catch(() => {});
      if (isCode(e, 'ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', '28000', '28P01', '3D000') || unavailable(e)) {
        throw new StoreUnavailableError(
          `PostgreSQL at ${describe(config.url)} is unavailable (${(e as Error).message}). ` +
            'Start PostgreSQL or point STAGE_DATABASE_URL at a running server, e.g. postgres://postgres@127.0.0.1:5432/test.',
          'unreachable',
          { cause: e },
        );
      }
      throw e;
    }
    return store;
  }

  /** Applies migrations newer than the recorded version, one transaction each, under an advisory lock. */
  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`).catch((e: unknown) => {
        // Two hubs creating the schema at the same instant: one of them gets a unique violation, which is fine.
        if (!isCode(e, '23505', '42P06')) throw e;
      });
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [`stage-migrations:${this.schema}`]);
      try {
        await client.query(
          'CREATE TABLE IF NOT EXISTS stage_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)',
        );
        const applied = new Set((await client.query<{ version: number }>('SELECT version FROM stage_migrations')).rows.map((r) => r.version));
        for (const m of postgresMigrations) {
          if (applied.has(m.version)) continue;
          await client.query('BEGIN');
          try {
            await client.query(m.sql);
            await client.query('INSERT INTO stage_migrations (version, description, applied_at) VALUES ($1, $2, $3)', [
              m.version,
              m.description,
              Date.now(),
            ]);
            await client.query('COMMIT');
          } catch (e) {
            await client.query('ROLLBACK');
            throw e;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`stage-migrations:${this.schema}`]);
      }
    } finally {
      client.release();
    }
  }

  protected override atomic<T>(fn: (ops: PgOps) => Promise<T>): Promise<T> {
    return this.transaction((tx) => fn(tx as PgOps));
  }

  /**
   * BEGIN … COMMIT on one pooled connection. `options.signal` (the command deadline) drops the connection, so a
   * statement stuck on a silent server fails at once and the server rolls back. Deadlocks and serialization
   * failures are re-run (at most 5 times). Connection failures reject with StoreUnavailableError and the
   * connection is discarded; a failed COMMIT may still have committed (the caller's resend finds the reply).
   */
  transaction<T>(work: (tx: StoreTx) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.runTransaction(work, options, undefined);
  }

  /**
   * `ordered` resolves when the COMMIT has answered: a transaction started later runs on another pooled
   * connection, whose snapshot includes these rows only once they are committed.
   */
  startTransaction<T>(work: (tx: StoreTx) => Promise<T>, options?: TransactionOptions): TransactionHandle<T> {
    let markOrdered!: () => void;
    const ordered = new Promise<void>((resolve) => (markOrdered = resolve));
    return { ordered, committed: this.runTransaction(work, options, markOrdered) };
  }

  /** See `transaction`; `markOrdered` (startTransaction) is called once the COMMIT succeeded, never on failure. */
  private async runTransaction<T>(work: (tx: StoreTx) => Promise<T>, options: TransactionOptions | undefined, markOrdered: (() => void) | undefined): Promise<T> {
    const signal = options?.signal;
    // findReply claims speculatively (see there) until a claim turns out lost; the re-run then waits for it.
    let speculate = true;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const client = await this.connectWithin(signal);
      ignoreClientErrors(client);
      let broken = false;
      const abort = () => {
        broken = true;
        destroyConnection(client);
      };
      signal?.addEventListener('abort', abort, { once: true });
      // Pipelined: BEGIN goes out with the work's first statement. (BEGIN fails only with its connection, and
      // then so does every statement behind it.)
      const begun = client.query('BEGIN');
      begun.catch(() => undefined);
      const tx = new PgOps(runnerOf(client), true, speculate);
      try {
        const result = await work(tx);
        // A speculative claim's answer has usually arrived with the work's last read; it must be in before the
        // COMMIT goes out (a lost claim must not commit).
        await tx.readyToCommit();
        // The writes sent with the commit (the reply, the append held for it) and the COMMIT share one round trip.
        // A COMMIT behind a failed statement answers ROLLBACK rather than an error: settle() reports that
        // statement's error first.
        tx.flushAtCommit();
        const committed = client.query('COMMIT');
        committed.catch(() => undefined);
        await begun;
        await tx.settle();
        if ((await committed).command !== 'COMMIT') throw new Error('PostgreSQL rolled the transaction back at COMMIT');
        // Before the transaction's promise settles, so whoever waits for `ordered` hears of it first.
        markOrdered?.();
        return result;
      } catch (caught) {
        tx.dropAtCommit(caught);
        // A statement refused because an earlier pipelined write had failed (25P02, "current transaction is
        // aborted") hides the cause: report that write's error instead.
        const e = isCode(caught, '25P02') ? await tx.settle().then(() => caught, (failed: unknown) => failed) : caught;
        // The work ran on a speculative claim that another transaction held: whatever it did or threw (a
        // CommandError included) was decided without the recorded reply. Roll back and re-run it, not speculating.
        if (caught instanceof ClaimLost || (!broken && !unavailable(e) && (await tx.claimWasLost()))) {
          speculate = false;
          attempt--;
          this.retried.claimLost++;
          try {
            await client.query('ROLLBACK');
            continue;
          } catch (rollbackFailed) {
            broken = true;
            throw unavailable(rollbackFailed) ?? rollbackFailed;
          }
        }
        const down = unavailable(e);
        if (down || broken) broken = true;
        else {
          try {
            await client.query('ROLLBACK');
          } catch {
            broken = true; // the connection itself failed: do not return it to the pool
          }
        }
        if (isCode(e, '40P01')) this.retried.deadlock++;
        if (isCode(e, '40001')) this.retried.serialization++;
        if (attempt < 5 && isCode(e, ...RETRYABLE) && !signal?.aborted) continue;
        throw down ?? e;
      } finally {
        signal?.removeEventListener('abort', abort);
        client.release(broken);
      }
    }
  }

  /** A pooled connection, unless the signal fires first (then the connection goes back once it arrives). */
  private async connectWithin(signal: AbortSignal | undefined): Promise<pg.PoolClient> {
    const connecting = this.pool.connect().catch((e: unknown) => {
      throw unavailable(e) ?? e;
    });
    if (!signal) return connecting;
    return new Promise<pg.PoolClient>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      connecting.then(
        (client) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) client.release();
          else resolve(client);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  /**
   * Readiness: `SELECT 1` within `timeoutMs` (default 2 s), on the read pool. Through the command pool it waited
   * behind every queued command, so a hub under full load reported PostgreSQL down (and a load balancer would take
   * away the hub that was working hardest); the read pool is only as busy as the registry's reads.
   */
  async ping(timeoutMs = 2000): Promise<void> {
    try {
      await withTimeout(this.reader.select1(), timeoutMs);
    } catch (e) {
      throw unavailable(e) ?? new StoreUnavailableError(`PostgreSQL did not answer within ${timeoutMs} ms`, 'timeout', { cause: e });
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.readPool.end()]);
  }

  /** Drops the store's schema and everything in it, then closes: for tests that made a schema of their own. */
  async dropSchemaAndClose(): Promise<void> {
    if (this.schema === 'public') throw new Error('refusing to drop the public schema');
    await this.pool.query(`DROP SCHEMA "${this.schema}" CASCADE`);
    await this.close();
  }
}

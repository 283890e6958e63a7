// The per-user outcome logs of the SQLite store, log-structured so that a fan-out is cheap to commit.
//
// Why: a user's log entries are keyed (user, id), so a push to 1,000 users changed one b-tree page per user, and
// SQLite writes each changed page to the WAL with its own write call: ~10 ms per COMMIT, however small the rows.
// Now an append writes ONE row, the fan-out (its body id and its [user, id] entries as JSON), on pages next to
// the previous fan-out: a COMMIT writes a dozen pages. The entries also go to an in-memory index per user, so
// reads never scan fan-out rows. `compact()` later moves every fan-out's entries into the per-user table
// `outcomes` in one transaction, user by user: one page per user for many outcomes (the same batching as a
// group commit, off the path of the command that pushed them). Reads merge both: compacted entries are always
// older than the ones still in fan-outs, because a compaction moves all of them.
//
// Users are numbered in `outcome_users` (migration 5): the per-user table is keyed (user number, id), which inserts
// twice as fast as a 36-character user id and takes a third of the space.
//
// Ids: the newest id per user is kept in memory (loaded on first use from max(outcomes, outcome_counters, fan-outs));
// `outcome_counters` only keeps the newest id of a user whose entries were all pruned. Only this process may write
// the file (SqliteStore holds a lock), so memory is the truth. Every in-memory change made inside a transaction
// registers its undo, which the store runs on ROLLBACK.
import type { Statement } from 'better-sqlite3';
import type { OutcomeBounds, StoredOutcome } from './Store.js';

interface PendingEntry {
  id: number;
  bodyId: number;
}

export interface OutcomeLogDeps {
  /** A cached prepared statement. */
  q(sql: string): Statement;
  /** Registers how to undo an in-memory change if the open transaction rolls back. */
  onRollback(undo: () => void): void;
}

export class SqliteOutcomeLog {
  private readonly lastIds = new Map<string, number>();
  /** User id → number in outcome_users (only users with compacted entries have one). */
  private readonly userNos = new Map<string, number>();
  /** Entries still in outcome_fanouts, per user, ascending. */
  private pending = new Map<string, PendingEntry[]>();
  /** Rows in outcome_fanouts. */
  private fanouts = 0;

  constructor(private readonly deps: OutcomeLogDeps) {
    const rows = deps.q('SELECT body_id, entries FROM outcome_fanouts ORDER BY seq').all() as { body_id: number; entries: string }[];
    for (const row of rows) {
      for (const [userId, id] of JSON.parse(row.entries) as [string, number][]) {
        this.pendingOf(userId).push({ id, bodyId: row.body_id });
        this.lastIds.set(userId, id);
      }
    }
    this.fanouts = rows.length;
  }

  /** Fan-outs written since the last compaction. */
  get backlog(): number {
    return this.fanouts;
  }

  /** Appends `body` to each user's log (a user listed twice gets one entry); returns the ids in `userIds` order. */
  append(userIds: readonly string[], body: unknown): number[] {
    const { q, onRollback } = this.deps;
    const recipients = [...new Set(userIds)];
    const bodyId = Number(q('INSERT INTO outcome_bodies (body, refs) VALUES (?, ?)').run(JSON.stringify(body), recipients.length).lastInsertRowid);
    const entries = recipients.map((userId): [string, number] => [userId, this.lastId(userId) + 1]);
    q('INSERT INTO outcome_fanouts (body_id, entries) VALUES (?, ?)').run(bodyId, JSON.stringify(entries));
    const ids = new Map<string, number>();
    for (const [userId, id] of entries) {
      const list = this.pendingOf(userId);
      list.push({ id, bodyId });
      this.lastIds.set(userId, id);
      ids.set(userId, id);
    }
    this.fanouts++;
    onRollback(() => {
      this.fanouts--;
      for (const [userId, id] of entries) {
        const list = this.pending.get(userId);
        list?.pop();
        if (list?.length === 0) this.pending.delete(userId);
        this.lastIds.set(userId, id - 1);
      }
    });
    return userIds.map((u) => ids.get(u)!);
  }

  /** Entries with id > afterId, ascending, at most `limit`. */
  after(userId: string, afterId: number, limit: number): StoredOutcome[] {
    const no = this.userNo(userId, false);
    const rows =
      no === undefined
        ? []
        : (this.deps
            .q(
              `SELECT o.id, b.body FROM outcomes o JOIN outcome_bodies b ON b.id = o.body_id
               WHERE o.user_no = ? AND o.id > ? ORDER BY o.id LIMIT ?`,
            )
            .all(no, afterId, limit) as { id: number; body: string }[]);
    const out = rows.map((r) => ({ id: r.id, body: JSON.parse(r.body) as unknown }));
    const pending = this.pending.get(userId);
    if (!pending || out.length >= limit) return out;
    const bodyOf = this.deps.q('SELECT body FROM outcome_bodies WHERE id = ?').pluck();
    for (let i = firstAbove(pending, afterId); i < pending.length && out.length < limit; i++) {
      const e = pending[i]!;
      out.push({ id: e.id, body: JSON.parse(bodyOf.get(e.bodyId) as string) as unknown });
    }
    return out;
  }

  bounds(userId: string): OutcomeBounds {
    const no = this.userNo(userId, false);
    const compacted = no === undefined ? null : (this.deps.q('SELECT MIN(id) AS id FROM outcomes WHERE user_no = ?').get(no) as { id: number | null }).id;
    return { first: compacted ?? this.pending.get(userId)?.[0]?.id ?? 0, last: this.lastId(userId) };
  }

  /** Forgets the user's entries with id < keepFrom; the newest id is kept for the next append. */
  prune(userId: string, keepFrom: number): void {
    const { q } = this.deps;
    if ((this.pending.get(userId)?.[0]?.id ?? Infinity) < keepFrom) this.compact();
    q(
      `INSERT INTO outcome_counters (user_id, last_id) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET last_id = MAX(last_id, excluded.last_id)`,
    ).run(userId, this.lastId(userId));
    const no = this.userNo(userId, false);
    const gone = no === undefined ? [] : (q('DELETE FROM outcomes WHERE user_no = ? AND id < ? RETURNING body_id').all(no, keepFrom) as { body_id: number }[]);
    const released = new Map<number, number>();
    for (const { body_id } of gone) released.set(body_id, (released.get(body_id) ?? 0) + 1);
    // A body shared by a fan-out is deleted with its last reference.
    const release = q('UPDATE outcome_bodies SET refs = refs - ? WHERE id = ? RETURNING refs');
    const remove = q('DELETE FROM outcome_bodies WHERE id = ?');
    for (const [bodyId, count] of released) {
      const row = release.get(count, bodyId) as { refs: number } | undefined;
      if (row && row.refs <= 0) remove.run(bodyId);
    }
  }

  /** Users with at least one entry. */
  users(): string[] {
    const compacted = this.deps
      .q('SELECT u.user_id FROM outcome_users u WHERE EXISTS (SELECT 1 FROM outcomes o WHERE o.user_no = u.no)')
      .pluck()
      .all() as string[];
    return [...new Set([...compacted, ...this.pending.keys()])];
  }

  /** Moves every fan-out's entries into the per-user table, user by user (inside the caller's transaction). */
  compact(): void {
    if (this.fanouts === 0) return;
    const { q, onRollback } = this.deps;
    const insert = q('INSERT INTO outcomes (user_no, id, body_id) VALUES (?, ?, ?)');
    const users = [...this.pending.keys()].map((userId) => ({ userId, no: this.userNo(userId, true)! }));
    // In key order: each user's entries go to the end of that user's range, one page after another.
    users.sort((a, b) => a.no - b.no);
    for (const { userId, no } of users) {
      for (const e of this.pending.get(userId)!) insert.run(no, e.id, e.bodyId);
    }
    q('DELETE FROM outcome_fanouts').run();
    const pending = this.pending;
    const fanouts = this.fanouts;
    this.pending = new Map();
    this.fanouts = 0;
    onRollback(() => {
      this.pending = pending;
      this.fanouts = fanouts;
    });
  }

  private lastId(userId: string): number {
    let last = this.lastIds.get(userId);
    if (last === undefined) {
      const no = this.userNo(userId, false);
      const compacted = no === undefined ? null : (this.deps.q('SELECT MAX(id) AS id FROM outcomes WHERE user_no = ?').get(no) as { id: number | null }).id;
      const floor = this.deps.q('SELECT last_id FROM outcome_counters WHERE user_id = ?').pluck().get(userId) as number | undefined;
      last = Math.max(compacted ?? 0, floor ?? 0);
      this.lastIds.set(userId, last);
    }
    return last;
  }

  /** The user's number in outcome_users; with `create`, numbers a user who has none (inside a transaction). */
  private userNo(userId: string, create: boolean): number | undefined {
    let no = this.userNos.get(userId);
    if (no !== undefined) return no;
    const { q, onRollback } = this.deps;
    no = q('SELECT no FROM outcome_users WHERE user_id = ?').pluck().get(userId) as number | undefined;
    if (no === undefined && create) {
      no = Number(q('INSERT INTO outcome_users (user_id) VALUES (?)').run(userId).lastInsertRowid);
      onRollback(() => this.userNos.delete(userId));
    }
    if (no !== undefined) this.userNos.set(userId, no);
    return no;
  }

  private pendingOf(userId: string): PendingEntry[] {
    let list = this.pending.get(userId);
    if (!list) {
      list = [];
      this.pending.set(userId, list);
    }
    return list;
  }
}

/** Index of the first entry with id > afterId (entries ascending). */
function firstAbove(entries: PendingEntry[], afterId: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.id > afterId) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

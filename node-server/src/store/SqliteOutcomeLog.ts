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
    const rows = this.deps
      .q(
        `SELECT o.id, b.body FROM outcomes o JOIN outcome_bodies b ON b.id = o.body_id
         WHERE o.user_id = ? AND o.id > ? ORDER BY o.id LIMIT ?`,
      )
      .all(userId, afterId, limit) as { id: number; body: string }[];
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
    const compacted = (this.deps.q('SELECT MIN(id) AS id FROM outcomes WHERE user_id = ?').get(userId) as { id: number | null }).id;
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
    const gone = q('DELETE FROM outcomes WHERE user_id = ? AND id < ? RETURNING body_id').all(userId, keepFrom) as { body_id: number }[];
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
    const compacted = this.deps.q('SELECT DISTINCT user_id FROM outcomes').pluck().all() as string[];
    return [...new Set([...compacted, ...this.pending.keys()])];
  }

  /** Moves every fan-out's entries into the per-user table, user by user (inside the caller's transaction). */
  compact(): void {
    if (this.fanouts === 0) return;
    const { q, onRollback } = this.deps;
    const insert = q('INSERT INTO outcomes (user_id, id, body_id) VALUES (?, ?, ?)');
    for (const userId of [...this.pending.keys()].sort()) {
      for (const e of this.pending.get(userId)!) insert.run(userId, e.id, e.bodyId);
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
      last = (
        this.deps
          .q(
            `SELECT MAX(COALESCE((SELECT MAX(id) FROM outcomes WHERE user_id = ?), 0),
                        COALESCE((SELECT last_id FROM outcome_counters WHERE user_id = ?), 0)) AS last`,
          )
          .get(userId, userId) as { last: number }
      ).last;
      this.lastIds.set(userId, last);
    }
    return last;
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

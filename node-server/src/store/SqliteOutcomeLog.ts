// The per-user outcome logs of the SQLite store, log-structured so that a fan-out is cheap to commit.
//
// Why: a user's log entries are keyed (user, id), so a push to 1,000 users changed one b-tree page per user, and
// SQLite writes each changed page to the WAL with its own write call: ~10 ms per COMMIT, however small the rows.
// Now an append writes ONE row, the fan-out (its body id and its (user number, id) entries, packed: see
// packEntries; rows written before hold them as JSON [[user id, id], ...] and are still read), on pages next to
// the previous fan-out: a COMMIT writes a dozen pages. The entries also go to an in-memory index per user, so
// reads never scan fan-out rows. `compact()` later moves the entries into the per-user table `outcomes`, a few
// thousand at a time and whole users at a time: one page per user for many outcomes (the same batching as a group
// commit, off the path of the command that pushed them, in slices short enough not to hold up commands). A fan-out
// row is deleted when its last entry has moved. Reads merge both: a user's compacted entries are always older than
// the ones still pending, because a user's pending entries move together.
//
// Users are numbered in `outcome_users` (migration 5): the per-user table is keyed (user number, id), which inserts
// twice as fast as a 36-character user id and takes a third of the space. A user is numbered by their first append.
//
// Ids: the newest id per user is kept in memory (loaded on first use from max(outcomes, outcome_counters, fan-outs));
// `outcome_counters` is written when pruning: the user's newest id then (so ids continue after every entry was
// pruned) and the highest id pruned (so a fan-out row still holding a pruned entry does not bring it back). Only this process may write
// the file (SqliteStore holds a lock), so memory is the truth. Every in-memory change made inside a transaction
// registers its undo, which the store runs on ROLLBACK.
import type { Statement } from 'better-sqlite3';
import type { OutcomeBounds, StoredOutcome } from './Store.js';

interface PendingEntry {
  id: number;
  bodyId: number;
  /** The outcome_fanouts row holding it. */
  seq: number;
}

export interface OutcomeLogDeps {
  /** A cached prepared statement. */
  q(sql: string): Statement;
  /** Registers how to undo an in-memory change if the open transaction rolls back. */
  onRollback(undo: () => void): void;
}

export class SqliteOutcomeLog {
  private readonly lastIds = new Map<string, number>();
  /** User id → number in outcome_users (every user with entries has one; loaded on first use). */
  private readonly userNos = new Map<string, number>();
  /** Entries not yet moved to `outcomes`, per user, ascending. */
  private readonly pending = new Map<string, PendingEntry[]>();
  /** Entries not yet moved, per outcome_fanouts row (seq); a row is deleted when it reaches 0. */
  private readonly remaining = new Map<number, number>();
  /** Rows found fully compacted on open (the process stopped before deleting them); deleted by the next compact. */
  private emptyRows: number[] = [];

  constructor(private readonly deps: OutcomeLogDeps) {
    const rows = deps.q('SELECT seq, body_id, entries FROM outcome_fanouts ORDER BY seq').all() as { seq: number; body_id: number; entries: string | Buffer }[];
    if (rows.length > 0) {
      for (const { no, user_id } of deps.q('SELECT no, user_id FROM outcome_users').all() as { no: number; user_id: string }[]) this.userNos.set(user_id, no);
    }
    const userIdOf = new Map([...this.userNos].map(([userId, no]) => [no, userId]));
    for (const row of rows) {
      for (const [user, id] of readEntries(row.entries)) {
        const userId = typeof user === 'string' ? user : userIdOf.get(user)!;
        this.pendingOf(userId).push({ id, bodyId: row.body_id, seq: row.seq });
        this.remaining.set(row.seq, (this.remaining.get(row.seq) ?? 0) + 1);
      }
    }
    // Entries of a row that was not deleted yet may have been moved (and even pruned) before the process stopped:
    // those are not pending. A user's moved entries are a prefix of their pending ones.
    for (const [userId, list] of [...this.pending]) {
      const prunedBelow = deps.q('SELECT pruned_below FROM outcome_counters WHERE user_id = ?').pluck().get(userId) as number | undefined;
      const compacted = Math.max(this.compactedLast(userId), prunedBelow ?? 0);
      let moved = 0;
      while (moved < list.length && list[moved]!.id <= compacted) if (this.release(list[moved++]!.seq)) this.emptyRows.push(list[moved - 1]!.seq);
      list.splice(0, moved);
      if (list.length === 0) this.pending.delete(userId);
      else this.lastIds.set(userId, list.at(-1)!.id);
    }
  }

  /** Fan-out rows whose entries are not all compacted yet. */
  get backlog(): number {
    return this.remaining.size;
  }

  /** Appends `body` to each user's log (a user listed twice gets one entry); returns the ids in `userIds` order. */
  append(userIds: readonly string[], body: unknown): number[] {
    const { q, onRollback } = this.deps;
    // One pass and one map per fan-out (this runs once per recipient: 1,000 times for a message to a big room).
    const ids = new Map<string, number>();
    for (const userId of userIds) if (!ids.has(userId)) ids.set(userId, this.lastId(userId) + 1);
    const bodyId = Number(q('INSERT INTO outcome_bodies (body, refs) VALUES (?, ?)').run(JSON.stringify(body), ids.size).lastInsertRowid);
    const seq = Number(q('INSERT INTO outcome_fanouts (body_id, entries) VALUES (?, ?)').run(bodyId, this.packEntries(ids)).lastInsertRowid);
    for (const [userId, id] of ids) {
      this.pendingOf(userId).push({ id, bodyId, seq });
      this.lastIds.set(userId, id);
    }
    this.remaining.set(seq, ids.size);
    onRollback(() => {
      this.remaining.delete(seq);
      for (const [userId, id] of ids) {
        const list = this.pending.get(userId);
        list?.pop();
        if (list?.length === 0) this.pending.delete(userId);
        this.lastIds.set(userId, id - 1);
      }
    });
    return ids.size === userIds.length ? [...ids.values()] : userIds.map((u) => ids.get(u)!);
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
    if ((this.pending.get(userId)?.[0]?.id ?? Infinity) < keepFrom) this.compactUser(userId);
    q(
      `INSERT INTO outcome_counters (user_id, last_id, pruned_below) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET last_id = MAX(last_id, excluded.last_id), pruned_below = MAX(pruned_below, excluded.pruned_below)`,
    ).run(userId, this.lastId(userId), keepFrom - 1);
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

  /**
   * Moves pending entries into the per-user table, whole users at a time in user-number order, until about
   * `maxEntries` have moved (inside the caller's transaction). Returns whether entries are still pending.
   */
  compact(maxEntries = Infinity): boolean {
    for (const seq of this.emptyRows.splice(0)) this.deps.q('DELETE FROM outcome_fanouts WHERE seq = ?').run(seq);
    // In key order: each user's entries go to the end of that user's range, one page after another. Users not
    // numbered yet come last (a new number is larger than every existing one) and are numbered only when moved.
    const numbered: Array<{ userId: string; no: number }> = [];
    const unnumbered: string[] = [];
    for (const userId of this.pending.keys()) {
      const no = this.userNo(userId, false);
      if (no === undefined) unnumbered.push(userId);
      else numbered.push({ userId, no });
    }
    numbered.sort((a, b) => a.no - b.no);
    let moved = 0;
    for (const userId of [...numbered.map((u) => u.userId), ...unnumbered]) {
      if (moved >= maxEntries) break;
      moved += this.compactUser(userId);
    }
    return this.pending.size > 0;
  }

  /** Moves one user's pending entries; returns how many. */
  private compactUser(userId: string): number {
    const list = this.pending.get(userId);
    if (!list) return 0;
    const { q, onRollback } = this.deps;
    const no = this.userNo(userId, true)!;
    const insert = q('INSERT INTO outcomes (user_no, id, body_id) VALUES (?, ?, ?)');
    for (const e of list) insert.run(no, e.id, e.bodyId);
    this.pending.delete(userId);
    for (const e of list) if (this.release(e.seq)) q('DELETE FROM outcome_fanouts WHERE seq = ?').run(e.seq);
    onRollback(() => {
      this.pending.set(userId, list);
      for (const e of list) this.remaining.set(e.seq, (this.remaining.get(e.seq) ?? 0) + 1);
    });
    return list.length;
  }

  /** One entry left the fan-out row; true when it was the last (the row is to be deleted). */
  private release(seq: number): boolean {
    const left = (this.remaining.get(seq) ?? 1) - 1;
    if (left > 0) {
      this.remaining.set(seq, left);
      return false;
    }
    this.remaining.delete(seq);
    return true;
  }

  private compactedLast(userId: string): number {
    const no = this.userNo(userId, false);
    return no === undefined ? 0 : ((this.deps.q('SELECT MAX(id) AS id FROM outcomes WHERE user_no = ?').get(no) as { id: number | null }).id ?? 0);
  }

  private lastId(userId: string): number {
    let last = this.lastIds.get(userId);
    if (last === undefined) {
      const floor = this.deps.q('SELECT last_id FROM outcome_counters WHERE user_id = ?').pluck().get(userId) as number | undefined;
      last = Math.max(this.compactedLast(userId), floor ?? 0);
      this.lastIds.set(userId, last);
    }
    return last;
  }

  /**
   * A fan-out's entries as stored: the ids (float64) then the user numbers (uint32), 12 bytes an entry. The JSON
   * [[userId, id], ...] it replaced was 45 bytes an entry, and building it cost more than the rest of the append
   * (0.4 µs a recipient: a fifth of a 4 KB message's cost per recipient to a 1,000-member room). Numbers users
   * who have none yet (inside the transaction).
   */
  private packEntries(ids: Map<string, number>): Buffer {
    const packed = new ArrayBuffer(ids.size * 12);
    const idsOut = new Float64Array(packed, 0, ids.size);
    const nosOut = new Uint32Array(packed, ids.size * 8, ids.size);
    let i = 0;
    for (const [userId, id] of ids) {
      idsOut[i] = id;
      nosOut[i++] = this.userNo(userId, true)!;
    }
    return Buffer.from(packed);
  }

  /**
   * The user's number in outcome_users; with `create`, numbers a user who has none (inside a transaction). The
   * reply log keys its index by the same numbers (migration 10).
   */
  userNo(userId: string, create: boolean): number | undefined {
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

/**
 * A fan-out row's entries, [user, id]: a Buffer as packEntries writes it (user numbers), or the JSON text of rows
 * written before (user ids).
 */
function readEntries(entries: string | Buffer): Array<[string | number, number]> {
  if (typeof entries === 'string') return JSON.parse(entries) as [string, number][];
  const count = entries.length / 12;
  // Copied to an aligned buffer: a Buffer read from SQLite may start at any byte offset.
  const aligned = new Uint8Array(entries).buffer;
  const ids = new Float64Array(aligned, 0, count);
  const nos = new Uint32Array(aligned, count * 8, count);
  const out: Array<[number, number]> = new Array(count);
  for (let i = 0; i < count; i++) out[i] = [nos[i]!, ids[i]!];
  return out;
}

// The SQLite store: migrations on a fresh file, atomic transactions, gap-free outcome ids per user, stored replies.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import Database from 'better-sqlite3';
import { sqliteMigrations } from '../src/store/migrations.js';
import { SqliteStore } from '../src/store/SqliteStore.js';
import { StoreConflictError } from '../src/store/Store.js';

const dirs: string[] = [];
/** A database file path in a directory of its own, removed after the test. */
function newFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stage-store-'));
  dirs.push(dir);
  return join(dir, 'stage.db');
}
function fresh(config: { compactAfterFanouts?: number; syncWal?: (fd: number) => Promise<void> } = {}): { store: SqliteStore; file: string } {
  const file = newFile();
  return { store: new SqliteStore({ file, ...config }), file };
}
/** A file as an older hub left it: migrations up to `version` applied, open for the test to fill (then close it). */
function fileAtVersion(version: number): { file: string; old: Database.Database } {
  const file = newFile();
  const old = new Database(file);
  for (const m of sqliteMigrations.filter((m) => m.version <= version)) old.exec(m.sql);
  old.pragma(`user_version = ${version}`);
  return { file, old };
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const user = (id: string) => ({ id, username: id, passwordHash: 'x', createdAt: 1 });

/** A WAL sync the test completes by hand, one call at a time, to see what waits for durability. */
function heldSyncs() {
  const pending: (() => void)[] = [];
  return {
    syncWal: () => new Promise<void>((resolve) => pending.push(resolve)),
    get count() {
      return pending.length;
    },
    release: () => pending.shift()!(),
  };
}

/** Lets the event loop turn: I/O and timers run, as between two connections' frames. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SqliteStore', () => {
  it('keeps domain data across reopen and computes stream audiences from group membership', async () => {
    const { store, file } = fresh();
    for (const id of ['ann', 'bob', 'cid']) await store.insertUser(user(id));
    await store.insertGroup({ id: 'g1', name: 'G1', description: '', ownerId: 'ann', createdAt: 1 });
    await store.addMember('g1', 'ann');
    await store.addMember('g1', 'bob');
    await store.insertStream({ name: 'news', description: 'd', creatorId: 'ann', createdAt: 1, groups: ['g1'] });
    const m = await store.insertMessage({ id: 'm1', stream: 'news', topic: 't', senderId: 'ann', content: 'hi', createdAt: 2 });
    expect(m).toMatchObject({ seq: 1, senderName: 'ann', deleted: false });
    await store.close();
    const again = new SqliteStore({ file });
    expect(await again.streamAudience('news')).toEqual(['ann', 'bob']);
    expect(await again.canSee('cid', 'news')).toBe(false);
    expect((await again.streamsVisibleTo('bob')).map((s) => s.name)).toEqual(['news']);
    expect(await again.topicsOf('news')).toEqual([{ stream: 'news', topic: 't', status: 5, lastSeq: 1 }]);
    expect(await again.countUnread({ stream: 'news', topic: 't', afterSeq: 0, excludeSender: 'bob' })).toBe(1);
    await again.deleteGroup('g1');
    expect(await again.streamAudience('news')).toEqual([]);
    await again.close();
  });

  it('answers streams and who sees them from what was last read, never from a stale or rolled-back change', async () => {
    const { store } = fresh();
    for (const id of ['ann', 'bob', 'cid']) await store.insertUser(user(id));
    await store.insertGroup({ id: 'g1', name: 'G1', description: '', ownerId: 'ann', createdAt: 1 });
    await store.insertGroup({ id: 'g2', name: 'G2', description: '', ownerId: 'cid', createdAt: 1 });
    await store.addMember('g1', 'ann');
    await store.addMember('g1', 'bob');
    await store.addMember('g2', 'cid');
    await store.insertStream({ name: 'news', description: 'd', creatorId: 'ann', createdAt: 1, groups: ['g1'] });
    // Read once: the audience, the stream and bob's membership are now held in memory.
    expect(await store.streamAudience('news')).toEqual(['ann', 'bob']);
    expect(await store.canSee('bob', 'news')).toBe(true);
    expect((await store.streamByName('news'))?.groups).toEqual(['g1']);
    await store.removeMember('g1', 'bob');
    expect(await store.canSee('bob', 'news')).toBe(false);
    await store.setStreamGroups('news', ['g1', 'g2']);
    expect((await store.streamByName('news'))?.groups).toEqual(['g1', 'g2']);
    expect(await store.canSee('cid', 'news')).toBe(true);
    // A change rolled back is forgotten with the transaction, though it was read inside it.
    await expect(
      store.transaction(async (tx) => {
        await tx.addMember('g1', 'bob');
        expect(await tx.canSee('bob', 'news')).toBe(true);
        await tx.setStreamGroups('news', ['g1']);
        expect((await tx.streamByName('news'))?.groups).toEqual(['g1']);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await store.canSee('bob', 'news')).toBe(false);
    expect(await store.canSee('cid', 'news')).toBe(true);
    expect((await store.streamByName('news'))?.groups).toEqual(['g1', 'g2']);
    await store.close();
  });

  it('rejects a taken username with StoreConflictError', async () => {
    const { store } = fresh();
    await store.insertUser(user('ann'));
    await expect(store.insertUser({ ...user('ann'), id: 'other' })).rejects.toBeInstanceOf(StoreConflictError);
    await store.close();
  });

  it('rolls a failed transaction back entirely, outcome ids included', async () => {
    const { store } = fresh();
    await store.insertUser(user('ann'));
    await expect(
      store.transaction(async (tx) => {
        await tx.outcomes.appendOutcome('ann', { a: 1 });
        await tx.replies.saveReply('ann', 't1', { ok: true });
        throw new Error('handler crashed');
      }),
    ).rejects.toThrow('handler crashed');
    expect(await store.outcomes.outcomeBounds('ann')).toEqual({ first: 0, last: 0 });
    expect(await store.replies.findReply('ann', 't1')).toBeUndefined();
    const ids = await store.transaction(async (tx) => [await tx.outcomes.appendOutcome('ann', 1), await tx.outcomes.appendOutcome('ann', 2)]);
    expect(ids).toEqual([1, 2]);
    expect(await store.outcomes.outcomesAfter('ann', 0, 10)).toEqual([
      { id: 1, body: 1 },
      { id: 2, body: 2 },
    ]);
    await store.close();
  });

  it('numbers outcomes per user without gaps and prunes below the retention window', async () => {
    const { store } = fresh();
    for (let i = 0; i < 5; i++) await store.outcomes.appendOutcome('ann', { i });
    await store.outcomes.appendOutcome('bob', { i: 0 });
    await store.outcomes.pruneOutcomes('ann', 3);
    expect(await store.outcomes.outcomeBounds('ann')).toEqual({ first: 3, last: 5 });
    expect((await store.outcomes.outcomesAfter('ann', 3, 10)).map((o) => o.id)).toEqual([4, 5]);
    expect(await store.outcomes.appendOutcome('ann', { i: 5 })).toBe(6);
    expect(await store.outcomes.outcomeBounds('bob')).toEqual({ first: 1, last: 1 });
    await store.close();
  });

  it('stores a fan-out body once and deletes it only when the last recipient’s entry is pruned', async () => {
    const { store, file } = fresh();
    await store.outcomes.appendOutcomes(['ann', 'bob'], { shared: true });
    await store.outcomes.appendOutcome('ann', { own: 1 });
    const bodies = () => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare('SELECT body FROM outcome_bodies ORDER BY id').all() as { body: string }[]).map((r) => JSON.parse(r.body) as unknown);
      } finally {
        db.close();
      }
    };
    expect(bodies()).toEqual([{ shared: true }, { own: 1 }]);
    await store.outcomes.pruneOutcomes('ann', 2);
    expect(bodies()).toEqual([{ shared: true }, { own: 1 }]);
    expect(await store.outcomes.outcomesAfter('bob', 0, 10)).toEqual([{ id: 1, body: { shared: true } }]);
    await store.outcomes.pruneOutcomes('bob', 2);
    expect(bodies()).toEqual([{ own: 1 }]);
    expect(await store.outcomes.outcomesAfter('ann', 0, 10)).toEqual([{ id: 2, body: { own: 1 } }]);
    await store.close();
  });

  it('keeps the outcomes of a file written before bodies were shared (migration 2)', async () => {
    const { file, old } = fileAtVersion(1);
    old.prepare('INSERT INTO outcome_counters (user_id, last_id) VALUES (?, ?)').run('ann', 2);
    old.prepare('INSERT INTO outcomes (user_id, id, body) VALUES (?, ?, ?)').run('ann', 1, JSON.stringify({ n: 1 }));
    old.prepare('INSERT INTO outcomes (user_id, id, body) VALUES (?, ?, ?)').run('ann', 2, JSON.stringify({ n: 2 }));
    old.close();
    const store = new SqliteStore({ file });
    expect(await store.outcomes.outcomesAfter('ann', 0, 10)).toEqual([
      { id: 1, body: { n: 1 } },
      { id: 2, body: { n: 2 } },
    ]);
    expect(await store.outcomes.appendOutcomes(['bob', 'ann'], { n: 3 })).toEqual([1, 3]);
    expect(await store.outcomes.outcomesAfter('ann', 2, 10)).toEqual([{ id: 3, body: { n: 3 } }]);
    await store.close();
  });

  it('does not let a read outside a transaction see its uncommitted rows', async () => {
    const { store } = fresh();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = store.transaction(async (t) => {
      await t.outcomes.appendOutcome('ann', 'x');
      await gate;
      throw new Error('rolled back');
    });
    const read = store.outcomes.outcomeBounds('ann');
    release();
    await expect(tx).rejects.toThrow('rolled back');
    expect(await read).toEqual({ first: 0, last: 0 });
    await store.close();
  });

  it('groups queued transactions into one commit and settles each only after it', async () => {
    const { store } = fresh();
    await store.insertUser(user('ann'));
    const events: string[] = [];
    const works = [1, 2, 3].map((n) => {
      const handle = store.startTransaction(async (tx) => {
        events.push(`work ${n}`);
        return tx.outcomes.appendOutcome('ann', { n });
      });
      void handle.ordered.then(() => events.push(`ordered ${n}`));
      return handle.committed.then((id) => {
        events.push(`done ${n}`);
        return id;
      });
    });
    expect(await Promise.all(works)).toEqual([1, 2, 3]);
    // One batch: every work ran, in order, and was ordered (each once its work returned) before the first settled.
    expect(events.filter((e) => e.startsWith('work'))).toEqual(['work 1', 'work 2', 'work 3']);
    for (const n of [1, 2, 3]) expect(events.indexOf(`ordered ${n}`)).toBeGreaterThan(events.indexOf(`work ${n}`));
    expect(events.slice(6)).toEqual(['done 1', 'done 2', 'done 3']);
    await store.close();
  });

  it('settles a transaction only once its commit is synced, and gathers what arrives meanwhile into the next commit', async () => {
    const syncs = heldSyncs();
    const { store } = fresh({ syncWal: syncs.syncWal });
    await vi.waitFor(() => expect(syncs.count).toBe(0));
    const settled: string[] = [];
    const send = (name: string) =>
      store.transaction((tx) => tx.outcomes.appendOutcome('ann', { name })).then((id) => settled.push(`${name} ${id}`));
    const first = send('first');
    await vi.waitFor(() => expect(syncs.count).toBe(1));
    // Committed but not yet durable: not settled. Work from other connections, in later turns, joins one batch.
    const later = [];
    for (const name of ['a', 'b', 'c']) {
      later.push(send(name));
      await nextTurn();
    }
    expect(settled).toEqual([]);
    expect(store.commitStats).toEqual({ commits: 1, transactions: 1 });
    syncs.release();
    await first;
    await vi.waitFor(() => expect(syncs.count).toBe(1));
    expect(store.commitStats).toEqual({ commits: 2, transactions: 4 });
    expect(settled).toEqual(['first 1']);
    syncs.release();
    await Promise.all(later);
    expect(settled).toEqual(['first 1', 'a 2', 'b 3', 'c 4']);
    await store.close();
  });

  it('lets a read outside a transaction see a commit only once it is durable', async () => {
    const syncs = heldSyncs();
    const { store } = fresh({ syncWal: syncs.syncWal });
    const write = store.transaction((tx) => tx.outcomes.appendOutcome('ann', 'x'));
    await vi.waitFor(() => expect(syncs.count).toBe(1));
    let read: unknown;
    const reading = store.outcomes.outcomeBounds('ann').then((bounds) => (read = bounds));
    await nextTurn();
    expect(read).toBeUndefined();
    syncs.release();
    await write;
    await reading;
    expect(read).toEqual({ first: 1, last: 1 });
    await store.close();
  });

  it('refuses all further work once a sync failed, without reporting the unsynced commit done', async () => {
    let fail = false;
    const { store } = fresh({ syncWal: async () => {
      if (fail) throw new Error('EIO');
    } });
    await store.insertUser(user('ann'));
    fail = true;
    await expect(store.transaction((tx) => tx.outcomes.appendOutcome('ann', 'x'))).rejects.toThrow('EIO');
    await expect(store.transaction((tx) => tx.outcomes.appendOutcome('ann', 'y'))).rejects.toThrow('could not be synced');
    await expect(store.userById('ann')).rejects.toThrow('could not be synced');
  });

  it('undoes the writes of a failing transaction in a batch and keeps the others exactly once', async () => {
    const { store } = fresh();
    await store.insertUser(user('ann'));
    let firstRuns = 0;
    const first = store.transaction(async (tx) => {
      firstRuns++;
      await tx.replies.saveReply('ann', 't1', { n: 1 });
      return tx.outcomes.appendOutcome('ann', { n: 1 });
    });
    const failing = store.transaction(async (tx) => {
      await tx.outcomes.appendOutcome('ann', { n: 'lost' });
      await tx.replies.saveReply('ann', 't2', { n: 2 });
      throw new Error('handler refused');
    });
    const third = store.transaction(async (tx) => tx.outcomes.appendOutcome('ann', { n: 3 }));
    await expect(failing).rejects.toThrow('handler refused');
    expect(await first).toBe(1);
    expect(await third).toBe(2);
    // The batch was rolled back and the first transaction run again: its writes are there once.
    expect(firstRuns).toBe(2);
    expect(await store.replies.findReply('ann', 't1')).toEqual({ n: 1 });
    expect(await store.replies.findReply('ann', 't2')).toBeUndefined();
    expect(await store.outcomes.outcomesAfter('ann', 0, 10)).toEqual([
      { id: 1, body: { n: 1 } },
      { id: 2, body: { n: 3 } },
    ]);
    await store.close();
  });

  it('does not re-run the batch when a failing transaction wrote nothing', async () => {
    const { store } = fresh();
    let firstRuns = 0;
    const first = store.transaction(async (tx) => {
      firstRuns++;
      return tx.outcomes.appendOutcome('ann', { n: 1 });
    });
    const refused = store.transaction(async (tx) => {
      await tx.userById('nobody');
      throw new Error('not allowed');
    });
    await expect(refused).rejects.toThrow('not allowed');
    expect(await first).toBe(1);
    expect(firstRuns).toBe(1);
    await store.close();
  });

  it('continues outcome ids after reopening and after pruning every entry', async () => {
    const { store, file } = fresh();
    expect(await store.outcomes.appendOutcomes(['ann', 'bob'], { n: 1 })).toEqual([1, 1]);
    expect(await store.outcomes.appendOutcome('ann', { n: 2 })).toBe(2);
    await store.outcomes.pruneOutcomes('ann', 10);
    expect(await store.outcomes.outcomeBounds('ann')).toEqual({ first: 0, last: 2 });
    await store.close();
    const reopened = new SqliteStore({ file });
    expect(await reopened.outcomes.outcomeBounds('ann')).toEqual({ first: 0, last: 2 });
    expect(await reopened.outcomes.appendOutcomes(['ann', 'bob'], { n: 3 })).toEqual([3, 2]);
    expect(await reopened.outcomes.outcomesAfter('bob', 0, 10)).toEqual([
      { id: 1, body: { n: 1 } },
      { id: 2, body: { n: 3 } },
    ]);
    await reopened.close();
  });

  it('reads the same log before and after its fan-outs are compacted, and after reopening with some pending', async () => {
    // Compacted only when asked: the background compaction runs whenever the event loop turns (during a sync).
    const { store, file } = fresh({ compactAfterFanouts: Infinity });
    const users = ['ann', 'bob', 'cid'];
    for (let n = 1; n <= 100; n++) {
      await store.outcomes.appendOutcomes(n % 10 === 0 ? ['ann'] : users, { n });
      if (n === 64) await store.compactOutcomes();
    }
    // Entries 1..64 are in the per-user table, 65..100 still in their fan-out rows.
    const expected = async () => ({
      ann: await store.outcomes.outcomesAfter('ann', 0, 1000),
      bob: await store.outcomes.outcomesAfter('bob', 85, 5),
      bounds: await store.outcomes.outcomeBounds('cid'),
      users: (await store.outcomes.usersWithOutcomes()).sort(),
    });
    const before = await expected();
    expect(before.ann.map((o) => o.id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(before.bob.map((o) => o.body)).toEqual([{ n: 95 }, { n: 96 }, { n: 97 }, { n: 98 }, { n: 99 }]);
    expect(before.bounds).toEqual({ first: 1, last: 90 });
    expect(before.users).toEqual(users);
    await store.close();
    const db = new Database(file, { readonly: true });
    const rows = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    expect(rows('outcomes')).toBe(64 + 58 * 2);
    expect(rows('outcome_fanouts')).toBe(36);
    db.close();
    const reopened = new SqliteStore({ file });
    const after = {
      ann: await reopened.outcomes.outcomesAfter('ann', 0, 1000),
      bob: await reopened.outcomes.outcomesAfter('bob', 85, 5),
      bounds: await reopened.outcomes.outcomeBounds('cid'),
      users: (await reopened.outcomes.usersWithOutcomes()).sort(),
    };
    expect(after).toEqual(before);
    expect(await reopened.outcomes.appendOutcomes(['cid', 'ann'], { n: 101 })).toEqual([91, 101]);
    await reopened.outcomes.pruneOutcomes('ann', 100);
    expect(await reopened.outcomes.outcomesAfter('ann', 0, 10)).toEqual([
      { id: 100, body: { n: 100 } },
      { id: 101, body: { n: 101 } },
    ]);
    await reopened.close();
  });

  it('reads fan-out rows written with JSON entries (before they were packed) and compacts them', async () => {
    const { store, file } = fresh({ compactAfterFanouts: Infinity });
    await store.outcomes.appendOutcomes(['ann', 'bob'], { n: 1 });
    await store.outcomes.appendOutcomes(['bob'], { n: 2 });
    await store.close();
    // The file as the earlier format left it: entries as JSON [[userId, id], ...], pending users not numbered.
    const db = new Database(file);
    const seqs = db.prepare('SELECT seq FROM outcome_fanouts ORDER BY seq').pluck().all() as number[];
    expect(seqs).toHaveLength(2);
    db.prepare('UPDATE outcome_fanouts SET entries = ? WHERE seq = ?').run(JSON.stringify([['ann', 1], ['bob', 1]]), seqs[0]);
    db.prepare('UPDATE outcome_fanouts SET entries = ? WHERE seq = ?').run(JSON.stringify([['bob', 2]]), seqs[1]);
    db.prepare('DELETE FROM outcome_users').run();
    db.close();
    const reopened = new SqliteStore({ file, compactAfterFanouts: Infinity });
    const ids = async (user: string) => (await reopened.outcomes.outcomesAfter(user, 0, 100)).map((o) => [o.id, o.body]);
    expect(await ids('ann')).toEqual([[1, { n: 1 }]]);
    expect(await ids('bob')).toEqual([[1, { n: 1 }], [2, { n: 2 }]]);
    expect(await reopened.outcomes.appendOutcomes(['bob', 'ann'], { n: 3 })).toEqual([3, 2]);
    expect(await reopened.compactOutcomes()).toBe(false);
    expect(await ids('bob')).toEqual([[1, { n: 1 }], [2, { n: 2 }], [3, { n: 3 }]]);
    await reopened.close();
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT COUNT(*) AS n FROM outcome_fanouts').get()).toEqual({ n: 0 });
    check.close();
  });

  it('compacts a user at a time, and a reopened store neither loses nor brings back moved or pruned entries', async () => {
    const { store, file } = fresh({ compactAfterFanouts: Infinity });
    for (let n = 1; n <= 10; n++) await store.outcomes.appendOutcomes(['ann', 'bob', 'cid'], { n });
    // ann is moved first (numbered first), bob and cid stay pending: the fan-out rows must stay.
    expect(await store.compactOutcomes(10)).toBe(true);
    expect(store.outcomeBacklog).toBe(10);
    await store.outcomes.pruneOutcomes('ann', 5);
    await store.close();
    const reopened = new SqliteStore({ file });
    const ids = async (user: string) => (await reopened.outcomes.outcomesAfter(user, 0, 100)).map((o) => o.id);
    expect(await ids('ann')).toEqual([5, 6, 7, 8, 9, 10]);
    expect(await ids('bob')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await reopened.outcomes.outcomeBounds('ann')).toEqual({ first: 5, last: 10 });
    expect(await reopened.outcomes.appendOutcomes(['ann', 'cid'], { n: 11 })).toEqual([11, 11]);
    expect(await reopened.compactOutcomes()).toBe(false);
    expect(reopened.outcomeBacklog).toBe(0);
    expect(await ids('ann')).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(await ids('cid')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    await reopened.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM outcome_fanouts').get()).toEqual({ n: 0 });
    db.close();
  });

  it('compacts the outcome fan-outs by itself once 32 are written', async () => {
    const { store } = fresh();
    for (let n = 1; n <= 31; n++) await store.outcomes.appendOutcomes(['ann', 'bob'], { n });
    expect(store.outcomeBacklog).toBe(31);
    await store.outcomes.appendOutcomes(['ann', 'bob'], { n: 32 });
    await vi.waitFor(() => expect(store.outcomeBacklog).toBe(0));
    expect((await store.outcomes.outcomesAfter('bob', 30, 10)).map((o) => o.id)).toEqual([31, 32]);
    await store.close();
  });

  it('answers stream audiences from memory, forgetting them on every membership change and rollback', async () => {
    const { store } = fresh();
    for (const id of ['ann', 'bob', 'cid']) await store.insertUser(user(id));
    await store.insertGroup({ id: 'g1', name: 'G1', description: '', ownerId: 'ann', createdAt: 1 });
    await store.addMember('g1', 'ann');
    await store.insertStream({ name: 'news', description: '', creatorId: 'ann', createdAt: 1, groups: ['g1'] });
    expect(await store.streamAudience('news')).toEqual(['ann']);
    await store.addMember('g1', 'bob');
    expect(await store.streamAudience('news')).toEqual(['ann', 'bob']);
    await expect(
      store.transaction(async (tx) => {
        await tx.addMember('g1', 'cid');
        expect(await tx.streamAudience('news')).toEqual(['ann', 'bob', 'cid']);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await store.streamAudience('news')).toEqual(['ann', 'bob']);
    await store.setStreamGroups('news', []);
    expect(await store.streamAudience('news')).toEqual([]);
    await store.close();
  });

  it('refuses a second store on the same file: outcome ids live in one process', async () => {
    const { store, file } = fresh();
    expect(() => new SqliteStore({ file })).toThrow(/in use by another hub/);
    await store.close();
    const next = new SqliteStore({ file });
    await next.close();
  });

  it('keeps the replies of a file written before migration 10 (appended replies) and numbers their users apart', async () => {
    const { file, old } = fileAtVersion(9);
    old.prepare('INSERT INTO outcome_users (no, user_id) VALUES (?, ?)').run(1, 'ann');
    old.prepare('INSERT INTO outcome_bodies (id, body, refs) VALUES (?, ?, ?)').run(1, JSON.stringify({ n: 1 }), 1);
    old.prepare('INSERT INTO outcomes (user_no, id, body_id) VALUES (?, ?, ?)').run(1, 1, 1);
    const reply = old.prepare('INSERT INTO replies (user_id, trace_id, reply) VALUES (?, ?, ?)');
    reply.run('bob', 't1', JSON.stringify({ ok: true, n: 'bob-1' }));
    reply.run('ann', 't1', JSON.stringify({ ok: true, n: 'ann-1' }));
    reply.run('bob', 't2', JSON.stringify({ ok: false }));
    old.close();

    const store = new SqliteStore({ file });
    expect(await store.replies.findReply('ann', 't1')).toEqual({ ok: true, n: 'ann-1' });
    expect(await store.replies.findReply('bob', 't1')).toEqual({ ok: true, n: 'bob-1' });
    expect(await store.replies.findReply('bob', 't2')).toEqual({ ok: false });
    expect(await store.replies.findReply('bob', 't3')).toBeUndefined();
    expect(await store.replies.findReply('carl', 't1')).toBeUndefined();
    // bob was numbered by the migration (he had replies, no outcomes): his log starts at 1, ann's continues.
    expect(await store.outcomes.appendOutcomes(['ann', 'bob'], { n: 2 })).toEqual([2, 1]);
    expect((await store.outcomes.outcomesAfter('bob', 0, 10)).map((o) => o.body)).toEqual([{ n: 2 }]);
    await store.replies.saveReply('carl', 't1', { ok: true, n: 'carl-1' });
    await store.close();

    const reopened = new SqliteStore({ file });
    expect(await reopened.replies.findReply('carl', 't1')).toEqual({ ok: true, n: 'carl-1' });
    expect(await reopened.replies.findReply('ann', 't1')).toEqual({ ok: true, n: 'ann-1' });
    expect((await reopened.outcomes.outcomesAfter('ann', 0, 10)).map((o) => o.id)).toEqual([1, 2]);
    await reopened.close();
  });

  it('counts body references from a file written before migration 3 and prunes them correctly', async () => {
    const { file, old } = fileAtVersion(2);
    old.prepare('INSERT INTO outcome_bodies (id, body) VALUES (?, ?)').run(1, JSON.stringify({ shared: true }));
    old.prepare('INSERT INTO outcome_counters (user_id, last_id) VALUES (?, ?)').run('ann', 1);
    old.prepare('INSERT INTO outcome_counters (user_id, last_id) VALUES (?, ?)').run('bob', 1);
    old.prepare('INSERT INTO outcomes (user_id, id, body_id) VALUES (?, ?, ?)').run('ann', 1, 1);
    old.prepare('INSERT INTO outcomes (user_id, id, body_id) VALUES (?, ?, ?)').run('bob', 1, 1);
    old.close();
    const store = new SqliteStore({ file });
    expect(await store.outcomes.appendOutcomes(['ann', 'bob'], { n: 2 })).toEqual([2, 2]);
    const bodies = () => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare('SELECT id, refs FROM outcome_bodies ORDER BY id').all();
      } finally {
        db.close();
      }
    };
    expect(bodies()).toEqual([
      { id: 1, refs: 2 },
      { id: 2, refs: 2 },
    ]);
    await store.outcomes.pruneOutcomes('ann', 2);
    expect(bodies()).toEqual([
      { id: 1, refs: 1 },
      { id: 2, refs: 2 },
    ]);
    await store.outcomes.pruneOutcomes('bob', 2);
    expect(bodies()).toEqual([{ id: 2, refs: 2 }]);
    await store.close();
  });
});

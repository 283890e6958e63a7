// The SQLite store: migrations on a fresh file, atomic transactions, gap-free outcome ids per user, stored replies.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/SqliteStore.js';
import { StoreConflictError } from '../src/store/Store.js';

const dirs: string[] = [];
function fresh(): { store: SqliteStore; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stage-store-'));
  dirs.push(dir);
  const file = join(dir, 'stage.db');
  return { store: new SqliteStore({ file }), file };
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const user = (id: string) => ({ id, username: id, passwordHash: 'x', createdAt: 1 });

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
        await tx.appendOutcome('ann', { a: 1 });
        await tx.saveReply('ann', 't1', { ok: true });
        throw new Error('handler crashed');
      }),
    ).rejects.toThrow('handler crashed');
    expect(await store.outcomeBounds('ann')).toEqual({ first: 0, last: 0 });
    expect(await store.findReply('ann', 't1')).toBeUndefined();
    const ids = await store.transaction(async (tx) => [await tx.appendOutcome('ann', 1), await tx.appendOutcome('ann', 2)]);
    expect(ids).toEqual([1, 2]);
    await store.close();
  });

  it('numbers outcomes per user without gaps and prunes below the retention window', async () => {
    const { store } = fresh();
    for (let i = 0; i < 5; i++) await store.appendOutcome('ann', { i });
    await store.appendOutcome('bob', { i: 0 });
    await store.pruneOutcomes('ann', 3);
    expect(await store.outcomeBounds('ann')).toEqual({ first: 3, last: 5 });
    expect((await store.outcomesAfter('ann', 3, 10)).map((o) => o.id)).toEqual([4, 5]);
    expect(await store.appendOutcome('ann', { i: 5 })).toBe(6);
    expect(await store.outcomeBounds('bob')).toEqual({ first: 1, last: 1 });
    await store.close();
  });

  it('does not let a read outside a transaction see its uncommitted rows', async () => {
    const { store } = fresh();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = store.transaction(async (t) => {
      await t.appendOutcome('ann', 'x');
      await gate;
      throw new Error('rolled back');
    });
    const read = store.outcomeBounds('ann');
    release();
    await expect(tx).rejects.toThrow('rolled back');
    expect(await read).toEqual({ first: 0, last: 0 });
    await store.close();
  });
});

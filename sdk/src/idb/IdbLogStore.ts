// A sealed log in IndexedDB (browser). Entries arrive already sealed (sealing is synchronous and
// happens before any transaction opens), each append is ONE readwrite transaction with relaxed
// durability holding the whole batch (guarded against overwriting another tab's entries), and
// recall reads pages with getAll over a key range.
// Records are keyed [logId, seq]; several logs (sessions) share one database. A kept checkpoint is the record
// [logId, -1] (its `body` the checkpoint): below every entry's key, so entry ranges never see it, and written in
// the same transaction that deletes the entries before it (compaction is atomic, no schema change).
import { ChainError } from '../seal/ChainError.js';
import { LogStoreError } from '../seal/LogStoreError.js';
import { assertAppendable } from '../seal/assertAppendable.js';
import { assertCompactable } from '../seal/assertCompactable.js';
import type { SealedCheckpoint } from '../seal/SealedCheckpoint.js';
import type { SealedEntry } from '../seal/SealedEntry.js';
import { MAX_SEQ } from '../seal/SealedEntry.js';
import type { SealedLogStore } from '../seal/SealedLogStore.js';
import { unwrap } from 'idb';
import { openStageDb, type StageDb } from './openStageDb.js';
import { transactionDone } from './transactionDone.js';

export interface IdbLogStoreConfig {
  /** Which log in the database: usually the session id. */
  readonly logId: string;
  /** Default 'stage'. */
  readonly dbName?: string;
  /** Transaction durability; default 'relaxed' (committed to the OS, not flushed to disk: survives a tab crash or reload). */
  readonly durability?: 'relaxed' | 'strict' | 'default';
  /** Called when the store was closed under it (another tab upgraded the database). */
  readonly onClose?: (reason: 'versionchange' | 'terminated') => void;
}

export class IdbLogStore<B = unknown> implements SealedLogStore<B> {
  readonly logId: string;
  readonly #db: StageDb;
  readonly #durability: 'relaxed' | 'strict' | 'default';
  #length: number;
  #last: SealedEntry<B> | undefined;
  #checkpoint: SealedCheckpoint | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed: 'closed' | 'versionchange' | 'terminated' | undefined;

  static async open<B = unknown>(config: IdbLogStoreConfig): Promise<IdbLogStore<B>> {
    if (typeof config.logId !== 'string' || config.logId.length === 0) throw new TypeError('IdbLogStore: logId must be a non-empty string');
    // eslint-disable-next-line prefer-const -- read by a callback that can run before the assignment; const would throw there
    let store: IdbLogStore<B> | undefined;
    const db = await openStageDb({
      dbName: config.dbName,
      onClose: (reason) => {
        if (store !== undefined) store.#closedUnder(reason);
        config.onClose?.(reason);
      },
    });
    const cursor = await db.transaction('sealedLog').store.openCursor(IDBKeyRange.bound([config.logId, 0], [config.logId, MAX_SEQ]), 'prev');
    const last = cursor === null ? undefined : toEntry<B>(cursor.value);
    const kept = await db.get('sealedLog', [config.logId, CHECKPOINT_KEY]);
    store = new IdbLogStore<B>(config, db, last, kept === undefined ? undefined : (kept.body as SealedCheckpoint));
    return store;
  }

  private constructor(config: IdbLogStoreConfig, db: StageDb, last: SealedEntry<B> | undefined, checkpoint: SealedCheckpoint | undefined) {
    this.logId = config.logId;
    this.#db = db;
    this.#durability = config.durability ?? 'relaxed';
    this.#last = last;
    this.#checkpoint = checkpoint;
    this.#length = last !== undefined ? last.seq + 1 : (checkpoint?.seq ?? 0);
  }

  append(entries: readonly SealedEntry<B>[]): Promise<void> {
    // Serialized so that a refused batch can never be followed by a stored later one (a hole).
    return this.#serially(async () => {
      assertAppendable(this.#length, entries, `IdbLogStore ${this.logId}`);
      if (entries.length === 0) return;
      // The native API here: idb wraps every request in a promise, which costs more than the put.
      // `put` is faster than `add`; one getKey first guards the whole batch instead: if any of
      // its seqs already exists (another tab or store on this log), the transaction is aborted
      // before it commits, so nothing is overwritten and nothing of the batch is written.
      const tx = unwrap(this.#db).transaction('sealedLog', 'readwrite', { durability: this.#durability });
      const done = transactionDone(tx);
      const store = tx.objectStore('sealedLog');
      const first = entries[0]!.seq;
      let collided = false;
      const guard = store.getKey(IDBKeyRange.bound([this.logId, first], [this.logId, MAX_SEQ]));
      guard.onsuccess = () => {
        if (guard.result === undefined) return;
        collided = true;
        tx.abort();
      };
      for (const entry of entries) store.put({ log: this.logId, seq: entry.seq, seal: entry.seal, body: entry.body });
      try {
        await done;
      } catch (error) {
        if (!collided) throw error;
        throw new ChainError(
          'fork',
          `IdbLogStore ${this.logId}: seq ${first} or later was already written, by another tab or store on the same log; nothing of this batch was written; reopen the log`,
          { seq: first, cause: error },
        );
      }
      this.#length += entries.length;
      this.#last = entries[entries.length - 1];
    });
  }

  read(fromSeq: number, limit: number): Promise<SealedEntry<B>[]> {
    return this.#serially(async () => {
      const from = Math.max(this.#checkpoint?.seq ?? 0, fromSeq);
      const count = Math.min(Math.max(0, limit), this.#length - from);
      if (count <= 0) return [];
      const records = await this.#db.getAll('sealedLog', IDBKeyRange.bound([this.logId, from], [this.logId, from + count - 1]), count);
      return records.map((r) => toEntry<B>(r));
    });
  }

  async checkpoint(): Promise<SealedCheckpoint | undefined> {
    this.#assertOpen();
    return this.#checkpoint;
  }

  /** One readwrite transaction: the checkpoint record put and the entries before it deleted, or neither. */
  compact(checkpoint: SealedCheckpoint): Promise<void> {
    return this.#serially(async () => {
      assertCompactable(this.#length, this.#checkpoint, checkpoint, `IdbLogStore ${this.logId}`);
      const tx = unwrap(this.#db).transaction('sealedLog', 'readwrite', { durability: this.#durability });
      const done = transactionDone(tx);
      const store = tx.objectStore('sealedLog');
      store.put({ log: this.logId, seq: CHECKPOINT_KEY, seal: checkpoint.seal, body: checkpoint });
      store.delete(IDBKeyRange.bound([this.logId, 0], [this.logId, checkpoint.seq - 1]));
      await done;
      this.#checkpoint = checkpoint;
      if (this.#last !== undefined && this.#last.seq < checkpoint.seq) this.#last = undefined;
    });
  }

  async length(): Promise<number> {
    this.#assertOpen();
    return this.#length;
  }

  async last(): Promise<SealedEntry<B> | undefined> {
    this.#assertOpen();
    return this.#last;
  }

  async close(): Promise<void> {
    if (this.#closed !== undefined) return;
    this.#closed = 'closed';
    await this.#queue.catch(() => undefined);
    this.#db.close();
  }

  /** Deletes this log's entries and checkpoint (e.g. when the session is over). */
  clear(): Promise<void> {
    return this.#serially(async () => {
      await this.#db.delete('sealedLog', IDBKeyRange.bound([this.logId, CHECKPOINT_KEY], [this.logId, MAX_SEQ]));
      this.#length = 0;
      this.#last = undefined;
      this.#checkpoint = undefined;
    });
  }

  #closedUnder(reason: 'versionchange' | 'terminated'): void {
    this.#closed ??= reason;
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    try {
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #assertOpen(): void {
    if (this.#closed === undefined) return;
    throw new LogStoreError(
      'closed',
      this.#closed === 'closed'
        ? `IdbLogStore ${this.logId} is closed; open it again with IdbLogStore.open`
        : `IdbLogStore ${this.logId} was closed because ${this.#closed === 'versionchange' ? 'another tab upgraded the database' : 'the browser closed the database'}; reload the page`,
    );
  }
}

/** The seq under which a log's checkpoint is kept: below every entry. */
const CHECKPOINT_KEY = -1;

function toEntry<B>(record: { seq: number; seal: string; body: unknown }): SealedEntry<B> {
  return { seq: record.seq, body: record.body as B, seal: record.seal };
}

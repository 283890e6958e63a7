// A MailboxBacking in IndexedDB (browser), so an outbox survives a page reload. Puts and deletes
// issued in the same tick go into one readwrite transaction, in call order; IndexedDB runs
// readwrite transactions on the same store in creation order, so a put is never reordered with
// a later delete of the same id.
import type { MailboxBacking, MailboxEntry } from '../mailbox/MailboxBacking.js';
import { LogStoreError } from '../seal/LogStoreError.js';
import { MAX_SEQ } from '../seal/SealedEntry.js';
import { openStageDb, type StageDb } from './openStageDb.js';

export interface IdbMailboxBackingConfig {
  /** Which mailbox in the database, e.g. 'outbox'. */
  readonly mailbox: string;
  /** Default 'stage'. */
  readonly dbName?: string;
  /** Default 'relaxed': survives a reload or tab crash; 'strict' also an OS crash, slower. */
  readonly durability?: 'relaxed' | 'strict' | 'default';
  readonly onClose?: (reason: 'versionchange' | 'terminated') => void;
}

type Op<T> = { readonly put: MailboxEntry<T> } | { readonly delete: number };

interface Batch<T> {
  readonly ops: Op<T>[];
  readonly done: Promise<void>;
}

export class IdbMailboxBacking<T> implements MailboxBacking<T> {
  readonly mailbox: string;
  readonly #db: StageDb;
  readonly #durability: 'relaxed' | 'strict' | 'default';
  #batch: Batch<T> | undefined;
  #closed: 'closed' | 'versionchange' | 'terminated' | undefined;

  static async open<T>(config: IdbMailboxBackingConfig): Promise<IdbMailboxBacking<T>> {
    if (typeof config.mailbox !== 'string' || config.mailbox.length === 0) throw new TypeError('IdbMailboxBacking: mailbox must be a non-empty string');
    // eslint-disable-next-line prefer-const -- read by a callback that can run before the assignment; const would throw there
    let backing: IdbMailboxBacking<T> | undefined;
    const db = await openStageDb({
      dbName: config.dbName,
      onClose: (reason) => {
        if (backing !== undefined) backing.#closed ??= reason;
        config.onClose?.(reason);
      },
    });
    backing = new IdbMailboxBacking<T>(config, db);
    return backing;
  }

  private constructor(config: IdbMailboxBackingConfig, db: StageDb) {
    this.mailbox = config.mailbox;
    this.#db = db;
    this.#durability = config.durability ?? 'relaxed';
  }

  async load(): Promise<Array<MailboxEntry<T>>> {
    this.#assertOpen();
    const records = await this.#db.getAll('mailbox', this.#range());
    return records.map((r) => ({ id: r.id, value: r.value as T, deliveries: r.deliveries }));
  }

  put(entry: MailboxEntry<T>): Promise<void> {
    return this.#enqueue({ put: { id: entry.id, value: entry.value, deliveries: entry.deliveries } });
  }

  delete(id: number): Promise<void> {
    return this.#enqueue({ delete: id });
  }

  /** Removes every message of this mailbox. */
  async clear(): Promise<void> {
    this.#assertOpen();
    await this.#db.delete('mailbox', this.#range());
  }

  close(): void {
    if (this.#closed !== undefined) return;
    this.#closed = 'closed';
    this.#db.close();
  }

  #range(): IDBKeyRange {
    return IDBKeyRange.bound([this.mailbox, -MAX_SEQ], [this.mailbox, MAX_SEQ]);
  }

  #enqueue(op: Op<T>): Promise<void> {
    try {
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#batch === undefined) {
      const ops: Op<T>[] = [];
      // The transaction opens in a microtask, so every op issued in this tick joins it.
      const done = Promise.resolve().then(() => {
        this.#batch = undefined;
        return this.#commit(ops);
      });
      this.#batch = { ops, done };
    }
    this.#batch.ops.push(op);
    return this.#batch.done;
  }

  async #commit(ops: readonly Op<T>[]): Promise<void> {
    this.#assertOpen();
    const tx = this.#db.transaction('mailbox', 'readwrite', { durability: this.#durability });
    for (const op of ops) {
      const request = 'put' in op ? tx.store.put({ mailbox: this.mailbox, id: op.put.id, deliveries: op.put.deliveries, value: op.put.value }) : tx.store.delete([this.mailbox, op.delete]);
      void request.catch(() => undefined);
    }
    await tx.done;
  }

  #assertOpen(): void {
    if (this.#closed === undefined) return;
    throw new LogStoreError(
      'closed',
      this.#closed === 'closed'
        ? `IdbMailboxBacking ${this.mailbox} is closed; open it again`
        : `IdbMailboxBacking ${this.mailbox} was closed because ${this.#closed === 'versionchange' ? 'another tab upgraded the database' : 'the browser closed the database'}; reload the page`,
    );
  }
}

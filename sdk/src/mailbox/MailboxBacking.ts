// The persistence hook of a mailbox. The mailbox keeps its queue in memory and writes through to a
// backing so a reload or restart loses nothing that was sent and not yet acked. Implementations:
// MemoryMailboxBacking (core, for tests), IndexedDB (@stage/sdk/idb) and file (@stage/sdk/node).

/** One message as the backing stores it. `id` is unique per mailbox and increases in send order. */
export interface MailboxEntry<T> {
  readonly id: number;
  readonly value: T;
  /** How many times it has been handed to a consumer and given back (0 = never delivered). */
  readonly deliveries: number;
}

/**
 * A store for the unacked messages of ONE mailbox.
 *
 * Contract the mailbox relies on:
 * - `put` inserts or replaces the entry with that `id`; the mailbox resolves `send` only after
 *   `put` resolved, and delivers the message only after that, so a `delete` for an id is never
 *   issued before its first `put` resolved. `put` is called again with a higher `deliveries` when
 *   a consumer gives a lease back.
 * - `delete` is called once the message is acked; deleting a missing id is not an error.
 * - `load` returns every entry put and not deleted, in any order (the mailbox sorts by id).
 * - Calls may overlap (several puts in flight); a backing must not reorder a put and a later
 *   delete of the same id.
 * Values must survive whatever encoding the backing uses (structured clone for IndexedDB, JSON
 * for files); the memory backing keeps references.
 */
export interface MailboxBacking<T> {
  load(): Promise<Array<MailboxEntry<T>>>;
  put(entry: MailboxEntry<T>): Promise<void>;
  delete(id: number): Promise<void>;
}

// A MailboxBacking in memory: survives nothing, but lets a test model a restart (open a second
// mailbox over the same backing) and check what a persistent backing would be asked to do.
import type { MailboxBacking, MailboxEntry } from './MailboxBacking.js';

export class MemoryMailboxBacking<T> implements MailboxBacking<T> {
  readonly entries = new Map<number, MailboxEntry<T>>();

  async load(): Promise<Array<MailboxEntry<T>>> {
    return [...this.entries.values()].map((e) => ({ ...e }));
  }

  async put(entry: MailboxEntry<T>): Promise<void> {
    this.entries.set(entry.id, { id: entry.id, value: entry.value, deliveries: entry.deliveries });
  }

  async delete(id: number): Promise<void> {
    this.entries.delete(id);
  }
}

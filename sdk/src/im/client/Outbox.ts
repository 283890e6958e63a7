// The persistent outbox: the commands that change something, stored (ImClientStorage.outbox) until the hub answered
// them, so a command issued offline or before a crash is sent on reconnect, in order. A Mailbox over the storage:
// the send window leases the oldest command and acks it on its reply; a lease given back is sent again.
import { Mailbox } from '../../mailbox/Mailbox.js';
import type { MailboxBacking, MailboxEntry } from '../../mailbox/MailboxBacking.js';
import type { MailboxReceiver } from '../../mailbox/MailboxReceiver.js';
import type { ImClientStorage, OutboxItem } from './ImClientStorage.js';

export class Outbox {
  readonly #mailbox: Mailbox<OutboxItem>;
  /** Writes not yet settled (whenStored). */
  readonly #storing = new Set<Promise<void>>();

  /** Opens the outbox over `storage`, with the commands it held (oldest first): they are queued again. */
  static async open(storage: ImClientStorage, capacity: number, name: string): Promise<{ outbox: Outbox; recovered: Array<MailboxEntry<OutboxItem>> }> {
    let recovered: Array<MailboxEntry<OutboxItem>> = [];
    const backing: MailboxBacking<OutboxItem> = {
      load: async () => (recovered = await storage.outbox.load()),
      put: (entry) => storage.outbox.put(entry),
      delete: (id) => storage.outbox.delete(id),
    };
    const mailbox = await Mailbox.open<OutboxItem>({ backing, capacity, name });
    return { outbox: new Outbox(mailbox), recovered: [...recovered].sort((a, b) => a.id - b.id) };
  }

  private constructor(mailbox: Mailbox<OutboxItem>) {
    this.#mailbox = mailbox;
  }

  /** Queues a command; resolves once it is in storage (from then on no crash loses it), rejects if it never is. */
  store(item: OutboxItem): Promise<void> {
    const stored = this.#mailbox.send(item);
    this.#storing.add(stored);
    const settled = () => this.#storing.delete(stored);
    stored.then(settled, settled);
    return stored;
  }

  /** Resolves once every write started so far has settled. */
  async whenStored(): Promise<void> {
    await Promise.allSettled([...this.#storing]);
  }

  /** A receiver for one connection's send window (released when the connection ends or pauses). */
  receiver(): MailboxReceiver<OutboxItem> {
    return this.#mailbox.receiver();
  }

  /** Takes no more commands and finishes the writes under way. */
  async close(): Promise<void> {
    this.#mailbox.close();
    await this.#mailbox.flush().catch(() => undefined);
  }
}

// The contract of a persistent MailboxBacking (sdk/src/mailbox/MailboxBacking.ts), as a Vitest
// suite: run against IdbMailboxBacking (fake-indexeddb, Chromium) and FileMailboxBacking (Node).
import { describe, expect, it } from 'vitest';
import { Mailbox } from '../../mailbox/Mailbox.js';
import type { MailboxBacking, MailboxEntry } from '../../mailbox/MailboxBacking.js';

export interface Message {
  readonly text: string;
  readonly to: readonly string[];
  readonly meta: { readonly n: number; readonly urgent: boolean | null };
}

export interface BackingFactory {
  /** A new, empty storage; returns a function that opens a backing over it (call it again to "restart"). */
  fresh(): Promise<() => Promise<MailboxBacking<Message> & { close(): unknown }>>;
}

const message = (n: number): Message => ({ text: `message ${n} · ü 😀`, to: ['ann', 'bo'], meta: { n, urgent: n % 2 === 0 ? null : true } });
const byId = <T>(entries: Array<MailboxEntry<T>>) => [...entries].sort((a, b) => a.id - b.id);

export function describeMailboxBackingContract(name: string, factory: BackingFactory): void {
  describe(`${name} meets the MailboxBacking contract`, () => {
    it('loads nothing from fresh storage', async () => {
      const backing = await (await factory.fresh())();
      expect(await backing.load()).toEqual([]);
      await backing.close();
    });

    it('keeps puts, replaces by id, forgets deletes, and survives a restart', async () => {
      const open = await factory.fresh();
      const backing = await open();
      await backing.put({ id: 1, value: message(1), deliveries: 0 });
      await backing.put({ id: 2, value: message(2), deliveries: 0 });
      await backing.put({ id: 3, value: message(3), deliveries: 0 });
      await backing.put({ id: 2, value: message(2), deliveries: 1 });
      await backing.delete(1);
      await backing.delete(99);
      const expected = [
        { id: 2, value: message(2), deliveries: 1 },
        { id: 3, value: message(3), deliveries: 0 },
      ];
      expect(byId(await backing.load())).toEqual(expected);
      await backing.close();
      const restarted = await open();
      expect(byId(await restarted.load())).toEqual(expected);
      await restarted.close();
    });

    it('applies overlapping puts and deletes in call order', async () => {
      const open = await factory.fresh();
      const backing = await open();
      await Promise.all([
        backing.put({ id: 1, value: message(1), deliveries: 0 }),
        backing.delete(1),
        backing.put({ id: 2, value: message(2), deliveries: 0 }),
        backing.put({ id: 2, value: message(2), deliveries: 3 }),
        backing.put({ id: 3, value: message(3), deliveries: 0 }),
      ]);
      await backing.delete(3);
      expect(await backing.load()).toEqual([{ id: 2, value: message(2), deliveries: 3 }]);
      await backing.close();
      const restarted = await open();
      expect(await restarted.load()).toEqual([{ id: 2, value: message(2), deliveries: 3 }]);
      await restarted.close();
    });

    it('lets an outbox survive a restart: unacked messages come back in order, acked ones do not', async () => {
      const open = await factory.fresh();
      const backing = await open();
      const outbox = await Mailbox.open<Message>({ backing, name: 'outbox' });
      for (let n = 0; n < 6; n++) await outbox.send(message(n));
      const rx = outbox.receiver();
      (await rx.receive()).ack();
      (await rx.receive()).ack();
      await rx.receive(); // leased when the process died: not acked
      await outbox.flush();
      await backing.close();

      const again = await open();
      const recovered = await Mailbox.open<Message>({ backing: again, name: 'outbox' });
      const rx2 = recovered.receiver();
      const texts: string[] = [];
      for (let i = 0; i < 4; i++) {
        const lease = await rx2.receive();
        texts.push(lease.value.text);
        lease.ack();
      }
      expect(texts).toEqual([2, 3, 4, 5].map((n) => message(n).text));
      await recovered.flush();
      expect(await again.load()).toEqual([]);
      await again.close();
    });
  });
}

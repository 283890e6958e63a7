// MailboxReceiver's details a caller relies on: `process` when the work settles its lease itself, a lease stream
// that is waiting on an empty mailbox (unsubscribed, or the mailbox closed), a stream acking on its own stack, the
// prefetch error.
import { describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { Mailbox, type Lease } from './index.js';

/** Lets every pending microtask (the mailbox's wake-ups) run, to assert what has happened by then. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('MailboxReceiver.process when the work settles the lease itself', () => {
  it('resolves with the result of work that acked its own lease, and does not ack it again', async () => {
    const mailbox = new Mailbox<number>();
    mailbox.trySend(1);
    const rx = mailbox.receiver();
    await expect(
      rx.process((v, lease) => {
        lease.ack();
        return v + 1;
      }),
    ).resolves.toBe(2);
    expect([mailbox.size, mailbox.inFlight]).toEqual([0, 0]);
  });

  it('resolves with the result of work that nacked its own lease: the message is not acked and comes back', async () => {
    const mailbox = new Mailbox<number>();
    mailbox.trySend(1);
    const rx = mailbox.receiver();
    await expect(
      rx.process((v, lease) => {
        lease.nack();
        return v;
      }),
    ).resolves.toBe(1);
    const again = rx.tryReceive()!;
    expect([again.value, again.deliveries]).toEqual([1, 2]);
  });

  it('rejects with the work’s own error when the work acked its lease and then threw', async () => {
    const mailbox = new Mailbox<number>();
    mailbox.trySend(1);
    const rx = mailbox.receiver();
    await expect(
      rx.process((_v, lease) => {
        lease.ack();
        throw new Error('after ack');
      }),
    ).rejects.toThrow('after ack');
    expect([mailbox.size, mailbox.inFlight]).toEqual([0, 0]);
  });
});

describe('A lease stream waiting on an empty mailbox', () => {
  it('takes nothing once unsubscribed: the next message goes to the next receiver', async () => {
    const mailbox = new Mailbox<number>();
    const rx = mailbox.receiver();
    const seen: number[] = [];
    const sub = rx.leases().subscribe((lease) => seen.push(lease.value));
    sub.unsubscribe();
    const next = rx.receive();
    mailbox.trySend(1);
    const lease = await next;
    expect([lease.value, lease.deliveries, mailbox.inFlight]).toEqual([1, 1, 1]);
    expect(seen).toEqual([]);
  });

  it('completes (without error) when the mailbox is closed', async () => {
    const mailbox = new Mailbox<number>();
    const all = lastValueFrom(mailbox.receiver().leases().pipe(toArray()));
    mailbox.close();
    await expect(all).resolves.toEqual([]);
  });

  it('gets a message sent later, then completes once it is acked and the mailbox closed', async () => {
    const mailbox = new Mailbox<number>();
    const seen: Array<Lease<number>> = [];
    let completed = false;
    mailbox
      .receiver()
      .leases()
      .subscribe({ next: (lease) => seen.push(lease), complete: () => (completed = true) });
    mailbox.trySend(1);
    expect(seen.map((l) => l.value)).toEqual([1]); // a stream is handed the message on the sender's stack
    mailbox.close();
    expect(completed).toBe(false); // the lease is out and may come back
    seen[0]!.ack();
    expect(completed).toBe(true);
  });
});

describe('A lease stream unsubscribed while it holds a lease', () => {
  it('leaves a receiver waiting after it to be woken by the next message, whether it took its lease at once or after waiting', async () => {
    for (const tookAtOnce of [true, false]) {
      const mailbox = new Mailbox<number>();
      const rx = mailbox.receiver();
      if (tookAtOnce) mailbox.trySend(1); // the stream finds it queued: it never waits
      const sub = rx.leases().subscribe(() => undefined); // holds its lease, never acks
      if (!tookAtOnce) mailbox.trySend(1); // the stream waited and was handed it
      sub.unsubscribe(); // gives 1 back
      const again = await rx.receive();
      expect([again.value, again.deliveries]).toEqual([1, 2]);
      again.ack();
      let got: number | undefined;
      const next = rx.receive().then((lease) => (got = lease.value));
      mailbox.trySend(2);
      await settle();
      expect(got).toBe(2);
      await next;
    }
  });
});

describe('A lease stream acking inside its subscriber', () => {
  it('drains a large mailbox in order without recursing once per message', () => {
    const count = 20_000;
    const mailbox = new Mailbox<number>({ capacity: Infinity });
    for (let i = 0; i < count; i++) mailbox.trySend(i);
    let next = 0;
    let outOfOrder = 0;
    const sub = mailbox
      .receiver()
      .leases()
      .subscribe((lease) => {
        if (lease.value !== next++) outOfOrder++;
        lease.ack(); // frees the slot on this stack: the stream's loop takes the next, not a nested call
      });
    sub.unsubscribe();
    expect([next, outOfOrder, mailbox.size, mailbox.inFlight]).toEqual([count, 0, 0, 0]);
  });
});

describe('leases({ prefetch })', () => {
  it('names the mailbox and the value when refusing a prefetch below 1', () => {
    const rx = new Mailbox<number>({ name: 'jobs' }).receiver();
    expect(() => rx.leases({ prefetch: 0.5 })).toThrow(new RangeError('mailbox "jobs": leases({ prefetch }) must be at least 1, got 0.5'));
    expect(() => rx.leases({ prefetch: Number.NaN })).toThrow(RangeError);
    expect(() => rx.leases({ prefetch: 1 })).not.toThrow();
  });
});

// Behaviour of the mailbox a user relies on: backpressure, leases, redelivery order, close,
// the RxJS face and the persistent backing hook.
import { describe, expect, it, vi } from 'vitest';
import { firstValueFrom, lastValueFrom, take, toArray, retry } from 'rxjs';
import {
  Mailbox,
  MailboxClosedError,
  MailboxError,
  MemoryMailboxBacking,
  ackOnSuccess,
  type Lease,
  type MailboxBacking,
  type MailboxEntry,
} from './index.js';

/** Lets every pending microtask (the mailbox's wake-ups) run, to assert something did NOT happen. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

async function filled(values: number[], capacity = 1024): Promise<Mailbox<number>> {
  const mailbox = new Mailbox<number>({ capacity, name: 'test' });
  for (const v of values) await mailbox.send(v);
  return mailbox;
}

describe('Mailbox: sending and backpressure', () => {
  it('delivers in send order and forgets a message once acked', async () => {
    const mailbox = await filled([1, 2, 3]);
    const rx = mailbox.receiver();
    const a = await rx.receive();
    expect([a.value, a.id, a.deliveries]).toEqual([1, 1, 1]);
    expect(mailbox.size).toBe(2);
    expect(mailbox.inFlight).toBe(1);
    a.ack();
    expect(mailbox.inFlight).toBe(0);
    expect((await rx.receive()).value).toBe(2);
  });

  it('trySend reports full, counting leased-but-unacked messages', async () => {
    const mailbox = await filled([1, 2], 2);
    expect(mailbox.trySend(3)).toBe(false);
    const lease = mailbox.receiver().tryReceive()!;
    expect(mailbox.trySend(3)).toBe(false); // still held by the consumer
    lease.ack();
    expect(mailbox.trySend(3)).toBe(true);
    expect(mailbox.size).toBe(2);
  });

  it('send waits for room and resolves once an ack frees it', async () => {
    const mailbox = await filled([1], 1);
    let sent = false;
    const pending = mailbox.send(2).then(() => (sent = true));
    await settle();
    expect(sent).toBe(false);
    const rx = mailbox.receiver();
    (await rx.receive()).ack();
    await pending;
    expect(sent).toBe(true);
    expect((await rx.receive()).value).toBe(2);
  });

  it('waiting senders get room in the order they started waiting', async () => {
    const mailbox = await filled([0], 1);
    const order: number[] = [];
    const sends = [1, 2, 3].map((v) => mailbox.send(v).then(() => order.push(v)));
    const rx = mailbox.receiver();
    for (let i = 0; i < 4; i++) {
      const lease = await rx.receive();
      expect(lease.value).toBe(i);
      lease.ack();
    }
    await Promise.all(sends);
    expect(order).toEqual([1, 2, 3]);
  });

  it('aborting a waiting send withdraws the message', async () => {
    const mailbox = await filled([1], 1);
    const abort = new AbortController();
    const pending = mailbox.send(2, { signal: abort.signal });
    abort.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    const rx = mailbox.receiver();
    (await rx.receive()).ack();
    expect(rx.tryReceive()).toBeUndefined();
    expect(mailbox.size).toBe(0);
  });

  it('accepts Infinity and refuses a bad capacity with a typed error', () => {
    const unbounded = new Mailbox<number>({ capacity: Infinity });
    for (let i = 0; i < 5000; i++) expect(unbounded.trySend(i)).toBe(true);
    for (const capacity of [0, -1, 1.5, Number.NaN]) {
      expect(() => new Mailbox({ capacity })).toThrow(expect.objectContaining({ code: 'invalid_config' }));
    }
  });
});

describe('Mailbox: leases', () => {
  it('delivers undefined and null messages like any other, with their ids', async () => {
    const mailbox = new Mailbox<undefined | null>();
    for (const v of [undefined, null, undefined]) expect(mailbox.trySend(v)).toBe(true);
    expect(mailbox.size).toBe(3);
    const rx = mailbox.receiver();
    const got: Array<[number, undefined | null]> = [];
    for (let l = rx.tryReceive(); l !== undefined; l = rx.tryReceive()) {
      got.push([l.id, l.value]);
      l.ack();
    }
    expect(got).toEqual([[1, undefined], [2, null], [3, undefined]]);
    expect(mailbox.size + mailbox.inFlight).toBe(0);
  });

  it('gives back a consumer\'s leases in send order even when it took them out of order', async () => {
    const mailbox = await filled([1, 2, 3]);
    const a = mailbox.receiver();
    const b = mailbox.receiver();
    const first = await a.receive(); // 1
    await b.receive(); // 2
    await b.receive(); // 3
    first.nack(); // 1 goes back to the head ...
    const again = await b.receive(); // ... and b takes it after 2 and 3
    expect(again.value).toBe(1);
    again.nack(); // b's leases (taken 2, 3, 1) return in send order 1, 2, 3
    const order = [];
    for (let i = 0; i < 3; i++) {
      const lease = await a.receive();
      order.push(lease.value);
      lease.ack();
    }
    expect(order).toEqual([1, 2, 3]);
  });

  it("redelivers a crashed consumer's leases first, in order", async () => {
    const mailbox = await filled([1, 2, 3, 4, 5]);
    const crashed = mailbox.receiver();
    const survivor = crashed.clone();
    await crashed.receive();
    await crashed.receive();
    const third = await survivor.receive();
    await crashed.receive();
    expect(third.value).toBe(3);
    crashed.release();
    expect(mailbox.inFlight).toBe(1);
    const again = [await survivor.receive(), await survivor.receive(), await survivor.receive()];
    expect(again.map((l) => [l.value, l.deliveries])).toEqual([
      [1, 2],
      [2, 2],
      [4, 2],
    ]);
    expect((await survivor.receive()).value).toBe(5);
  });

  it('nack gives back every unacked lease of that consumer, and the receiver stays usable', async () => {
    const mailbox = await filled([1, 2, 3]);
    const rx = mailbox.receiver();
    const one = await rx.receive();
    const two = await rx.receive();
    two.nack();
    expect(one.state).toBe('returned');
    expect(two.state).toBe('returned');
    expect(rx.held).toBe(0);
    expect(mailbox.size).toBe(3);
    const again = await rx.receive();
    expect([again.value, again.deliveries]).toEqual([1, 2]);
  });

  it('refuses a second ack, or an ack after the lease was taken back, and changes nothing', async () => {
    const mailbox = await filled([1, 2]);
    const rx = mailbox.receiver();
    const lease = await rx.receive();
    lease.ack();
    expect(() => lease.ack()).toThrow(expect.objectContaining({ code: 'lease_not_held' }));
    const dead = mailbox.receiver();
    const stale = await dead.receive();
    dead.release();
    const fresh = await rx.receive();
    expect(fresh.id).toBe(stale.id);
    expect(() => stale.ack()).toThrow(MailboxError);
    expect(() => stale.nack()).toThrow(expect.objectContaining({ code: 'lease_not_held' }));
    expect(fresh.held).toBe(true);
    expect(mailbox.inFlight).toBe(1);
  });

  it('never hands one message to two consumers at once', async () => {
    const mailbox = await filled([1]);
    const a = mailbox.receiver();
    const b = a.clone();
    const first = await a.receive();
    expect(b.tryReceive()).toBeUndefined();
    let bGot: Lease<number> | undefined;
    const waiting = b.receive().then((l) => (bGot = l));
    await settle();
    expect(bGot).toBeUndefined();
    first.nack();
    await waiting;
    expect(bGot!.value).toBe(1);
    expect(first.held).toBe(false);
  });

  it('serves waiting receivers in the order they started waiting', async () => {
    const mailbox = new Mailbox<string>();
    const rx = mailbox.receiver();
    const got: string[] = [];
    const waits = [rx.clone(), rx.clone(), rx.clone()].map((r, i) => r.receive().then((l) => got.push(`${i}:${l.value}`)));
    await mailbox.send('a');
    await mailbox.send('b');
    await mailbox.send('c');
    await Promise.all(waits);
    expect(got).toEqual(['0:a', '1:b', '2:c']);
  });

  it('a receive or a lease stream started while a message waits for an earlier receiver does not take it', async () => {
    const mailbox = new Mailbox<string>();
    const rx = mailbox.receiver();
    const first = rx.receive();
    mailbox.trySend('a'); // queued for `first`, which is woken in a microtask
    const second = rx.clone().receive(); // same turn: 'a' is still queued, but `first` waited for it
    const streamed: string[] = [];
    const sub = rx.leases().subscribe((lease) => streamed.push(lease.value));
    expect(streamed).toEqual([]);
    mailbox.trySend('b');
    mailbox.trySend('c');
    expect([(await first).value, (await second).value]).toEqual(['a', 'b']);
    expect(streamed).toEqual(['c']);
    sub.unsubscribe();
  });

  it('aborting a receive takes no lease; the message goes to the next receiver', async () => {
    const mailbox = new Mailbox<number>();
    const rx = mailbox.receiver();
    const abort = new AbortController();
    const cancelled = rx.receive({ signal: abort.signal });
    abort.abort(new Error('stop waiting'));
    await expect(cancelled).rejects.toThrow('stop waiting');
    await mailbox.send(7);
    const lease = await rx.clone().receive();
    expect(lease.value).toBe(7);
    expect(rx.held).toBe(0);
  });

  it('a receive aborted after a message came for it, before it was woken, leaves the message queued', async () => {
    // The wake-up runs in a microtask: an error thrown there would escape to the host (and end a Node process).
    const escaped: unknown[] = [];
    const queue = globalThis.queueMicrotask.bind(globalThis);
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) =>
      queue(() => {
        try {
          task();
        } catch (error) {
          escaped.push(error);
        }
      }),
    );
    const mailbox = new Mailbox<number>();
    const rx = mailbox.receiver();
    const abort = new AbortController();
    try {
      const cancelled = rx.receive({ signal: abort.signal });
      mailbox.trySend(1); // the waiting receiver is woken in a microtask...
      abort.abort(new Error('timed out')); // ...but its timeout fires first, in the same turn
      await expect(cancelled).rejects.toThrow('timed out');
      await settle();
    } finally {
      spy.mockRestore();
    }
    expect(escaped).toEqual([]);
    expect([mailbox.size, mailbox.inFlight, rx.held]).toEqual([1, 0, 0]);
    const lease = await rx.receive();
    expect([lease.value, lease.deliveries]).toEqual([1, 1]);
  });

  it('a message that came for a receive aborted before it was woken goes to the receiver waiting next', async () => {
    const mailbox = new Mailbox<number>();
    const rx = mailbox.receiver();
    const abort = new AbortController();
    const cancelled = rx.receive({ signal: abort.signal });
    const other = rx.clone();
    let got: Lease<number> | undefined;
    const next = other.receive().then((lease) => (got = lease));
    mailbox.trySend(1); // meant for the first receive, woken in a microtask
    abort.abort(new Error('timed out'));
    await expect(cancelled).rejects.toThrow('timed out');
    await settle();
    expect([got?.value, got?.deliveries, other.held, rx.held]).toEqual([1, 1, 1, 0]);
    await next;
  });

  it('many abandoned waits (polling with timeouts) do not get in the way of a live one', async () => {
    const mailbox = new Mailbox<number>();
    const rx = mailbox.receiver();
    for (let i = 0; i < 200; i++) {
      const abort = new AbortController();
      const wait = rx.receive({ signal: abort.signal });
      abort.abort(new Error('timeout'));
      await expect(wait).rejects.toThrow('timeout');
    }
    const live = rx.receive();
    await mailbox.send(1);
    expect((await live).value).toBe(1);
  });

  it('a released receiver refuses to stream leases', async () => {
    const mailbox = await filled([1]);
    const rx = mailbox.receiver();
    rx.release();
    await expect(firstValueFrom(rx.leases())).rejects.toMatchObject({ code: 'receiver_released' });
    expect(mailbox.size).toBe(1);
  });

  it('a receiver released while waiting takes no message: the next receiver gets it', async () => {
    const mailbox = new Mailbox<number>();
    const gone = mailbox.receiver();
    const pending = gone.receive();
    gone.release();
    await expect(pending).rejects.toMatchObject({ code: 'receiver_released' });
    const next = mailbox.receiver().receive();
    await mailbox.send(1);
    const lease = await next;
    expect([lease.value, lease.deliveries, mailbox.inFlight]).toEqual([1, 1, 1]);
  });

  it("aborting a receiver's signal releases it: pending receives reject, leases come back", async () => {
    const mailbox = await filled([1]);
    const abort = new AbortController();
    const rx = mailbox.receiver({ signal: abort.signal });
    await rx.receive();
    const pending = rx.receive();
    abort.abort();
    await expect(pending).rejects.toMatchObject({ code: 'receiver_released' });
    await expect(rx.receive()).rejects.toMatchObject({ code: 'receiver_released' });
    expect(rx.released).toBe(true);
    expect(mailbox.size).toBe(1);
  });

  it('process acks when the work resolves and nacks when it throws', async () => {
    const mailbox = await filled([1, 2]);
    const rx = mailbox.receiver();
    await expect(rx.process(async (v) => v * 10)).resolves.toBe(10);
    await expect(
      rx.process(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(mailbox.size).toBe(1);
    const lease = await rx.receive();
    expect([lease.value, lease.deliveries]).toEqual([2, 2]);
  });
});

describe('Mailbox: close', () => {
  it('stops new sends with MailboxClosedError and lets receivers drain', async () => {
    const mailbox = await filled([1, 2]);
    mailbox.close();
    expect(mailbox.closed).toBe(true);
    await expect(mailbox.send(3)).rejects.toBeInstanceOf(MailboxClosedError);
    expect(() => mailbox.trySend(3)).toThrow(MailboxClosedError);
    const rx = mailbox.receiver();
    (await rx.receive()).ack();
    (await rx.receive()).ack();
    expect(mailbox.drained).toBe(true);
    await expect(rx.receive()).rejects.toMatchObject({ code: 'closed' });
  });

  it('rejects sends still waiting for room when closed', async () => {
    const mailbox = await filled([1], 1);
    const pending = mailbox.send(2);
    mailbox.close();
    await expect(pending).rejects.toBeInstanceOf(MailboxClosedError);
    expect(mailbox.size).toBe(1);
  });

  it('keeps a waiting receiver waiting while leases are out, since they may come back', async () => {
    const mailbox = await filled([1]);
    const holder = mailbox.receiver();
    const lease = await holder.receive();
    mailbox.close();
    const waiting = holder.clone().receive();
    await settle();
    lease.nack();
    const redelivered = await waiting;
    expect([redelivered.value, redelivered.deliveries]).toEqual([1, 2]);
    redelivered.ack();
    await expect(holder.receive()).rejects.toBeInstanceOf(MailboxClosedError);
  });

  it('wakes waiting receivers with MailboxClosedError when the last lease is acked', async () => {
    const mailbox = await filled([1]);
    const rx = mailbox.receiver();
    const lease = await rx.receive();
    const waiting = rx.clone().receive();
    mailbox.close();
    lease.ack();
    await expect(waiting).rejects.toBeInstanceOf(MailboxClosedError);
  });
});

describe('Mailbox: RxJS face', () => {
  it('streams leases and completes once closed and drained', async () => {
    const mailbox = await filled([1, 2, 3]);
    const seen = lastValueFrom(
      mailbox
        .receiver()
        .leases()
        .pipe(ackOnSuccess(async (v: number) => v * 2), toArray()),
    );
    mailbox.close();
    expect(await seen).toEqual([2, 4, 6]);
    expect(mailbox.inFlight).toBe(0);
  });

  it('unsubscribing gives back the unacked leases of that subscription', async () => {
    const mailbox = await filled([1, 2, 3]);
    const rx = mailbox.receiver();
    const taken = await firstValueFrom(rx.leases({ prefetch: 2 }).pipe(take(2), toArray()));
    expect(taken.map((l) => l.state)).toEqual(['returned', 'returned']);
    const lease = await rx.receive();
    expect([lease.value, lease.deliveries]).toEqual([1, 2]);
  });

  it('ackOnSuccess nacks when the work fails; retry resubscribes and gets the message again', async () => {
    const mailbox = await filled([1, 2]);
    const attempts: Array<[number, number]> = [];
    const results = lastValueFrom(
      mailbox
        .receiver()
        .leases()
        .pipe(
          ackOnSuccess(async (v: number, lease) => {
            attempts.push([v, lease.deliveries]);
            if (v === 2 && lease.deliveries === 1) throw new Error('transient');
            return v;
          }),
          retry(),
          toArray(),
        ),
    );
    mailbox.close();
    expect(await results).toEqual([1, 2]);
    expect(attempts).toEqual([
      [1, 1],
      [2, 1],
      [2, 2],
    ]);
    expect(mailbox.drained).toBe(true);
  });

  it('two workers on a pre-filled mailbox share it: each stream holds one unacked lease at a time by default', async () => {
    const mailbox = await filled([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const rx = mailbox.receiver();
    const held: Array<Lease<number>> = [];
    const byWorker: Record<string, number[]> = { a: [], b: [] };
    const subs = (['a', 'b'] as const).map((who) =>
      rx.leases().subscribe((lease) => {
        byWorker[who]!.push(lease.value);
        held.push(lease);
      }),
    );
    // Each worker took one; nothing more until it acks.
    expect(byWorker).toEqual({ a: [1], b: [2] });
    while (held.length > 0) held.shift()!.ack();
    expect(byWorker.a!.length + byWorker.b!.length).toBe(10);
    expect(byWorker.a!.length).toBe(5);
    expect(byWorker.b!.length).toBe(5);
    subs.forEach((s) => s.unsubscribe());
  });

  it('leases({ prefetch }) bounds the unacked leases a stream holds', async () => {
    const mailbox = await filled([1, 2, 3, 4, 5]);
    const seen: Array<Lease<number>> = [];
    const sub = mailbox.receiver().leases({ prefetch: 3 }).subscribe((lease) => seen.push(lease));
    expect(seen.map((l) => l.value)).toEqual([1, 2, 3]);
    seen[1]!.ack();
    expect(seen.map((l) => l.value)).toEqual([1, 2, 3, 4]);
    expect(() => mailbox.receiver().leases({ prefetch: 0 })).toThrow(RangeError);
    sub.unsubscribe();
  });

  it('a lease stream full at its prefetch takes the message again after nacking it', async () => {
    const mailbox = await filled([1, 2]);
    const seen: Array<Lease<number>> = [];
    const sub = mailbox.receiver().leases({ prefetch: 1 }).subscribe((lease) => seen.push(lease));
    expect(seen.map((l) => l.value)).toEqual([1]);
    seen[0]!.nack();
    expect(seen[0]!.state).toBe('returned');
    await settle();
    expect(seen.map((l) => [l.value, l.deliveries])).toEqual([[1, 1], [1, 2]]);
    seen[1]!.ack();
    expect(seen[1]!.state).toBe('acked');
    expect(seen.map((l) => l.value)).toEqual([1, 1, 2]);
    sub.unsubscribe();
  });

  it('round-robins between two lease streams', async () => {
    const mailbox = new Mailbox<number>();
    const rx = mailbox.receiver();
    const seen: string[] = [];
    const subs = ['a', 'b'].map((who) =>
      rx.leases().subscribe((lease) => {
        seen.push(`${who}${lease.value}`);
        lease.ack();
      }),
    );
    for (let i = 1; i <= 4; i++) await mailbox.send(i);
    await settle();
    subs.forEach((s) => s.unsubscribe());
    expect(seen).toEqual(['a1', 'b2', 'a3', 'b4']);
  });
});

/** A backing whose writes the test completes by hand. */
class ManualBacking<T> implements MailboxBacking<T> {
  readonly stored = new MemoryMailboxBacking<T>();
  readonly pending: Array<{ op: string; id: number; finish(ok: boolean): Promise<void> }> = [];
  load(): Promise<Array<MailboxEntry<T>>> {
    return this.stored.load();
  }
  put(entry: MailboxEntry<T>): Promise<void> {
    return this.defer('put', entry.id, () => this.stored.put(entry));
  }
  delete(id: number): Promise<void> {
    return this.defer('delete', id, () => this.stored.delete(id));
  }
  private defer(op: string, id: number, apply: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({
        op,
        id,
        finish: async (ok) => {
          if (ok) {
            await apply();
            resolve();
          } else reject(new Error('disk full'));
        },
      });
    });
  }
}

describe('Mailbox: persistent backing', () => {
  it('resolves send only once the backing stored the message, and delivers only then', async () => {
    const backing = new ManualBacking<string>();
    const mailbox = await Mailbox.open({ backing, name: 'durable' });
    let resolved = false;
    const sent = mailbox.send('hello').then(() => (resolved = true));
    const rx = mailbox.receiver();
    await settle();
    expect(resolved).toBe(false);
    expect(rx.tryReceive()).toBeUndefined();
    await backing.pending.shift()!.finish(true);
    await sent;
    const lease = await rx.receive();
    expect(lease.value).toBe('hello');
    lease.ack();
    expect(backing.pending.map((p) => [p.op, p.id])).toEqual([['delete', 1]]);
    await backing.pending.shift()!.finish(true);
    await mailbox.flush();
    expect(backing.stored.entries.size).toBe(0);
  });

  it('keeps send order even when backing writes finish out of order', async () => {
    const backing = new ManualBacking<string>();
    const mailbox = await Mailbox.open({ backing });
    const sends = [mailbox.send('a'), mailbox.send('b')];
    const [first, second] = backing.pending.splice(0);
    await second!.finish(true);
    await settle();
    expect(mailbox.size).toBe(0); // b waits for a
    await first!.finish(true);
    await Promise.all(sends);
    const rx = mailbox.receiver();
    expect([(await rx.receive()).value, (await rx.receive()).value]).toEqual(['a', 'b']);
  });

  it('rejects a send the backing refused, and delivers nothing for it', async () => {
    const backing = new ManualBacking<string>();
    const mailbox = await Mailbox.open({ backing });
    const sent = mailbox.send('lost?');
    await backing.pending.shift()!.finish(false);
    await expect(sent).rejects.toMatchObject({ code: 'backing_failed' });
    expect(mailbox.size + mailbox.inFlight).toBe(0);
  });

  it('keeps ids and order across the gap a refused write leaves among queued messages, and after a give-back', async () => {
    const backing = new ManualBacking<string>();
    const mailbox = await Mailbox.open({ backing });
    const sends = ['a', 'b', 'lost', 'c', 'd'].map((v) => mailbox.send(v).then(() => v, () => `refused ${v}`));
    for (const p of backing.pending.splice(0)) await p.finish(p.id !== 3);
    expect(await Promise.all(sends)).toEqual(['a', 'b', 'refused lost', 'c', 'd']);
    expect(mailbox.size).toBe(4);
    const rx = mailbox.receiver();
    const first = [rx.tryReceive()!, rx.tryReceive()!, rx.tryReceive()!];
    expect(first.map((l) => [l.id, l.value])).toEqual([[1, 'a'], [2, 'b'], [4, 'c']]);
    first[1]!.nack(); // a, b and c go back to the head, ahead of d
    const again: Array<[number, string, number]> = [];
    for (let l = rx.tryReceive(); l !== undefined; l = rx.tryReceive()) {
      again.push([l.id, l.value, l.deliveries]);
      l.ack();
    }
    expect(again).toEqual([[1, 'a', 2], [2, 'b', 2], [4, 'c', 2], [5, 'd', 1]]);
  });

  it('recovers unacked messages in order, with delivery counts, after a restart', async () => {
    const backing = new MemoryMailboxBacking<string>();
    const before = await Mailbox.open({ backing });
    for (const v of ['a', 'b', 'c']) await before.send(v);
    const rx = before.receiver();
    (await rx.receive()).ack();
    await rx.receive();
    rx.release(); // b given back: stored again with deliveries 1
    await before.flush();
    // "restart": a new mailbox over the same backing
    const after = await Mailbox.open({ backing });
    expect(after.size).toBe(2);
    const rx2 = after.receiver();
    const b = await rx2.receive();
    expect([b.value, b.deliveries]).toEqual(['b', 2]);
    expect((await rx2.receive()).value).toBe('c');
    await after.send('d');
    expect([...backing.entries.keys()].sort()).toEqual([2, 3, 4]);
  });
});

// The mailbox's public surface in the details a caller reads: defaults (name, capacity 1024, console.error for a
// failed background write), the typed errors with their codes and messages, a lease's state as it moves, a
// backing opened out of order, ackOnSuccess's concurrency, a receiver whose signal was aborted before it started.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Subject, firstValueFrom, lastValueFrom, of, throwError, toArray, type Observable } from 'rxjs';
import { Mailbox, MailboxClosedError, MailboxError, MemoryMailboxBacking, ackOnSuccess, type Lease, type MailboxBacking, type MailboxEntry } from './index.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Mailbox defaults and errors', () => {
  it('is called "mailbox" and holds 1024 messages unless told otherwise', () => {
    const mailbox = new Mailbox<number>();
    expect(mailbox.name).toBe('mailbox');
    expect(mailbox.capacity).toBe(1024);
    for (let i = 0; i < 1024; i++) expect(mailbox.trySend(i)).toBe(true);
    expect(mailbox.trySend(1024)).toBe(false);
    expect(new Mailbox({ name: 'jobs', capacity: 3 })).toMatchObject({ name: 'jobs', capacity: 3 });
  });

  it('names the bad capacity and the mailbox when refusing one', () => {
    for (const capacity of [0, 2.5, Number.NaN, -Infinity]) {
      let error: unknown;
      try {
        new Mailbox({ capacity, name: 'jobs' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MailboxError);
      expect(error).toMatchObject({
        name: 'MailboxError',
        code: 'invalid_config',
        message: `mailbox "jobs": capacity must be a whole number >= 1 or Infinity, got ${String(capacity)}`,
      });
    }
    expect(new Mailbox({ capacity: 1 }).capacity).toBe(1);
  });

  it('says which mailbox was closed', async () => {
    const mailbox = new Mailbox<number>({ name: 'jobs' });
    mailbox.close();
    const error = await mailbox.send(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailboxClosedError);
    expect(error).toMatchObject({ name: 'MailboxClosedError', code: 'closed', mailbox: 'jobs', message: 'mailbox "jobs" is closed' });
    const full = new Mailbox<number>({ name: 'jobs', capacity: 1 });
    full.trySend(0);
    const waiting = full.send(1).catch((e: unknown) => e);
    full.close();
    expect(await waiting).toMatchObject({ code: 'closed', message: 'mailbox "jobs" was closed before this send found room' });
  });

  it('says why a lease cannot be acked twice, and that a released receiver is released', async () => {
    const mailbox = new Mailbox<string>({ name: 'jobs' });
    mailbox.trySend('a');
    const rx = mailbox.receiver();
    const lease = rx.tryReceive()!;
    lease.ack();
    expect(() => lease.ack()).toThrow(
      new MailboxError('lease_not_held', 'lease of message 1 in mailbox "jobs" is acked, not held: it can be acked or nacked only once, by the consumer holding it'),
    );
    expect(() => lease.nack()).toThrow(expect.objectContaining({ code: 'lease_not_held' }));
    rx.release();
    const error = await rx.receive().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'receiver_released', message: 'this receiver of mailbox "jobs" was released; make a new one with mailbox.receiver()' });
    expect(() => rx.tryReceive()).toThrow(expect.objectContaining({ code: 'receiver_released', message: (error as Error).message }));
  });

  it('reports a failed background write to console.error by default', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const backing = new MemoryMailboxBacking<string>();
    const mailbox = await Mailbox.open({ backing, name: 'jobs' });
    await mailbox.send('a');
    backing.delete = () => Promise.reject(new Error('disk gone'));
    mailbox.receiver().tryReceive()!.ack();
    await mailbox.flush();
    expect(logged).toHaveBeenCalledTimes(1);
    const error = logged.mock.calls[0]![0] as MailboxError;
    expect(error).toMatchObject({ code: 'backing_failed', message: 'mailbox "jobs": a backing write failed' });
    expect((error.cause as Error).message).toBe('disk gone');
  });

  it('hands a failed background write to onBackingError when given', async () => {
    const errors: MailboxError[] = [];
    const backing = new MemoryMailboxBacking<string>();
    const mailbox = await Mailbox.open({ backing, onBackingError: (e) => errors.push(e) });
    await mailbox.send('a');
    backing.put = () => Promise.reject(new Error('disk gone'));
    mailbox.receiver().tryReceive()!.nack(); // given back: written again with its delivery count
    await mailbox.flush();
    expect(errors.map((e) => e.code)).toEqual(['backing_failed']);
  });
});

describe('Mailbox leases, in detail', () => {
  it('shows a lease held, then acked; or held, then returned, with its redelivery a fresh lease', () => {
    const mailbox = new Mailbox<string>();
    mailbox.trySend('a');
    mailbox.trySend('b');
    const rx = mailbox.receiver();
    const a = rx.tryReceive()!;
    expect([a.state, a.held, a.deliveries, a.id, a.value]).toEqual(['held', true, 1, 1, 'a']);
    a.ack();
    expect([a.state, a.held]).toEqual(['acked', false]);
    const b = rx.tryReceive()!;
    b.nack();
    expect([b.state, b.held]).toEqual(['returned', false]);
    const again = rx.tryReceive()!;
    expect(again).not.toBe(b);
    expect([again.id, again.deliveries, again.state]).toEqual([2, 2, 'held']);
    expect(rx.held).toBe(1);
  });

  it('opens a backing that lists its entries out of order in id order, and sends after the highest id', async () => {
    const backing: MailboxBacking<string> = {
      load: async (): Promise<MailboxEntry<string>[]> => [
        { id: 7, value: 'c', deliveries: 0 },
        { id: 2, value: 'a', deliveries: 1 },
        { id: 5, value: 'b', deliveries: 0 },
      ],
      put: async () => undefined,
      delete: async () => undefined,
    };
    const mailbox = await Mailbox.open({ backing });
    await mailbox.send('d');
    const rx = mailbox.receiver();
    const got: Array<[number, string, number]> = [];
    for (let lease = rx.tryReceive(); lease !== undefined; lease = rx.tryReceive()) got.push([lease.id, lease.value, lease.deliveries]);
    expect(got).toEqual([
      [2, 'a', 2],
      [5, 'b', 1],
      [7, 'c', 1],
      [8, 'd', 1],
    ]);
  });

  it('keeps copies in MemoryMailboxBacking: what load returns does not change what is stored', async () => {
    const backing = new MemoryMailboxBacking<string>();
    await backing.put({ id: 1, value: 'a', deliveries: 0 });
    const [loaded] = await backing.load();
    (loaded as { deliveries: number }).deliveries = 9; // a caller that changes what it loaded
    expect((await backing.load())[0]).toEqual({ id: 1, value: 'a', deliveries: 0 });
    await backing.delete(1);
    expect(await backing.load()).toEqual([]);
  });

  it('ackOnSuccess works one lease at a time by default, and `concurrency` at once when given', async () => {
    for (const [config, expected] of [
      [undefined, 1],
      [{ concurrency: 3 }, 3],
    ] as const) {
      const mailbox = new Mailbox<number>();
      for (let i = 0; i < 6; i++) mailbox.trySend(i);
      mailbox.close();
      let running = 0;
      let most = 0;
      const gates: Array<Subject<number>> = [];
      const done = lastValueFrom(
        mailbox
          .receiver()
          .leases({ prefetch: Infinity })
          .pipe(
            ackOnSuccess((value: number) => {
              running++;
              most = Math.max(most, running);
              const gate = new Subject<number>();
              gates.push(gate);
              queueMicrotask(() => {
                running--;
                gate.next(value);
                gate.complete();
              });
              return gate;
            }, config),
            toArray(),
          ),
      );
      expect((await done).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(most).toBe(expected);
      expect(mailbox.drained).toBe(true);
    }
  });

  it('ackOnSuccess leaves alone a lease the work already settled', async () => {
    const mailbox = new Mailbox<number>();
    mailbox.trySend(1);
    mailbox.trySend(2);
    mailbox.close();
    const seen = await lastValueFrom(
      mailbox
        .receiver()
        .leases()
        .pipe(
          ackOnSuccess(async (value: number, lease: Lease<number>) => {
            lease.ack(); // the work acked it itself
            return value;
          }),
          toArray(),
        ),
    );
    expect(seen).toEqual([1, 2]);
    expect(mailbox.drained).toBe(true);
  });

  it('ackOnSuccess nacks the lease when the work fails, whatever stream the lease came from', async () => {
    const mailbox = new Mailbox<number>();
    mailbox.trySend(1);
    const rx = mailbox.receiver();
    const lease = rx.tryReceive()!; // not from leases(): no unsubscription gives it back
    const error = await lastValueFrom(
      of(lease).pipe(
        ackOnSuccess(() => throwError(() => new Error('boom'))),
      ),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'boom' });
    expect([lease.state, rx.held, mailbox.size]).toEqual(['returned', 0, 1]);
    expect(rx.tryReceive()!.deliveries).toBe(2);
  });

  it('ackOnSuccess nacks the lease when the work throws before returning anything', async () => {
    const mailbox = new Mailbox<number>();
    mailbox.trySend(1);
    const rx = mailbox.receiver();
    const lease = rx.tryReceive()!;
    const error = await lastValueFrom(
      of(lease).pipe(
        ackOnSuccess((): Observable<never> => {
          throw new Error('thrown at once');
        }),
      ),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'thrown at once' });
    expect([lease.state, rx.held, mailbox.size]).toEqual(['returned', 0, 1]);
  });

  it('ackOnSuccess passes on the work’s own error when the work settled its lease before failing', async () => {
    const mailbox = new Mailbox<number>();
    mailbox.trySend(1);
    const lease = mailbox.receiver().tryReceive()!;
    const error = await lastValueFrom(
      of(lease).pipe(
        ackOnSuccess((_value: number, held: Lease<number>) => {
          held.ack();
          return throwError(() => new Error('after ack'));
        }),
      ),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'after ack' });
    expect(lease.state).toBe('acked');
  });
});

describe('MailboxReceiver with a signal', () => {
  it('is released from the start when its signal was already aborted', async () => {
    const mailbox = new Mailbox<number>();
    mailbox.trySend(1);
    const rx = mailbox.receiver({ signal: AbortSignal.abort() });
    expect(rx.released).toBe(true);
    await expect(rx.receive()).rejects.toMatchObject({ code: 'receiver_released' });
    expect(mailbox.size).toBe(1);
  });

  it('rejects a receive whose own signal is already aborted with its reason, taking nothing', async () => {
    const mailbox = new Mailbox<number>();
    const reason = new Error('too late');
    await expect(mailbox.receiver().receive({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    mailbox.trySend(1);
    expect(mailbox.size).toBe(1);
  });

  it('ends a lease stream with the signal’s reason when the receiver’s signal aborts, giving its leases back', async () => {
    const mailbox = new Mailbox<number>();
    mailbox.trySend(1);
    const abort = new AbortController();
    const rx = mailbox.receiver({ signal: abort.signal });
    const errors: unknown[] = [];
    const leases: Array<Lease<number>> = [];
    rx.leases().subscribe({ next: (l) => leases.push(l), error: (e: unknown) => errors.push(e) });
    expect(leases.map((l) => l.value)).toEqual([1]);
    const reason = new Error('shutting down');
    abort.abort(reason);
    expect(errors).toEqual([reason]);
    expect(leases[0]!.held).toBe(false);
    expect(mailbox.size).toBe(1);
    // a stream started after the abort fails at once
    await expect(firstValueFrom(mailbox.receiver({ signal: abort.signal }).leases())).rejects.toMatchObject({ code: 'receiver_released' });
  });

  it('refuses a prefetch below 1', () => {
    const rx = new Mailbox<number>({ name: 'jobs' }).receiver();
    for (const prefetch of [0, -1, Number.NaN]) {
      expect(() => rx.leases({ prefetch })).toThrow(new RangeError(`mailbox "jobs": leases({ prefetch }) must be at least 1, got ${String(prefetch)}`));
    }
  });
});

describe('Mailbox bookkeeping under churn', () => {
  it('a receiver waiting before many abandoned waits still gets the next message', async () => {
    const mailbox = new Mailbox<number>();
    const live = mailbox.receiver().receive();
    const rx = mailbox.receiver();
    for (let i = 0; i < 200; i++) {
      const abort = new AbortController();
      const wait = rx.receive({ signal: abort.signal });
      abort.abort(new Error('timeout'));
      await expect(wait).rejects.toThrow('timeout');
    }
    mailbox.trySend(1);
    expect((await live).value).toBe(1);
  });

  it('a sender waiting before many withdrawn sends still gets room first', async () => {
    const mailbox = new Mailbox<number>({ capacity: 1 });
    mailbox.trySend(0);
    const live = mailbox.send(1);
    for (let i = 0; i < 200; i++) {
      const abort = new AbortController();
      const wait = mailbox.send(100 + i, { signal: abort.signal });
      abort.abort(new Error('gave up'));
      await expect(wait).rejects.toThrow('gave up');
    }
    const rx = mailbox.receiver();
    rx.tryReceive()!.ack();
    await live;
    expect(rx.tryReceive()!.value).toBe(1);
    expect(rx.tryReceive()).toBeUndefined();
  });

  it('rejects a send whose signal is already aborted when it would wait, with the reason', async () => {
    const mailbox = new Mailbox<number>({ capacity: 1 });
    mailbox.trySend(0);
    const reason = new Error('no time');
    await expect(mailbox.send(1, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(mailbox.trySend(2)).toBe(false);
    // with room, an aborted signal does not matter: the send is done at once
    const roomy = new Mailbox<number>();
    await roomy.send(1, { signal: AbortSignal.abort(reason) });
    expect(roomy.size).toBe(1);
  });

  it('counts a message whose backing write is in flight against the capacity, and waits for it when flushing', async () => {
    let finish!: () => void;
    const backing: MailboxBacking<number> = {
      load: async () => [],
      put: () => new Promise<void>((resolve) => (finish = resolve)),
      delete: async () => undefined,
    };
    const mailbox = await Mailbox.open({ backing, capacity: 1 });
    const sent = mailbox.send(1);
    expect(mailbox.trySend(2)).toBe(false);
    mailbox.close();
    expect(mailbox.drained).toBe(false); // the write may still make it
    let flushed = false;
    const flushing = mailbox.flush().then(() => (flushed = true));
    await Promise.resolve();
    expect(flushed).toBe(false);
    finish();
    await sent;
    await flushing;
    expect(mailbox.size).toBe(1);
  });

  it('flush waits for backing writes that complete in a later task, as disk and IndexedDB writes do', async () => {
    const stored = new MemoryMailboxBacking<number>();
    const later = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
    const backing: MailboxBacking<number> = {
      load: () => stored.load(),
      put: (entry) => later().then(() => stored.put(entry)),
      delete: (id) => later().then(() => stored.delete(id)),
    };
    const mailbox = await Mailbox.open({ backing });
    expect(mailbox.trySend(1)).toBe(true);
    expect(mailbox.trySend(2)).toBe(true);
    await mailbox.flush();
    expect(await stored.load()).toEqual([
      { id: 1, value: 1, deliveries: 0 },
      { id: 2, value: 2, deliveries: 0 },
    ]);
    mailbox.receiver().tryReceive()!.ack();
    await mailbox.flush();
    expect(await stored.load()).toEqual([{ id: 2, value: 2, deliveries: 0 }]);
  });

  it('a send the backing refused frees its room for a waiting sender, and a closed mailbox drains without it', async () => {
    const writes: Array<{ resolve(): void; reject(e: Error): void }> = [];
    const backing: MailboxBacking<number> = {
      load: async () => [],
      put: () => new Promise<void>((resolve, reject) => writes.push({ resolve, reject })),
      delete: async () => undefined,
    };
    const mailbox = await Mailbox.open({ backing, capacity: 1 });
    const first = mailbox.send(1);
    const second = mailbox.send(2); // waits: the first write holds the only place
    expect(writes).toHaveLength(1);
    writes[0]!.reject(new Error('disk full'));
    await expect(first).rejects.toMatchObject({ code: 'backing_failed' });
    expect(writes).toHaveLength(2); // the waiting sender got the room
    writes[1]!.reject(new Error('disk full'));
    await expect(second).rejects.toMatchObject({ code: 'backing_failed', message: 'mailbox "mailbox": the backing did not store the message; it was not sent' });
    // closed while a write is in flight: a waiting receiver learns the mailbox is drained once that write fails
    const waiting = mailbox.receiver().receive();
    const third = mailbox.send(3).catch((e: unknown) => e);
    mailbox.close();
    await Promise.resolve();
    writes[2]!.reject(new Error('disk full'));
    expect(await third).toMatchObject({ code: 'backing_failed' });
    await expect(waiting).rejects.toBeInstanceOf(MailboxClosedError);
  });
});

describe('Mailbox sending, in detail', () => {
  it('trySend with a backing writes the message to it, and hands a refused write to onBackingError', async () => {
    const backing = new MemoryMailboxBacking<string>();
    const errors: MailboxError[] = [];
    const mailbox = await Mailbox.open({ backing, name: 'jobs', onBackingError: (e) => errors.push(e) });
    expect(mailbox.trySend('a')).toBe(true);
    await mailbox.flush();
    expect([...backing.entries.values()]).toEqual([{ id: 1, value: 'a', deliveries: 0 }]);
    const disk = new Error('disk full');
    backing.put = () => Promise.reject(disk);
    expect(mailbox.trySend('b')).toBe(true); // the write fails in the background
    await mailbox.flush();
    await Promise.resolve();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'backing_failed', message: 'mailbox "jobs": the backing did not store the message; it was not sent', cause: disk });
    expect(mailbox.size).toBe(1);
  });

  it('a send the backing refused rejects with the backing’s error as its cause', async () => {
    const disk = new Error('disk full');
    const backing: MailboxBacking<string> = { load: async () => [], put: () => Promise.reject(disk), delete: async () => undefined };
    const mailbox = await Mailbox.open({ backing });
    const error = await mailbox.send('a').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'backing_failed', cause: disk });
  });

  it('an ack lets in one waiting sender per freed slot, not every waiting sender', async () => {
    const mailbox = new Mailbox<number>({ capacity: 1 });
    mailbox.trySend(0);
    const admitted: number[] = [];
    const first = mailbox.send(1).then(() => admitted.push(1));
    const second = mailbox.send(2).then(() => admitted.push(2));
    const rx = mailbox.receiver();
    rx.tryReceive()!.ack();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(admitted).toEqual([1]);
    expect([mailbox.size, mailbox.inFlight]).toEqual([1, 0]);
    rx.tryReceive()!.ack();
    await second;
    expect(admitted).toEqual([1, 2]);
  });
});

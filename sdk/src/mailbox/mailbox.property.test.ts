// Property tests (fast-check), run in Node and in Chromium: for any interleaving of sends,
// receives, acks, nacks and consumer crashes, every message is acked exactly once, never held by
// two consumers at once, and the mailbox stays in send order among redeliveries.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lastValueFrom, retry, toArray } from 'rxjs';
import { Mailbox, MailboxClosedError, ackOnSuccess, type Lease, type MailboxReceiver } from './index.js';

type Step =
  | { kind: 'send' }
  | { kind: 'receive'; consumer: number }
  | { kind: 'ack'; consumer: number; pick: number }
  | { kind: 'nack'; consumer: number; pick: number }
  | { kind: 'crash'; consumer: number }
  | { kind: 'staleAck'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'send' as const }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('receive' as const), consumer: fc.nat(3) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('ack' as const), consumer: fc.nat(3), pick: fc.nat() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('nack' as const), consumer: fc.nat(3), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('crash' as const), consumer: fc.nat(3) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('staleAck' as const), pick: fc.nat() }), weight: 1 },
);

const send: Step = { kind: 'send' };
const receive = (consumer: number): Step => ({ kind: 'receive', consumer });

describe('Mailbox properties', () => {
  // size 'medium': fast-check's default ('small') keeps arrays to about ten steps, too short for a consumer to take
  // back a lower id than one it already holds and then give both back; with it, 200 runs never caught leases given
  // back out of id order (the giveBack sort removed); with 'medium' every one of 20 seeds did.
  it('any interleaving (model-checked): a receive gets the oldest message neither acked nor leased; every message is acked exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(step, { maxLength: 80, size: 'medium' }), (capacity, steps) => {
        const mailbox = new Mailbox<number>({ capacity });
        const first = mailbox.receiver();
        const consumers: Array<MailboxReceiver<number>> = [first, first.clone(), first.clone(), first.clone()];
        // The model: what the mailbox owes, who holds what, how often each was delivered.
        const outstanding = new Set<number>(); // sent, not acked
        const holder = new Map<number, number>(); // message id -> consumer slot
        const held: Array<Array<Lease<number>>> = [[], [], [], []];
        const deliveries = new Map<number, number>();
        const finished: Array<Lease<number>> = [];
        const ackCount = new Map<number, number>();
        let nextValue = 1;

        const ack = (lease: Lease<number>): void => {
          lease.ack();
          ackCount.set(lease.id, (ackCount.get(lease.id) ?? 0) + 1);
          outstanding.delete(lease.id);
          holder.delete(lease.id);
          finished.push(lease);
        };
        const giveBack = (slot: number): void => {
          for (const lease of held[slot]!) {
            holder.delete(lease.id);
            finished.push(lease);
          }
          held[slot] = [];
        };
        const oldestFree = (): number | undefined => {
          const free = [...outstanding].filter((id) => !holder.has(id));
          return free.length === 0 ? undefined : Math.min(...free);
        };

        for (const s of steps) {
          switch (s.kind) {
            case 'send': {
              const room = outstanding.size < capacity;
              const value = nextValue;
              expect(mailbox.trySend(value)).toBe(room);
              if (room) {
                outstanding.add(value); // ids are assigned 1, 2, 3... in send order, like our values
                nextValue++;
              }
              break;
            }
            case 'receive': {
              const lease = consumers[s.consumer]!.tryReceive();
              const expected = oldestFree();
              expect(lease?.id).toBe(expected);
              if (lease !== undefined) {
                expect(lease.value).toBe(lease.id);
                expect(holder.has(lease.id)).toBe(false);
                const n = (deliveries.get(lease.id) ?? 0) + 1;
                deliveries.set(lease.id, n);
                expect(lease.deliveries).toBe(n);
                holder.set(lease.id, s.consumer);
                held[s.consumer]!.push(lease);
              }
              break;
            }
            case 'ack': {
              const mine = held[s.consumer]!;
              if (mine.length === 0) break;
              const [lease] = mine.splice(s.pick % mine.length, 1);
              ack(lease!);
              break;
            }
            case 'nack': {
              const mine = held[s.consumer]!;
              if (mine.length === 0) break;
              mine[s.pick % mine.length]!.nack();
              giveBack(s.consumer);
              break;
            }
            case 'crash': {
              consumers[s.consumer]!.release();
              giveBack(s.consumer);
              consumers[s.consumer] = first.clone(); // the supervisor restarts it
              break;
            }
            case 'staleAck': {
              if (finished.length === 0) break;
              const lease = finished[s.pick % finished.length]!;
              const before = [mailbox.size, mailbox.inFlight];
              expect(() => lease.ack()).toThrow(expect.objectContaining({ code: 'lease_not_held' }));
              expect([mailbox.size, mailbox.inFlight]).toEqual(before);
              break;
            }
          }
          expect(mailbox.inFlight).toBe(holder.size);
          expect(mailbox.size).toBe(outstanding.size - holder.size);
        }

        // Everyone crashes; one last consumer drains what is left, in send order.
        consumers.forEach((c, slot) => {
          c.release();
          giveBack(slot);
        });
        const last = first.clone();
        const rest: number[] = [];
        for (let lease = last.tryReceive(); lease !== undefined; lease = last.tryReceive()) {
          rest.push(lease.id);
          ack(lease);
        }
        expect(rest).toEqual([...rest].sort((a, b) => a - b));
        expect(outstanding.size).toBe(0);
        for (let id = 1; id < nextValue; id++) expect(ackCount.get(id)).toBe(1);
      }),
      {
        numRuns: 200,
        // Always run too: a consumer takes 2, then 1 given back by another, and gives both back (sort removed in
        // giveBack: the next receive got 2 before 1).
        examples: [[3, [send, send, receive(0), receive(1), { kind: 'crash', consumer: 0 }, receive(1), { kind: 'crash', consumer: 1 }, receive(2)]]],
      },
    );
  });

  type Action = 'ack' | 'nack' | 'crash' | 'hold';
  const action: fc.Arbitrary<Action> = fc.constantFrom<Action>('ack', 'ack', 'nack', 'crash', 'hold');

  it('async consumers under any scheduling: each message acked exactly once, never held twice', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 25 }),
        fc.array(fc.array(action, { maxLength: 12 }), { minLength: 1, maxLength: 3 }),
        async (s, capacity, total, scripts) => {
          const mailbox = new Mailbox<number>({ capacity });
          const root = mailbox.receiver();
          const acked = new Map<number, number>();
          const observed = new Map<number, number>();
          const heldBy = new Map<number, number>(); // id -> consumer index, as the test sees it
          const step = (label: string): Promise<void> => s.schedule(Promise.resolve(), label);

          const producer = async (): Promise<void> => {
            for (let v = 1; v <= total; v++) {
              await step(`send ${v}`);
              await mailbox.send(v);
            }
          };

          const consumer = async (index: number, script: Action[]): Promise<void> => {
            let rx = root.clone();
            let mine: Array<Lease<number>> = [];
            let turn = 0;
            const take = (lease: Lease<number>): void => {
              expect(lease.held).toBe(true);
              expect(heldBy.has(lease.id)).toBe(false);
              heldBy.set(lease.id, index);
              observed.set(lease.id, (observed.get(lease.id) ?? 0) + 1);
              expect(lease.deliveries).toBe(observed.get(lease.id));
              mine.push(lease);
            };
            const drop = (): void => {
              for (const l of mine) heldBy.delete(l.id);
              mine = [];
            };
            for (;;) {
              try {
                take(await rx.receive());
              } catch (error) {
                expect(error).toBeInstanceOf(MailboxClosedError);
                return;
              }
              for (;;) {
                await step(`consumer ${index}`);
                const what = script[turn++] ?? 'ack'; // scripts are finite: then it behaves
                if (what === 'hold') {
                  const more = rx.tryReceive();
                  if (more !== undefined) {
                    take(more);
                    continue;
                  }
                }
                if (what === 'nack') {
                  mine[mine.length - 1]!.nack();
                  drop();
                } else if (what === 'crash') {
                  rx.release();
                  drop();
                  rx = root.clone();
                } else {
                  for (const lease of mine.reverse()) {
                    lease.ack();
                    acked.set(lease.id, (acked.get(lease.id) ?? 0) + 1);
                    heldBy.delete(lease.id);
                  }
                  mine = [];
                  if ([...acked.keys()].length === total) mailbox.close();
                }
                break;
              }
            }
          };

          const all = Promise.all([producer(), ...scripts.map((script, i) => consumer(i, script))]);
          await s.waitFor(all);
          await all;
          expect(mailbox.drained).toBe(true);
          for (let id = 1; id <= total; id++) expect(acked.get(id)).toBe(1);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('RxJS face with failing work and retry: every message is processed and acked exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.func(fc.boolean()),
        fc.integer({ min: 1, max: 3 }),
        async (total, fails, concurrency) => {
          const mailbox = new Mailbox<number>({ capacity: 8 });
          const sending = (async () => {
            for (let v = 1; v <= total; v++) await mailbox.send(v);
            mailbox.close();
          })();
          const done = await lastValueFrom(
            mailbox
              .receiver()
              .leases()
              .pipe(
                ackOnSuccess(
                  async (v: number, lease) => {
                    // fail at most twice per message, so the run ends
                    if (lease.deliveries < 3 && fails(v, lease.deliveries)) throw new Error(`work on ${v} failed`);
                    return v;
                  },
                  { concurrency },
                ),
                retry(),
                toArray(),
              ),
          );
          await sending;
          expect([...done].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
          expect(mailbox.drained).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });
});

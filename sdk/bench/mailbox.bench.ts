// Mailbox throughput: one producer, one consumer, send -> receive -> ack, 1M messages, capacity
// 1024. Side by side in one run: the Stage mailbox (promise face and RxJS face), a bare RxJS
// Subject (no buffering, no acks: the floor of RxJS itself) and Effect v4's Queue.bounded
// offer/take (the peer). Writes bench-results/mailbox.json.
import { Effect, Fiber, Queue } from 'effect';
import { Subject } from 'rxjs';
import { Mailbox } from '../src/mailbox/index.js';
import { interleavedBestRates, writeReport } from './report.js';

const N = Number(globalThis.process?.env.MAILBOX_BENCH_N ?? 1_000_000);
const CAPACITY = 1024;

function check(sum: number): void {
  if (sum !== (N * (N - 1)) / 2) throw new Error(`lost or duplicated messages: sum ${sum}`);
}

async function stageMailbox(): Promise<void> {
  const mailbox = new Mailbox<number>({ capacity: CAPACITY });
  const receiver = mailbox.receiver();
  const consumer = (async () => {
    let sum = 0;
    for (let i = 0; i < N; i++) {
      const lease = await receiver.receive();
      sum += lease.value;
      lease.ack();
    }
    return sum;
  })();
  for (let i = 0; i < N; i++) await mailbox.send(i);
  check(await consumer);
}

async function stageLeaseStream(): Promise<void> {
  const mailbox = new Mailbox<number>({ capacity: CAPACITY });
  let sum = 0;
  const done = new Promise<void>((resolve) =>
    mailbox
      .receiver()
      .leases()
      .subscribe({
        next(lease) {
          sum += lease.value;
          lease.ack();
        },
        complete: resolve,
      }),
  );
  for (let i = 0; i < N; i++) await mailbox.send(i);
  mailbox.close();
  await done;
  check(sum);
}

function rxjsSubject(): void {
  const subject = new Subject<number>();
  let sum = 0;
  subject.subscribe((v) => {
    sum += v;
  });
  for (let i = 0; i < N; i++) subject.next(i);
  subject.complete();
  check(sum);
}

function effectQueue(): Promise<void> {
  return Effect.runPromise(
    Effect.gen(function* () {
      const queue = yield* Queue.bounded<number>(CAPACITY);
      const consumer = yield* Effect.forkChild(
        Effect.gen(function* () {
          let sum = 0;
          for (let i = 0; i < N; i++) sum += yield* Queue.take(queue);
          return sum;
        }),
      );
      for (let i = 0; i < N; i++) yield* Queue.offer(queue, i);
      check(yield* Fiber.join(consumer));
    }),
  );
}

// The machine is shared and noisy: warm every implementation up, then run them in turns for
// several rounds and keep each one's best, so a burst of load hits them alike.
const implementations: Record<string, () => Promise<void> | void> = {
  effect: effectQueue,
  stage: stageMailbox,
  subject: rxjsSubject,
  'stage (leases$)': stageLeaseStream,
};
const ROUNDS = Number(globalThis.process?.env.MAILBOX_BENCH_ROUNDS ?? 5);
const results = await interleavedBestRates(N, implementations, ROUNDS);

writeReport({
  name: 'mailbox',
  unit: 'msg/s',
  results,
  ratios: {
    'stage/effect': results.stage! / results.effect!,
    'stage/subject': results.stage! / results.subject!,
  },
  notes: {
    messages: N,
    capacity: CAPACITY,
    shape: 'one producer awaits send, one consumer awaits receive then acks; each implementation warmed up, then best of ROUNDS interleaved rounds',
    rounds: ROUNDS,
    'stage (leases$)': 'the same Stage mailbox consumed through receiver.leases() (synchronous delivery, ack in next)',
  },
});

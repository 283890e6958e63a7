// Chaos: many messages through one mailbox, consumed by a supervised group of 4 workers that
// crash on a seeded random 1% of deliveries. Every message is processed and acked exactly once,
// except poison messages (always throw), which end in dead letters after exactly N attempts.
// Zero lost. Node runs 100,000 messages; the browser run uses 20,000 to keep the suite quick.
import { describe, expect, it } from 'vitest';
import { Mailbox } from '../mailbox/index.js';
import { createSystem, serveMailbox, type DeadLetter } from './index.js';

/** mulberry32: a small seeded PRNG, so a failing run can be replayed exactly. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const inNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

interface Job {
  readonly id: number;
  readonly poison: boolean;
}

async function runChaos(count: number, seed: number) {
  const maxDeliveries = 3;
  const random = seeded(seed);
  const mailbox = new Mailbox<Job>({ capacity: 1024, name: 'jobs' });
  const processed = new Uint8Array(count);
  const poisonAttempts = new Map<number, number>();
  let crashes = 0;
  const system = createSystem({ name: 'chaos', deadLetterCapacity: 0 });
  const letters: DeadLetter[] = [];
  system.deadLetters$.subscribe((l) => letters.push(l));
  const workers = system.group(
    serveMailbox<Job>(
      mailbox,
      (job, lease) => {
        if (job.poison) {
          poisonAttempts.set(job.id, (poisonAttempts.get(job.id) ?? 0) + 1);
          throw new Error(`poison ${job.id}`);
        }
        // A transient fault: 1% of deliveries, never on a message's last allowed delivery.
        if (random() < 0.01 && lease.deliveries < maxDeliveries) {
          crashes++;
          throw new Error(`transient fault on ${job.id}`);
        }
        processed[job.id]!++;
      },
      { maxDeliveries },
    ),
    // transient: a crashed worker is replaced; one that ends because the mailbox is drained is not.
    { name: 'workers', size: 4, restart: 'transient', intensity: { maxRestarts: Infinity } },
  );
  const poison = new Set<number>();
  const producer = (async () => {
    for (let id = 0; id < count; id++) {
      const isPoison = id % 9973 === 4999;
      if (isPoison) poison.add(id);
      const job = { id, poison: isPoison };
      if (!mailbox.trySend(job)) await mailbox.send(job);
    }
    mailbox.close();
  })();
  // The workers end normally once the mailbox is closed and drained.
  await producer;
  const exit = await workers.done;
  return { exit, processed, poison, poisonAttempts, letters, crashes, stats: workers.stats$.value, mailbox };
}

describe('chaos: a supervised group of 4 workers on one mailbox', () => {
  it('processes every message exactly once and dead-letters each poison message after exactly 3 attempts', async () => {
    const count = inNode ? 100_000 : 20_000;
    const r = await runChaos(count, 0xc0ffee);
    expect(r.exit).toEqual({ reason: 'normal' });
    let once = 0;
    for (let id = 0; id < count; id++) {
      const expected = r.poison.has(id) ? 0 : 1;
      if (r.processed[id] !== expected) throw new Error(`message ${id} processed ${r.processed[id]} times, expected ${expected}`);
      once += expected;
    }
    expect(once + r.poison.size).toBe(count); // zero lost
    expect(r.poison.size).toBeGreaterThan(0);
    expect([...r.poisonAttempts.values()].every((n) => n === 3)).toBe(true);
    expect(r.letters.map((l) => (l.message as Job).id).sort((a, b) => a - b)).toEqual([...r.poison].sort((a, b) => a - b));
    expect(r.letters.every((l) => l.recipient === 'chaos/workers' && l.deliveries === 3 && (l.cause as Error).message.startsWith('poison'))).toBe(true);
    // Roughly 1% transient crashes happened, each one a worker restart, plus 3 crashes per poison message.
    expect(r.crashes).toBeGreaterThan(count * 0.005);
    expect(r.stats.restarts).toBe(r.crashes + 3 * r.poison.size);
    expect(r.mailbox.size + r.mailbox.inFlight).toBe(0);
  });
});

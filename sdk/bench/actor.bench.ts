// Actor throughput: messages per second through one actor with a counter state, fire-and-forget
// (tell), then one ask/read at the end to know they were all handled. Side by side in one run:
// a Stage actor (inbox = a Mailbox with leases: each message leased, handled, acked) and an
// XState v5 actor doing the same (createActor, send, assign). Writes bench-results/actor.json.
import { assign, createActor, setup } from 'xstate';
import { createSystem, defineActor, type Reply } from '../src/supervision/index.js';
import { interleavedBestRates, writeReport } from './report.js';

const N = Number(globalThis.process?.env.ACTOR_BENCH_N ?? 1_000_000);
const ROUNDS = Number(globalThis.process?.env.ACTOR_BENCH_ROUNDS ?? 5);

type CounterMessage = { readonly type: 'inc' } | { readonly type: 'get'; readonly reply: Reply<number> };
const INC: CounterMessage = { type: 'inc' };

const counter = defineActor<number, CounterMessage>({
  name: 'counter',
  initial: 0,
  handle: (count, message) => {
    if (message.type === 'inc') return count + 1;
    message.reply(count);
    return count;
  },
});

async function stage(): Promise<void> {
  const system = createSystem({ name: 'bench' });
  const ref = system.spawn(counter);
  for (let i = 0; i < N; i++) ref.tell(INC);
  const count = await ref.ask({ type: 'get' }, { timeoutMs: 60_000 });
  if (count !== N) throw new Error(`stage actor counted ${count}, expected ${N}`);
  await system.shutdown();
}

const machine = setup({
  types: { context: {} as { count: number }, events: {} as { type: 'inc' } },
}).createMachine({
  context: { count: 0 },
  on: { inc: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

const INC_EVENT = { type: 'inc' } as const;

function xstate(): void {
  const actor = createActor(machine).start();
  for (let i = 0; i < N; i++) actor.send(INC_EVENT);
  const count = actor.getSnapshot().context.count;
  if (count !== N) throw new Error(`xstate actor counted ${count}, expected ${N}`);
  actor.stop();
}

// Warm both up, then run them in turns and keep each one's best, so load bursts hit them alike.
const implementations: Record<string, () => Promise<void> | void> = { stage, xstate };
const results = await interleavedBestRates(N, implementations, ROUNDS);

writeReport({
  name: 'actor',
  unit: 'msg/s',
  results,
  ratios: { 'stage/xstate': results.stage! / results.xstate! },
  notes: {
    messages: N,
    rounds: ROUNDS,
    shape: 'N tells of {type:"inc"} to a counter actor, then one read; best of ROUNDS interleaved rounds after a warm-up',
    stage: 'system.spawn(defineActor(...)); ref.tell(); inbox is a Mailbox (lease, handle, ack per message); final ref.ask({type:"get"})',
    xstate: 'createActor(setup(...).createMachine({ on: { inc: assign } })).start(); actor.send(); final getSnapshot()',
    fairness: 'both reuse one event object; XState handles send() synchronously, Stage in a microtask after the tells (its inbox holds the backlog)',
  },
});

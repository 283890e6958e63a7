// Actor throughput: messages per second through one actor with a counter state, fire-and-forget
// (tell), then one ask/read at the end to know they were all handled. Side by side in one run:
// a Stage actor (inbox = a Mailbox with leases: each message leased, handled, acked), an XState v5
// reducer actor (`fromTransition`: the same kind of actor, a state and a transition function) and
// an XState v5 machine actor (createActor, send, assign). Rounds are interleaved; each ratio is the
// median of the per-round ratios, with its range. Writes bench-results/actor.json.
import { assign, createActor, fromTransition, setup } from 'xstate';
import { createSystem, defineActor, type Reply } from '../src/supervision/index.js';
import { interleavedRates, ratioSpread, spreadOf, writeReport } from './report.js';

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

const reducer = fromTransition((count: number, event: { type: 'inc' }) => (event.type === 'inc' ? count + 1 : count), 0);

function xstateTransition(): void {
  const actor = createActor(reducer).start();
  for (let i = 0; i < N; i++) actor.send(INC_EVENT);
  const count = actor.getSnapshot().context;
  if (count !== N) throw new Error(`xstate fromTransition actor counted ${count}, expected ${N}`);
  actor.stop();
}

// Warm every one up, then run them in turns, so load bursts hit them alike; every round's rate is kept.
const implementations: Record<string, () => Promise<void> | void> = { stage, xstate_transition: xstateTransition, xstate };
const rates = await interleavedRates(N, implementations, ROUNDS);
const results: Record<string, number> = {};
const ranges: Record<string, [number, number]> = {};
for (const [name, rs] of Object.entries(rates)) {
  const s = spreadOf(rs);
  results[name] = s.median;
  ranges[name] = [s.min, s.max];
}
const vsTransition = ratioSpread(rates.stage!, rates.xstate_transition!);
const vsMachine = ratioSpread(rates.stage!, rates.xstate!);
console.log(`stage/xstate_transition ${vsTransition.median.toFixed(2)}x [${vsTransition.min.toFixed(2)}–${vsTransition.max.toFixed(2)}] over ${ROUNDS} rounds`);
console.log(`stage/xstate (machine)  ${vsMachine.median.toFixed(2)}x [${vsMachine.min.toFixed(2)}–${vsMachine.max.toFixed(2)}] over ${ROUNDS} rounds`);

writeReport({
  name: 'actor',
  unit: 'msg/s',
  results,
  ratios: { 'stage/xstate_transition': vsTransition.median, 'stage/xstate': vsMachine.median },
  notes: {
    messages: N,
    rounds: ROUNDS,
    statistic: 'results: median msg/s over the rounds; ratios: median of the per-round ratios',
    ranges,
    ratio_ranges: { 'stage/xstate_transition': [vsTransition.min, vsTransition.max], 'stage/xstate': [vsMachine.min, vsMachine.max] },
    shape: 'N tells of {type:"inc"} to a counter actor, then one read; ROUNDS interleaved rounds after a warm-up',
    stage: 'system.spawn(defineActor(...)); ref.tell(); inbox is a Mailbox (lease, handle, ack per message); final ref.ask({type:"get"})',
    xstate_transition: 'createActor(fromTransition((count, event) => count + 1, 0)).start(); actor.send(); final getSnapshot().context',
    xstate: 'createActor(setup(...).createMachine({ on: { inc: assign } })).start(); actor.send(); final getSnapshot()',
    fairness: 'both reuse one event object; XState handles send() synchronously, Stage in a microtask after the tells (its inbox holds the backlog)',
  },
});

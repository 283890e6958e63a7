// Machine message throughput: two machines ping-pong a counter N times (N deliveries), Stage's
// engine vs two XState v5 actors doing the same (with `sendTo`, and with a direct `send` from an
// action, XState's fastest path; the ratio uses the faster). Also Stage with the trace stream
// observed (every delivery formatted as the seed's line) to show what tracing costs.
// Writes bench-results/machine.json.
import { assign, createActor, sendTo, setup, type AnyActorRef } from 'xstate';
import { defineMachine, Engine, type Machine, type MachineRef } from '../src/machine/index.js';
import { bestRate, writeReport } from './report.js';

const N = Number(globalThis.process?.env.MACHINE_BENCH_N ?? 500_000);

interface BallMsgs {
  M1: number;
}
interface BallData {
  peer: MachineRef<BallMsgs> | null;
  readonly finished: () => void;
}

const player = defineMachine<BallMsgs, BallData>()({
  kind: 'PLAYER',
  initial: 'PLAY',
  states: {
    PLAY: {
      M1: (me, n) => {
        if (n === 0) me.data.finished();
        else me.msgTo(me.data.peer!, 'M1', n - 1);
      },
    },
  },
});

function stage(traced: boolean): Promise<void> {
  return new Promise((resolve) => {
    const engine = new Engine();
    let lines = 0;
    if (traced) engine.trace$.subscribe((entry) => (lines += entry.line.length > 0 ? 1 : 0));
    const finished = (): void => {
      engine.stop();
      if (traced && lines < N) throw new Error(`traced ${lines} of ${N} deliveries`);
      resolve();
    };
    const a: Machine<BallMsgs, BallData, 'PLAY'> = engine.spawn(player, { peer: null, finished });
    const b = engine.spawn(player, { peer: a, finished });
    a.data.peer = b;
    engine.msgTo(a, 'M1', N - 1);
  });
}

type BallEvent = { type: 'PEER'; ref: AnyActorRef } | { type: 'BALL'; n: number };

function xstate(): Promise<void> {
  return new Promise<void>((resolve) => {
    const playerMachine = setup({
      types: { context: {} as { peer: AnyActorRef | null }, events: {} as BallEvent },
      actions: { finished: () => resolve() },
      guards: { last: ({ event }) => event.type === 'BALL' && event.n === 0 },
    }).createMachine({
      context: { peer: null },
      initial: 'play',
      states: {
        play: {
          on: {
            PEER: { actions: assign({ peer: ({ event }) => event.ref }) },
            BALL: [
              { guard: 'last', actions: 'finished' },
              {
                actions: sendTo(
                  ({ context }) => context.peer!,
                  ({ event }) => ({ type: 'BALL', n: (event as { n: number }).n - 1 }),
                ),
              },
            ],
          },
        },
      },
    });
    const a = createActor(playerMachine).start();
    const b = createActor(playerMachine).start();
    a.send({ type: 'PEER', ref: b });
    b.send({ type: 'PEER', ref: a });
    a.send({ type: 'BALL', n: N - 1 });
  });
}

/** XState's fastest way: the action calls the peer's `send` directly (no sendTo action object). */
function xstateDirect(): Promise<void> {
  return new Promise<void>((resolve) => {
    const refs: { peer: AnyActorRef | null }[] = [{ peer: null }, { peer: null }];
    const make = (slot: { peer: AnyActorRef | null }) =>
      setup({ types: { events: {} as { type: 'BALL'; n: number } } }).createMachine({
        initial: 'play',
        states: {
          play: {
            on: {
              BALL: {
                actions: ({ event }) => {
                  if (event.n === 0) resolve();
                  else slot.peer!.send({ type: 'BALL', n: event.n - 1 });
                },
              },
            },
          },
        },
      });
    const a = createActor(make(refs[0]!)).start();
    const b = createActor(make(refs[1]!)).start();
    refs[0]!.peer = b;
    refs[1]!.peer = a;
    a.send({ type: 'BALL', n: N - 1 });
  });
}

const results = {
  'stage (deliveries/s)': await bestRate(N, () => stage(false)),
  'stage traced (deliveries/s)': await bestRate(N, () => stage(true)),
  'xstate v5 actors, sendTo (deliveries/s)': await bestRate(N, xstate),
  'xstate v5 actors, direct send (deliveries/s)': await bestRate(N, xstateDirect),
};
const xstateBest = Math.max(results['xstate v5 actors, sendTo (deliveries/s)'], results['xstate v5 actors, direct send (deliveries/s)']);
writeReport({
  name: 'machine',
  unit: 'deliveries/s',
  results,
  ratios: {
    // Against XState's faster variant, so the ratio is not flattered.
    'stage/xstate': results['stage (deliveries/s)'] / xstateBest,
    'stage traced/xstate': results['stage traced (deliveries/s)'] / xstateBest,
  },
  notes: { N, scenario: 'two machines ping-pong a counter N times; one delivery per hop' },
});

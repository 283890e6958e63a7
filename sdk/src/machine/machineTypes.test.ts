// Type-level guarantees, checked by `tsc -p sdk`: every `@ts-expect-error` line below must be an
// error, or the compile fails. The runtime test runs the well-typed half.
import { describe, expect, it } from 'vitest';
import { defineMachine, Engine, type MachineRef } from './index.js';

interface WorkerMsgs {
  M0: void;
  M1: string | undefined;
  M2: undefined;
}
interface RxMsgs {
  M0: void;
  M1: { readonly requester: MachineRef<{ M1: undefined; M2: undefined }> };
  D0: void;
  T0: void;
}

const rx = defineMachine<RxMsgs>()({
  kind: 'RX',
  initial: 'IDLE',
  states: {
    IDLE: {
      M1: (me, ctx) => {
        me.msgTo(ctx.requester, 'M1');
        me.goto('WORK');
      },
    },
    WORK: {
      enter: (me) => {
        me.timer('T0', 10);
      },
      T0: (me) => me.goto('IDLE'),
    },
  },
});

const worker = defineMachine<WorkerMsgs>()({
  kind: 'WORKER',
  initial: 'IDLE',
  states: { IDLE: { M1: (me, text) => me.note(`got ${text ?? 'nothing'}`), M2: () => undefined } },
});

export function compileTimeChecks(engine: Engine): void {
  const r = engine.spawn(rx);
  const w = engine.spawn(worker);
  // A machine accepting more tags passes where fewer are required.
  engine.msgTo(r, 'M1', { requester: w });
  // @ts-expect-error RX does not accept M2
  engine.msgTo(r, 'M2');
  // @ts-expect-error WORKER's M1 carries a string, not a number
  engine.msgTo(w, 'M1', 42);
  // @ts-expect-error M1 needs its payload
  engine.msgTo(r, 'M1');

  defineMachine<RxMsgs>()({
    kind: 'RX',
    initial: 'IDLE',
    states: {
      IDLE: {
        // @ts-expect-error goto to a state the machine does not declare
        M0: (me) => me.goto('NOWHERE'),
        // @ts-expect-error a handler for a tag the machine does not declare
        M7: () => undefined,
      },
    },
  });

  defineMachine<RxMsgs>()({
    kind: 'RX',
    // @ts-expect-error initial state not among the states
    initial: 'BUSY',
    states: { IDLE: {} },
  });

  // @ts-expect-error a message map key that is not an event tag (M, S, T, D0..D2, F)
  defineMachine<{ X0: void }>();
  // @ts-expect-error D3 is not an I/O tag
  defineMachine<{ D3: void }>();

  defineMachine<{ M0: void; T0: void }>()({
    kind: 'T',
    initial: 'A',
    states: {
      A: {
        enter: (me) => {
          // @ts-expect-error a channel for a tag the machine does not declare
          me.timer('T1', 5);
        },
      },
    },
  });
}

describe('machine types', () => {
  it('runs the well-typed machines: RX answers a requester that accepts more than it needs', async () => {
    const engine = new Engine();
    const notes: string[] = [];
    engine.trace$.subscribe((entry) => entry.kind === 'note' && notes.push(entry.line));
    const r = engine.spawn(rx);
    const w = engine.spawn(worker);
    engine.msgTo(r, 'M1', { requester: w });
    await engine.whenIdle();
    expect(r.state).toBe('WORK');
    expect(notes).toEqual(['WORKER-1 : got nothing']);
    engine.stop();
  });

  it('rejects a definition whose initial state is missing, at run time too', () => {
    const define = defineMachine<{ M0: void }>() as (spec: unknown) => unknown;
    expect(() => define({ kind: 'X', initial: 'NOPE', states: { A: {} } })).toThrow(/initial state 'NOPE' is not in states/);
  });
});

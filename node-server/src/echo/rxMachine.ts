// RX, the machine that knows how to read (seed 003): INIT → IDLE (in the pool) → WORK, where it
// waits for bytes (D0), a hang-up (D2) or its timeout (T0) and answers its requester with M1 or
// M2. Leaving WORK stops the timer, as the seed's `workLeave` does.
import { defineMachine, type Channel, type Machine, type Pool } from '@stage/sdk';
import type { IoContext } from './IoContext.js';

export interface RxMessages {
  M0: void;
  /** A request: read from `channel`, answer `requester`. */
  M1: IoContext;
  D0: void;
  D2: Error;
  T0: void;
}

export interface RxData {
  readonly pool: Pool<RxMachine>;
  /** How long WORK waits for bytes before failing the request with M2. */
  readonly timeoutMs: number;
  /** Print the seed's `<<< 4 bytes: { 49, 50, 51, 10 }` line on the trace. */
  readonly dumpBytes: boolean;
  ctx: IoContext | null;
  timeout: Channel | null;
}

export type RxState = 'INIT' | 'IDLE' | 'WORK';
export type RxMachine = Machine<RxMessages, RxData, RxState>;

export const rxMachine = defineMachine<RxMessages, RxData>()({
  kind: 'RX',
  initial: 'INIT',
  states: {
    INIT: {
      enter: (me) => me.msgTo(me, 'M0'),
      M0: (me) => me.goto('IDLE'),
    },
    IDLE: {
      enter: (me) => me.data.pool.put(me),
      M1: (me, ctx) => {
        me.data.ctx = ctx;
        me.msgTo(me, 'M0');
      },
      M0: (me) => me.goto('WORK'),
    },
    WORK: {
      enter: (me) => {
        const channel = me.data.ctx!.channel;
        me.on('D0', channel.readable$);
        me.on('D2', channel.hangup$);
        me.data.timeout = me.timer('T0', me.data.timeoutMs);
      },
      D0: (me) => {
        const ctx = me.data.ctx!;
        const bytes = ctx.channel.read();
        if (bytes === null) return;
        ctx.bytes = bytes;
        if (me.data.dumpBytes && me.engine.tracing) me.print(`<<< ${bytes.length} bytes: { ${bytes.join(', ')} }`);
        finish(me, 'M1');
      },
      D2: (me) => finish(me, 'M2'),
      T0: (me) => finish(me, 'M2'),
      M0: (me) => me.goto('IDLE'),
      leave: (me) => {
        me.data.timeout?.disable();
        me.data.timeout = null;
      },
    },
  },
});

function finish(me: RxMachine, answer: 'M1' | 'M2'): void {
  const requester = me.data.ctx!.requester;
  me.data.ctx = null;
  // Whatever else is already queued from this request's channels (a hang-up racing the read,
  // the timeout racing the bytes) must not reach the next request.
  me.disableChannels();
  me.msgTo(me, 'M0');
  me.msgTo(requester, answer);
}

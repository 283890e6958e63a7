// TX, the machine that knows how to write (seed 003): INIT → IDLE (in the pool) → WORK, where it
// waits until the channel is writable (D1), writes the requester's bytes and answers M1, or sees
// a hang-up (D2) and answers M2. A client uses it with no bytes to learn that a connect finished.
import { defineMachine, type Machine, type Pool } from '@stage/sdk';
import type { IoContext } from './IoContext.js';

export interface TxMessages {
  M0: void;
  /** A request: write `bytes` to `channel`, answer `requester`. */
  M1: IoContext;
  D1: void;
  D2: Error;
}

export interface TxData {
  readonly pool: Pool<TxMachine>;
  ctx: IoContext | null;
}

export type TxState = 'INIT' | 'IDLE' | 'WORK';
export type TxMachine = Machine<TxMessages, TxData, TxState>;

export const txMachine = defineMachine<TxMessages, TxData>()({
  kind: 'TX',
  initial: 'INIT',
  states: {
    INIT: {
      // The seed's table only says "init i/o channel"; like RX, TX moves itself to IDLE.
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
        me.on('D1', channel.writable$);
        me.on('D2', channel.hangup$);
      },
      D1: (me) => {
        const ctx = me.data.ctx!;
        const written = ctx.bytes === null || ctx.channel.write(ctx.bytes);
        finish(me, written ? 'M1' : 'M2');
      },
      D2: (me) => finish(me, 'M2'),
      M0: (me) => me.goto('IDLE'),
    },
  },
});

function finish(me: TxMachine, answer: 'M1' | 'M2'): void {
  const requester = me.data.ctx!.requester;
  me.data.ctx = null;
  me.disableChannels();
  me.msgTo(me, 'M0');
  me.msgTo(requester, answer);
}

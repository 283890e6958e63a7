// The echo client's WORKER (seed 003): CONN → SEND → RECV → TWIX (pause) → SEND → ... and, on any
// failure, WAIT (longer pause, connection closed) → CONN. Connecting, writing and reading are
// delegated to TX and RX machines from pools, exactly as on the server.
import { defineMachine, type ByteChannel, type Machine, type Pool } from '@stage/sdk';
import type { IoContext } from './IoContext.js';
import type { RxMachine } from './rxMachine.js';
import type { TxMachine } from './txMachine.js';

export interface ClientWorkerMessages {
  /** Go on to the next state. */
  M0: void;
  /** From TX/RX: done. */
  M1: undefined;
  /** From TX/RX: failed. */
  M2: undefined;
  /** To self: go to WAIT. */
  M3: void;
  T0: void;
}

export interface ClientWorkerData {
  /** `host:port`, for the seed's `connected to '127.0.0.1:3333'` note. */
  readonly target: string;
  readonly connect: () => ByteChannel;
  readonly twixMs: number;
  readonly waitMs: number;
  readonly rxPool: Pool<RxMachine>;
  readonly txPool: Pool<TxMachine>;
  /** Every channel this worker opened and has not closed, so the client can close them at stop. */
  readonly open: Set<ByteChannel>;
  /** Called with every reply (for tests and statistics). */
  readonly onReply: (worker: string, reply: string) => void;
  ctx: IoContext | null;
  requests: number;
}

export type ClientWorkerState = 'INIT' | 'CONN' | 'SEND' | 'RECV' | 'TWIX' | 'WAIT';
export type ClientWorkerMachine = Machine<ClientWorkerMessages, ClientWorkerData, ClientWorkerState>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const clientWorkerMachine = defineMachine<ClientWorkerMessages, ClientWorkerData>()({
  kind: 'WORKER',
  initial: 'INIT',
  states: {
    INIT: {
      enter: (me) => me.msgTo(me, 'M0'),
      M0: (me) => me.goto('CONN'),
    },
    CONN: {
      enter: (me) => {
        const channel = me.data.connect();
        me.data.open.add(channel);
        me.data.ctx = { channel, requester: me, bytes: null };
        me.msgTo(me.data.txPool.take(), 'M1', me.data.ctx);
      },
      M1: (me) => {
        me.note(`connected to '${me.data.target}'`);
        me.msgTo(me, 'M0');
      },
      M2: (me) => {
        me.note(`can not connect to '${me.data.target}'`);
        me.msgTo(me, 'M3');
      },
      M0: (me) => me.goto('SEND'),
      M3: (me) => me.goto('WAIT'),
    },
    SEND: {
      enter: (me) => {
        const ctx = me.data.ctx!;
        ctx.bytes = encoder.encode(`${me.name}-${++me.data.requests}\n`);
        me.msgTo(me.data.txPool.take(), 'M1', ctx);
      },
      M1: (me) => me.msgTo(me, 'M0'),
      M2: (me) => me.msgTo(me, 'M3'),
      M0: (me) => me.goto('RECV'),
      M3: (me) => me.goto('WAIT'),
    },
    RECV: {
      enter: (me) => {
        const ctx = me.data.ctx!;
        ctx.bytes = null;
        me.msgTo(me.data.rxPool.take(), 'M1', ctx);
      },
      M1: (me) => {
        const reply = decoder.decode(me.data.ctx!.bytes ?? new Uint8Array()).trimEnd();
        if (me.engine.tracing) me.print(`reply: ${reply}`);
        me.data.onReply(me.name, reply);
        me.msgTo(me, 'M0');
      },
      M2: (me) => me.msgTo(me, 'M3'),
      M0: (me) => me.goto('TWIX'),
      M3: (me) => me.goto('WAIT'),
    },
    TWIX: {
      enter: (me) => me.timer('T0', me.data.twixMs),
      T0: (me) => me.goto('SEND'),
    },
    WAIT: {
      enter: (me) => {
        const ctx = me.data.ctx;
        if (ctx !== null) {
          ctx.channel.close();
          me.data.open.delete(ctx.channel);
          me.data.ctx = null;
        }
        me.timer('T0', me.data.waitMs);
      },
      T0: (me) => me.goto('CONN'),
    },
  },
});

// The echo server's WORKER (seed 003): the message-flow pattern for one client. IDLE (in the
// pool) until LISTENER hands it a client with M1, then RECV (an RX reads) and SEND (a TX writes
// it back) in turn until RX or TX fails (M2): FAIL gives the client back to LISTENER (M0).
import { defineMachine, type ByteChannel, type Machine, type MachineRef, type Pool } from '@stage/sdk';
import type { IoContext } from './IoContext.js';
import type { RxMachine } from './rxMachine.js';
import type { TxMachine } from './txMachine.js';

export interface ServerWorkerMessages {
  M0: void;
  /** In IDLE: the client to serve (from LISTENER). In RECV/SEND: RX/TX finished. */
  M1: ByteChannel | undefined;
  /** RX/TX failed: the client hung up, timed out or the write failed. */
  M2: undefined;
}

export interface ServerWorkerData {
  readonly listener: MachineRef<{ M0: ByteChannel }>;
  readonly workers: Pool<ServerWorkerMachine>;
  readonly rxPool: Pool<RxMachine>;
  readonly txPool: Pool<TxMachine>;
  ctx: IoContext | null;
}

export type ServerWorkerState = 'INIT' | 'IDLE' | 'RECV' | 'SEND' | 'FAIL';
export type ServerWorkerMachine = Machine<ServerWorkerMessages, ServerWorkerData, ServerWorkerState>;

export const serverWorkerMachine = defineMachine<ServerWorkerMessages, ServerWorkerData>()({
  kind: 'WORKER',
  initial: 'INIT',
  states: {
    INIT: {
      enter: (me) => me.msgTo(me, 'M0'),
      M0: (me) => me.goto('IDLE'),
    },
    IDLE: {
      enter: (me) => me.data.workers.put(me),
      M1: (me, client) => {
        if (client === undefined) return;
        me.data.ctx = { channel: client, requester: me, bytes: null };
        me.msgTo(me, 'M0');
      },
      M0: (me) => me.goto('RECV'),
    },
    RECV: {
      enter: (me) => me.msgTo(me.data.rxPool.take(), 'M1', me.data.ctx!),
      M0: (me) => me.goto('SEND'),
      M1: (me) => me.msgTo(me, 'M0'),
      M2: (me) => me.goto('FAIL'),
    },
    SEND: {
      enter: (me) => me.msgTo(me.data.txPool.take(), 'M1', me.data.ctx!),
      M0: (me) => me.goto('RECV'),
      M1: (me) => me.msgTo(me, 'M0'),
      M2: (me) => me.goto('FAIL'),
    },
    FAIL: {
      enter: (me) => {
        const client = me.data.ctx!.channel;
        me.data.ctx = null;
        me.msgTo(me, 'M0');
        me.msgTo(me.data.listener, 'M0', client);
      },
      M0: (me) => me.goto('IDLE'),
    },
  },
});

// The echo client's TERMINATOR (seed 003): a stand-alone machine whose only job is to stop the
// event loop on SIGINT (S0) or SIGTERM (S1).
import { defineMachine, type Machine } from '@stage/sdk';
import type { Observable } from 'rxjs';

export interface TerminatorMessages {
  M0: void;
  S0: void;
  S1: void;
}

export interface TerminatorData {
  readonly interrupt$: Observable<void>;
  readonly terminate$: Observable<void>;
}

export type TerminatorMachine = Machine<TerminatorMessages, TerminatorData, 'INIT' | 'IDLE'>;

export const terminatorMachine = defineMachine<TerminatorMessages, TerminatorData>()({
  kind: 'TERMINATOR',
  initial: 'INIT',
  states: {
    INIT: {
      enter: (me) => me.msgTo(me, 'M0'),
      M0: (me) => me.goto('IDLE'),
    },
    IDLE: {
      enter: (me) => {
        me.on('S0', me.data.interrupt$);
        me.on('S1', me.data.terminate$);
      },
      S0: (me) => me.engine.stop(),
      S1: (me) => me.engine.stop(),
    },
  },
});

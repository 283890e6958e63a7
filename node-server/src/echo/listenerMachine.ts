// The echo server's LISTENER (seed 003): accepts connections (D0), takes a WORKER from the pool
// for each (M1), closes a client its WORKER gave back (M0) and stops the event loop on SIGINT
// (S0) or SIGTERM (S1). Leaving WORK closes the listening socket and every client.
import { defineMachine, type ByteChannel, type Machine, type Pool } from '@stage/sdk';
import type { ListenerChannel } from '@stage/sdk/node';
import type { Observable } from 'rxjs';
import type { ServerWorkerMachine } from './serverWorkerMachine.js';

export interface ListenerMessages {
  M0: ByteChannel | undefined;
  D0: void;
  S0: void;
  S1: void;
}

export interface ListenerData {
  readonly listener: ListenerChannel;
  readonly workers: Pool<ServerWorkerMachine>;
  readonly interrupt$: Observable<void>;
  readonly terminate$: Observable<void>;
  readonly clients: Set<ByteChannel>;
}

export type ListenerState = 'INIT' | 'WORK';
export type ListenerMachine = Machine<ListenerMessages, ListenerData, ListenerState>;

export const listenerMachine = defineMachine<ListenerMessages, ListenerData>()({
  kind: 'LISTENER',
  initial: 'INIT',
  states: {
    INIT: {
      // Channels are prepared by the caller (binding a port is asynchronous in Node).
      enter: (me) => me.msgTo(me, 'M0'),
      M0: (me) => me.goto('WORK'),
    },
    WORK: {
      enter: (me) => {
        me.on('D0', me.data.listener.acceptable$);
        me.on('S0', me.data.interrupt$);
        me.on('S1', me.data.terminate$);
      },
      D0: (me) => {
        const client = me.data.listener.accept();
        if (client === null) return;
        const worker = me.data.workers.tryTake();
        if (worker === undefined) {
          me.note(`no idle WORKER, refusing ${client.peer}`);
          client.close();
          return;
        }
        me.data.clients.add(client);
        me.msgTo(worker, 'M1', client);
      },
      M0: (me, client) => {
        if (client === undefined) return;
        me.data.clients.delete(client);
        client.close();
      },
      S0: (me) => me.engine.stop(),
      S1: (me) => me.engine.stop(),
      leave: (me) => {
        for (const client of me.data.clients) client.close();
        me.data.clients.clear();
        void me.data.listener.close();
        me.note('bye');
      },
    },
  },
});

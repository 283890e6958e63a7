// Starts the seed's echo server: binds the port, then spawns LISTENER with pools of WORKER, RX
// and TX machines on one engine. Stops on SIGINT/SIGTERM (or the given signal sources) or stop().
import { Engine, Pool, type ByteChannel } from '@stage/sdk';
import { ListenerChannel, signalSource } from '@stage/sdk/node';
import type { Observable } from 'rxjs';
import { listenerMachine, type ListenerMachine } from './listenerMachine.js';
import { serverWorkerMachine, type ServerWorkerMachine } from './serverWorkerMachine.js';
import { rxMachine, type RxMachine } from './rxMachine.js';
import { txMachine, type TxMachine } from './txMachine.js';

export interface EchoServerConfig {
  /** Default 0: a free port, see `EchoServer.port`. */
  readonly port?: number;
  readonly host?: string;
  /** RX gives up on a client that sends nothing for this long (T0). Default 30000 ms. */
  readonly rxTimeoutMs?: number;
  /** Most clients served at once; further connections are closed. Default 10000. */
  readonly maxClients?: number;
  /** WORKER, RX and TX machines spawned up front. Default 1. */
  readonly prefill?: number;
  /**
   * The engine to run on (pass one to watch `trace$` from the very first delivery). Default: a
   * new Engine with `drainOn: 'task'`, which batches the I/O events of one event-loop turn.
   */
  readonly engine?: Engine;
  /** S0 and S1 sources. Default: the process's SIGINT and SIGTERM. */
  readonly interrupt$?: Observable<void>;
  readonly terminate$?: Observable<void>;
}

export interface EchoServer {
  readonly engine: Engine;
  readonly port: number;
  readonly listener: ListenerMachine;
  /** Stops the event loop gracefully (as S0 would) and resolves when it has stopped. */
  stop(): Promise<void>;
}

export async function startEchoServer(config: EchoServerConfig = {}): Promise<EchoServer> {
  const engine = config.engine ?? new Engine({ drainOn: 'task' });
  const channel = await ListenerChannel.listen({ port: config.port ?? 0, host: config.host ?? '127.0.0.1' });
  const rxTimeoutMs = config.rxTimeoutMs ?? 30_000;
  const rxPool: Pool<RxMachine> = new Pool({
    spawn: () => engine.spawn(rxMachine, { pool: rxPool, timeoutMs: rxTimeoutMs, dumpBytes: true, ctx: null, timeout: null }),
  });
  const txPool: Pool<TxMachine> = new Pool({ spawn: () => engine.spawn(txMachine, { pool: txPool, ctx: null }) });
  // eslint-disable-next-line prefer-const -- read by a callback that can run before the assignment; const would throw there
  let listener: ListenerMachine | undefined;
  const workers: Pool<ServerWorkerMachine> = new Pool({
    max: config.maxClients ?? 10_000,
    spawn: () => engine.spawn(serverWorkerMachine, { listener: listener!, workers, rxPool, txPool, ctx: null }),
  });
  listener = engine.spawn(listenerMachine, {
    listener: channel,
    workers,
    interrupt$: config.interrupt$ ?? signalSource('SIGINT'),
    terminate$: config.terminate$ ?? signalSource('SIGTERM'),
    clients: new Set<ByteChannel>(),
  });
  const prefill = config.prefill ?? 1;
  workers.prefill(prefill);
  rxPool.prefill(prefill);
  txPool.prefill(prefill);
  return {
    engine,
    port: channel.port,
    listener,
    stop: async () => {
      engine.stop();
      await engine.done;
      await channel.close();
    },
  };
}

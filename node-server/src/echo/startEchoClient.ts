// Starts the seed's echo client: a TERMINATOR and N WORKERs, each cycling CONN → SEND → RECV →
// TWIX → SEND ..., with WAIT → CONN after a failure. RX and TX machines come from pools.
import { Engine, Pool, type ByteChannel } from '@stage/sdk';
import { SocketChannel, signalSource } from '@stage/sdk/node';
import type { Observable } from 'rxjs';
import { clientWorkerMachine, type ClientWorkerMachine } from './clientWorkerMachine.js';
import { terminatorMachine } from './terminatorMachine.js';
import { rxMachine, type RxMachine } from './rxMachine.js';
import { txMachine, type TxMachine } from './txMachine.js';

export interface EchoClientConfig {
  readonly port: number;
  readonly host?: string;
  /** WORKER machines, each with its own connection. Default 1. */
  readonly workers?: number;
  /** Pause between a reply and the next request (TWIX). Default 500 ms. */
  readonly twixMs?: number;
  /** Pause before reconnecting after a failure (WAIT). Default 5000 ms. */
  readonly waitMs?: number;
  /** How long RX waits for a reply. Default 5000 ms. */
  readonly rxTimeoutMs?: number;
  /** Called with every reply. */
  readonly onReply?: (worker: string, reply: string) => void;
  readonly engine?: Engine;
  readonly interrupt$?: Observable<void>;
  readonly terminate$?: Observable<void>;
}

export interface EchoClient {
  readonly engine: Engine;
  readonly workers: readonly ClientWorkerMachine[];
  /** Stops gracefully, closes every connection, resolves when stopped. */
  stop(): Promise<void>;
}

export function startEchoClient(config: EchoClientConfig): EchoClient {
  const engine = config.engine ?? new Engine();
  const host = config.host ?? '127.0.0.1';
  const count = config.workers ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`startEchoClient: workers must be an integer >= 1, got ${count}.`);
  const rxTimeoutMs = config.rxTimeoutMs ?? 5000;
  const open = new Set<ByteChannel>();
  const rxPool: Pool<RxMachine> = new Pool({
    spawn: () => engine.spawn(rxMachine, { pool: rxPool, timeoutMs: rxTimeoutMs, dumpBytes: false, ctx: null, timeout: null }),
  });
  const txPool: Pool<TxMachine> = new Pool({ spawn: () => engine.spawn(txMachine, { pool: txPool, ctx: null }) });
  engine.spawn(terminatorMachine, {
    interrupt$: config.interrupt$ ?? signalSource('SIGINT'),
    terminate$: config.terminate$ ?? signalSource('SIGTERM'),
  });
  // RX and TX first, so they are idle in their pools before the first WORKER asks.
  rxPool.prefill(count);
  txPool.prefill(count);
  const workers: ClientWorkerMachine[] = [];
  for (let i = 0; i < count; i++) {
    workers.push(
      engine.spawn(clientWorkerMachine, {
        target: `${host}:${config.port}`,
        connect: () => SocketChannel.connect({ port: config.port, host }),
        twixMs: config.twixMs ?? 500,
        waitMs: config.waitMs ?? 5000,
        rxPool,
        txPool,
        open,
        onReply: config.onReply ?? (() => undefined),
        ctx: null,
        requests: 0,
      }),
    );
  }
  const closeAll = (): void => {
    for (const channel of open) channel.close();
    open.clear();
  };
  engine.done.then(closeAll, closeAll);
  return {
    engine,
    workers,
    stop: async () => {
      engine.stop();
      await engine.done;
    },
  };
}

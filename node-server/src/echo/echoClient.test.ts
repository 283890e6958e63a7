// The seed's three client workflows (successful connection, failed connection, request-reply)
// over real TCP on 127.0.0.1, asserted by their trace lines in order; plus WAIT → CONN after a
// failure and SIGTERM (S1) stopping the client gracefully.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { Subject } from 'rxjs';
import { Engine } from '@stage/sdk';
import { startEchoClient, type EchoClient, type EchoClientConfig } from './startEchoClient.js';
import { traceRecorder, type TraceRecorder } from './traceRecorder.js';

let client: EchoClient | undefined;
let server: Server | undefined;
const accepted: Socket[] = [];

/** A plain node:net echo server that also records what it received. */
async function plainEchoServer(received: string[] = []): Promise<number> {
  server = createServer((socket) => {
    accepted.push(socket);
    socket.on('data', (bytes) => {
      received.push(bytes.toString());
      socket.write(bytes);
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

/** A port nothing listens on: bind one, then free it. */
async function deadPort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function start(config: Partial<EchoClientConfig> & { port: number }): { client: EchoClient; trace: TraceRecorder } {
  const engine = new Engine();
  const trace = traceRecorder(engine);
  client = startEchoClient({ engine, twixMs: 20, waitMs: 50, interrupt$: new Subject<void>(), terminate$: new Subject<void>(), ...config });
  return { client, trace };
}

afterEach(async () => {
  await client?.stop();
  client = undefined;
  for (const socket of accepted.splice(0)) socket.destroy();
  if (server !== undefined) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});

function expectBlock(trace: TraceRecorder, block: readonly string[]): void {
  expect(trace.indexOfBlock(block), `trace lacks, in order:\n${block.join('\n')}\n--- trace:\n${trace.lines.join('\n')}`).toBeGreaterThanOrEqual(0);
}

describe('echo client (seed 003)', () => {
  it('successful connection: TX reports writable (D1) once connected and the WORKER moves on', async () => {
    const port = await plainEchoServer();
    const { trace } = start({ port });
    await trace.waitFor("WORKER-1 @ CONN got 'M0' from SELF");
    expectBlock(trace, [
      "TX-1 @ IDLE got 'M1' from WORKER-1",
      "TX-1 @ IDLE got 'M0' from SELF",
      "TX-1 @ WORK got 'D1' from OS",
      "TX-1 @ WORK got 'M0' from SELF",
      "WORKER-1 @ CONN got 'M1' from TX-1",
      `WORKER-1 : connected to '127.0.0.1:${port}'`,
      "WORKER-1 @ CONN got 'M0' from SELF",
    ]);
  });

  it('failed connection: TX reports the error (D2), the WORKER waits, then tries to connect again', async () => {
    const port = await deadPort();
    const { trace } = start({ port });
    const failed = await trace.waitFor("WORKER-1 @ CONN got 'M3' from SELF");
    expectBlock(trace, [
      "TX-1 @ IDLE got 'M1' from WORKER-1",
      "TX-1 @ IDLE got 'M0' from SELF",
      "TX-1 @ WORK got 'D2' from OS",
      "TX-1 @ WORK got 'M0' from SELF",
      "WORKER-1 @ CONN got 'M2' from TX-1",
      `WORKER-1 : can not connect to '127.0.0.1:${port}'`,
      "WORKER-1 @ CONN got 'M3' from SELF",
    ]);
    const waited = await trace.waitFor("WORKER-1 @ WAIT got 'T0' from OS", failed);
    await trace.waitFor("TX-1 @ IDLE got 'M1' from WORKER-1", waited);
  });

  it('request-reply: TX sends the request, RX reads the reply, then TWIX and the next request', async () => {
    const received: string[] = [];
    const port = await plainEchoServer(received);
    const replies: string[] = [];
    const { trace } = start({ port, onReply: (_worker, reply) => replies.push(reply) });
    await trace.waitFor('reply: WORKER-1-1');
    expectBlock(trace, [
      "TX-1 @ IDLE got 'M1' from WORKER-1",
      "TX-1 @ IDLE got 'M0' from SELF",
      "TX-1 @ WORK got 'D1' from OS",
      "TX-1 @ WORK got 'M0' from SELF",
      "WORKER-1 @ SEND got 'M1' from TX-1",
      "WORKER-1 @ SEND got 'M0' from SELF",
      "RX-1 @ IDLE got 'M1' from WORKER-1",
      "RX-1 @ IDLE got 'M0' from SELF",
      "RX-1 @ WORK got 'D0' from OS",
      "RX-1 @ WORK got 'M0' from SELF",
      "WORKER-1 @ RECV got 'M1' from RX-1",
      'reply: WORKER-1-1',
    ]);
    const twix = await trace.waitFor("WORKER-1 @ TWIX got 'T0' from OS");
    await trace.waitFor('reply: WORKER-1-2', twix);
    expect(received.slice(0, 2)).toEqual(['WORKER-1-1\n', 'WORKER-1-2\n']);
    expect(replies.slice(0, 2)).toEqual(['WORKER-1-1', 'WORKER-1-2']);
  });

  it('runs N workers, each on its own connection', async () => {
    const port = await plainEchoServer();
    const { trace } = start({ port, workers: 3 });
    await Promise.all(['WORKER-1', 'WORKER-2', 'WORKER-3'].map((name) => trace.waitFor(`reply: ${name}-2`)));
    expect(accepted).toHaveLength(3);
  });

  it('SIGTERM (S1) stops the client gracefully and closes its connections', async () => {
    const port = await plainEchoServer();
    const terminate$ = new Subject<void>();
    const { client: running, trace } = start({ port, terminate$ });
    await trace.waitFor('reply: WORKER-1-1');
    const closed = once(accepted[0]!, 'close');
    terminate$.next();
    await running.engine.done;
    await closed;
    expect(trace.lines.at(-1)).toBe("TERMINATOR-1 @ IDLE got 'S1' from OS");
  });
});

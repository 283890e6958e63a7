// The seed's four server workflows, reproduced over real TCP on 127.0.0.1 and asserted by their
// trace lines in order; plus SIGINT (S0) stopping the loop gracefully.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { Subject } from 'rxjs';
import { Engine } from '@stage/sdk';
import { startEchoServer, type EchoServer } from './startEchoServer.js';
import { traceRecorder, type TraceRecorder } from './traceRecorder.js';

let server: EchoServer | undefined;
const sockets: Socket[] = [];

async function start(rxTimeoutMs = 10_000, interrupt$ = new Subject<void>()): Promise<{ server: EchoServer; trace: TraceRecorder }> {
  // The server's production setting: I/O events of one event-loop turn are handled in one batch.
  const engine = new Engine({ drainOn: 'task' });
  const trace = traceRecorder(engine);
  server = await startEchoServer({ engine, rxTimeoutMs, interrupt$, terminate$: new Subject<void>() });
  return { server, trace };
}

async function dial(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1' });
  sockets.push(socket);
  await once(socket, 'connect');
  return socket;
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.stop();
  server = undefined;
});

function expectBlock(trace: TraceRecorder, block: readonly string[]): void {
  expect(trace.indexOfBlock(block), `trace lacks, in order:\n${block.join('\n')}\n--- trace:\n${trace.lines.join('\n')}`).toBeGreaterThanOrEqual(0);
}

describe('echo server (seed 003)', () => {
  it('client connected: LISTENER accepts (D0), hands the client to a WORKER, which puts an RX to work', async () => {
    const { server, trace } = await start();
    await dial(server.port);
    await trace.waitFor("RX-1 @ IDLE got 'M0' from SELF");
    expectBlock(trace, [
      "LISTENER-1 @ WORK got 'D0' from OS",
      "WORKER-1 @ IDLE got 'M1' from LISTENER-1",
      "WORKER-1 @ IDLE got 'M0' from SELF",
      "RX-1 @ IDLE got 'M1' from WORKER-1",
      "RX-1 @ IDLE got 'M0' from SELF",
    ]);
  });

  it('normal request-reply: RX reads (D0), TX writes it back (D1), the WORKER goes round to RECV', async () => {
    const { server, trace } = await start();
    const client = await dial(server.port);
    await trace.waitFor("RX-1 @ IDLE got 'M0' from SELF");
    const reply = once(client, 'data');
    client.write('123\n');
    const [bytes] = (await reply) as [Buffer];
    expect(bytes.toString()).toBe('123\n');
    await trace.waitFor("WORKER-1 @ SEND got 'M0' from SELF");
    expectBlock(trace, [
      "RX-1 @ IDLE got 'M0' from SELF",
      "RX-1 @ WORK got 'D0' from OS",
      '<<< 4 bytes: { 49, 50, 51, 10 }',
      "RX-1 @ WORK got 'M0' from SELF",
      "WORKER-1 @ RECV got 'M1' from RX-1",
      "WORKER-1 @ RECV got 'M0' from SELF",
      "TX-1 @ IDLE got 'M1' from WORKER-1",
      "TX-1 @ IDLE got 'M0' from SELF",
      "TX-1 @ WORK got 'D1' from OS",
      "TX-1 @ WORK got 'M0' from SELF",
      "WORKER-1 @ SEND got 'M1' from TX-1",
      "WORKER-1 @ SEND got 'M0' from SELF",
    ]);
    // And it keeps serving: the WORKER is back in RECV with an RX at work.
    const second = once(client, 'data');
    client.write('again\n');
    expect(((await second) as [Buffer])[0].toString()).toBe('again\n');
  });

  it('client suddenly disconnected: RX sees the hang-up (D2), the WORKER fails and LISTENER closes the client', async () => {
    const { server, trace } = await start();
    const client = await dial(server.port);
    const ready = await trace.waitFor("RX-1 @ IDLE got 'M0' from SELF");
    client.destroy();
    await trace.waitFor("LISTENER-1 @ WORK got 'M0' from WORKER-1", ready);
    expectBlock(trace, [
      "RX-1 @ IDLE got 'M0' from SELF",
      "RX-1 @ WORK got 'D2' from OS",
      "RX-1 @ WORK got 'M0' from SELF",
      "WORKER-1 @ RECV got 'M2' from RX-1",
      "WORKER-1 @ FAIL got 'M0' from SELF",
      "LISTENER-1 @ WORK got 'M0' from WORKER-1",
    ]);
    // The WORKER went back to its pool: the next client is served by the same machines.
    const next = await dial(server.port);
    const reply = once(next, 'data');
    next.write('hi\n');
    expect(((await reply) as [Buffer])[0].toString()).toBe('hi\n');
    expect(trace.lines).toContain("WORKER-1 @ IDLE got 'M1' from LISTENER-1");
    expect(trace.lines.some((line) => line.startsWith('WORKER-2'))).toBe(false);
  });

  it('request timeout: RX gives up (T0), the WORKER fails and LISTENER closes the silent client', async () => {
    const { server, trace } = await start(150);
    const client = await dial(server.port);
    const closed = once(client, 'close');
    const ready = await trace.waitFor("RX-1 @ IDLE got 'M0' from SELF");
    await trace.waitFor("LISTENER-1 @ WORK got 'M0' from WORKER-1", ready);
    expectBlock(trace, [
      "RX-1 @ IDLE got 'M0' from SELF",
      "RX-1 @ WORK got 'T0' from OS",
      "RX-1 @ WORK got 'M0' from SELF",
      "WORKER-1 @ RECV got 'M2' from RX-1",
      "WORKER-1 @ FAIL got 'M0' from SELF",
      "LISTENER-1 @ WORK got 'M0' from WORKER-1",
    ]);
    await closed;
  });

  it('SIGINT (S0) stops the event loop gracefully: LISTENER says goodbye, clients and the port are closed', async () => {
    const interrupt$ = new Subject<void>();
    const { server: running, trace } = await start(10_000, interrupt$);
    const client = await dial(running.port);
    await trace.waitFor("RX-1 @ IDLE got 'M0' from SELF");
    const closed = once(client, 'close');
    interrupt$.next();
    await running.engine.done;
    await closed;
    expect(trace.lines.slice(-2)).toEqual(["LISTENER-1 @ WORK got 'S0' from OS", 'LISTENER-1 : bye']);
    const refused = connect({ port: running.port, host: '127.0.0.1' });
    sockets.push(refused);
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });
});

// Echo server round trips/s: the seed-003 Stage echo server (LISTENER, pooled WORKER/RX/TX
// machines) vs a plain node:net echo server (`socket.on('data', d => socket.write(d))`, the
// limit), both in this process. The load comes from a child process (this file run with `load`):
// 100 connections, each doing request-reply as fast as it can for a fixed count.
// Writes bench-results/echo.json.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { NEVER } from 'rxjs';
import { Engine } from '@stage/sdk';
import { startEchoServer } from '../src/echo/startEchoServer.js';
import { writeReport } from '../../sdk/bench/report.js';

const CONNECTIONS = Number(process.env.ECHO_BENCH_CONNECTIONS ?? 100);
const PER_CONNECTION = Number(process.env.ECHO_BENCH_COUNT ?? 2000);
const ROUNDS = Number(process.env.ECHO_BENCH_ROUNDS ?? 4);
const MESSAGE = Buffer.from('ping 0123456789abcdef\n');

if (process.argv[2] === 'load') {
  await runLoad(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]));
} else {
  await main();
}

/** Child process: opens `connections` sockets, each doing `count` request-reply round trips. */
async function runLoad(port: number, connections: number, count: number): Promise<void> {
  const sockets: Socket[] = [];
  for (let i = 0; i < connections; i++) {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    await once(socket, 'connect');
    sockets.push(socket);
  }
  const t0 = performance.now();
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve, reject) => {
          let left = count;
          let received = 0;
          socket.on('error', reject);
          socket.on('data', (bytes: Buffer) => {
            received += bytes.length;
            while (received >= MESSAGE.length) {
              received -= MESSAGE.length;
              if (--left === 0) {
                resolve();
                return;
              }
              socket.write(MESSAGE);
            }
          });
          socket.write(MESSAGE);
        }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  for (const socket of sockets) socket.destroy();
  process.send!({ roundTrips: connections * count, seconds });
}

interface Measurement {
  /** Round trips per second of wall-clock time, as the load child saw it. */
  readonly rate: number;
  /** Server-process CPU time (user + system) per round trip, in microseconds. */
  readonly cpuMicros: number;
}

/** Runs one load child against `port`. */
async function measure(port: number): Promise<Measurement> {
  const cpu0 = process.cpuUsage();
  const child = fork(fileURLToPath(import.meta.url), ['load', String(port), String(CONNECTIONS), String(PER_CONNECTION)], {
    execArgv: ['--conditions=source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [result] = (await once(child, 'message')) as [{ roundTrips: number; seconds: number }];
  const cpu = process.cpuUsage(cpu0);
  await once(child, 'exit');
  return { rate: result.roundTrips / result.seconds, cpuMicros: (cpu.user + cpu.system) / result.roundTrips };
}

async function plainServer(): Promise<Server> {
  const server = createServer({ noDelay: true }, (socket) => {
    socket.on('data', (bytes) => socket.write(bytes));
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function main(): Promise<void> {
  const plain = await plainServer();
  const plainPort = (plain.address() as { port: number }).port;
  const stage = await startEchoServer({
    engine: new Engine({ drainOn: 'task' }),
    rxTimeoutMs: 600_000,
    prefill: CONNECTIONS,
    interrupt$: NEVER,
    terminate$: NEVER,
  });
  // Warm both up, then alternate so drift on the shared machine hits both alike.
  await measure(plainPort);
  await measure(stage.port);
  let plainBest = 0;
  let stageBest = 0;
  let plainCpu = Number.POSITIVE_INFINITY;
  let stageCpu = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const p = await measure(plainPort);
    const s = await measure(stage.port);
    plainBest = Math.max(plainBest, p.rate);
    stageBest = Math.max(stageBest, s.rate);
    plainCpu = Math.min(plainCpu, p.cpuMicros);
    stageCpu = Math.min(stageCpu, s.cpuMicros);
    console.log(`round ${round + 1}: plain ${Math.round(p.rate)}/s ${p.cpuMicros.toFixed(1)} us cpu, stage ${Math.round(s.rate)}/s ${s.cpuMicros.toFixed(1)} us cpu`);
  }
  await stage.stop();
  await new Promise((resolve) => plain.close(resolve));
  writeReport({
    name: 'echo',
    unit: 'round trips/s',
    results: {
      'stage echo server (round trips/s)': stageBest,
      'plain node:net echo server (round trips/s)': plainBest,
    },
    ratios: {
      'stage/plain': stageBest / plainBest,
      // Server CPU per round trip, inverted so that higher is better like the rate ratio; steadier
      // than wall-clock rates when the machine is shared.
      'stage/plain (cpu per round trip, plain/stage)': plainCpu / stageCpu,
    },
    notes: {
      connections: CONNECTIONS,
      roundTripsPerConnection: PER_CONNECTION,
      messageBytes: MESSAGE.length,
      rounds: ROUNDS,
      serverCpuMicrosPerRoundTrip: { stage: stageCpu, plain: plainCpu },
      load: 'separate child process, one outstanding request per connection',
    },
  });
}

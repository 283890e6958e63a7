// `npm run bench:hub`: the hub load benchmark. Side by side in one run, servers each in their own child process,
// load clients in THIS process, loopback only:
//   (a) the Stage hub, (b) Socket.IO 4 broadcasting to a room with acks, (c) bare `ws` broadcasting pre-framed
//   buffers (the limit); plus (d) two Stage hubs on PostgreSQL + Redis with the receivers split between them.
// Measures: deliveries/s (1,000 receivers in one room/stream, one sender, 1,000 messages of ~200 bytes),
// p50/p99 send-to-receive latency at a fixed offered load, server RSS per idle authenticated connection (5,000).
// Writes bench-results/hub.json via sdk/bench/report.ts.
//   options: --receivers=1000 --messages=1000 --idle=5000 --rates=10,1 --latency-seconds=20 --rounds=4 --window=64
//            --stage2-messages=30 --only=ws,socketio,stage,stage2
// The first rate is THE fixed offered load of the latency comparison. It must be below the saturation of every
// implementation (else latency is just queueing): 10 msg/s to 1,000 receivers is 10,000 deliveries/s, about an
// eighth of what each one sustains here; 1 msg/s is measured too (fewer samples: its p99 is the worst message's).
// Latency is measured last, with all three servers up at once, in interleaved rounds (see hub/latencyRounds.ts).
import { execSync } from 'node:child_process';
import { writeReport } from '../../sdk/bench/report.js';
import { latencyRounds, type Contender } from './hub/latencyRounds.js';
import { measureMemory, measureThroughput, openRoom, type LatencyResult, type MemoryResult, type ThroughputResult } from './hub/phases.js';
import type { BenchAccount } from './hub/stageServer.js';
import type { ServerKind } from './hub/protocol.js';
import { spawnServer, type ServerChild } from './hub/serverChild.js';
import { socketioTarget } from './hub/socketioTarget.js';
import type { LoadTarget } from './hub/target.js';
import { wsTarget } from './hub/wsTarget.js';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k!, v ?? 'true'];
  }),
);
const config = {
  receivers: Number(args.receivers ?? 1000),
  messages: Number(args.messages ?? 1000),
  idle: Number(args.idle ?? 5000),
  rates: (args.rates ?? '10,1').split(',').map(Number),
  latencySeconds: Number(args['latency-seconds'] ?? 20),
  rounds: Number(args.rounds ?? 4),
  window: Number(args.window ?? 64),
  /** The two-hub run sends fewer messages: deliveries/s is a rate, and PostgreSQL makes each message slower. */
  stage2Messages: Number(args['stage2-messages'] ?? 30),
  only: (args.only ?? 'ws,socketio,stage,stage2').split(','),
};
const log = (msg: string) => console.log(`[bench:hub] ${msg}`);

function fdLimit(): number {
  try {
    return Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim());
  } catch {
    return NaN;
  }
}

export interface RunOptions {
  messages?: number;
}

interface Figures {
  memory?: MemoryResult;
  throughput?: ThroughputResult;
  latency?: LatencyResult;
  /** At every configured rate, by rate. */
  latencies?: Record<string, LatencyResult>;
  /** Connections the server closed during the run, by close code (Stage only). */
  drops?: Record<string, number>;
  error?: string;
}

/** One implementation, start to finish: its own fresh server process(es), memory first, then the room. */
async function run(label: string, servers: ServerChild[], targets: LoadTarget[], measureIdle: boolean, options: RunOptions = {}): Promise<Figures> {
  const messages = options.messages ?? config.messages;
  const figures: Figures = {};
  try {
    for (const t of targets) await t.prepare(config.receivers);
    if (measureIdle) figures.memory = await measureMemory(targets[0]!, servers[0]!, config.idle);
    const room = await openRoom(targets, config.receivers, 0);
    try {
      log(`${label}: warm-up`);
      await measureThroughput(`${label} warm-up`, room, Math.min(50, messages), config.window, 300_000);
      figures.throughput = await measureThroughput(label, room, messages, config.window, 300_000);
      for (const s of servers) log(`${label} server counters: ${JSON.stringify(await s.stats())}`);
      const { StageDevice } = await import('./hub/StageDevice.js');
      if (StageDevice.drops.size > 0) {
        figures.drops = Object.fromEntries(StageDevice.drops);
        log(`${label}: the hub closed connections in use (close code: count): ${JSON.stringify(figures.drops)}`);
        StageDevice.drops.clear();
      }
    } finally {
      room.close();
    }
  } catch (error) {
    figures.error = error instanceof Error ? error.message : String(error);
    log(`${label} FAILED: ${figures.error}`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  return figures;
}

async function runKind(kind: ServerKind, makeTarget: (s: ServerChild) => LoadTarget): Promise<Figures> {
  log(`--- ${kind} ---`);
  const server = await spawnServer(kind);
  return run(kind, [server], [makeTarget(server)], true);
}

const limit = fdLimit();
log(`ulimit -n = ${limit}; ${config.idle} idle connections need ~${config.idle + 100} descriptors on each side`);
if (limit < config.idle + 200) log(`WARNING: raise the limit in the shell first (ulimit -n ${config.idle * 2}); it cannot be raised from inside Node`);

const all: Record<string, Figures> = {};
if (config.only.includes('ws')) all.ws = await runKind('ws', (s) => wsTarget(s.port));
if (config.only.includes('socketio')) all.socketio = await runKind('socketio', (s) => socketioTarget(s.port));
if (config.only.includes('stage') || config.only.includes('stage2')) {
  const { stageRuns } = await import('./hub/stageRuns.js');
  Object.assign(all, await stageRuns(config, run, config.only));
}

// Latency: fresh servers of every implementation at once, the fixed loads applied in interleaved rounds.
const contenders: Contender[] = [];
try {
  if (config.only.includes('ws')) {
    const server = await spawnServer('ws');
    contenders.push({ label: 'ws', server, target: wsTarget(server.port) });
  }
  if (config.only.includes('socketio')) {
    const server = await spawnServer('socketio');
    contenders.push({ label: 'socketio', server, target: socketioTarget(server.port) });
  }
  if (config.only.includes('stage')) {
    const { StageTarget } = await import('./hub/stageTarget.js');
    const server = await spawnServer('stage', { fixture: { receivers: config.receivers } });
    contenders.push({ label: 'stage', server, target: new StageTarget({ port: server.port, accounts: (server.info.accounts ?? []) as BenchAccount[] }) });
  }
  log(`--- latency: ${contenders.map((c) => c.label).join(', ')} in ${config.rounds} interleaved rounds per rate ---`);
  const latencies = await latencyRounds(contenders, { receivers: config.receivers, rates: config.rates, seconds: config.latencySeconds, rounds: config.rounds });
  for (const [label, byRate] of Object.entries(latencies)) {
    const f = (all[label] ??= {});
    f.latencies = byRate;
    f.latency = byRate[config.rates[0]!];
  }
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  log(`latency FAILED: ${message}`);
  for (const c of contenders) (all[c.label] ??= {}).error = `latency: ${message}`;
  await Promise.all(contenders.map((c) => c.server.stop()));
}

const results: Record<string, number> = {};
for (const [name, f] of Object.entries(all)) {
  if (f.throughput) results[`${name}.deliveriesPerSec`] = f.throughput.deliveriesPerSecond;
  for (const [rate, l] of Object.entries(f.latencies ?? {})) {
    results[`${name}.p50Ms@${rate}msg/s`] = l.p50;
    results[`${name}.p99Ms@${rate}msg/s`] = l.p99;
  }
  if (f.memory) results[`${name}.bytesPerIdleConn`] = f.memory.bytesPerConnection;
}
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
const ratios: Record<string, number> = {};
const put = (name: string, value: number | undefined) => { if (value !== undefined && Number.isFinite(value)) ratios[name] = value; };
put('stage/socketio.deliveries', ratio(all.stage?.throughput?.deliveriesPerSecond, all.socketio?.throughput?.deliveriesPerSecond));
for (const rate of config.rates) put(`stage/socketio.p99@${rate}msg/s`, ratio(all.stage?.latencies?.[rate]?.p99, all.socketio?.latencies?.[rate]?.p99));
put('stage/socketio.memory', ratio(all.stage?.memory?.bytesPerConnection, all.socketio?.memory?.bytesPerConnection));
put('stage/ws.deliveries', ratio(all.stage?.throughput?.deliveriesPerSecond, all.ws?.throughput?.deliveriesPerSecond));
put('socketio/ws.deliveries', ratio(all.socketio?.throughput?.deliveriesPerSecond, all.ws?.throughput?.deliveriesPerSecond));
put('stage/ws.memory', ratio(all.stage?.memory?.bytesPerConnection, all.ws?.memory?.bytesPerConnection));
put('stage2/stage.deliveries', ratio(all.stage2?.throughput?.deliveriesPerSecond, all.stage?.throughput?.deliveriesPerSecond));

writeReport({
  name: 'hub',
  unit: '(deliveries/s | ms | bytes, by key suffix)',
  results,
  ratios,
  notes: {
    config,
    fdLimit: limit,
    cpus: (await import('node:os')).cpus().length,
    targets: 'Stage ≥ 1.0x Socket.IO deliveries/s (goal 2x), p99 ≤ Socket.IO at the same offered load, ≤ 0.8x Socket.IO memory per connection',
    detail: all,
  },
});
process.exit(Object.values(all).some((f) => f.error) ? 1 : 0);

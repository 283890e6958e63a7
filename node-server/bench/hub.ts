// `npm run bench:hub`: the hub under chat traffic, side by side with Socket.IO and a bare `ws` server (issue #12).
// Every server runs in its own child process; the load clients run in THIS process, loopback only. For each shape
// (hub/shapes.ts) every implementation is measured in interleaved rounds (hub/runShape.ts); a round's figures are
// taken over a window after a warm-up, and its cost is the server process's CPU time from /proc/<pid>/stat (for the
// PostgreSQL hubs also their backends' CPU and Redis's). Medians over the rounds with their range go to
// bench-results/hub.json and to a table on stdout.
//
//   npm run bench:hub                                   every shape, every implementation, 3 rounds (no new round after 19 min; 31 min in all on the 2026-12-07 machine)
//   npm run bench:hub -- --quick                        streams + room-senders (load phases), Stage vs Socket.IO (acks)
//   npm run bench:hub -- --shapes streams,room --impls stage,socketio --rounds 3 --measure-ms 5000 --warmup-ms 1500
//   shapes: room, room-senders, streams, audience, size, hubs    impls: stage, socketio, socketio_plain, ws
//   --max-minutes N: no new round starts after N minutes (default 19; --quick 4)   --scale 0.1: harness smoke test
//   --hub-configs pg1,pg4 --hub-loads streams: the `hubs` shape on some configurations (sqlite, pg1, pg2, pg4) and loads
//   STAGE_BENCH_PROFILE=<dir> writes a V8 CPU profile of every server process there.
import { hostname } from 'node:os';
import { execSync } from 'node:child_process';
import { IMPLEMENTATIONS, startContender, type Contender } from './hub/contenders.js';
import { runHubs } from './hub/runHubs.js';
import { addShape, emptyReport, writeHubReport } from './hub/report.js';
import { runShape, type Timing } from './hub/runShape.js';
import { killAllServers } from './hub/serverChild.js';
import { SHAPES, scaled } from './hub/shapes.js';
import type { ServerKind } from './hub/protocol.js';

const log = (msg: string) => console.log(`[bench:hub] ${msg}`);

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const [key, inline] = arg.slice(2).split('=');
    if (inline !== undefined) out[key!] = inline;
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) out[key!] = argv[++i]!;
    else out[key!] = 'true';
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const quick = args.quick === 'true';
const ALL_SHAPES = [...Object.keys(SHAPES), 'hubs'];
const config = {
  shapes: (args.shapes ?? (quick ? 'streams,room-senders' : ALL_SHAPES.join(','))).split(','),
  impls: (args.impls ?? (quick ? 'stage,socketio' : IMPLEMENTATIONS.join(','))).split(',') as ServerKind[],
  rounds: Number(args.rounds ?? 3),
  warmupMs: Number(args['warmup-ms'] ?? (quick ? 700 : 1000)),
  measureMs: Number(args['measure-ms'] ?? (quick ? 2000 : 3000)),
  minCpuSeconds: Number(args['min-cpu-s'] ?? (quick ? 0.3 : 0.5)),
  /** Only these phases of each shape (streams has load, at_100_msg_s, at_500_msg_s); --quick: load only. */
  phases: args.phases?.split(',') ?? (quick ? ['load'] : undefined),
  /** Smoke tests of the harness only: every shape with this fraction of its connections. */
  scale: Number(args.scale ?? 1),
  /** Hard bound on the whole run: no new round starts after it. */
  maxMinutes: Number(args['max-minutes'] ?? (quick ? 4 : 19)),
  /** The `hubs` shape: only these configurations (sqlite, pg1, pg2, pg4) and loads (streams, room-senders). */
  hubConfigs: args['hub-configs']?.split(','),
  hubLoads: args['hub-loads']?.split(','),
};
for (const s of config.shapes) if (!ALL_SHAPES.includes(s)) throw new Error(`unknown shape ${s}: expected ${ALL_SHAPES.join(', ')}`);
for (const i of config.impls) if (!IMPLEMENTATIONS.includes(i)) throw new Error(`unknown implementation ${i}: expected ${IMPLEMENTATIONS.join(', ')}`);
if (!(config.rounds >= 1)) throw new Error('--rounds must be at least 1');

// Never leave a server behind: on Ctrl-C, an uncaught error or a normal exit, every child is killed.
process.on('SIGINT', () => {
  log('interrupted: stopping every server process');
  killAllServers();
  process.exit(130);
});
process.on('exit', () => killAllServers());

const started = Date.now();
const timing: Timing = { rounds: config.rounds, warmupMs: config.warmupMs, measureMs: config.measureMs, minCpuSeconds: config.minCpuSeconds, deadline: started + config.maxMinutes * 60_000 };
const gitCommit = (() => {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
})();
const report = emptyReport({
  config,
  git_commit: gitCommit,
  host: hostname(),
  cpus: (await import('node:os')).cpus().length,
  started: new Date(started).toISOString(),
  definitions: {
    deliveries_per_s: 'messages received by all clients per second of the measured window (wall clock)',
    deliveries_per_cpu_s: 'the same deliveries per CPU-second of the server process(es) in that window, from /proc/<pid>/stat',
    p50_ms: 'send→delivery latency of the messages sent in the window (streams: at 500 msg/s offered, open loop)',
    rtt_p50_ms: 'send → the server acknowledging the send (Stage: the reply, after the commit)',
    saturated_p50_ms: 'streams: send→delivery latency in the closed-loop (saturating) phase',
    ratios: 'stage/<peer> deliveries per server CPU-second, median of the per-round ratios; ratio_ranges: their min and max',
    mean_tx_per_commit: "SQLite COMMITs during room-senders' window and the transactions they held (compaction slices included)",
    stage_limits: "the Stage hub runs with its default limits: 50 commands/s per connection (burst 100), so a single pipelining sender (room, audience, size) is capped at 50 msg/s; Stage's load client keeps to the rate announced in welcome.limits",
  },
  shapes: Object.fromEntries(Object.entries(SHAPES).map(([k, s]) => [k, s.describe])),
});

let failed = false;
try {
  for (const name of config.shapes) {
    if (Date.now() > timing.deadline) {
      log(`time budget (${config.maxMinutes} min) spent: skipping ${name}`);
      continue;
    }
    if (name === 'hubs') {
      log('=== hubs: streams and room-senders on 1 SQLite hub and on 1, 2, 4 hubs on PostgreSQL + Redis ===');
      try {
        report.hubs = await runHubs(timing, config.scale, config.hubConfigs, config.hubLoads);
      } catch (error) {
        failed = true;
        log(`hubs FAILED: ${error instanceof Error ? error.message : String(error)}`);
      }
      continue;
    }
    const full = scaled(SHAPES[name]!, config.scale);
    const shape = { ...full, phases: full.phases.filter((p) => p.name === 'load' || !config.phases || config.phases.includes(p.name)) };
    log(`=== ${name}: ${shape.describe}; ${config.impls.join(', ')}; ${config.rounds} interleaved rounds ===`);
    const contenders: Contender[] = [];
    try {
      for (const kind of config.impls) contenders.push(await startContender(kind, shape.layout));
      const results = await runShape(shape, contenders, timing);
      addShape(report, name, results, shape.phases.map((p) => p.name));
    } catch (error) {
      failed = true;
      log(`${name} FAILED: ${error instanceof Error ? error.stack : String(error)}`);
    } finally {
      await Promise.all(contenders.map((c) => c.stop().catch(() => undefined)));
    }
    log(`${name} done at ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  }
} finally {
  killAllServers();
}
report.notes.minutes = Math.round((Date.now() - started) / 6000) / 10;
writeHubReport(report);
process.exit(failed ? 1 : 0);

// bench-results/hub.json and the table on stdout, from the rounds' results: every figure is the median of the
// rounds with its range [min, max]; ratios are per server CPU-second, the median of the per-round ratios (the
// implementations of one round ran back to back, under the same machine load).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spread, type Spread } from './percentile.js';
import type { WindowResult } from './load.js';
import type { ShapeResults } from './runShape.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

type Range = [number, number];
const r2 = (s: Spread): Range => [round(s.min), round(s.max)];
function round(n: number): number {
  if (!Number.isFinite(n)) return NaN;
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100;
}

export interface ImplFigures {
  deliveries_per_s: number;
  deliveries_per_cpu_s: number;
  p50_ms: number;
  p99_ms: number;
  rounds: number;
  range: Record<string, Range>;
  [extra: string]: unknown;
}

/** A round that delivered nothing (a client dropped by its server's heartbeat while starved) counts as failed. */
const ok = (r: WindowResult | undefined): r is WindowResult => r !== undefined && r.deliveries > 0;
const of = (rs: Array<WindowResult | undefined>, pick: (r: WindowResult) => number) => spread(rs.map((r) => (ok(r) ? pick(r) : NaN)));

/** Median and range of a phase's results for one implementation. */
function figures(rs: Array<WindowResult | undefined>): ImplFigures {
  const perS = of(rs, (r) => r.deliveriesPerSecond);
  const perCpu = of(rs, (r) => r.deliveriesPerCpuSecond);
  const p50 = of(rs, (r) => r.p50);
  const p99 = of(rs, (r) => r.p99);
  const rttP50 = of(rs, (r) => r.rttP50);
  const rttP99 = of(rs, (r) => r.rttP99);
  const clientCpu = of(rs, (r) => r.clientCpuSeconds / r.seconds);
  return {
    deliveries_per_s: round(perS.median),
    deliveries_per_cpu_s: round(perCpu.median),
    p50_ms: round(p50.median),
    p99_ms: round(p99.median),
    rtt_p50_ms: round(rttP50.median),
    rtt_p99_ms: round(rttP99.median),
    client_cpu_per_s: round(clientCpu.median),
    rounds: perCpu.rounds,
    range: {
      deliveries_per_s: r2(perS),
      deliveries_per_cpu_s: r2(perCpu),
      p50_ms: r2(p50),
      p99_ms: r2(p99),
      rtt_p50_ms: r2(rttP50),
      rtt_p99_ms: r2(rttP99),
    },
  };
}

/** Per-round ratio a/b of deliveries per CPU-second, then median and range. */
function ratio(a: Array<WindowResult | undefined>, b: Array<WindowResult | undefined>): Spread {
  return spread(a.map((x, i) => (ok(x) && ok(b[i]) ? x.deliveriesPerCpuSecond / b[i]!.deliveriesPerCpuSecond : NaN)));
}

export interface HubReport {
  shapes: Record<string, Record<string, ImplFigures>>;
  ratios: Record<string, Record<string, number>>;
  ratio_ranges: Record<string, Record<string, Range>>;
  commit: Record<string, { mean_tx_per_commit: number; range: Range; rounds: number }>;
  /** The Stage hub's event-loop delay per shape and phase (median over rounds of each window's p99 and max): stalls. */
  /** The Stage hub's event-loop delay per shape and phase; `client_*`: the load client's own, in the same windows. */
  event_loop: Record<string, Record<string, { p99_ms: number; max_ms: number; client_p99_ms: number; client_max_ms: number; range: Record<string, Range>; rounds: number }>>;
  hubs: Record<
    string,
    Record<
      string,
      {
        deliveries_per_s: number;
        deliveries_per_cpu_s: number;
        /** Median CPU milliseconds per delivery, by process kind (hubs, postgres, redis): where the cost goes. */
        cpu_ms_per_delivery_by_part: Record<string, number>;
        rounds: number;
        range: Record<string, Range>;
      }
    >
  >;
  notes: Record<string, unknown>;
}

export function emptyReport(notes: Record<string, unknown>): HubReport {
  return { shapes: {}, ratios: {}, ratio_ranges: {}, commit: {}, event_loop: {}, hubs: {}, notes };
}

/** Folds one shape's results into the report: the 'load' phase is the shape's figures; open-loop phases nest. */
export function addShape(report: HubReport, shape: string, results: ShapeResults, phases: string[]): void {
  const rest = phases.filter((p) => p !== 'load');
  const byImpl = results.load!;
  const out: Record<string, ImplFigures> = {};
  for (const [impl, rs] of Object.entries(byImpl)) {
    const f = figures(rs);
    for (const phase of rest) {
      const pf = figures(results[phase]![impl]!);
      f[phase] = { p50_ms: pf.p50_ms, p99_ms: pf.p99_ms, deliveries_per_s: pf.deliveries_per_s, deliveries_per_cpu_s: pf.deliveries_per_cpu_s, rounds: pf.rounds, range: pf.range };
    }
    // The issue's streams latency target is at 500 msg/s offered: the shape's p50/p99 are those.
    const at500 = f['at_500_msg_s'] as ImplFigures | undefined;
    if (at500) {
      f.saturated_p50_ms = f.p50_ms;
      f.saturated_p99_ms = f.p99_ms;
      f.range = { ...f.range, saturated_p50_ms: f.range.p50_ms!, saturated_p99_ms: f.range.p99_ms!, p50_ms: at500.range.p50_ms!, p99_ms: at500.range.p99_ms! };
      f.p50_ms = at500.p50_ms;
      f.p99_ms = at500.p99_ms;
    }
    out[impl] = f;
  }
  report.shapes[shape] = out;
  const stage = byImpl.stage;
  if (!stage) return;
  report.ratios[shape] = {};
  report.ratio_ranges[shape] = {};
  for (const peer of ['socketio', 'socketio_plain', 'ws']) {
    if (!byImpl[peer]) continue;
    const s = ratio(stage, byImpl[peer]!);
    report.ratios[shape]![`stage/${peer}`] = round(s.median);
    report.ratio_ranges[shape]![`stage/${peer}`] = r2(s);
  }
  // How many transactions each SQLite COMMIT held during the window (the hub's group commit).
  const perCommit = spread(stage.map((r) => (r && r.counters.store_commits ? r.counters.store_committed_transactions! / r.counters.store_commits : NaN)));
  if (perCommit.rounds > 0) report.commit[shape] = { mean_tx_per_commit: round(perCommit.median), range: r2(perCommit), rounds: perCommit.rounds };
  for (const phase of phases) {
    const windows = results[phase]?.stage ?? [];
    const p99 = spread(windows.map((r) => r?.counters.since_last_loop_delay_p99_ms ?? NaN));
    const max = spread(windows.map((r) => r?.counters.since_last_loop_delay_max_ms ?? NaN));
    if (max.rounds === 0) continue;
    const clientP99 = spread(windows.map((r) => r?.clientLoopDelayP99Ms ?? NaN));
    const clientMax = spread(windows.map((r) => r?.clientLoopDelayMaxMs ?? NaN));
    (report.event_loop[shape] ??= {})[phase] = {
      p99_ms: round(p99.median),
      max_ms: round(max.median),
      client_p99_ms: round(clientP99.median),
      client_max_ms: round(clientMax.median),
      range: { p99_ms: r2(p99), max_ms: r2(max), client_p99_ms: r2(clientP99), client_max_ms: r2(clientMax) },
      rounds: max.rounds,
    };
  }
}

const fmt = (n: number) => (Number.isFinite(n) ? (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2)) : '-');
const withRange = (m: number, r: Range | undefined) => `${fmt(m)} [${fmt(r?.[0] ?? NaN)}–${fmt(r?.[1] ?? NaN)}]`;

export function writeHubReport(report: HubReport): string {
  const dir = join(repoRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'hub.json');
  writeFileSync(file, JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  console.log('\nhub benchmark: median [min–max] over interleaved rounds; per CPU-s = per second of server CPU');
  for (const [shape, impls] of Object.entries(report.shapes)) {
    console.log(`\n  ${shape}`);
    for (const [impl, f] of Object.entries(impls)) {
      let line = `    ${impl.padEnd(15)} ${withRange(f.deliveries_per_cpu_s, f.range.deliveries_per_cpu_s).padEnd(28)} per CPU-s   ${withRange(f.deliveries_per_s, f.range.deliveries_per_s).padEnd(28)} /s   p50 ${fmt(f.p50_ms)} p99 ${fmt(f.p99_ms)} ms`;
      if (shape === 'room-senders' || shape === 'streams') line += `   rtt p50 ${fmt(f.rtt_p50_ms as number)} ms`;
      const at100 = f['at_100_msg_s'] as ImplFigures | undefined;
      if (at100) line += `   @100/s p50 ${fmt(at100.p50_ms)} p99 ${fmt(at100.p99_ms)} ms`;
      console.log(line);
    }
    for (const [k, v] of Object.entries(report.ratios[shape] ?? {})) console.log(`    ${k.padEnd(22)} ${withRange(v, report.ratio_ranges[shape]?.[k])}x per CPU-s`);
    const commit = report.commit[shape];
    if (commit) console.log(`    transactions per commit (stage) ${withRange(commit.mean_tx_per_commit, commit.range)}`);
  }
  for (const [load, configs] of Object.entries(report.hubs)) {
    console.log(`\n  hubs: ${load} (CPU of hubs + PostgreSQL backends + Redis)`);
    for (const [config, f] of Object.entries(configs)) {
      const parts = Object.entries(f.cpu_ms_per_delivery_by_part);
      const split = parts.length > 1 ? `   CPU ms per delivery: ${parts.map(([part, msPer]) => `${part} ${msPer.toFixed(3)}`).join(', ')}` : '';
      console.log(`    ${config.padEnd(8)} ${withRange(f.deliveries_per_cpu_s, f.range.deliveries_per_cpu_s).padEnd(28)} per CPU-s   ${withRange(f.deliveries_per_s, f.range.deliveries_per_s).padEnd(28)} /s${split}`);
    }
  }
  console.log(`\n  -> ${file}`);
  return file;
}

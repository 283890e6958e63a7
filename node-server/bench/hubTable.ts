// Prints the README's hub benchmark table (Markdown) from bench-results/hub.json, so that the figures in the README
// are the ones a run wrote:   npx tsx node-server/bench/hubTable.ts [path/to/hub.json]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Range = [number | null, number | null];
interface Impl {
  deliveries_per_s: number | null;
  deliveries_per_cpu_s: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  rtt_p50_ms?: number | null;
  rounds: number;
  range: Record<string, Range>;
  at_10_msg_s?: Impl;
  at_100_msg_s?: Impl;
  at_500_msg_s?: Impl;
}
interface Report {
  shapes: Record<string, Record<string, Impl>>;
  ratios: Record<string, Record<string, number | null>>;
  ratio_ranges: Record<string, Record<string, Range>>;
  commit: Record<string, { mean_tx_per_commit: number | null; range: Range }>;
  hubs: Record<string, Record<string, { deliveries_per_s: number | null; deliveries_per_cpu_s: number | null; rounds: number; range: Record<string, Range> }>>;
  notes: { git_commit?: string; started?: string; config?: { rounds?: number } };
}

const file = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench-results', 'hub.json');
const report = JSON.parse(readFileSync(file, 'utf8')) as Report;

const n = (v: number | null | undefined, digits = 0) => {
  if (v === null || v === undefined) return '–';
  if (Math.abs(v) >= 1000) return `${(v / 1000).toFixed(v >= 100_000 ? 0 : 1)}k`;
  return v.toFixed(digits);
};
const withRange = (v: number | null | undefined, r: Range | undefined, digits = 0) => `${n(v, digits)} (${n(r?.[0], digits)}–${n(r?.[1], digits)})`;
const cell = (impl: Impl | undefined) => (impl ? withRange(impl.deliveries_per_cpu_s, impl.range.deliveries_per_cpu_s) : '–');
const ratio = (shape: string, peer: string) => {
  const v = report.ratios[shape]?.[`stage/${peer}`];
  const r = report.ratio_ranges[shape]?.[`stage/${peer}`];
  return v === null || v === undefined ? '–' : `**${v.toFixed(2)}×** (${r?.[0]?.toFixed(2)}–${r?.[1]?.toFixed(2)})`;
};

console.log(`Deliveries per server CPU-second, median (range) of ${report.notes.config?.rounds ?? '?'} interleaved rounds; run of ${report.notes.git_commit ?? '?'} on ${report.notes.started?.slice(0, 10) ?? '?'}.\n`);
console.log('| shape | Stage | Socket.IO 4, acks | Socket.IO, plain emit | `ws`, pre-framed, corked | Stage / Socket.IO acks | Stage / Socket.IO plain |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [shape, impls] of Object.entries(report.shapes)) {
  console.log(`| \`${shape}\` | ${cell(impls.stage)} | ${cell(impls.socketio)} | ${cell(impls.socketio_plain)} | ${cell(impls.ws)} | ${ratio(shape, 'socketio')} | ${ratio(shape, 'socketio_plain')} |`);
}
// The same offered load for every implementation (open loop): where Stage's per-connection rate limit does not cap it.
const fixedLoads = [
  ['room', 'at_10_msg_s', '`room` at 10 msg/s offered'],
  ['streams', 'at_100_msg_s', '`streams` at 100 msg/s offered'],
  ['streams', 'at_500_msg_s', '`streams` at 500 msg/s offered'],
] as const;
const fixedRows = fixedLoads.filter(([shape, phase]) => report.shapes[shape]?.stage?.[phase]);
if (fixedRows.length > 0) {
  console.log('\nAt a fixed offered load, deliveries per server CPU-second, median (range); the ratios are of the medians:\n');
  console.log('| load | Stage | Socket.IO 4, acks | Socket.IO, plain emit | `ws`, pre-framed, corked | Stage / Socket.IO acks | Stage / Socket.IO plain |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [shape, phase, label] of fixedRows) {
    const impls = report.shapes[shape]!;
    const at = (impl: string) => impls[impl]?.[phase];
    const of = (peer: string) => {
      const a = at('stage')?.deliveries_per_cpu_s;
      const b = at(peer)?.deliveries_per_cpu_s;
      return a && b ? `${(a / b).toFixed(2)}×` : '–';
    };
    console.log(`| ${label} | ${cell(at('stage'))} | ${cell(at('socketio'))} | ${cell(at('socketio_plain'))} | ${cell(at('ws'))} | ${of('socketio')} | ${of('socketio_plain')} |`);
  }
}
const latency = (impl: Impl | undefined, key: 'p50_ms' | 'p99_ms') => (impl ? withRange(impl[key], impl.range[key], 1) : '–');
console.log('\nLatency, ms, median (range):\n');
console.log('| figure | Stage | Socket.IO 4, acks | Socket.IO, plain emit | `ws` |');
console.log('| --- | --- | --- | --- | --- |');
const streams = report.shapes.streams;
if (streams) {
  for (const [label, pick] of [
    ['`streams` p50 at 100 msg/s', (i: Impl | undefined) => latency(i?.at_100_msg_s, 'p50_ms')],
    ['`streams` p99 at 100 msg/s', (i: Impl | undefined) => latency(i?.at_100_msg_s, 'p99_ms')],
    ['`streams` p50 at 500 msg/s', (i: Impl | undefined) => latency(i?.at_500_msg_s, 'p50_ms')],
    ['`streams` p99 at 500 msg/s', (i: Impl | undefined) => latency(i?.at_500_msg_s, 'p99_ms')],
  ] as const) {
    console.log(`| ${label} | ${pick(streams.stage)} | ${pick(streams.socketio)} | ${pick(streams.socketio_plain)} | ${pick(streams.ws)} |`);
  }
}
const rs = report.shapes['room-senders'];
if (rs) {
  const rtt = (i: Impl | undefined) => (i ? withRange(i.rtt_p50_ms, i.range.rtt_p50_ms, 1) : '–');
  console.log(`| \`room-senders\` send round trip p50 | ${rtt(rs.stage)} | ${rtt(rs.socketio)} | ${rtt(rs.socketio_plain)} | ${rtt(rs.ws)} |`);
}
const commit = report.commit['room-senders'];
if (commit) console.log(`\n\`room-senders\`: ${withRange(commit.mean_tx_per_commit, commit.range, 2)} transactions per SQLite commit.`);
for (const [load, configs] of Object.entries(report.hubs)) {
  console.log(`\n\`hubs\`, ${load}: deliveries per CPU-second of hubs + PostgreSQL backends + Redis (deliveries/s):\n`);
  console.log('| SQLite, 1 hub | PostgreSQL + Redis, 1 hub | 2 hubs | 4 hubs |');
  console.log('| --- | --- | --- | --- |');
  const c = (k: string) => {
    const f = configs[k];
    return f ? `${withRange(f.deliveries_per_cpu_s, f.range.deliveries_per_cpu_s)} (${n(f.deliveries_per_s)}/s)` : '–';
  };
  console.log(`| ${c('sqlite')} | ${c('pg1')} | ${c('pg2')} | ${c('pg4')} |`);
}

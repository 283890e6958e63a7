// One shape, every implementation, interleaved: the servers start once; then in each round every implementation
// in turn (the order rotating from round to round) connects its clients, runs the shape's phases and, unless all
// clients fit in this process's descriptors at once, disconnects. Machine drift (other work on the shared cores)
// thus hits every implementation alike, and the medians over rounds are compared.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { closedLoop, connectSession, openLoop, type Session, type WindowResult } from './load.js';
import { connectionsOf } from './protocol.js';
import type { Contender } from './contenders.js';
import type { ShapeSpec } from './shapes.js';

const log = (msg: string) => console.log(`[bench:hub] ${msg}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Timing {
  rounds: number;
  warmupMs: number;
  measureMs: number;
  /** A window goes on (up to 4× measureMs) until the server has used this much CPU. */
  minCpuSeconds: number;
  /** No new round starts after this (epoch ms): the run stays bounded whatever the machine does. */
  deadline: number;
}

/** Per phase, per implementation label, one result per round (undefined where a round failed). */
export type ShapeResults = Record<string, Record<string, Array<WindowResult | undefined>>>;

/**
 * Client connections this process may hold at once: its open-files limit (the npm script raises it where allowed)
 * less a margin. Servers are other processes with limits of their own.
 */
const CLIENT_BUDGET = (() => {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(soft) ? soft - 2_000 : 8_000;
  } catch {
    return 8_000;
  }
})();

const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');

/** " = hubs 2.10 + postgres 1.80 + redis 0.20" where the probe names parts. */
function byPart(r: WindowResult): string {
  const parts = Object.entries(r.serverCpuByPart);
  if (parts.length < 2) return '';
  return ` = ${parts.map(([part, seconds]) => `${part} ${seconds.toFixed(2)}`).join(' + ')}`;
}

function describe(r: WindowResult): string {
  return (
    `${fmt(r.deliveriesPerSecond)} deliveries/s, ${fmt(r.deliveriesPerCpuSecond)} per server CPU-s ` +
    `(server ${r.serverCpuSeconds.toFixed(2)} CPU-s${byPart(r)}, client ${r.clientCpuSeconds.toFixed(2)} CPU-s in ${r.seconds.toFixed(1)} s), ` +
    `delivery p50 ${ms(r.p50)} / p99 ${ms(r.p99)} ms, send round trip p50 ${ms(r.rttP50)} ms` +
    (r.refused > 0 ? `, ${r.refused} sends refused` : '') +
    hubCounters(r.counters) +
    `; load client event loop delay p99 ${ms(r.clientLoopDelayP99Ms)} / max ${ms(r.clientLoopDelayMaxMs)} ms`
  );
}

/** The Stage hub's counters that say a window did more than first sends: replays from the store, retransmits, Errs. */
function hubCounters(c: Record<string, number>): string {
  const shown = [
    ['stage_commands_total', 'commands'],
    ['stage_command_errors_total', 'Err replies'],
    ['stage_outcomes_replayed_total', 'outcomes replayed from the store'],
    ['stage_outcomes_retransmitted_total', 'retransmitted'],
    ['store_retried_deadlock', 'transactions re-run after a deadlock'],
    ['store_retried_serialization', 'after a serialization failure'],
    ['store_retried_claimLost', 'after a lost reply claim'],
  ] as const;
  const parts = shown.filter(([key]) => (c[key] ?? 0) > 0).map(([key, name]) => `${c[key]} ${name}`);
  const max = c.since_last_loop_delay_max_ms;
  if (max !== undefined) parts.push(`event loop delay p99 ${ms(c.since_last_loop_delay_p99_ms ?? NaN)} / max ${ms(max)} ms`);
  return parts.length > 0 ? `; hub: ${parts.join(', ')}` : '';
}

export async function runShape(shape: ShapeSpec, contenders: Contender[], timing: Timing): Promise<ShapeResults> {
  const results: ShapeResults = {};
  for (const phase of shape.phases) results[phase.name] = Object.fromEntries(contenders.map((c) => [c.label, []]));
  const count = connectionsOf(shape.layout);
  // As many implementations as the descriptors allow stay connected for all rounds (connecting 5,000 clients takes
  // a minute on a busy machine); the others (the last ones listed: ws is the quickest to connect) reconnect.
  const fits = Math.floor(CLIENT_BUDGET / Math.max(1, count));
  // When not all fit, one set of descriptors stays free for the implementations that reconnect in their turn.
  const keepCount = Math.min(fits >= contenders.length ? fits : fits - 1, shape.keepAtMost ?? Infinity);
  const keepable = new Set(contenders.slice(0, keepCount).map((c) => c.label));
  log(`${shape.name}: ${count} clients per implementation; connected once for all rounds: ${[...keepable].join(', ') || 'none'}`);
  const kept = new Map<string, Session>();
  /** This process's event-loop delay while a kept session waits for its next round (see the lost-connections line). */
  const idleLoops = new Map<string, IntervalHistogram>();
  try {
    for (let round = 0; round < timing.rounds; round++) {
      // The budget stops further rounds, never the first: a shape whose setup ran past it would otherwise have
      // connected every client to measure nothing.
      if (round > 0 && Date.now() > timing.deadline) {
        log(`${shape.name}: time budget spent, stopping after ${round} round(s)`);
        break;
      }
      for (let k = 0; k < contenders.length; k++) {
        const contender = contenders[(round + k) % contenders.length]!;
        let session: Session | undefined;
        try {
          session = kept.get(contender.label);
          // A session kept since the last round may have lost connections meanwhile (the server closed them, e.g.
          // as idle while this process was too busy connecting another implementation's clients to send their
          // pings): measured as it is, its round delivered nothing. Connected again, and said so.
          const lostClients = session?.clients.filter((c) => c.lost()) ?? [];
          const lost = lostClients.length;
          if (session && lost > 0) {
            const codes = new Map<string, number>();
            for (const c of lostClients) {
              const code = String(c.closeCode?.() ?? 'unknown');
              codes.set(code, (codes.get(code) ?? 0) + 1);
            }
            const byCode = [...codes].map(([code, n]) => `${n} with ${code}`).join(', ');
            // Which side stood still (4010 = the server heard nothing for its idle timeout): the server's longest
            // event-loop stall since its last window, and this process's since the session was kept.
            const serverStall = (await contender.probe.counters?.())?.since_last_loop_delay_max_ms;
            const ownStall = idleLoops.get(contender.label)?.max;
            const stalls = `longest event-loop stall meanwhile: server ${serverStall === undefined ? 'unknown' : `${serverStall.toFixed(0)} ms`}, this process ${ownStall === undefined ? 'unknown' : `${(ownStall / 1e6).toFixed(0)} ms`}`;
            log(`${contender.label}: ${lost} of ${session.clients.length} connections were closed by the server since the last round (${byCode}; ${stalls}); connecting all again`);
            kept.delete(contender.label);
            session.close();
            session = undefined;
          }
          session ??= await connectSession(contender.target, count);
          const keep = keepable.has(contender.label);
          if (keep) kept.set(contender.label, session);
          for (const phase of shape.phases) {
            const common = { senders: phase.senders, bytes: shape.bytes, warmupMs: timing.warmupMs, measureMs: timing.measureMs, minCpuSeconds: timing.minCpuSeconds };
            const result =
              phase.kind === 'closed'
                ? await closedLoop(session, contender.probe, { ...common, inFlight: phase.inFlight })
                : await openLoop(session, contender.probe, { ...common, rate: phase.rate });
            results[phase.name]![contender.label]![round] = result;
            log(`${shape.name} round ${round + 1}/${timing.rounds} ${contender.label} ${phase.name}: ${describe(result)}`);
          }
        } catch (error) {
          log(`${shape.name} round ${round + 1} ${contender.label} FAILED: ${error instanceof Error ? error.message : String(error)}`);
          if (session) kept.delete(contender.label);
          session?.close();
          session = undefined;
        } finally {
          if (!keepable.has(contender.label)) session?.close();
          // While a kept session waits for its next round, this process's own stalls are recorded for it.
          idleLoops.get(contender.label)?.disable();
          idleLoops.delete(contender.label);
          if (session && kept.get(contender.label) === session) {
            const loop = monitorEventLoopDelay({ resolution: 10 });
            loop.enable();
            idleLoops.set(contender.label, loop);
          }
        }
        await sleep(300); // closed sockets settle before the next implementation is measured
      }
    }
  } finally {
    for (const s of kept.values()) s.close();
    for (const loop of idleLoops.values()) loop.disable();
  }
  return results;
}

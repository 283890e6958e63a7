// The latency comparison, interleaved: every implementation's server runs at once with its own room, and the
// fixed offered load is applied to each in turn, in short rounds, rotating who goes first. On a shared 2-core
// machine the background load drifts over minutes; measured one implementation after the other, a noisy minute
// decided the p99 ratio. Interleaved, each one meets the same drift. Samples of all rounds are pooled per
// implementation before taking percentiles.
import { percentiles } from './percentile.js';
import { measureLatency, measureThroughput, openRoom, type LatencyResult, type Room } from './phases.js';
import type { ServerChild } from './serverChild.js';
import type { LoadTarget } from './target.js';

const log = (msg: string) => console.log(`[bench:hub] ${msg}`);

export interface Contender {
  label: string;
  server: ServerChild;
  target: LoadTarget;
}

export interface LatencyRoundsConfig {
  receivers: number;
  rates: number[];
  /** Measured seconds per implementation and rate, split into `rounds`. */
  seconds: number;
  rounds: number;
}

/** p50/p99 per implementation label and rate. Stops every server. */
export async function latencyRounds(contenders: Contender[], config: LatencyRoundsConfig): Promise<Record<string, Record<string, LatencyResult>>> {
  const out: Record<string, Record<string, LatencyResult>> = {};
  const rooms: Array<{ contender: Contender; room: Room }> = [];
  try {
    const perRound = Math.max(...config.rates.map((rate) => Math.ceil((rate * config.seconds) / config.rounds)));
    for (const contender of contenders) {
      await contender.target.prepare(config.receivers);
      const room = await openRoom([contender.target], config.receivers, perRound * config.receivers);
      await measureThroughput(`${contender.label} latency warm-up`, room, 50, 64, 300_000);
      rooms.push({ contender, room });
    }
    for (const rate of config.rates) {
      const messages = Math.ceil((rate * config.seconds) / config.rounds);
      const pooled = new Map<string, number[]>(contenders.map((c) => [c.label, []]));
      for (let round = 0; round < config.rounds; round++) {
        for (let k = 0; k < rooms.length; k++) {
          const { contender, room } = rooms[(round + k) % rooms.length]!;
          await measureLatency(`${contender.label} round ${round + 1}/${config.rounds}`, room, rate, messages, 120_000);
          const samples = pooled.get(contender.label)!;
          for (let i = 0; i < room.latencyCount; i++) samples.push(room.latencies[i]!);
        }
      }
      for (const { contender } of rooms) {
        const samples = Float64Array.from(pooled.get(contender.label)!);
        const [p50, p99, max] = percentiles(samples, [50, 99, 100]);
        (out[contender.label] ??= {})[rate] = {
          ratePerSecond: rate,
          messages: messages * config.rounds,
          samples: samples.length,
          p50: p50!,
          p99: p99!,
          max: max!,
          complete: samples.length === messages * config.rounds * config.receivers,
        };
        log(`${contender.label} latency at ${rate} msg/s over ${config.rounds} interleaved rounds: p50 ${p50!.toFixed(2)} ms, p99 ${p99!.toFixed(2)} ms`);
      }
    }
  } finally {
    for (const { room } of rooms) room.close();
    await Promise.all(contenders.map((c) => c.server.stop()));
  }
  return out;
}

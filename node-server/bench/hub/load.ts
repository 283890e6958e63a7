// The load the hub benchmark applies to one implementation: its clients (one per member of the layout) and two
// kinds of phase, both bounded in time and in count, each measured over a window after a warm-up:
// - closed loop: some members send, each keeping `inFlight` messages unacknowledged (1: one in flight; 64: a
//   pipelining sender); deliveries per second and per server CPU-second over the window, send→delivery latency,
//   and the round trip of a send (send → the server's ack; Stage: the reply, after the commit);
// - open loop: messages offered at a fixed rate, round robin over the members, whatever the acks: send→delivery
//   p50/p99 at that load (a slow server shows up as latency, not as fewer sends).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CpuMeter } from './procCpu.js';
import { Samples } from './percentile.js';
import { nowMicros, type BenchClient, type LoadTarget } from './target.js';

const log = (msg: string) => console.log(`[bench:hub] ${msg}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One implementation's clients, all connected. */
export interface Session {
  readonly label: string;
  readonly clients: BenchClient[];
  /** Messages received by all clients so far. */
  readonly delivered: () => number;
  /** Sends not yet acked, of every phase: a phase starts once the previous one's have drained (bounded). */
  inFlight: number;
  /** Send→delivery latency (ms) of the messages sent in [recordFrom, recordUntil) (µs), whenever they arrive. */
  readonly deliveryLatency: Samples;
  recordFrom: number;
  recordUntil: number;
  close(): void;
}

/** Connects `count` clients, `batch` at a time; fails (closing those opened) if it takes longer than `deadlineMs`. */
export async function connectSession(target: LoadTarget, count: number, deadlineMs = 120_000, batch = 200): Promise<Session> {
  let delivered = 0;
  const session: Session = {
    label: target.label,
    clients: [],
    delivered: () => delivered,
    inFlight: 0,
    deliveryLatency: new Samples(500_000),
    recordFrom: Infinity,
    recordUntil: Infinity,
    close: () => {
      for (const c of session.clients) c.close();
    },
  };
  const onDeliver = (sentAt: number) => {
    delivered++;
    if (sentAt >= session.recordFrom && sentAt < session.recordUntil) session.deliveryLatency.add((nowMicros() - sentAt) / 1000);
  };
  const started = Date.now();
  try {
    for (let start = 0; start < count; start += batch) {
      if (Date.now() - started > deadlineMs) throw new Error(`${target.label}: ${start}/${count} connected after ${deadlineMs} ms`);
      const end = Math.min(count, start + batch);
      session.clients.push(...(await Promise.all(Array.from({ length: end - start }, (_, k) => target.connect(start + k, onDeliver)))));
    }
  } catch (error) {
    session.close();
    throw error;
  }
  log(`${target.label}: ${count} clients connected in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return session;
}

/** What is sampled at the start and at the end of a measured window. */
export interface Probe {
  cpu: CpuMeter;
  /** Server counters (Stage: commits and the transactions they held), if any. */
  counters?: () => Promise<Record<string, number>>;
}

export interface WindowResult {
  seconds: number;
  deliveries: number;
  /** CPU seconds of the server processes (and of PostgreSQL's backends and Redis where they are used). */
  serverCpuSeconds: number;
  /** The same by part where the probe names parts (the `hubs` shape: hubs, postgres, redis). */
  serverCpuByPart: Record<string, number>;
  /** CPU seconds of this (load client) process: near 1 per second means the clients, not the server, were the limit. */
  clientCpuSeconds: number;
  deliveriesPerSecond: number;
  deliveriesPerCpuSecond: number;
  /** Send→delivery latency over the window, ms. */
  p50: number;
  p99: number;
  /** Sends acked / refused during the window. */
  acked: number;
  refused: number;
  /** Round trip of a send (send → ack), ms. */
  rttP50: number;
  rttP99: number;
  /** Counter increments over the window. */
  counters: Record<string, number>;
  /**
   * This process's own event-loop delay over the window, ms: the load clients timestamp deliveries, so a stall
   * here lengthens the measured latencies of every implementation alike (read it beside a latency tail).
   */
  clientLoopDelayP99Ms: number;
  clientLoopDelayMaxMs: number;
}

export interface WindowTiming {
  warmupMs: number;
  /** The window's least length... */
  measureMs: number;
  /** ...extended (up to 4×) until the server has used this much CPU. */
  minCpuSeconds: number;
}

export interface ClosedLoopConfig extends WindowTiming {
  senders: readonly number[];
  inFlight: number;
  bytes: number;
}

export interface OpenLoopConfig extends WindowTiming {
  /** Messages per second, all senders together. */
  rate: number;
  senders: readonly number[];
  bytes: number;
}

/** Waits until every send is acked and the deliveries have stopped arriving (bounded). */
async function drain(session: Session, deadlineMs = 60_000): Promise<void> {
  const inFlight = () => session.inFlight;
  const until = Date.now() + deadlineMs;
  while (inFlight() > 0 && Date.now() < until) await sleep(10);
  // Deliveries still arriving: wait until the count stops moving for 200 ms.
  let last = -1;
  while (session.delivered() !== last && Date.now() < until) {
    last = session.delivered();
    await sleep(200);
  }
  if (inFlight() > 0) log(`${session.label}: ${inFlight()} sends still unacked after the drain deadline`);
}

/**
 * Measures a window: counters, CPU and deliveries at its start and end; latencies come after the drain. The window
 * lasts `measureMs`, longer (up to 4×) until the server has used `minCpuSeconds`: CPU time is counted in 10 ms
 * ticks, and on a machine shared with other work a short window holds too few of them.
 */
async function measureWindow(session: Session, probe: Probe, timing: WindowTiming, rtt: Samples, sends: { acked: number; refused: number }): Promise<WindowResult> {
  const counters0 = (await probe.counters?.()) ?? {};
  const cpu0 = await probe.cpu.sample();
  const client0 = process.cpuUsage();
  const delivered0 = session.delivered();
  const acked0 = sends.acked;
  const refused0 = sends.refused;
  const t0 = performance.now();
  const clientLoop = monitorEventLoopDelay({ resolution: 1 });
  clientLoop.enable();
  session.deliveryLatency.clear();
  rtt.clear();
  session.recordFrom = nowMicros();
  session.recordUntil = Infinity;
  await sleep(timing.measureMs);
  // Bounded by the clock, not by iterations: a client saturated by deliveries wakes up late.
  const until = t0 + 4 * timing.measureMs;
  while (performance.now() < until && CpuMeter.spent(cpu0, await probe.cpu.sample()) < timing.minCpuSeconds) await sleep(250);
  session.recordUntil = nowMicros();
  clientLoop.disable();
  const seconds = (performance.now() - t0) / 1000;
  const deliveries = session.delivered() - delivered0;
  const cpu1 = await probe.cpu.sample();
  const client = process.cpuUsage(client0);
  const counters1 = (await probe.counters?.()) ?? {};
  const serverCpuByPart = CpuMeter.spentByPart(cpu0, cpu1);
  const serverCpuSeconds = Object.values(serverCpuByPart).reduce((sum, seconds) => sum + seconds, 0);
  const counters: Record<string, number> = {};
  // Counters are differenced; `since_last_` figures (e.g. the hub's event-loop delay) already cover the window.
  for (const [k, v] of Object.entries(counters1)) {
    if (k.startsWith('since_last_')) counters[k] = v;
    else if (k in counters0) counters[k] = v - counters0[k]!;
  }
  return {
    seconds,
    deliveries,
    serverCpuSeconds,
    serverCpuByPart,
    clientCpuSeconds: (client.user + client.system) / 1e6,
    deliveriesPerSecond: deliveries / seconds,
    deliveriesPerCpuSecond: serverCpuSeconds > 0 ? deliveries / serverCpuSeconds : NaN,
    p50: NaN,
    p99: NaN,
    acked: sends.acked - acked0,
    refused: sends.refused - refused0,
    rttP50: NaN,
    rttP99: NaN,
    counters,
    clientLoopDelayP99Ms: clientLoop.percentile(99) / 1e6,
    clientLoopDelayMaxMs: clientLoop.max / 1e6,
  };
}

/** After the drain: the latencies of the window's messages, late deliveries included. */
function withLatencies(result: WindowResult, session: Session, rtt: Samples): WindowResult {
  const [p50, p99] = session.deliveryLatency.p50p99();
  const [rttP50, rttP99] = rtt.p50p99();
  session.recordFrom = session.recordUntil = Infinity;
  return { ...result, p50, p99, rttP50, rttP99 };
}

/** Closed loop: each sender keeps `inFlight` sends unacked until the window ends, then the load drains. */
export async function closedLoop(session: Session, probe: Probe, config: ClosedLoopConfig): Promise<WindowResult> {
  const rtt = new Samples(200_000);
  const sends = { acked: 0, refused: 0 };
  let stopped = false;
  const loop = async (client: BenchClient) => {
    while (!stopped) {
      const sentAt = nowMicros();
      session.inFlight++;
      try {
        await client.send(sentAt, config.bytes);
        sends.acked++;
        if (sentAt >= session.recordFrom && sentAt < session.recordUntil) rtt.add((nowMicros() - sentAt) / 1000);
      } catch {
        sends.refused++;
        await sleep(20); // a refusal (e.g. the connection closed) must not turn the loop into a busy spin
      } finally {
        session.inFlight--;
      }
    }
  };
  await drain(session);
  const loops: Promise<void>[] = [];
  for (const index of config.senders) for (let k = 0; k < config.inFlight; k++) loops.push(loop(session.clients[index]!));
  let result: WindowResult;
  try {
    await sleep(config.warmupMs);
    result = await measureWindow(session, probe, config, rtt, sends);
  } finally {
    stopped = true;
    await drain(session);
  }
  return withLatencies(result, session, rtt);
}

/**
 * Open loop: `rate` messages per second over the senders in turn; latency of the messages sent in the window. A
 * server that cannot keep up is not buried: past one second of offered load unacked, sends are skipped (counted
 * as refused), so its drain stays bounded and its latency shows the saturation.
 */
export async function openLoop(session: Session, probe: Probe, config: OpenLoopConfig): Promise<WindowResult> {
  const rtt = new Samples(200_000);
  const sends = { acked: 0, refused: 0 };
  await drain(session);
  let stopped = false;
  let next = 0;
  const t0 = performance.now();
  let sent = 0;
  const ticker = setInterval(() => {
    if (stopped) return;
    const due = Math.floor(((performance.now() - t0) / 1000) * config.rate);
    // Bounded catch-up: a stalled event loop does not turn into a burst bigger than 100 ms of load.
    for (let burst = 0; sent < due && burst < Math.max(1, config.rate / 10); burst++, sent++) {
      const client = session.clients[config.senders[next++ % config.senders.length]!]!;
      if (session.inFlight >= config.rate) {
        sends.refused++;
        continue;
      }
      const sentAt = nowMicros();
      session.inFlight++;
      client.send(sentAt, config.bytes).then(
        () => {
          sends.acked++;
          if (sentAt >= session.recordFrom && sentAt < session.recordUntil) rtt.add((nowMicros() - sentAt) / 1000);
        },
        () => {
          sends.refused++;
        },
      ).finally(() => session.inFlight--);
    }
    sent = Math.max(sent, due);
  }, 2);
  let result: WindowResult;
  try {
    await sleep(config.warmupMs);
    result = await measureWindow(session, probe, config, rtt, sends);
  } finally {
    stopped = true;
    clearInterval(ticker);
    await drain(session);
  }
  return withLatencies(result, session, rtt);
}

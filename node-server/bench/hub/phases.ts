// The three measurements of the hub benchmark, run against any LoadTarget:
// - memory:     server RSS per idle authenticated connection, connections opened in batches;
// - throughput: one sender, N messages with a bounded window of unacked sends, to R receivers in one room:
//               deliveries per second from the first send to the last delivery;
// - latency:    the same room at a FIXED offered rate (open loop), p50/p99 send-to-receive in ms.
// Every loop is bounded and every wait has a deadline, so the benchmark stops by itself.
import { percentiles } from './percentile.js';
import type { ServerChild } from './serverChild.js';
import { nowMicros, type BenchSender, type Closeable, type LoadTarget } from './target.js';

const log = (msg: string) => console.log(`[bench:hub] ${msg}`);

async function openInBatches<T>(count: number, batch: number, open: (i: number) => Promise<T>, label: string): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(count, start + batch);
    out.push(...(await Promise.all(Array.from({ length: end - start }, (_, k) => open(start + k)))));
    if (end % (batch * 4) === 0 || end === count) log(`${label}: ${end}/${count} connected`);
  }
  return out;
}

export interface MemoryResult {
  connections: number;
  rssBefore: number;
  rssAfter: number;
  bytesPerConnection: number;
}

export async function measureMemory(target: LoadTarget, server: ServerChild, connections: number): Promise<MemoryResult> {
  const rssBefore = await server.rss();
  const conns = await openInBatches(connections, 250, (i) => target.connectIdle(i), `${target.label} idle`);
  const rssAfter = await server.rss();
  for (const c of conns) c.close();
  const bytesPerConnection = (rssAfter - rssBefore) / connections;
  log(`${target.label} memory: ${(bytesPerConnection / 1024).toFixed(1)} KB per idle connection (${connections} connections)`);
  return { connections, rssBefore, rssAfter, bytesPerConnection };
}

export interface Room {
  receivers: Closeable[];
  sender: BenchSender;
  delivered(): number;
  /** Latency samples (ms) recorded while `recording` is on, of messages sent at or after `recordFrom` (µs). */
  latencies: Float64Array;
  latencyCount: number;
  recording: boolean;
  recordFrom: number;
  close(): void;
}

export async function openRoom(targets: LoadTarget[], receivers: number, maxSamples: number): Promise<Room> {
  const room: Room = {
    receivers: [],
    sender: undefined as unknown as BenchSender,
    delivered: () => delivered,
    latencies: new Float64Array(maxSamples),
    latencyCount: 0,
    recording: false,
    recordFrom: 0,
    close: () => {
      for (const r of room.receivers) r.close();
      room.sender.close();
    },
  };
  let delivered = 0;
  const onDeliver = (sentAt: number) => {
    delivered++;
    if (room.recording && sentAt >= room.recordFrom && room.latencyCount < maxSamples) room.latencies[room.latencyCount++] = (nowMicros() - sentAt) / 1000;
  };
  // Receivers are spread round-robin over the targets (one target per hub in the two-hub figure).
  room.receivers = await openInBatches(receivers, 100, (i) => targets[i % targets.length]!.connectReceiver(i, onDeliver), `${targets[0]!.label} receivers`);
  room.sender = await targets[0]!.connectSender();
  return room;
}

async function waitFor(condition: () => boolean, deadlineMs: number, progress: () => string): Promise<boolean> {
  const started = Date.now();
  let lastPrint = started;
  while (!condition()) {
    if (Date.now() - started > deadlineMs) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (Date.now() - lastPrint >= 1000) {
      lastPrint = Date.now();
      log(progress());
    }
  }
  return true;
}

export interface ThroughputResult {
  messages: number;
  receivers: number;
  deliveries: number;
  seconds: number;
  deliveriesPerSecond: number;
  complete: boolean;
}

export async function measureThroughput(label: string, room: Room, messages: number, window: number, deadlineMs: number): Promise<ThroughputResult> {
  const receivers = room.receivers.length;
  const base = room.delivered();
  const expected = messages * receivers;
  const t0 = performance.now();
  let sent = 0;
  let inFlight = 0;
  const progress = setInterval(() => log(`${label}: ${sent - inFlight}/${messages} sends acked, ${room.delivered() - base}/${expected} delivered`), 5000);
  // Bounded: the send phase shares the deadline; a server that stops answering ends the run as incomplete.
  const sendDeadline = Date.now() + deadlineMs;
  const allAcked = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), deadlineMs);
    const pump = () => {
      while (inFlight < window && sent < messages) {
        sent++;
        inFlight++;
        void room.sender.send(nowMicros()).catch(() => undefined).then(() => {
          inFlight--;
          if (sent < messages) pump();
          else if (inFlight === 0) {
            clearTimeout(timer);
            resolve(true);
          }
        });
      }
    };
    pump();
  });
  clearInterval(progress);
  if (!allAcked) log(`${label}: the server acked ${sent - inFlight}/${messages} sends within ${deadlineMs} ms; stopping`);
  const complete =
    allAcked &&
    (await waitFor(() => room.delivered() - base >= expected, Math.max(0, sendDeadline - Date.now()) + 60_000, () => `${label}: ${room.delivered() - base}/${expected} delivered`));
  const seconds = (performance.now() - t0) / 1000;
  const deliveries = room.delivered() - base;
  const result = { messages, receivers, deliveries, seconds, deliveriesPerSecond: deliveries / seconds, complete };
  log(`${label} throughput: ${Math.round(result.deliveriesPerSecond).toLocaleString('en-US')} deliveries/s (${deliveries}/${expected} in ${seconds.toFixed(2)} s)`);
  return result;
}

export interface LatencyResult {
  ratePerSecond: number;
  messages: number;
  samples: number;
  p50: number;
  p99: number;
  max: number;
  complete: boolean;
}

/**
 * Open loop: sends at `rate` messages/s regardless of acks, so a slow server shows up as latency, not fewer sends.
 * The first second of messages is a warm-up at the same rate, not recorded: the server settles from the previous
 * phase (for Stage, the compaction of the throughput phase's outcome log) before the steady state is measured.
 */
export async function measureLatency(label: string, room: Room, rate: number, messages: number, deadlineMs: number): Promise<LatencyResult> {
  const receivers = room.receivers.length;
  const base = room.delivered();
  const warmup = Math.max(1, Math.ceil(rate));
  const total = warmup + messages;
  room.latencyCount = 0;
  room.recordFrom = Number.POSITIVE_INFINITY;
  room.recording = true;
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      while (sent < due) {
        if (sent === warmup) room.recordFrom = nowMicros();
        sent++;
        void room.sender.send(nowMicros()).catch(() => undefined);
      }
      if (sent < total) setTimeout(tick, 2);
      else resolve();
    };
    tick();
  });
  const complete = await waitFor(() => room.delivered() - base >= total * receivers, deadlineMs, () => `${label}: ${room.delivered() - base}/${total * receivers} delivered at ${rate}/s`);
  room.recording = false;
  const samples = room.latencies.subarray(0, room.latencyCount);
  const [p50, p99, max] = percentiles(samples, [50, 99, 100]);
  log(`${label} latency at ${rate} msg/s (${rate * receivers} deliveries/s): p50 ${p50!.toFixed(2)} ms, p99 ${p99!.toFixed(2)} ms`);
  return { ratePerSecond: rate, messages, samples: samples.length, p50: p50!, p99: p99!, max: max!, complete };
}

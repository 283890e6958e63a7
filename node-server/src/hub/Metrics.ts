// Hub metrics for Prometheus (`GET /metrics`), kept by prom-client: the hub's counters, gauges read when scraped,
// latency histograms, and the process's own metrics (CPU, memory, heap, GC, event-loop lag, handles) under their
// standard names. Rates (commands/s, outcomes/s) are what Prometheus computes from the counters.
//
// `render()` is the synchronous text of the hub's counters and gauges only (tests and benchmarks read it in
// process); `exposition()` is the full scrape.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Process metrics are per process, not per hub: one registry however many hubs a process embeds (tests do). */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 20 });
  }
  return processRegistry;
}

/** Latency buckets in seconds, 0.5 ms to 10 s (a command's deadline). */
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, { help: string; value: number }>();
  private readonly gauges = new Map<string, { help: string; read: () => number }>();

  constructor() {
    processMetrics();
  }

  counter(name: string, help: string): { inc(by?: number): void; readonly value: number } {
    const c = { help, value: 0 };
    this.counters.set(name, c);
    const counter = new Counter({ name, help, registers: [this.registry] });
    return {
      inc: (by = 1) => {
        c.value += by;
        counter.inc(by);
      },
      get value() {
        return c.value;
      },
    };
  }

  gauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, { help, read });
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** A latency (or size) distribution; observe seconds (or counts with your own buckets). */
  histogram(name: string, help: string, buckets: number[] = latencyBuckets): { observe(value: number): void } {
    const histogram = new Histogram({ name, help, buckets, registers: [this.registry] });
    return { observe: (value) => histogram.observe(value) };
  }

  /** The hub's counters and gauges as exposition text, synchronously. */
  render(): string {
    const lines: string[] = [];
    for (const [name, c] of this.counters) lines.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`, `${name} ${c.value}`);
    for (const [name, g] of this.gauges) lines.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${g.read()}`);
    return lines.join('\n') + '\n';
  }

  /** Everything: the hub's metrics, its histograms and the process's, in the Prometheus text format. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    const merged = Registry.merge([this.registry, processMetrics()]);
    return { contentType: merged.contentType, text: await merged.metrics() };
  }
}

/** The hub's counters and histograms, created once per hub. */
export function hubMetrics(metrics: Metrics) {
  return {
    commands: metrics.counter('stage_commands_total', 'Commands executed (replies sent), including Err replies'),
    commandErrors: metrics.counter('stage_command_errors_total', 'Commands answered with Err'),
    outcomes: metrics.counter('stage_outcomes_pushed_total', 'Outcome frames pushed to devices (first sends)'),
    retransmits: metrics.counter('stage_outcomes_retransmitted_total', 'Outcome frames sent again after an ack timeout'),
    replays: metrics.counter('stage_outcomes_replayed_total', 'Outcome frames replayed from the store on reconnect'),
    recalls: metrics.counter('stage_recalls_total', 'Sealed sessions rebuilt by recalling the client chain'),
    checkpointsSent: metrics.counter('stage_checkpoints_sent_total', 'Sealed checkpoints sent to devices (they keep them instead of their older entries)'),
    rejectedFrames: metrics.counter('stage_rejected_frames_total', 'Frames refused: malformed, wrong schema, forged seal, rate limited'),
    connectionsOpened: metrics.counter('stage_connections_opened_total', 'WebSocket connections accepted'),
    slowConsumers: metrics.counter('stage_slow_consumer_disconnects_total', 'Devices disconnected because their unacked window stayed full'),
    commandSeconds: metrics.histogram('stage_command_duration_seconds', 'A command from its arrival at the command runner to its reply (queue, handler, commit, fan-out)'),
    transactionSeconds: metrics.histogram('stage_transaction_duration_seconds', "A data-changing command's store transaction, from its start to its durable commit (includes waiting for its group commit)"),
    pushToAckSeconds: metrics.histogram('stage_push_to_ack_seconds', 'From sending an outcome to a device to its ack (the newest outcome each ack covers)'),
  };
}
export type HubCounters = ReturnType<typeof hubMetrics>;

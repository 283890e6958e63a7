// Hub metrics in the Prometheus text exposition format (`GET /metrics`): counters only grow; gauges are read
// when scraped. Rates (commands/s, outcomes/s) are what Prometheus computes from the counters.
export class Metrics {
  private readonly counters = new Map<string, { help: string; value: number }>();
  private readonly gauges = new Map<string, { help: string; read: () => number }>();

  counter(name: string, help: string): { inc(by?: number): void; readonly value: number } {
    const c = { help, value: 0 };
    this.counters.set(name, c);
    return {
      inc: (by = 1) => {
        c.value += by;
      },
      get value() {
        return c.value;
      },
    };
  }

  gauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, { help, read });
  }

  /** The exposition text. */
  render(): string {
    const lines: string[] = [];
    for (const [name, c] of this.counters) lines.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`, `${name} ${c.value}`);
    for (const [name, g] of this.gauges) lines.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${g.read()}`);
    return lines.join('\n') + '\n';
  }
}

/** The hub's counters, created once per hub. */
export function hubMetrics(metrics: Metrics) {
  return {
    commands: metrics.counter('stage_commands_total', 'Commands executed (replies sent), including Err replies'),
    commandErrors: metrics.counter('stage_command_errors_total', 'Commands answered with Err'),
    outcomes: metrics.counter('stage_outcomes_pushed_total', 'Outcome frames pushed to devices (first sends)'),
    retransmits: metrics.counter('stage_outcomes_retransmitted_total', 'Outcome frames sent again after an ack timeout'),
    replays: metrics.counter('stage_outcomes_replayed_total', 'Outcome frames replayed from the store on reconnect'),
    recalls: metrics.counter('stage_recalls_total', 'Sealed sessions rebuilt by recalling the client chain'),
    rejectedFrames: metrics.counter('stage_rejected_frames_total', 'Frames refused: malformed, wrong schema, forged seal, rate limited'),
    connectionsOpened: metrics.counter('stage_connections_opened_total', 'WebSocket connections accepted'),
    slowConsumers: metrics.counter('stage_slow_consumer_disconnects_total', 'Devices disconnected because their unacked window stayed full'),
  };
}
export type HubCounters = ReturnType<typeof hubMetrics>;

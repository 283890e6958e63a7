// What a Prometheus scrape of a working hub shows: the counters under their existing names, latency histograms of
// command round trip, transaction commit and push-to-ack, and the process's CPU, memory and event-loop metrics.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub } from '../src/hub/startHub.js';
import { startTestHub } from './support/startTestHub.js';
import { TestClient, registerUser } from './support/TestClient.js';

let hub: Awaited<ReturnType<typeof startTestHub>>;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => hub?.stop());

const scrape = async () => {
  const res = await fetch(`${hub.url}/metrics`);
  return { type: res.headers.get('content-type'), text: await res.text() };
};
const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"+.]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);

describe('/metrics', () => {
  it('has latency histograms, the old counters and process metrics', async () => {
    const { token } = await registerUser(hub.url, 'metered');
    const client = new TestClient({ baseUrl: hub.url, token, deviceId: 'm-1' });
    await client.connect();
    for (let i = 0; i < 5; i++) await client.ok('CreateGroup', { name: `g${i}` });
    // Each CreateGroup pushes NewGroup to its creator; the client acks it.
    await expect.poll(async () => value((await scrape()).text, 'stage_push_to_ack_seconds_count'), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await client.close();

    const { type, text } = await scrape();
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of ['stage_commands_total', 'stage_command_errors_total', 'stage_outcomes_pushed_total', 'stage_recalls_total', 'stage_connections_opened_total']) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} counter$`, 'm'));
    }
    expect(text).toMatch(/^# TYPE stage_connections gauge$/m);
    expect(value(text, 'stage_commands_total')).toBe(5);
    expect(value(text, 'stage_outcomes_pushed_total')).toBe(5);

    for (const name of ['stage_command_duration_seconds', 'stage_transaction_duration_seconds', 'stage_push_to_ack_seconds']) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} histogram$`, 'm'));
      expect(value(text, `${name}_bucket{le="+Inf"}`)).toBe(value(text, `${name}_count`));
    }
    expect(value(text, 'stage_command_duration_seconds_count')).toBe(5);
    expect(value(text, 'stage_transaction_duration_seconds_count')).toBe(5);
    // A command's round trip includes its transaction.
    expect(value(text, 'stage_command_duration_seconds_sum')).toBeGreaterThanOrEqual(value(text, 'stage_transaction_duration_seconds_sum'));

    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_active_handles_total']) {
      expect(text).toMatch(new RegExp(`^${name} [0-9.e+-]+$`, 'm'));
    }
  });

  it('with metricsListen, is served on its own listener (token honoured) and not on the hub port', async () => {
    const own = await startTestHub({ metricsListen: '127.0.0.1:0', metricsToken: 'scrape-token-0123456789' });
    try {
      expect(own.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(own.metricsUrl).not.toContain(`:${own.port}/`);
      const onHubPort = await fetch(`${own.url}/metrics`, { headers: { authorization: 'Bearer scrape-token-0123456789' } });
      expect(onHubPort.status).toBe(404);
      expect(((await onHubPort.json()) as { error: { message: string } }).error.message).toMatch(/metrics listener/);
      expect((await fetch(own.metricsUrl!)).status).toBe(403);
      const scraped = await fetch(own.metricsUrl!, { headers: { authorization: 'Bearer scrape-token-0123456789' } });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toMatch(/^# TYPE stage_commands_total counter$/m);
      // Only /metrics there: the API and the web demo are not reachable through the metrics address.
      expect((await fetch(own.metricsUrl!.replace('/metrics', '/api/login'), { method: 'POST' })).status).toBe(404);
      expect((await fetch(own.metricsUrl!.replace('/metrics', '/'))).status).toBe(404);
    } finally {
      await own.stop();
    }
    // Closing the hub closes the metrics listener.
    await expect(fetch(own.metricsUrl!)).rejects.toThrow();
  });

  it('a metrics address already in use stops the start with the listen error', async () => {
    const first = await startTestHub({ metricsListen: '127.0.0.1:0' });
    try {
      const taken = new URL(first.metricsUrl!).port;
      await expect(startHub({ port: 0, host: '127.0.0.1', dataDir: first.dataDir + '-second', logLevel: 'silent', metricsListen: `127.0.0.1:${taken}` })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.stop();
      rmSync(first.dataDir + '-second', { recursive: true, force: true });
    }
  });
});

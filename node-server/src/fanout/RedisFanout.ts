// Cross-hub fan-out over Redis pub/sub (`ioredis`), selected by `STAGE_REDIS_URL` (see openFanout.ts): several
// hubs behind a load balancer, a user's devices on different hubs.
//
// - One channel (default `stage:outcomes`; `?channel=name` in the URL overrides it) carries every committed
//   outcome batch. Every hub subscribes and its registry keeps the entries of the users connected to it.
// - A batch is published ONCE however many recipients it has: each distinct outcome is serialized once with the
//   list of (user, outcome id) pairs that received it; receivers rebuild entries sharing one outcome object.
// - The publishing hub delivers its own batches locally at once (no round trip through Redis) and ignores their
//   echo, so its devices see no extra latency.
// - Replies never wait for Redis (CommandRunner does not await publish); every command is bounded by a timeout,
//   both connections are PINGed every 2 s and a silent one is dropped and reconnected; ioredis reconnects and
//   resubscribes by itself. Pub/sub is best effort: what it loses, every hub's OutcomeReconciler reads from the
//   store (reconcileMs), so a committed outcome reaches every connected device without waiting for the next one.
// - Order and exactly-once are not Redis's job: outcome ids come from the store (monotonic per user), and the
//   registry sends each device ids in order, reading any id it has not seen from the store, and skips ids it
//   already sent. A batch published while this hub's subscriber was disconnected never arrives: once the
//   subscription is back, `missed$` emits and the registry reads every connected user's newest id from the store
//   (where the batch was durable before it was published) and sends what is missing.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Subject } from 'rxjs';
import type { Fanout, FanoutEntry } from './Fanout.js';
import { withTimeout } from '../withTimeout.js';

export interface RedisFanoutConfig {
  /** `redis://host:port[/db]`; a `channel` query parameter is honoured and removed. */
  url: string;
  /** Pub/sub channel shared by the hubs of one deployment. Default `stage:outcomes`. */
  channel?: string;
  /** How long `open` waits for Redis before failing. Default 5 s. */
  connectTimeoutMs?: number;
  /** Bound on every command (PUBLISH, PING): a silent link fails it instead of holding it. Default 1 s. */
  commandTimeoutMs?: number;
  /** How often both connections are PINGed; one that does not answer is dropped and reconnected. Default 2 s. */
  healthCheckMs?: number;
  /** See Fanout.reconcileMs. Default 500 ms. */
  reconcileMs?: number;
}

/** Redis could not be reached; the message names the URL and how to fix it. */
class FanoutUnavailableError extends Error {
  readonly code = 'fanout_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FanoutUnavailableError';
  }
}

/** The wire format: the publishing hub and, per distinct outcome, its JSON and its recipients. */
interface WireBatch {
  hub: string;
  outcomes: Array<{ outcome: unknown; to: Array<[userId: string, outcomeId: number]> }>;
}

/**
 * What every batch published by `hub` starts with (encodeBatch writes the hub first): a hub knows its own echo by
 * this prefix without parsing it. Parsing it only to drop it cost a JSON.parse of every batch this hub published,
 * the recipients' list included (1,000 pairs for a message to a 1,000-member room).
 */
export function batchPrefix(hub: string): string {
  return `{"hub":${JSON.stringify(hub)},`;
}

/** Groups entries by outcome object, preserving the order of first appearance and of recipients. */
export function encodeBatch(hub: string, entries: readonly FanoutEntry[]): string {
  const byOutcome = new Map<unknown, WireBatch['outcomes'][number]>();
  for (const e of entries) {
    let group = byOutcome.get(e.outcome);
    if (!group) {
      group = { outcome: e.outcome, to: [] };
      byOutcome.set(e.outcome, group);
    }
    group.to.push([e.userId, e.outcomeId]);
  }
  return JSON.stringify({ hub, outcomes: [...byOutcome.values()] } satisfies WireBatch);
}

/** Throws on anything that is not a batch. */
export function decodeBatch(text: string): { hub: string; entries: FanoutEntry[] } {
  const batch = JSON.parse(text) as WireBatch;
  if (typeof batch !== 'object' || batch === null || typeof batch.hub !== 'string' || !Array.isArray(batch.outcomes)) {
    throw new TypeError('not a fan-out batch');
  }
  const entries: FanoutEntry[] = [];
  for (const { outcome, to } of batch.outcomes) for (const [userId, outcomeId] of to) entries.push({ userId, outcomeId, outcome });
  return { hub: batch.hub, entries };
}

function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

export class RedisFanout implements Fanout {
  readonly kind = 'redis';
  /** This hub's id on the channel (its own batches come back and are skipped). */
  readonly hubId: string;
  private readonly subject = new Subject<FanoutEntry[]>();
  readonly entries$ = this.subject.asObservable();
  private readonly missed = new Subject<void>();
  readonly missed$ = this.missed.asObservable();
  private closed = false;
  /** Messages on the channel that were not batches (ignored). */
  malformed = 0;
  /** Batches that could not be published (Redis unreachable or silent); delivered locally all the same, and to
   * the other hubs by their reconcilers. */
  publishFailures = 0;

  readonly reconcileMs: number;
  private readonly health: ReturnType<typeof setInterval>;
  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    readonly channel: string,
    hubId: string,
    config: RedisFanoutConfig,
  ) {
    this.hubId = hubId;
    this.reconcileMs = config.reconcileMs ?? 500;
    // A silently cut link gives no error: every command would wait forever, and the subscription would just
    // go quiet. PINGs bounded by the command timeout find it; the connection is then dropped and reconnected.
    this.health = setInterval(() => {
      for (const conn of [pub, sub]) {
        if (conn.status !== 'ready') continue;
        conn.ping().catch(() => this.recycle(conn));
      }
    }, config.healthCheckMs ?? 2000);
    this.health.unref();
    const ownPrefix = batchPrefix(hubId);
    sub.on('message', (channel: string, text: string) => {
      if (channel !== this.channel || this.closed) return;
      // Our own batch coming back: delivered locally when it was published.
      if (text.startsWith(ownPrefix)) return;
      let batch: { hub: string; entries: FanoutEntry[] };
      try {
        batch = decodeBatch(text);
      } catch {
        // Someone else's message on our channel: not ours to deliver, and never a reason to crash the hub.
        this.malformed++;
        return;
      }
      if (batch.hub !== this.hubId && batch.entries.length > 0) this.subject.next(batch.entries);
    });
    // 'ready' again after the first time: the subscriber reconnected. ioredis re-sends SUBSCRIBE right after
    // emitting 'ready', so the PING goes on the next turn, behind it: once answered, the subscription is active
    // again, and what was published before may have been lost.
    sub.on('ready', () => {
      setImmediate(() => {
        if (this.closed) return;
        sub.ping().then(
          () => this.missed.next(),
          () => undefined, // disconnected again: the next 'ready' reports it
        );
      });
    });
  }

  /** Connects the publishing and the subscribing connection and subscribes; fails clearly if Redis is not there. */
  static async open(urlOrConfig: string | RedisFanoutConfig): Promise<RedisFanout> {
    const config = typeof urlOrConfig === 'string' ? { url: urlOrConfig } : urlOrConfig;
    const url = new URL(config.url);
    const channel = config.channel ?? url.searchParams.get('channel') ?? 'stage:outcomes';
    url.searchParams.delete('channel');
    const hubId = randomUUID();
    const options = {
      lazyConnect: true,
      connectTimeout: config.connectTimeoutMs ?? 5000,
      commandTimeout: config.commandTimeoutMs ?? 1000,
      keepAlive: 5000,
      // After the first connection: reconnect with a capped backoff, forever (a Redis restart must not kill hubs).
      retryStrategy: (times: number) => Math.min(times * 100, 2000),
      enableAutoPipelining: true,
    };
    // The publisher does not queue while Redis is away: a publish then fails at once (counted, see publish()).
    const pub = new Redis(url.toString(), { ...options, enableOfflineQueue: false, connectionName: `stage-fanout-pub-${hubId}` });
    const sub = new Redis(url.toString(), { ...options, connectionName: `stage-fanout-${hubId}` });
    // ioredis reports every failed reconnect as an 'error' event; they must not crash the hub.
    pub.on('error', () => {});
    sub.on('error', () => {});
    const timeout = config.connectTimeoutMs ?? 5000;
    try {
      await withTimeout(Promise.all([pub.connect(), sub.connect()]), timeout);
      await sub.subscribe(channel);
    } catch (e) {
      pub.disconnect();
      sub.disconnect();
      throw new FanoutUnavailableError(
        `Redis at ${describe(config.url)} is unavailable (${(e as Error).message}). ` +
          'Start Redis or point STAGE_REDIS_URL at a running server, e.g. redis://127.0.0.1:6379.',
        { cause: e },
      );
    }
    return new RedisFanout(pub, sub, channel, hubId, config);
  }

  /**
   * Delivers locally, then publishes. A failed or timed-out publish (Redis down, restarting or silent) is counted,
   * not thrown, and never waited for by a reply: the outcomes are durable, this hub's devices have them, and the
   * other hubs' reconcilers read them from the store within about two reconcile periods.
   */
  async publish(entries: FanoutEntry[]): Promise<void> {
    if (entries.length === 0 || this.closed) return;
    this.subject.next(entries);
    try {
      await this.pub.publish(this.channel, encodeBatch(this.hubId, entries));
    } catch (e) {
      this.publishFailures++;
      if (e instanceof Error && e.message.includes('timed out')) this.recycle(this.pub);
    }
  }

  /** Readiness: both connections answer a PING within `timeoutMs` (default 1 s). */
  async ping(timeoutMs = 1000): Promise<void> {
    try {
      await withTimeout(Promise.all([this.pub.ping(), this.sub.ping()]), timeoutMs);
    } catch (e) {
      throw new FanoutUnavailableError(`Redis did not answer a PING within ${timeoutMs} ms (${(e as Error).message})`, { cause: e });
    }
  }

  /** Drops a connection that stopped answering and reconnects it (the subscriber then reports missed$). */
  private recycle(conn: Redis): void {
    if (this.closed || conn.status !== 'ready') return;
    conn.disconnect(true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.health);
    this.subject.complete();
    this.missed.complete();
    await Promise.allSettled([this.sub.quit(), this.pub.quit()]);
  }
}

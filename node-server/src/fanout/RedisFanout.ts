// Cross-hub fan-out over Redis pub/sub (`ioredis`), selected by `STAGE_REDIS_URL` (see openFanout.ts): several
// hubs behind a load balancer, a user's devices on different hubs.
//
// - One channel (default `stage:outcomes`; `?channel=name` in the URL overrides it) carries every committed
//   outcome batch. Every hub subscribes and its registry keeps the entries of the users connected to it.
// - A batch is published ONCE however many recipients it has: each distinct outcome is serialized once with the
//   list of (user, outcome id) pairs that received it; receivers rebuild entries sharing one outcome object.
// - The publishing hub delivers its own batches locally at once (no round trip through Redis) and ignores their
//   echo, so its devices see no extra latency.
// - While Redis is unreachable, publish() still delivers locally and resolves (counting publishFailures), so
//   commands keep being answered; ioredis reconnects and resubscribes by itself.
// - Order and exactly-once are not Redis's job: outcome ids come from the store (monotonic per user), and the
//   registry sends each device ids in order, reading any id it has not seen from the store, and skips ids it
//   already sent. A batch published while this hub's subscriber was disconnected never arrives: once the
//   subscription is back, `missed$` emits and the registry reads every connected user's newest id from the store
//   (where the batch was durable before it was published) and sends what is missing.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Subject } from 'rxjs';
import type { Fanout, FanoutEntry } from './Fanout.js';

export interface RedisFanoutConfig {
  /** `redis://host:port[/db]`; a `channel` query parameter is honoured and removed. */
  url: string;
  /** Pub/sub channel shared by the hubs of one deployment. Default `stage:outcomes`. */
  channel?: string;
  /** How long `open` waits for Redis before failing. Default 5 s. */
  connectTimeoutMs?: number;
}

/** Redis could not be reached; the message names the URL and how to fix it. */
export class FanoutUnavailableError extends Error {
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

function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
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
  /** Batches that could not be published (Redis unreachable at that moment); delivered locally all the same. */
  publishFailures = 0;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    readonly channel: string,
    hubId: string,
  ) {
    this.hubId = hubId;
    sub.on('message', (channel: string, text: string) => {
      if (channel !== this.channel || this.closed) return;
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
      // After the first connection: reconnect with a capped backoff, forever (a Redis restart must not kill hubs).
      retryStrategy: (times: number) => Math.min(times * 100, 2000),
      enableAutoPipelining: true,
    };
    // The publisher does not queue while Redis is away: a publish then fails at once (counted, see publish()).
    const pub = new Redis(url.toString(), { ...options, enableOfflineQueue: false });
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
    return new RedisFanout(pub, sub, channel, hubId);
  }

  /**
   * Delivers locally, then publishes. A failed publish (Redis down or restarting) is counted, not thrown: the
   * outcomes are already durable, this hub's devices have them, and other hubs' devices get them with the user's
   * next outcome or on reconnect. Commands keep being answered while Redis is away.
   */
  async publish(entries: FanoutEntry[]): Promise<void> {
    if (entries.length === 0 || this.closed) return;
    this.subject.next(entries);
    try {
      await this.pub.publish(this.channel, encodeBatch(this.hubId, entries));
    } catch {
      this.publishFailures++;
    }
  }

  /** Resolves when both connections answer PING (readiness); rejects while Redis is away. */
  async ping(): Promise<void> {
    await Promise.all([this.pub.ping(), this.sub.ping()]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subject.complete();
    this.missed.complete();
    await Promise.allSettled([this.sub.quit(), this.pub.quit()]);
  }
}

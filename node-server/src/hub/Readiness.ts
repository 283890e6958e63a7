// Readiness: can this hub serve commands right now? It can when its store answers a trivial query and its fan-out
// answers a ping, each within a short timeout (PostgreSQL or Redis down or hanging means not ready; SQLite and the
// in-process fan-out are always there). `/readyz` asks; a background probe asks too, so an outage is logged once
// when it starts and once when it ends even if nobody polls. Concurrent asks share one probe, so a flood of
// `/readyz` requests costs one query per service at a time.
import type { Fanout } from '../fanout/Fanout.js';
import type { Store } from '../store/Store.js';
import type { Logger } from './Logger.js';
import { withTimeout } from '../withTimeout.js';

export interface DependencyState {
  ok: boolean;
  /** Why not, when not ok. */
  error?: string;
}

export interface ReadinessReport {
  ready: boolean;
  store: DependencyState;
  fanout: DependencyState;
}

export interface ReadinessConfig {
  store: Store;
  fanout: Fanout;
  log: Logger;
  /** A probe slower than this counts as a failure. Default 2 s. */
  timeoutMs?: number;
  /** Background probe period; 0 disables it. Default 5 s. */
  intervalMs?: number;
}

/** Something that may answer a ping (the stores and fan-outs that talk to a server do). */
interface Pingable {
  ping?(): Promise<unknown>;
}

/**
 * The one place that knows how to ask each dependency if it is there: its `ping()` when it has one, otherwise (a
 * store) a read of a user that does not exist, which goes through the same pool and connection as any command.
 */
function probe(dependency: 'store' | 'fanout', target: Store | Fanout): Promise<unknown> {
  const pingable = target as Pingable;
  if (typeof pingable.ping === 'function') return pingable.ping();
  if (dependency === 'store') return (target as Store).userById('readiness-probe');
  return Promise.resolve(); // an in-process fan-out cannot be away
}

export class Readiness {
  private readonly timeoutMs: number;
  private inFlight: Promise<ReadinessReport> | undefined;
  /** When each dependency went down (absent while up): outages are logged on the way down and up only. */
  private readonly downSince = new Map<'store' | 'fanout', number>();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly config: ReadinessConfig) {
    this.timeoutMs = config.timeoutMs ?? 2000;
    const intervalMs = config.intervalMs ?? 5000;
    if (intervalMs > 0) {
      this.timer = setInterval(() => void this.check(), intervalMs);
      this.timer.unref();
    }
  }

  /** Probes the store and the fan-out (or joins the probe under way). Never rejects. */
  check(): Promise<ReadinessReport> {
    return (this.inFlight ??= this.run().finally(() => (this.inFlight = undefined)));
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async run(): Promise<ReadinessReport> {
    const [store, fanout] = await Promise.all([this.one('store', this.config.store), this.one('fanout', this.config.fanout)]);
    return { ready: store.ok && fanout.ok, store, fanout };
  }

  private async one(name: 'store' | 'fanout', target: Store | Fanout): Promise<DependencyState> {
    const service = `${name === 'store' ? 'store' : 'fan-out'} (${target.kind})`;
    try {
      await withTimeout(probe(name, target), this.timeoutMs);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      if (!this.downSince.has(name)) {
        this.downSince.set(name, Date.now());
        this.config.log.error(`${service} unreachable: hub not ready`, { dependency: name, kind: target.kind, err: e });
      }
      return { ok: false, error };
    }
    const since = this.downSince.get(name);
    if (since !== undefined) {
      this.downSince.delete(name);
      this.config.log.info(`${service} reachable again: hub ready`, { dependency: name, kind: target.kind, downMs: Date.now() - since });
    }
    return { ok: true };
  }
}

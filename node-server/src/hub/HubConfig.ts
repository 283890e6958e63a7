// The hub's configuration with defaults (CLI/env map onto it in main.ts). Limits default to the protocol's
// DEFAULT_LIMITS and are announced to clients in `welcome.limits`.
import { DEFAULT_LIMITS, type Limits } from '@stage/sdk/im';
import type { ScryptCost } from '../auth/password.js';
import type { Fanout } from '../fanout/Fanout.js';
import type { HubExtension } from '../extensions/defineHubExtension.js';
import type { ExtensionRegistry } from '../extensions/ExtensionRegistry.js';
import type { Store } from '../store/Store.js';
import { DEFAULT_HUB_LIMITS, type HubLimits } from './HubLimits.js';
import type { LogLevel, Logger } from './Logger.js';

export interface HubConfig {
  /** TCP port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Interface to bind. Default '0.0.0.0' (tests pass '127.0.0.1'). */
  host?: string;
  /** Where the SQLite file and the generated secret live. Default './data'. */
  dataDir?: string;
  /** Signs tokens and derives session keys; default: read or generated in `<dataDir>/secret`. */
  secret?: string;
  logLevel?: LogLevel;
  /** A logger to use instead of stdout JSON lines. */
  logger?: Logger;
  /** Static files (the built web demo). Default: node-server/public. */
  publicDir?: string;
  /** Use this store instead of opening one from the data dir / STAGE_DATABASE_URL. */
  store?: Store;
  /** Use this fan-out instead of opening one from STAGE_REDIS_URL. */
  fanout?: Fanout;
  databaseUrl?: string;
  redisUrl?: string;
  /** Protocol limits (ack window, retransmit timeout, heartbeat, rate limit, retention). */
  limits?: Partial<Limits>;
  /** How long a device's ack window may stay full before it is disconnected with 4008. Default 30 s. */
  windowStallMs?: number;
  /** A command not finished after this long is rolled back and answered Err timeout (+ TimeOut push). Default 10 s. */
  commandDeadlineMs?: number;
  /**
   * Supervised command handlers running concurrently. Default: 128 on SQLite, 32 on PostgreSQL (see
   * defaultCommandWorkers).
   */
  commandWorkers?: number;
  /** A command whose handler crashed this many times is answered Err internal. Default 3. */
  maxCommandDeliveries?: number;
  /** Sealed sessions idle this long are evicted from memory (recalled on their next command). Default 10 min. */
  sessionIdleMs?: number;
  /** How often old outcomes are pruned to `limits.retainOutcomes` per user. Default 60 s. */
  retentionSweepMs?: number;
  /** Register/login attempts per second per client address (token bucket refill) and burst. Default 10/s, 100. */
  authPerSecond?: number;
  authBurst?: number;
  /** Publish API requests (POST /api/v1/…) per second per API key (token bucket refill) and burst. Default 20/s, 40. */
  publishPerSecond?: number;
  publishBurst?: number;
  /** Password hashing cost; tests lower it. */
  scryptCost?: ScryptCost;
  /** Token lifetime, default 7 days. */
  tokenTtlMs?: number;
  /** false: POST /api/register answers 403 and accounts are made with `stage-hub admin user create`. Default true. */
  openRegistration?: boolean;
  /** `/readyz`: a store or fan-out probe slower than this means not ready. Default 2 s. */
  readinessTimeoutMs?: number;
  /** How often the store and fan-out are probed in the background, to log outages. Default 5 s. */
  readinessIntervalMs?: number;
  /** Guards against abusive clients (buffers, rates, connection caps, timeouts); see HubLimits and docs/HUB.md. */
  hubLimits?: Partial<HubLimits>;
  /**
   * Reverse proxies in front of the hub whose X-Forwarded-For is trusted for the client address (login limiter,
   * /metrics loopback check). Default 0: the TCP peer is the client. When > 0 the per-address socket cap is off.
   */
  trustProxy?: number;
  /** When set, /metrics answers only `Authorization: Bearer <metricsToken>`; when not, only loopback clients. */
  metricsToken?: string;
  /**
   * `host:port` of a listener of its own for /metrics (port 0 picks one), so scrapes stay off the public port:
   * the hub's port then answers /metrics 404. There any client that reaches the address may scrape (the operator
   * chose it), unless metricsToken is set. Default: /metrics on the hub's port.
   */
  metricsListen?: string;
  /**
   * Extensions whose commands (Ext, ExtQuery) the hub runs and the publish API exposes: hub extensions
   * (defineHubExtension) or a registry (loadExtensions, what `--extension` builds). Default: none.
   */
  extensions?: readonly HubExtension[] | ExtensionRegistry;
  /** Install SIGINT/SIGTERM handlers that shut down gracefully (the CLI does). Default false. */
  handleSignals?: boolean;
}

export interface ResolvedHubConfig {
  port: number;
  host: string;
  dataDir: string;
  limits: Limits;
  windowStallMs: number;
  commandDeadlineMs: number;
  /** Undefined: the store's default (defaultCommandWorkers). */
  commandWorkers: number | undefined;
  maxCommandDeliveries: number;
  sessionIdleMs: number;
  retentionSweepMs: number;
  authPerSecond: number;
  authBurst: number;
  publishPerSecond: number;
  publishBurst: number;
  hubLimits: HubLimits;
  trustProxy: number;
  metricsToken: string | undefined;
  metricsListen: string | undefined;
  openRegistration: boolean;
}

export function resolveHubConfig(config: HubConfig): ResolvedHubConfig {
  return {
    port: config.port ?? 8080,
    host: config.host ?? '0.0.0.0',
    dataDir: config.dataDir ?? './data',
    limits: { ...DEFAULT_LIMITS, ...config.limits },
    windowStallMs: config.windowStallMs ?? 30_000,
    commandDeadlineMs: config.commandDeadlineMs ?? 10_000,
    commandWorkers: config.commandWorkers,
    maxCommandDeliveries: config.maxCommandDeliveries ?? 3,
    sessionIdleMs: config.sessionIdleMs ?? 600_000,
    retentionSweepMs: config.retentionSweepMs ?? 60_000,
    authPerSecond: config.authPerSecond ?? 10,
    authBurst: config.authBurst ?? 100,
    publishPerSecond: config.publishPerSecond ?? 20,
    publishBurst: config.publishBurst ?? 40,
    hubLimits: resolveHubLimits(config.hubLimits, { ...DEFAULT_LIMITS, ...config.limits }),
    trustProxy: config.trustProxy ?? 0,
    metricsToken: config.metricsToken,
    metricsListen: config.metricsListen,
    openRegistration: config.openRegistration ?? true,
  };
}

/**
 * The frame and per-user command rates default to the larger of their own default and 4x the per-connection command
 * rate, so a deployment (or a benchmark) that raises `commandsPerSecond` is not silently capped by them.
 */
function resolveHubLimits(given: Partial<HubLimits> | undefined, limits: Limits): HubLimits {
  const scaled = {
    framesPerSecond: Math.max(DEFAULT_HUB_LIMITS.framesPerSecond, 4 * limits.commandsPerSecond),
    frameBurst: Math.max(DEFAULT_HUB_LIMITS.frameBurst, 4 * limits.commandBurst),
    userCommandsPerSecond: Math.max(DEFAULT_HUB_LIMITS.userCommandsPerSecond, 4 * limits.commandsPerSecond),
    userCommandBurst: Math.max(DEFAULT_HUB_LIMITS.userCommandBurst, 4 * limits.commandBurst),
  };
  return { ...DEFAULT_HUB_LIMITS, ...scaled, ...given };
}

/**
 * How many commands a hub handles at once unless told. The workers also bound a group commit: the commands of a
 * batch are the ones being handled at once (a device's next command starts while the previous one commits). On
 * SQLite at 32 a saturated hub committed ~16 transactions at a time while the rest waited seconds in the runner's
 * mailbox; at 128 its batches fill to the store's cap (64): docs/HUB.md "Where the slowest 1% wait" has the A/B.
 * On PostgreSQL every transaction holds one of the pool's connections, so more workers only queue for them: 32.
 */
export function defaultCommandWorkers(store: { readonly singleWriter?: boolean }): number {
  return store.singleWriter ? 128 : 32;
}

// Restart backoff: exponential, jittered, reset after a quiet period (Akka's
// `restartWithBackoff(minBackoff, maxBackoff, randomFactor)` + `resetBackoffAfter`).
import { InvalidConfigError } from './SupervisionError.js';

export interface BackoffConfig {
  /** Delay before the first restart. Default 10 ms. */
  readonly initialDelayMs?: number | undefined;
  /** Upper bound of the delay. Default 10_000 ms. */
  readonly maxDelayMs?: number | undefined;
  /** Growth per consecutive restart. Default 2. */
  readonly factor?: number | undefined;
  /** Random spread, 0..1: the delay is multiplied by a value in [1 - jitter, 1 + jitter]. Default 0.2. */
  readonly jitter?: number | undefined;
  /**
   * A run that lasted this long without failing resets the delay to `initialDelayMs`.
   * Default: `maxDelayMs`.
   */
  readonly resetAfterMs?: number | undefined;
  /** Random source in [0, 1); default Math.random. Inject a seeded one for reproducible tests. */
  readonly random?: () => number;
}

export interface ResolvedBackoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly jitter: number;
  readonly resetAfterMs: number;
  readonly random: () => number;
}

export function resolveBackoff(config: BackoffConfig | undefined): ResolvedBackoff | undefined {
  if (config === undefined) return undefined;
  const initialDelayMs = config.initialDelayMs ?? 10;
  const maxDelayMs = config.maxDelayMs ?? 10_000;
  const factor = config.factor ?? 2;
  const jitter = config.jitter ?? 0.2;
  const resetAfterMs = config.resetAfterMs ?? maxDelayMs;
  if (!(initialDelayMs >= 0)) throw new InvalidConfigError(`backoff.initialDelayMs must be >= 0, got ${String(config.initialDelayMs)}`);
  if (!(maxDelayMs >= initialDelayMs)) throw new InvalidConfigError(`backoff.maxDelayMs must be >= initialDelayMs, got ${String(config.maxDelayMs)}`);
  if (!(factor >= 1)) throw new InvalidConfigError(`backoff.factor must be >= 1, got ${String(config.factor)}`);
  if (!(jitter >= 0 && jitter <= 1)) throw new InvalidConfigError(`backoff.jitter must be within 0..1, got ${String(config.jitter)}`);
  if (!(resetAfterMs > 0)) throw new InvalidConfigError(`backoff.resetAfterMs must be > 0, got ${String(config.resetAfterMs)}`);
  return { initialDelayMs, maxDelayMs, factor, jitter, resetAfterMs, random: config.random ?? Math.random };
}

/**
 * Delay before restart number `consecutive` (0 = first restart after a quiet period):
 * min(maxDelayMs, initialDelayMs * factor^consecutive), then jittered, never above maxDelayMs.
 */
export function backoffDelay(backoff: ResolvedBackoff, consecutive: number): number {
  const base = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * Math.pow(backoff.factor, consecutive));
  const spread = backoff.jitter === 0 ? 1 : 1 - backoff.jitter + 2 * backoff.jitter * backoff.random();
  return Math.min(backoff.maxDelayMs, Math.max(0, base * spread));
}

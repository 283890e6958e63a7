// Reconnection backoff, as a config object with defaults (RxJS RetryConfig style).

export interface ReconnectConfig {
  /** First delay after a drop. Default 250 ms. */
  readonly initialDelayMs?: number;
  /** Upper bound of the delay. Default 30 s. */
  readonly maxDelayMs?: number;
  /** Growth per failed attempt. Default 2. */
  readonly factor?: number;
  /** Random spread, 0..1, so many clients do not reconnect in lockstep. Default 0.2. */
  readonly jitter?: number;
}

/** The delay before reconnect attempt `attempt` (0 = first retry). */
export function reconnectDelay(config: ReconnectConfig, attempt: number, random: () => number = Math.random): number {
  const initial = config.initialDelayMs ?? 250;
  const max = config.maxDelayMs ?? 30_000;
  const factor = config.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, config.jitter ?? 0.2));
  const base = Math.min(max, initial * factor ** Math.min(attempt, 64));
  return Math.max(0, Math.round(base * (1 - jitter + 2 * jitter * random())));
}

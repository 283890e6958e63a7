// The default failure detector: a session that has not been heard from (no message, no
// heartbeat) for `timeoutMs` has failed. One sweeping timer for all sessions, not one timer per
// session reset on every message, so the hot path only writes a timestamp.
import type { FailureDetector, SessionWatch } from './FailureDetector.js';

export interface HeartbeatConfig {
  /** Silence after which a session has failed. Default 60 000 ms. */
  readonly timeoutMs?: number;
  /** How often to sweep. Default timeoutMs / 4. */
  readonly sweepMs?: number;
}

interface Watched {
  lastSeen: number;
  failed: boolean;
  readonly onFailure: () => void;
}

export class HeartbeatFailureDetector implements FailureDetector {
  readonly timeoutMs: number;
  readonly #sweepMs: number;
  readonly #watched = new Map<string, Watched>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(config: HeartbeatConfig = {}) {
    this.timeoutMs = config.timeoutMs ?? 60_000;
    if (!(this.timeoutMs > 0)) throw new RangeError(`HeartbeatFailureDetector: timeoutMs must be > 0, got ${this.timeoutMs}`);
    this.#sweepMs = config.sweepMs ?? Math.max(1, Math.floor(this.timeoutMs / 4));
  }

  watch(sessionId: string, onFailure: () => void): SessionWatch {
    const watched: Watched = { lastSeen: Date.now(), failed: false, onFailure };
    this.#watched.set(sessionId, watched);
    this.#ensureTimer();
    return {
      heartbeat: () => {
        watched.lastSeen = Date.now();
      },
      hasFailed: () => watched.failed || Date.now() - watched.lastSeen > this.timeoutMs,
      stop: () => {
        if (this.#watched.get(sessionId) === watched) this.#watched.delete(sessionId);
        this.#stopTimerIfIdle();
      },
    };
  }

  close(): void {
    this.#watched.clear();
    this.#stopTimerIfIdle();
  }

  #ensureTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#sweep(), this.#sweepMs);
    // Never keep a Node process alive just to watch sessions.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #stopTimerIfIdle(): void {
    if (this.#watched.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #sweep(): void {
    const now = Date.now();
    for (const [sessionId, watched] of this.#watched) {
      if (now - watched.lastSeen > this.timeoutMs) {
        watched.failed = true;
        this.#watched.delete(sessionId);
        watched.onFailure();
      }
    }
    this.#stopTimerIfIdle();
  }
}

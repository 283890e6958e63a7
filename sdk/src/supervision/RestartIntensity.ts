// Restart intensity, as in OTP: at most `maxRestarts` restarts within `withinMs`. One more and
// the owner gives up (fails and escalates). Counted on the wall clock, so fake timers drive it.
import { InvalidConfigError } from './SupervisionError.js';

export interface IntensityConfig {
  /** Restarts allowed within the window. Default 3 (OTP's default intensity). `Infinity` = never give up. */
  readonly maxRestarts?: number | undefined;
  /** Window length in milliseconds. Default 5000 (OTP's default period). */
  readonly withinMs?: number | undefined;
}

export const DEFAULT_INTENSITY: Required<IntensityConfig> = Object.freeze({ maxRestarts: 3, withinMs: 5000 });

export class RestartIntensity {
  readonly maxRestarts: number;
  readonly withinMs: number;
  /** Timestamps of the restarts still inside the window (ring buffer, oldest at `head`). */
  private readonly times: number[] = [];
  private head = 0;

  constructor(config: IntensityConfig = {}, what = 'intensity') {
    this.maxRestarts = config.maxRestarts ?? DEFAULT_INTENSITY.maxRestarts;
    this.withinMs = config.withinMs ?? DEFAULT_INTENSITY.withinMs;
    if (!(this.maxRestarts >= 0) || (Number.isFinite(this.maxRestarts) && !Number.isInteger(this.maxRestarts))) {
      throw new InvalidConfigError(`${what}.maxRestarts must be a whole number >= 0 or Infinity, got ${String(config.maxRestarts)}`);
    }
    if (!(this.withinMs > 0)) {
      throw new InvalidConfigError(`${what}.withinMs must be a positive number of milliseconds, got ${String(config.withinMs)}`);
    }
  }

  /** Records a restart at `now`; false when it is one too many (the owner must give up). */
  allow(now: number = Date.now()): boolean {
    if (this.maxRestarts === Infinity) return true;
    if (this.maxRestarts === 0) return false;
    const times = this.times;
    // Drop restarts that left the window.
    while (this.head < times.length && now - times[this.head]! >= this.withinMs) this.head++;
    if (this.head > 64 && this.head * 2 > times.length) {
      times.splice(0, this.head);
      this.head = 0;
    }
    if (times.length - this.head >= this.maxRestarts) return false;
    times.push(now);
    return true;
  }

  /** Restarts counted in the current window. */
  get recent(): number {
    return this.times.length - this.head;
  }
}

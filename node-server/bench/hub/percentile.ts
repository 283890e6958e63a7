// Percentiles, medians and ranges: the statistics the hub benchmark reports.

/** Percentiles over a sorted copy of the samples (nearest-rank). */
function percentiles(samples: Float64Array, ps: readonly number[]): number[] {
  const sorted = Float64Array.from(samples).sort();
  return ps.map((p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!));
}

/** The median of the rounds and their range; NaN rounds (a failed round) are left out. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  rounds: number;
}

export function spread(values: readonly number[]): Spread {
  const ok = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (ok.length === 0) return { median: NaN, min: NaN, max: NaN, rounds: 0 };
  const mid = ok.length >> 1;
  const median = ok.length % 2 === 1 ? ok[mid]! : (ok[mid - 1]! + ok[mid]!) / 2;
  return { median, min: ok[0]!, max: ok[ok.length - 1]!, rounds: ok.length };
}

/**
 * Latency samples in ms, bounded: past `capacity`, reservoir sampling keeps a uniform sample of everything
 * recorded, so memory stays fixed however fast the server delivers.
 */
export class Samples {
  private readonly values: Float64Array;
  private seen = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  add(value: number): void {
    if (this.seen < this.values.length) this.values[this.seen] = value;
    else {
      const slot = Math.floor(Math.random() * (this.seen + 1));
      if (slot < this.values.length) this.values[slot] = value;
    }
    this.seen++;
  }

  clear(): void {
    this.seen = 0;
  }

  get count(): number {
    return this.seen;
  }

  /** [p50, p99] in ms (NaN when empty). */
  p50p99(): [number, number] {
    const [p50, p99] = percentiles(this.values.subarray(0, Math.min(this.seen, this.values.length)), [50, 99]);
    return [p50!, p99!];
  }
}

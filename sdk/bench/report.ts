// Shared by every benchmark: print a table and write bench-results/<name>.json at the repo root.
// Results are figures from ONE run, Stage and its peer side by side; quote the ratios, not the
// absolute numbers, since the machines are shared and noisy.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchReport {
  readonly name: string;
  readonly unit: string;
  readonly results: Record<string, number>;
  readonly ratios: Record<string, number>;
  readonly notes?: Record<string, unknown>;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function writeReport(report: BenchReport): string {
  const dir = join(repoRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${report.name}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  const rows = [
    ...Object.entries(report.results).map(([k, v]) => [k, `${format(v)} ${report.unit}`]),
    ...Object.entries(report.ratios).map(([k, v]) => [k, `${v.toFixed(2)}x`]),
  ];
  const width = Math.max(...rows.map(([k]) => k!.length));
  console.log(`\n${report.name} (${report.unit})`);
  for (const [k, v] of rows) console.log(`  ${k!.padEnd(width)}  ${v}`);
  console.log(`  -> ${file}`);
  return file;
}

function format(n: number): string {
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

/** Runs `fn` `rounds` times after one warm-up and returns the best rate (ops per second). */
export async function bestRate(ops: number, fn: () => Promise<void> | void, rounds = 3): Promise<number> {
  await fn();
  let best = 0;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    const seconds = (performance.now() - t0) / 1000;
    best = Math.max(best, ops / seconds);
  }
  return best;
}

/**
 * Measures implementations of the same `ops` operations side by side on a shared, noisy machine:
 * warms each one up, then runs them in turns for `rounds` rounds (after a GC when run with
 * --expose-gc) and keeps each one's best rate (ops per second), so a burst of load hits them alike.
 */
export async function interleavedBestRates(
  ops: number,
  implementations: Record<string, () => Promise<void> | void>,
  rounds: number,
): Promise<Record<string, number>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const results: Record<string, number> = {};
  for (const [name, run] of Object.entries(implementations)) {
    await run();
    results[name] = 0;
  }
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(implementations)) {
      gc?.();
      results[name] = Math.max(results[name]!, await bestRate(ops, run, 1));
    }
  }
  return results;
}

/** A median over rounds and its range. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spreadOf(values: readonly number[]): Spread {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN };
}

/**
 * Like interleavedBestRates, but keeps every round's rate (ops per second) per implementation, so a ratio can be
 * taken per round (both sides under the same machine load) and reported as a median with its range.
 */
export async function interleavedRates(
  ops: number,
  implementations: Record<string, () => Promise<void> | void>,
  rounds: number,
): Promise<Record<string, number[]>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const rates: Record<string, number[]> = {};
  for (const [name, run] of Object.entries(implementations)) {
    await run();
    rates[name] = [];
  }
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(implementations)) {
      gc?.();
      const t0 = performance.now();
      await run();
      rates[name]!.push(ops / ((performance.now() - t0) / 1000));
    }
  }
  return rates;
}

/** Per-round ratios a[i] / b[i], as a median with its range. */
export function ratioSpread(a: readonly number[], b: readonly number[]): Spread {
  return spreadOf(a.map((x, i) => x / b[i]!));
}

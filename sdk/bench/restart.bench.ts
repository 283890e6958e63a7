// Restart latency: time from a task's crash (its Observable errors) to its replacement running
// (the factory called again), in microseconds, median and p99 over many crashes. Side by side:
// a Stage group (permanent, unlimited intensity: each crash goes through the restart decision,
// the intensity budget, inspection and stats) and RxJS `retry()` resubscribing a `defer` (the
// floor: a bare resubscription with none of that). Writes bench-results/restart.json.
import { defer, Observable, retry } from 'rxjs';
import { createSystem } from '../src/supervision/index.js';
import { writeReport } from './report.js';

const CRASHES = Number(globalThis.process?.env.RESTART_BENCH_N ?? 20_000);
const WARMUP = 2_000;

/** Crash-and-wait loop shared by both: `arm` returns a fresh promise resolved by the next start. */
async function measure(setup: (onStart: () => void) => { crashNow: () => void; stop: () => Promise<void> | void }): Promise<number[]> {
  let crashedAt = 0;
  const samples: number[] = [];
  let resolveStart: () => void = () => undefined;
  const onStart = (): void => {
    if (crashedAt !== 0) samples.push((performance.now() - crashedAt) * 1000);
    resolveStart();
  };
  let next = new Promise<void>((r) => (resolveStart = r));
  const { crashNow, stop } = setup(onStart);
  await next;
  for (let i = 0; i < WARMUP + CRASHES; i++) {
    next = new Promise<void>((r) => (resolveStart = r));
    crashedAt = performance.now();
    crashNow();
    await next;
  }
  await stop();
  return samples.slice(WARMUP);
}

const failure = new Error('crash');

async function stage(): Promise<number[]> {
  return measure((onStart) => {
    let crash: () => void = () => undefined;
    const system = createSystem({ name: 'bench' });
    const g = system.group(
      () =>
        new Observable<never>((subscriber) => {
          crash = () => subscriber.error(failure);
          onStart();
        }),
      { intensity: { maxRestarts: Infinity } },
    );
    return { crashNow: () => crash(), stop: async () => void (await g.shutdown({ timeoutMs: 0 })) };
  });
}

async function rxjsRetry(): Promise<number[]> {
  return measure((onStart) => {
    let crash: () => void = () => undefined;
    const subscription = defer(
      () =>
        new Observable<never>((subscriber) => {
          crash = () => subscriber.error(failure);
          onStart();
        }),
    )
      .pipe(retry())
      .subscribe();
    return { crashNow: () => crash(), stop: () => subscription.unsubscribe() };
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const stageSamples = (await stage()).sort((a, b) => a - b);
gc?.();
const rxjsSamples = (await rxjsRetry()).sort((a, b) => a - b);

const results = {
  'stage median': percentile(stageSamples, 0.5),
  'stage p99': percentile(stageSamples, 0.99),
  'rxjs retry median': percentile(rxjsSamples, 0.5),
  'rxjs retry p99': percentile(rxjsSamples, 0.99),
};
writeReport({
  name: 'restart',
  unit: 'µs',
  results,
  ratios: {
    'stage/rxjs-retry (median)': results['stage median'] / results['rxjs retry median'],
    'target/stage (median, target 100 µs)': 100 / results['stage median'],
  },
  notes: {
    crashes: CRASHES,
    warmup: WARMUP,
    shape: 'one task; crash = its Observable errors; latency = until the factory runs again; sequential crashes, each awaited',
    stage: 'system.group(factory, { intensity: { maxRestarts: Infinity } }): restart decision, intensity budget, stats$, inspection bookkeeping, fresh AbortSignal',
    'rxjs retry': 'defer(factory).pipe(retry()): a bare synchronous resubscription, no supervision',
  },
});

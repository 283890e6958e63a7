// The hub's periodic jobs (the retention sweep, the revocation check), run as tasks of one SDK Scope. A job runs one
// pass at a time: a pass that outlasts its interval delays the next one instead of overlapping it (a sweep of
// 5,000 users on a loaded PostgreSQL hub can take longer than its minute). Stopping cancels the scope and resolves
// once the pass in flight has ended; the hub closes its store only after that. With `setInterval` a pass started
// before shutdown went on against the closed store, and every PostgreSQL hub stopped during a sweep logged
// "retention sweep failed: Cannot use a pool after calling end on the pool".
import { Scope } from '@stage/sdk';

export class BackgroundJobs {
  private readonly scope = new Scope<void>({ name: 'hub background jobs', failFast: false });

  /**
   * Runs `pass` every `everyMs` (the first one `everyMs` after this call) until stop(). The pass gets a signal
   * that is aborted when the hub stops: a long pass checks it between its steps and returns. A pass that fails is
   * reported to `onError` (unless the hub is stopping) and the job goes on.
   */
  every(name: string, everyMs: number, pass: (signal: AbortSignal) => Promise<void>, onError: (err: unknown) => void): void {
    this.scope.spawn(
      async ({ signal }) => {
        while (await pause(everyMs, signal)) {
          try {
            await pass(signal);
          } catch (err) {
            if (!signal.aborted) onError(err);
          }
        }
      },
      { name },
    );
  }

  /** Cancels every job; resolves once the passes in flight have returned. */
  stop(): Promise<void> {
    return this.scope.cancel('hub shutting down');
  }
}

/** Resolves true after `ms`, or false as soon as `signal` is aborted. The timer does not keep the process alive. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

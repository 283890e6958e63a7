// How one run of a supervised thing (task, group, supervisor, actor) ended.

/**
 * - `normal`: it finished on its own (task resolved/completed, group with nothing left to run)
 * - `failed`: it threw / rejected / errored, or gave up restarting (see `cause`)
 * - `shutdown`: it ended because it was asked to stop, within its shutdown deadline
 * - `killed`: it was still running at its shutdown deadline and was aborted
 */
export type ExitReason = 'normal' | 'failed' | 'shutdown' | 'killed';

export interface Exit {
  readonly reason: ExitReason;
  /** The error, when `reason` is `failed`. */
  readonly cause?: unknown | undefined;
}

/** What to restart after an exit: OTP's restart types. */
export type RestartPolicy = 'permanent' | 'transient' | 'temporary';

export const NORMAL: Exit = Object.freeze({ reason: 'normal' });
export const SHUTDOWN: Exit = Object.freeze({ reason: 'shutdown' });
export const KILLED: Exit = Object.freeze({ reason: 'killed' });

export function failed(cause: unknown): Exit {
  return { reason: 'failed', cause };
}

/** permanent: always; transient: only after a failure; temporary: never. */
export function shouldRestart(policy: RestartPolicy, exit: Exit): boolean {
  return policy === 'permanent' || (policy === 'transient' && exit.reason === 'failed');
}

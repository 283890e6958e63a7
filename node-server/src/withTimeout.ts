// The work's result, or an Error "no answer within <ms> ms" once `ms` have passed (the work itself is left to its
// own bounds). One helper for every health check and connect of the hub's outside services: readiness, Redis and
// PostgreSQL pings, the Redis connect.
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

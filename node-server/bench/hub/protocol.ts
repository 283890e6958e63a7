// Shapes shared by the hub benchmark's parent (load clients) and its server child processes.

export type ServerKind = 'stage' | 'socketio' | 'ws';

/** A server started inside a benchmark child process. */
export interface BenchServer {
  readonly port: number;
  /** Whatever the client side needs to log in (tokens, secrets); sent to the parent once. */
  readonly info?: Record<string, unknown>;
  stats?(): Record<string, number>;
  close(): Promise<void>;
}

/** The token every baseline server accepts: the baselines check it before accepting a connection, as Stage does. */
export const BASELINE_TOKEN = 'bench-token-0123456789abcdef';

/** The room / stream every receiver joins. */
export const ROOM = 'bench';

// Shapes shared by the hub benchmark's parent (load clients) and its server child processes.

/** The implementations under test. `socketio` acks every delivery; `socketio_plain` is a plain room emit. */
export type ServerKind = 'stage' | 'socketio' | 'socketio_plain' | 'ws';

/**
 * Who is in which room: `rooms` rooms of `members` connections each; connection i is in room ⌊i / members⌋.
 * Every member receives every message sent to its room (its own included), so one message is `members` deliveries.
 */
export interface Layout {
  rooms: number;
  members: number;
}

export const connectionsOf = (layout: Layout): number => layout.rooms * layout.members;
export const roomOf = (layout: Layout, index: number): string => `r${Math.floor(index / layout.members)}`;

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

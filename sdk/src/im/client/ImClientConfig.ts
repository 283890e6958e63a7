// The options of ImClient.open (ImClientConfig) and of signOut.
import type { FetchLike } from './postCredentials.js';
import type { ImClientStorage } from './ImClientStorage.js';
import type { ReconnectConfig } from './ReconnectConfig.js';
import type { WebSocketConstructor } from './WebSocketLike.js';

/**
 * When ImClient acks pushes unless configured otherwise (`ackDelayMs`, `ackEvery`): 250 ms after the first unacked
 * push, or at once every 32. Acks are cumulative and only stop the hub's retransmit (after 10 s) and free its window
 * (1,024), so a longer delay costs nothing a user sees and saves both ends a frame per push in a busy room; a
 * shorter one re-emits fewer outcomes on `outcomes$` after a crash (see the docs' "Across a crash").
 */
export const DEFAULT_ACKS = { delayMs: 250, every: 32 } as const;

export interface ImClientConfig {
  /** The hub's base URL, http(s)://host:port. */
  readonly url: string;
  /** This device's id, stable across runs (1–64 chars of A-Za-z0-9_-). */
  readonly deviceId: string;
  /** Session token from login/register; can be set later with setToken. */
  readonly token?: string;
  /**
   * When `token` expires (SessionToken.expiresAt). Given, the client refreshes the token at half its remaining life
   * (POST /api/refresh), moves its connection to the new one and emits it on `token$` for the app to keep.
   */
  readonly tokenExpiresAt?: number | undefined;
  /** For the account calls (token refresh, sign-out). Default: globalThis.fetch. */
  readonly fetch?: FetchLike | undefined;
  /** Default: globalThis.WebSocket. In Node pass `WebSocket` from 'ws'. */
  readonly WebSocket?: WebSocketConstructor;
  /** Default: memoryStorage(). The web app passes IndexedDB-backed storage, Node file-backed. */
  readonly storage?: ImClientStorage;
  readonly reconnect?: ReconnectConfig;
  /** Commands on the wire without a reply yet. Default 16. */
  readonly maxInFlight?: number;
  /** An ack goes out this long after the first unacked push, or at once every `ackEvery` pushes (DEFAULT_ACKS). */
  readonly ackDelayMs?: number;
  readonly ackEvery?: number;
  /** Fetch streams, groups and session state on the first welcome and after resync. Default true. */
  readonly autoSync?: boolean;
  /** Outbox capacity (commands waiting); issuing beyond waits. Default 10 000. */
  readonly outboxCapacity?: number;
  /** Random source for trace ids' fallback and backoff jitter (tests). */
  readonly random?: () => number;
  /**
   * Pushed outcomes arriving within this many ms are applied together and state$ emits once for them, so a busy
   * topic does not re-render a UI per message. `client.state` is always current. Default 16 (one frame); 0 emits
   * on the next macrotask.
   */
  readonly stateBatchMs?: number;
  /**
   * The signed-in user (from login/register). The storage belongs to this user: the client refuses to open over
   * another user's data and stops (offline, stoppedBy 4001) rather than send it under a token of another user.
   * Default: storage.userId, else the user of the stored device record, else whoever is welcomed first.
   */
  readonly userId?: string;
}

/** What sign-out does with commands the hub has not answered yet. */
export interface SignOutOptions {
  /** 'send': wait until the hub answered every queued command (needs a connection); 'discard': drop them. */
  readonly unsent: 'send' | 'discard';
  /** Stops waiting for 'send': signOut rejects and nothing is wiped. */
  readonly signal?: AbortSignal;
  /**
   * Also sign the token out at the hub (POST /api/logout, best effort, at most 5 s), so a copy of it left anywhere
   * is refused from now on. Default true; an offline device cannot, and its token then lives until it expires.
   */
  readonly revokeToken?: boolean | undefined;
}

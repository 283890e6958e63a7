// The session token and its refresh: given when it expires, the token is refreshed at half its remaining life
// (POST /api/refresh), retried within a minute after a network failure, and left to expire when refused (the hub
// then closes 4001 and the app signs in again). Each new token goes to token$ for the app to keep.
import { Subject, type Observable } from 'rxjs';
import { ImError } from '../protocol/errors.js';
import type { SessionToken } from '../protocol/http.js';
import { refreshToken } from './account.js';
import type { FetchLike } from './postCredentials.js';

interface TokenRefreshConfig {
  /** The hub's base URL. */
  readonly url: string;
  readonly fetch: FetchLike | undefined;
  /** The client is closed: refresh no more. */
  closed(): boolean;
  /** A new token replaced the old one. */
  refreshed(fresh: SessionToken): void;
}

export class TokenRefresh {
  readonly #config: TokenRefreshConfig;
  #token: string | undefined;
  readonly #token$ = new Subject<SessionToken>();
  /** Tokens got by refreshing. */
  readonly token$: Observable<SessionToken> = this.#token$.asObservable();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(config: TokenRefreshConfig) {
    this.#config = config;
  }

  get token(): string | undefined {
    return this.#token;
  }

  /** Uses `token` from now on, refreshed before `expiresAt` when given. */
  set(token: string | undefined, expiresAt: number | undefined): void {
    this.#token = token;
    this.#schedule(expiresAt);
  }

  /** No more refreshes; token$ completes. */
  close(): void {
    this.stop();
    this.#token$.complete();
  }

  /** No refresh is due any more (the client is closing). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(expiresAt: number | undefined): void {
    this.stop();
    if (expiresAt === undefined || this.#config.closed()) return;
    const delay = Math.min(2 ** 31 - 1, Math.max(1_000, Math.floor((expiresAt - Date.now()) / 2)));
    this.#timer = setTimeout(() => void this.#refreshNow(expiresAt), delay);
    // In Node a pending refresh alone must not keep the process alive.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Refreshes the token; on a network failure tries again in a minute; a refused token is left to expire (4001). */
  async #refreshNow(expiresAt: number): Promise<void> {
    const token = this.#token;
    if (!token || this.#config.closed()) return;
    const fetchOption = this.#config.fetch ? { fetch: this.#config.fetch } : {};
    let fresh: SessionToken;
    try {
      fresh = await refreshToken(this.#config.url, token, { ...fetchOption, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      if (!(error instanceof ImError && (error.code === 'unauthorized' || error.code === 'forbidden')) && Date.now() < expiresAt) {
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => void this.#refreshNow(expiresAt), Math.min(60_000, Math.max(1_000, expiresAt - Date.now())));
      }
      return;
    }
    if (this.#config.closed() || this.#token !== token) return;
    this.#token = fresh.token;
    this.#token$.next(fresh);
    this.#schedule(fresh.expiresAt);
    this.#config.refreshed(fresh);
  }
}

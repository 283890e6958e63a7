// The client's connection to the hub over time: one HubSocket after another, reconnecting with backoff until
// stopped or closed with a terminal code, and the ConnectionInfo that says where it stands (connection$).
import { BehaviorSubject, type Observable } from 'rxjs';
import { CloseCode, terminalCloseCodes } from '../protocol/closeCodes.js';
import { HubSocket, type SocketClosed } from './HubSocket.js';
import { reconnectDelay, type ReconnectConfig } from './ReconnectConfig.js';

export type ConnectionState = 'offline' | 'connecting' | 'online' | 'reconnecting' | 'recalling';

export interface ConnectionInfo {
  readonly state: ConnectionState;
  /** Failed attempts since the last welcome. */
  readonly attempt: number;
  /** How the last connection ended. */
  readonly lastClose?: { readonly code: number; readonly reason: string };
  /** When offline after a terminal close (4001 unauthorized, 4003 forbidden, 4004 replaced): that code. */
  readonly stoppedBy?: number;
}

interface ClientConnectionConfig {
  readonly reconnect: ReconnectConfig;
  readonly random: (() => number) | undefined;
  /** Opens the next socket (HubSocket.open with the client's handlers). */
  open(): HubSocket | SocketClosed;
  /** A socket is over and the loop goes on (it decides next whether and when to reconnect). */
  closed(closed: SocketClosed): void;
}

export class ClientConnection {
  readonly #config: ClientConnectionConfig;
  readonly #info$ = new BehaviorSubject<ConnectionInfo>({ state: 'offline', attempt: 0 });
  readonly info$: Observable<ConnectionInfo> = this.#info$.asObservable();
  #run: AbortController | undefined;
  #socket: HubSocket | undefined;
  #lastClose: { code: number; reason: string } | undefined;
  /** The next reconnect goes at once (the connection was closed on purpose, e.g. to move to a refreshed token). */
  #reconnectNow = false;
  #closed = false;

  constructor(config: ClientConnectionConfig) {
    this.#config = config;
  }

  get info(): ConnectionInfo {
    return this.#info$.value;
  }

  /** The socket of the current attempt, if one is open or opening. */
  get socket(): HubSocket | undefined {
    return this.#socket;
  }

  /** Starts connecting (and reconnecting until `stop`, `close` or a terminal close code); a no-op while running. */
  start(): void {
    if (this.#run) return;
    const run = new AbortController();
    this.#run = run;
    void this.#loop(run.signal).finally(() => {
      if (this.#run === run) this.#run = undefined;
    });
  }

  /** Closes the current socket and stops reconnecting: offline. */
  stop(): void {
    const run = this.#run;
    this.#run = undefined;
    run?.abort();
    this.#socket?.finish(CloseCode.normal, 'client disconnected');
    this.#set({ state: 'offline', attempt: 0, ...this.#lastCloseField() });
  }

  /** Whether it is connecting or reconnecting (started and not stopped). */
  get running(): boolean {
    return this.#run !== undefined;
  }

  /** For good (after `stop`): connection$ emits no more; `complete` ends it. */
  close(): void {
    this.#closed = true;
  }

  complete(): void {
    this.#info$.complete();
  }

  /** Closes a welcomed connection on purpose and reconnects at once (to move it to a refreshed token). */
  reconnectNow(reason: string): void {
    if (!this.#socket?.welcomed) return;
    this.#reconnectNow = true;
    this.#socket.finish(1000, reason);
  }

  /** The hub welcomed the socket. */
  online(): void {
    this.#set({ state: 'online', attempt: 0, ...this.#lastCloseField() });
  }

  /** While a recall is answered: online → recalling, and recalling → online when it is done. */
  recalling(active: boolean): void {
    if (this.info.state === (active ? 'online' : 'recalling')) this.#set({ ...this.info, state: active ? 'recalling' : 'online' });
  }

  async #loop(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    let everWelcomed = false;
    while (!signal.aborted) {
      this.#set({ state: everWelcomed || attempt > 0 ? 'reconnecting' : 'connecting', attempt, ...this.#lastCloseField() });
      const opened = this.#config.open();
      this.#socket = opened instanceof HubSocket ? opened : undefined;
      const closed = opened instanceof HubSocket ? await opened.closed : opened;
      this.#socket = undefined;
      this.#lastClose = { code: closed.code, reason: closed.reason };
      if (signal.aborted) break;
      this.#config.closed(closed);
      if (closed.welcomed) {
        everWelcomed = true;
        attempt = 0;
      }
      if (terminalCloseCodes.has(closed.code)) {
        this.#run = undefined;
        this.#set({ state: 'offline', attempt, lastClose: this.#lastClose, stoppedBy: closed.code });
        return;
      }
      // 4005: the hub refused our chain; the next hello asks for a fresh session, at once.
      const immediate = closed.code === CloseCode.brokenChain || this.#reconnectNow;
      this.#reconnectNow = false;
      const delay = immediate ? 0 : reconnectDelay(this.#config.reconnect, attempt, this.#config.random);
      attempt++;
      this.#set({ state: 'reconnecting', attempt, lastClose: this.#lastClose });
      await sleep(delay, signal);
    }
  }

  #lastCloseField(): { lastClose?: { code: number; reason: string } } {
    return this.#lastClose ? { lastClose: this.#lastClose } : {};
  }

  #set(info: ConnectionInfo): void {
    if (!this.#closed) this.#info$.next(info);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

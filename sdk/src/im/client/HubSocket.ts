// One WebSocket to the hub, from opening to its one close: frames out, the hub's frames decoded and handed on in
// arrival order (each waits for the one before), and the heartbeat that notices a dead connection. What the frames
// mean is the other parts' (CommandWindow, PushInbox, answerRecall); reconnecting is ClientConnection's.
import { CloseCode } from '../protocol/closeCodes.js';
import { decodeHubFrame, defaultLimits, type ClientFrame, type HubFrame, type Limits } from '../protocol/frames.js';
import { WS_OPEN, type WebSocketConstructor, type WebSocketLike } from './WebSocketLike.js';

/** How a connection ended. */
export interface SocketClosed {
  readonly code: number;
  readonly reason: string;
  /** Whether the hub welcomed it (a later drop reconnects from attempt 0). */
  readonly welcomed: boolean;
}

interface HubSocketHandlers {
  /** The socket is open: say hello. The heartbeat starts after this. */
  opened(socket: HubSocket): void;
  /** A frame from the hub; the next is handed on once the promise settles (a rejection closes with 1011). */
  frame(socket: HubSocket, frame: HubFrame): void | Promise<void>;
  /** The connection is over (called once, from `finish`, after the socket was closed): release what it held. */
  finished(socket: HubSocket): void;
}

export class HubSocket {
  readonly #socket: WebSocketLike;
  readonly #handlers: HubSocketHandlers;
  readonly #abort = new AbortController();
  /** Aborted once the connection is over. */
  readonly signal: AbortSignal = this.#abort.signal;
  /** Resolves once, when the connection is over. */
  readonly closed: Promise<SocketClosed>;
  #resolveClosed!: (closed: SocketClosed) => void;
  #inbox: Promise<void> = Promise.resolve();
  #lastReceivedAt: number;
  #lastSentAt: number;
  /** When the oldest ping still unanswered (nothing received since) was sent; undefined when none is. */
  #pingSentAt: number | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  /** The hub's welcome came (see `welcome`). */
  welcomed = false;
  /** The hub's limits: the defaults until the welcome says otherwise. */
  limits: Limits = defaultLimits;

  /** Opens a socket to `url`; a constructor that throws gives the close at once (1006). */
  static open(WebSocket: WebSocketConstructor, url: string, protocols: string[], handlers: HubSocketHandlers): HubSocket | SocketClosed {
    let socket: WebSocketLike;
    try {
      socket = new WebSocket(url, protocols);
    } catch (error) {
      return { code: 1006, reason: `cannot open ${url}: ${String(error)}`, welcomed: false };
    }
    return new HubSocket(socket, handlers);
  }

  private constructor(socket: WebSocketLike, handlers: HubSocketHandlers) {
    this.#socket = socket;
    this.#handlers = handlers;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#lastReceivedAt = this.#lastSentAt = Date.now();
    socket.onopen = () => {
      handlers.opened(this);
      this.#startHeartbeat();
    };
    socket.onmessage = (event) => {
      this.#lastReceivedAt = Date.now();
      this.#pingSentAt = undefined;
      if (typeof event.data !== 'string') {
        this.finish(1003, 'binary frames are not part of the protocol');
        return;
      }
      const decoded = decodeHubFrame(event.data, Number.POSITIVE_INFINITY);
      if (!decoded.ok) {
        this.finish(1007, `unreadable hub frame: ${decoded.error.message}`);
        return;
      }
      const frame = decoded.frame;
      this.#inbox = this.#inbox.then(() => (this.signal.aborted ? undefined : handlers.frame(this, frame))).catch((error: unknown) => this.finish(1011, `client error: ${String(error)}`));
    };
    socket.onclose = (event) => this.finish(event.code, event.reason);
    socket.onerror = () => {
      // A close event follows; nothing to do here.
    };
  }

  /** Sends a frame; false (and nothing sent) when the connection is over or not open. */
  send(frame: ClientFrame): boolean {
    if (this.signal.aborted || this.#socket.readyState !== WS_OPEN) return false;
    this.#socket.send(JSON.stringify(frame));
    this.#lastSentAt = Date.now();
    return true;
  }

  /** The hub welcomed this connection with its limits: the heartbeat follows them from now on. */
  welcome(limits: Limits): void {
    this.limits = limits;
    this.welcomed = true;
    this.#startHeartbeat();
  }

  /** Ends the connection (once): closes the socket, stops the heartbeat, tells `finished`, resolves `closed`. */
  finish(code: number, reason: string): void {
    if (this.signal.aborted) return;
    this.#abort.abort();
    const socket = this.#socket;
    socket.onopen = socket.onmessage = socket.onclose = null;
    // Not null: closing a socket that is still connecting makes Node's ws emit 'error' (handshake aborted), and
    // an EventEmitter 'error' with no listener takes the whole process down.
    socket.onerror = ignoreSocketError;
    if (socket.readyState <= WS_OPEN) {
      try {
        socket.close(code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000, reason.slice(0, 120));
      } catch {
        // already closing
      }
    }
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#handlers.finished(this);
    this.#resolveClosed({ code, reason, welcomed: this.welcomed });
  }

  /**
   * Liveness from the client's side: after `heartbeatMs` without a frame either way it pings, and a connection whose
   * ping has gone unanswered (nothing at all received) for `idleTimeoutMs − heartbeatMs` is dead: closed 4010 and
   * reconnected. With the default limits (5 s, 11 s) a silent cut is noticed at most 12 s after the last frame, so a
   * device fails over in under 15 s. Dead means "a ping went unanswered", not "nothing arrived for a while": a
   * hidden browser tab's timers may fire once a minute, and a late tick must send a ping, not close a healthy socket.
   */
  #startHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    const limits = this.limits;
    const pongDeadline = Math.max(limits.idleTimeoutMs - limits.heartbeatMs, Math.min(limits.heartbeatMs, 1000));
    // Checked twice a second (the cost is a comparison), so the ping and the deadline each run late by ≤ 0.5 s.
    const every = Math.max(100, Math.min(500, Math.floor(limits.heartbeatMs / 4)));
    this.#heartbeat = setInterval(() => {
      const now = Date.now();
      if (this.#pingSentAt !== undefined && now - this.#pingSentAt > pongDeadline) {
        this.finish(CloseCode.idle, `no answer from the hub ${now - this.#pingSentAt} ms after a ping (${now - this.#lastReceivedAt} ms since its last frame)`);
      } else if (now - this.#lastSentAt >= limits.heartbeatMs || now - this.#lastReceivedAt >= limits.heartbeatMs) {
        if (this.send({ kind: 'ping', t: now })) this.#pingSentAt ??= now;
      }
    }, every);
  }
}

/** Error handler left on a socket we are done with: its late errors are expected and have no one to tell. */
function ignoreSocketError(): void {}

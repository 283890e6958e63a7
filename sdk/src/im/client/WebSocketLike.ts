// The part of a WebSocket the client uses, satisfied by the browser's WebSocket, by `ws` in Node and by test
// fakes. Handlers are assigned as properties (onopen, onmessage, ...), the API all three share.

/** Makes a handler parameter bivariant, so the DOM's and ws's richer event types are accepted. */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

export interface MessageEventLike {
  readonly data: unknown;
}

export interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
}

export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<MessageEventLike> | null;
  onclose: Handler<CloseEventLike> | null;
  onerror: Handler<unknown> | null;
}

/** `protocols`: the subprotocols offered (the token travels in one of them, see webSocketProtocols). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export const WS_OPEN = 1;

// A minimal raw-WebSocket IM client for hub tests, written from docs/PROTOCOL.md: seals its commands with the
// SDK's Sealer, keeps its chain in memory, answers recalls, dedupes and acks pushes, and (with `reconnect`)
// reconnects after a drop and resends its unanswered commands as the same sealed entries. One command in flight
// at a time unless `send` is called concurrently.
import { WebSocket } from 'ws';
import { Sealer, type SealedEntry } from '@stage/sdk';
import { webSocketProtocols, type Command, type CommandArgs, type CommandType, type ErrorBody, type Outcome, type ReplyData } from '@stage/sdk/im';

export interface Credentials {
  token: string;
  userId: string;
  username: string;
}

export async function registerUser(baseUrl: string, username: string, password = 'password123'): Promise<Credentials> {
  const res = await fetch(`${baseUrl}/api/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Credentials;
}

export type Reply<T extends CommandType = CommandType> =
  | { kind: 'reply'; traceId: string; ok: true; type: T; data: ReplyData<T> }
  | { kind: 'reply'; traceId: string; ok: false; error: ErrorBody };

export interface TestClientConfig {
  baseUrl: string;
  token: string;
  deviceId: string;
  /** Reconnect (every 100 ms) after an unexpected close and resend unanswered commands. */
  reconnect?: boolean;
  /** Ack pushes as they arrive (default true). */
  autoAck?: boolean;
  /** Answer WebSocket pings (default true); false simulates a dead peer. */
  autoPong?: boolean;
}

interface Pending {
  entry: SealedEntry<Command>;
  resolve(reply: Reply): void;
}

let traceCounter = 0;

export class TestClient {
  ws: WebSocket | undefined;
  sessionId: string | undefined;
  private sealer: Sealer | undefined;
  /** Every sealed entry of the chain, by seq. */
  readonly chain: SealedEntry<Command>[] = [];
  private readonly pending = new Map<string, Pending>();
  /** Pushes processed, in order, each outcome id once. */
  readonly pushes: Array<{ id: number; outcome: Outcome }> = [];
  lastOutcomeId = 0;
  duplicatesDropped = 0;
  recallsAnswered = 0;
  /** Unanswered commands sent again after a reconnect. */
  resent = 0;
  readonly frames: Array<Record<string, unknown>> = [];
  readonly closes: Array<{ code: number; reason: string }> = [];
  private waiters: Array<() => void> = [];
  private closedByUser = false;
  private connecting: Promise<void> | undefined;

  constructor(readonly config: TestClientConfig) {}

  get userId(): string {
    return this.welcome?.userId as string;
  }
  welcome: Record<string, unknown> | undefined;

  /** Opens the socket, says hello, waits for welcome (rejects on an HTTP refusal). */
  connect(): Promise<void> {
    this.closedByUser = false;
    return (this.connecting ??= this.open().finally(() => (this.connecting = undefined)));
  }

  private open(): Promise<void> {
    const url = `${this.config.baseUrl.replace(/^http/, 'ws')}/ws/${encodeURIComponent(this.config.deviceId)}`;
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, webSocketProtocols(this.config.token), { autoPong: this.config.autoPong ?? true });
      this.ws = ws;
      let welcomed = false;
      ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
      ws.on('error', (err) => {
        if (!welcomed) reject(err);
      });
      ws.on('open', () => {
        ws.send(
          JSON.stringify({
            kind: 'hello',
            protocol: 1,
            ...(this.sessionId ? { sessionId: this.sessionId, chainLength: this.chain.length } : {}),
            lastOutcomeId: this.lastOutcomeId,
          }),
        );
      });
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as Record<string, unknown>;
        if (frame.kind === 'welcome') {
          welcomed = true;
          this.onWelcome(frame);
          resolve();
        } else this.onFrame(frame);
      });
      ws.on('close', (code, reason) => {
        this.closes.push({ code, reason: String(reason) });
        this.notify();
        if (!welcomed) reject(new Error(`closed before welcome: ${code} ${String(reason)}`));
        // Only a connection that was up schedules a reconnect here; a refused attempt is retried by the
        // connect().catch of scheduleReconnect, so there is one retry loop, never two.
        if (welcomed && this.ws === ws && this.config.reconnect && !this.closedByUser && code !== 4004) this.scheduleReconnect();
      });
    });
  }

  private scheduleReconnect(): void {
    setTimeout(() => {
      if (this.closedByUser) return;
      this.connect().catch(() => this.scheduleReconnect());
    }, 100);
  }

  private onWelcome(frame: Record<string, unknown>): void {
    this.welcome = frame;
    this.frames.push(frame);
    const resumed = frame.resumed === true && frame.sessionId === this.sessionId;
    if (!resumed) {
      // A fresh chain: re-seal the unanswered commands in it (same trace ids).
      this.sessionId = frame.sessionId as string;
      this.sealer = new Sealer({ key: frame.key as string });
      this.chain.length = 0;
      for (const p of [...this.pending.values()].sort((a, b) => a.entry.seq - b.entry.seq)) p.entry = this.seal(p.entry.body);
    }
    for (const p of [...this.pending.values()].sort((a, b) => a.entry.seq - b.entry.seq)) {
      this.resent++;
      this.transmit(p.entry);
    }
  }

  private seal(body: Command): SealedEntry<Command> {
    const entry = this.sealer!.seal(body);
    this.chain.push(entry);
    return entry;
  }

  private transmit(entry: SealedEntry<Command>): void {
    this.rawSend(JSON.stringify({ kind: 'command', sessionId: this.sessionId, seq: entry.seq, seal: entry.seal, command: entry.body }));
  }

  /** Acks every outcome up to `outcomeId` (for tests that ack by hand). */
  ack(outcomeId = this.lastOutcomeId): void {
    this.rawSend(JSON.stringify({ kind: 'ack', outcomeId }));
  }

  rawSend(text: string): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  private onFrame(frame: Record<string, unknown>): void {
    this.frames.push(frame);
    switch (frame.kind) {
      case 'reply': {
        const p = this.pending.get(frame.traceId as string);
        if (!p) break;
        const error = frame.error as ErrorBody | undefined;
        if (!frame.ok && error && ['rate_limited', 'unavailable', 'timeout', 'internal'].includes(error.code) && this.config.reconnect) {
          setTimeout(() => this.transmit(p.entry), error.retryAfterMs ?? 50);
          break;
        }
        if (!frame.ok && error?.code === 'broken_chain' && this.config.reconnect) break; // resent after 4005 + reconnect
        this.pending.delete(frame.traceId as string);
        p.resolve(frame as unknown as Reply);
        break;
      }
      case 'push': {
        const id = frame.outcomeId as number;
        if (id <= this.lastOutcomeId) this.duplicatesDropped++;
        else if (id === this.lastOutcomeId + 1) {
          this.pushes.push({ id, outcome: frame.outcome as Outcome });
          this.lastOutcomeId = id;
        } else throw new Error(`push gap: got ${id} after ${this.lastOutcomeId}`);
        if (this.config.autoAck !== false) this.rawSend(JSON.stringify({ kind: 'ack', outcomeId: this.lastOutcomeId }));
        break;
      }
      case 'recall': {
        this.recallsAnswered++;
        const from = frame.fromSeq as number;
        const to = frame.toSeq as number;
        const entries = this.chain.slice(from, to);
        for (let i = 0; i < entries.length || i === 0; i += 200) {
          const page = entries.slice(i, i + 200);
          this.rawSend(JSON.stringify({ kind: 'chain', recallId: frame.recallId, sessionId: frame.sessionId, entries: page, done: i + 200 >= entries.length }));
        }
        break;
      }
      case 'resync':
        this.lastOutcomeId = frame.lastOutcomeId as number;
        this.rawSend(JSON.stringify({ kind: 'ack', outcomeId: this.lastOutcomeId }));
        break;
    }
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when `predicate` holds (checked after every frame). */
  async until(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('TestClient.until: timed out');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Seals and sends a command; resolves with its reply. */
  send<T extends CommandType>(type: T, args: CommandArgs<T>, traceId = `t${++traceCounter}-${Date.now().toString(36)}`): Promise<Reply<T>> {
    const body = { type, traceId, ...args } as unknown as Command;
    return new Promise<Reply<T>>((resolve) => {
      const entry = this.seal(body);
      this.pending.set(traceId, { entry, resolve: resolve as (r: Reply) => void });
      this.transmit(entry);
    });
  }

  /**
   * Seals `body` as the next entry of the chain WITHOUT checking it (a newer client's command, a buggy client's
   * field), sends it, and resolves with its reply.
   */
  sendSealed(body: Record<string, unknown> & { traceId: string }): Promise<Reply> {
    return new Promise<Reply>((resolve) => {
      const entry = this.seal(body as unknown as Command);
      this.pending.set(body.traceId, { entry, resolve });
      this.transmit(entry);
    });
  }

  /** Seals a command into the chain but does not send it (as if the frame were lost on the way). */
  sealWithoutSending<T extends CommandType>(type: T, args: CommandArgs<T>, traceId = `t${++traceCounter}-${Date.now().toString(36)}`): SealedEntry<Command> {
    return this.seal({ type, traceId, ...args } as unknown as Command);
  }

  /** Sends and expects ok; returns the data. */
  async ok<T extends CommandType>(type: T, args: CommandArgs<T>): Promise<ReplyData<T>> {
    const reply = await this.send(type, args);
    if (!reply.ok) throw new Error(`${type} failed: ${reply.error.code} ${reply.error.message}`);
    return reply.data;
  }

  /** Sends and expects an Err; returns it. */
  async err<T extends CommandType>(type: T, args: CommandArgs<T>): Promise<ErrorBody> {
    const reply = await this.send(type, args);
    if (reply.ok) throw new Error(`${type} unexpectedly succeeded: ${JSON.stringify(reply.data)}`);
    return reply.error;
  }

  get unanswered(): number {
    return this.pending.size;
  }

  outcomesOf<T extends Outcome['type']>(type: T): Extract<Outcome, { type: T }>[] {
    return this.pushes.filter((p) => p.outcome.type === type).map((p) => p.outcome as Extract<Outcome, { type: T }>);
  }

  async close(): Promise<void> {
    this.closedByUser = true;
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000);
    });
  }
}

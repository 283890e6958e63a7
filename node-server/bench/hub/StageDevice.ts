// A minimal Stage device for load tests, speaking the wire protocol (docs/PROTOCOL.md) on a plain `ws` socket:
// hello → welcome, sealed commands with replies by trace id, recall answered from the chain it keeps in memory,
// cumulative acks as the SDK's ImClient sends them by default (DEFAULT_ACKS). Pushes are NOT JSON-parsed: the
// outcome id is read at its fixed offset in the hub's push frame and handed to `onPush` with the raw frame, so the
// load clients cost about what the Socket.IO and ws baselines' clients cost.
// A device keeps to the command rate the hub announces in `welcome.limits` (a token bucket a little slower than the
// hub's), as a well-behaved client must: the benchmark runs the hub with its default limits.
import { Sealer, type SealedEntry } from '@stage/sdk';
import { WebSocket } from 'ws';
import { DEFAULT_ACKS, webSocketProtocols } from '@stage/sdk/im';
import { opened } from './target.js';

const PUSH_PREFIX = Buffer.from('{"kind":"push","outcomeId":');

export interface StageDeviceConfig {
  /** ws://host:port */
  wsBase: string;
  token: string;
  deviceId: string;
  /** The last outcome this device received in an earlier connection: the hub replays only what follows it. */
  lastOutcomeId?: number;
  onPush?(frame: Buffer, outcomeId: number): void;
}

interface Reply {
  ok: boolean;
  data?: unknown;
  error?: { code: string; message: string };
}

let traceCounter = 0;

export class StageDevice {
  /** The close code, when the hub closed this connection while the harness still used it. */
  closedByHub: number | undefined;
  private closing = false;
  private sealer!: Sealer;
  private sessionId = '';
  private readonly chain: SealedEntry<Record<string, unknown>>[] = [];
  private readonly pending = new Map<string, (reply: Reply) => void>();
  private lastOutcome = 0;
  private lastAcked = 0;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private pacing = { perSecond: Infinity, burst: Infinity, tokens: Infinity, at: 0 };
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private sentSinceBeat = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly config: StageDeviceConfig,
  ) {}

  static async connect(config: StageDeviceConfig): Promise<StageDevice> {
    const ws = new WebSocket(`${config.wsBase}/ws/${encodeURIComponent(config.deviceId)}`, webSocketProtocols(config.token), {
      perMessageDeflate: false,
    });
    const device = new StageDevice(ws, config);
    await opened(ws);
    const welcome = new Promise<void>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        if (data.subarray(0, PUSH_PREFIX.length).equals(PUSH_PREFIX)) return device.push(data);
        const frame = JSON.parse(data.toString()) as Record<string, unknown>;
        if (frame.kind === 'welcome') {
          device.sessionId = frame.sessionId as string;
          device.sealer = new Sealer({ key: frame.key as string });
          const limits = frame.limits as { commandsPerSecond: number; commandBurst: number; heartbeatMs: number };
          // The hub closes a connection silent for idleTimeoutMs: between rounds a device only pings.
          device.heartbeat = setInterval(() => {
            if (!device.sentSinceBeat && ws.readyState === WebSocket.OPEN) ws.send('{"kind":"ping"}');
            device.sentSinceBeat = false;
          }, limits.heartbeatMs);
          device.heartbeat.unref();
          // 3% under the hub's rate, and the bucket starts after the hub's: never rate_limited by clock skew.
          device.pacing = { perSecond: limits.commandsPerSecond * 0.97, burst: limits.commandBurst, tokens: limits.commandBurst, at: performance.now() };
          resolve();
        } else device.control(frame);
      });
      ws.once('close', (code, reason) => reject(new Error(`hub closed the connection before welcome: ${code} ${reason.toString()}`)));
    });
    device.lastOutcome = device.lastAcked = config.lastOutcomeId ?? 0;
    ws.send(JSON.stringify({ kind: 'hello', protocol: 1, lastOutcomeId: device.lastOutcome }));
    await welcome;
    ws.once('close', (code, reason) => {
      // Not reconnecting is deliberate (a load client measures, it does not hide drops): the harness reports them.
      if (device.heartbeat) clearInterval(device.heartbeat);
      if (!device.closing) device.closedByHub = code;
      for (const done of device.pending.values()) done({ ok: false, error: { code: 'closed', message: `connection closed ${code} ${reason.toString()}` } });
      device.pending.clear();
    });
    return device;
  }

  /** The last outcome received (to say in the next connection's hello). */
  get lastOutcomeId(): number {
    return this.lastOutcome;
  }

  /** Milliseconds until the announced rate limit allows the next command (0: now); takes the token when 0. */
  private paceDelay(): number {
    const p = this.pacing;
    const now = performance.now();
    p.tokens = Math.min(p.burst, p.tokens + ((now - p.at) * p.perSecond) / 1000);
    p.at = now;
    if (p.tokens >= 1) {
      p.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - p.tokens) * 1000) / p.perSecond);
  }

  /** Seals and sends a command once the announced rate allows it; resolves with its reply (rejects on an Err reply). */
  async command<D = unknown>(type: string, fields: Record<string, unknown>): Promise<D> {
    for (let wait = this.paceDelay(); wait > 0; wait = this.paceDelay()) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (this.closing) throw new Error('device closed');
    }
    return this.send<D>(type, fields);
  }

  /** The hub closed this connection (not this device's own close). */
  get lost(): boolean {
    return !this.closing && this.ws.readyState !== WebSocket.OPEN;
  }

  private send<D>(type: string, fields: Record<string, unknown>): Promise<D> {
    // A closed socket drops what is sent on it without a word: the reply would never come and the harness would wait
    // for it to the drain deadline (a whole round measured nothing: bench:hub 2026-12-07, hubs/streams round 2).
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error(`${type} not sent: the connection is closed`));
    const traceId = `b${process.pid}-${++traceCounter}`;
    const body = { type, traceId, ...fields };
    const entry = this.sealer.seal(body);
    this.chain.push(entry);
    return new Promise<D>((resolve, reject) => {
      this.pending.set(traceId, (reply) =>
        reply.ok ? resolve(reply.data as D) : reject(new Error(`${type} refused: ${reply.error?.code} ${reply.error?.message}`)),
      );
      this.sentSinceBeat = true;
      this.ws.send(JSON.stringify({ kind: 'command', sessionId: this.sessionId, seq: entry.seq, seal: entry.seal, command: body }));
    });
  }

  close(): void {
    this.closing = true;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.ws.terminate();
  }

  private push(frame: Buffer): void {
    let id = 0;
    for (let i = PUSH_PREFIX.length; i < frame.length; i++) {
      const c = frame[i]!;
      if (c < 48 || c > 57) break;
      id = id * 10 + (c - 48);
    }
    if (id <= this.lastOutcome) return this.scheduleAck(); // a retransmit or replay: re-ack, drop
    this.lastOutcome = id;
    this.config.onPush?.(frame, id);
    if (this.lastOutcome - this.lastAcked >= DEFAULT_ACKS.every) this.ack();
    else this.scheduleAck();
  }

  private scheduleAck(): void {
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = undefined;
      this.ack();
    }, DEFAULT_ACKS.delayMs);
  }

  private ack(): void {
    if (this.ackTimer) {
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
    this.lastAcked = this.lastOutcome;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(`{"kind":"ack","outcomeId":${this.lastOutcome}}`);
  }

  private control(frame: Record<string, unknown>): void {
    if (frame.kind === 'reply') {
      const done = this.pending.get(frame.traceId as string);
      this.pending.delete(frame.traceId as string);
      done?.(frame as unknown as Reply);
    } else if (frame.kind === 'recall') {
      const from = frame.fromSeq as number;
      const to = frame.toSeq as number;
      const entries = this.chain.filter((e) => e.seq >= from && e.seq < to);
      for (let i = 0; i < entries.length || i === 0; i += 256) {
        const page = entries.slice(i, i + 256);
        this.ws.send(JSON.stringify({ kind: 'chain', recallId: frame.recallId, sessionId: frame.sessionId, entries: page, done: i + 256 >= entries.length }));
      }
    } else if (frame.kind === 'resync') {
      this.lastOutcome = this.lastAcked = frame.lastOutcomeId as number;
      this.ack();
    }
  }
}

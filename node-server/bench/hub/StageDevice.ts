// A minimal Stage device for load tests, speaking the wire protocol (docs/PROTOCOL.md) on a plain `ws` socket:
// hello → welcome, sealed commands with replies by trace id, recall answered from the chain it keeps in memory,
// cumulative acks (every 32 pushes or after 5 ms idle, as the SDK's ImClient does). Pushes are NOT JSON-parsed:
// the outcome id is read at its fixed offset in the hub's push frame and handed to `onPush` with the raw frame,
// so the load clients cost about what the Socket.IO and ws baselines' clients cost.
import { Sealer, type SealedEntry } from '@stage/sdk';
import { WebSocket } from 'ws';
import { opened } from './target.js';

const PUSH_PREFIX = Buffer.from('{"kind":"push","outcomeId":');
const ACK_EVERY = 32;
const ACK_IDLE_MS = 5;

export interface StageDeviceConfig {
  /** ws://host:port */
  wsBase: string;
  token: string;
  deviceId: string;
  onPush?(frame: Buffer, outcomeId: number): void;
}

interface Reply {
  ok: boolean;
  data?: unknown;
  error?: { code: string; message: string };
}

let traceCounter = 0;

export class StageDevice {
  /** Connections the hub closed while the harness still used them, by close code. */
  static readonly drops = new Map<number, number>();
  private closing = false;
  private sealer!: Sealer;
  private sessionId = '';
  private readonly chain: SealedEntry<Record<string, unknown>>[] = [];
  private readonly pending = new Map<string, (reply: Reply) => void>();
  private lastOutcome = 0;
  private lastAcked = 0;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    private readonly ws: WebSocket,
    private readonly config: StageDeviceConfig,
  ) {}

  static async connect(config: StageDeviceConfig): Promise<StageDevice> {
    const ws = new WebSocket(`${config.wsBase}/ws/${encodeURIComponent(config.token)}/${encodeURIComponent(config.deviceId)}`, {
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
          resolve();
        } else device.control(frame);
      });
      ws.once('close', (code, reason) => reject(new Error(`hub closed the connection before welcome: ${code} ${reason.toString()}`)));
    });
    ws.send(JSON.stringify({ kind: 'hello', protocol: 1, lastOutcomeId: 0 }));
    await welcome;
    ws.once('close', (code, reason) => {
      // Not reconnecting is deliberate (a load client measures, it does not hide drops): count and report them.
      if (!device.closing) StageDevice.drops.set(code, (StageDevice.drops.get(code) ?? 0) + 1);
      for (const done of device.pending.values()) done({ ok: false, error: { code: 'closed', message: `connection closed ${code} ${reason.toString()}` } });
      device.pending.clear();
    });
    return device;
  }

  /** Seals and sends a command; resolves with its reply (rejects on an Err reply). */
  command<D = unknown>(type: string, fields: Record<string, unknown>): Promise<D> {
    const traceId = `b${process.pid}-${++traceCounter}`;
    const body = { type, traceId, ...fields };
    const entry = this.sealer.seal(body);
    this.chain.push(entry);
    return new Promise<D>((resolve, reject) => {
      this.pending.set(traceId, (reply) =>
        reply.ok ? resolve(reply.data as D) : reject(new Error(`${type} refused: ${reply.error?.code} ${reply.error?.message}`)),
      );
      this.ws.send(JSON.stringify({ kind: 'command', sessionId: this.sessionId, seq: entry.seq, seal: entry.seal, command: body }));
    });
  }

  close(): void {
    this.closing = true;
    if (this.ackTimer) clearTimeout(this.ackTimer);
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
    if (this.lastOutcome - this.lastAcked >= ACK_EVERY) this.ack();
    else this.scheduleAck();
  }

  private scheduleAck(): void {
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = undefined;
      this.ack();
    }, ACK_IDLE_MS);
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

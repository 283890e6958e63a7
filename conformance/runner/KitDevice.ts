// One device of a conformance conversation, written from PROTOCOL.md with raw `ws`: it keeps its sealed chain,
// session and last processed outcome id across connections (as a client keeps them in storage), answers recalls,
// drops duplicate pushes, and queues the others for the conversation to check in order. It acks only when told.
import { WebSocket } from 'ws';
import type { Json } from './match.js';
import { seal } from './sealing.js';

export type Frame = { [key: string]: Json };
export interface Entry {
  seq: number;
  body: Frame;
  seal: string;
}
export type Tamper = 'seal' | 'sessionId';

const waitMs = 10_000;
/**
 * Errs whose command is not an entry of the chain: the next command reuses its seq. Any other answer to a frame
 * this device sealed correctly (a bad_schema body or a payload_too_large session limit included) leaves the entry in
 * the chain.
 */
const notInChain = new Set(['rate_limited', 'unknown_session']);

export class KitDevice {
  sessionId: string | undefined;
  key: string | undefined;
  chain: Entry[] = [];
  lastOutcomeId = 0;
  acked = 0;
  ws: WebSocket | undefined;
  /** Every frame received on the current connection. */
  frames: Frame[] = [];
  /** Pushes processed and not yet checked by a `push` step, in outcome id order. */
  pushes: Frame[] = [];
  closeCode: number | undefined;
  recallsAnswered = 0;
  private wake: Array<() => void> = [];

  constructor(
    readonly name: string,
    readonly deviceId: string,
  ) {}

  private notify(): void {
    for (const w of this.wake.splice(0)) w();
  }

  /** Resolves with the first value `probe` returns (checked on every frame and on close), or rejects after a timeout. */
  async until<T>(what: string, probe: () => T | undefined, timeoutMs = waitMs): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = probe();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: timed out after ${timeoutMs} ms waiting for ${what}; last frames: ${JSON.stringify(this.frames.slice(-3))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Opens the socket: the HTTP status when the upgrade is refused, else undefined once open. */
  async open(url: string, protocols: string[]): Promise<{ status: number; body: string } | undefined> {
    this.frames = [];
    this.closeCode = undefined;
    const ws = new WebSocket(url, protocols);
    this.ws = ws;
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.once('open', () => resolve(undefined));
      ws.once('error', (err) => reject(err));
      ws.on('error', () => undefined); // after open, an error is followed by 'close', which is what steps wait for
      ws.on('message', (data) => this.onFrame(JSON.parse(String(data)) as Frame));
      ws.on('close', (code) => {
        this.closeCode = code;
        if (code === 4005) {
          // The chain was refused: the next connection starts a fresh one.
          this.sessionId = undefined;
          this.chain = [];
        }
        this.notify();
      });
    });
  }

  private onFrame(frame: Frame): void {
    this.frames.push(frame);
    if (frame.kind === 'push') {
      const id = frame.outcomeId as number;
      if (id <= this.lastOutcomeId) {
        if (id <= this.acked) this.sendFrame({ kind: 'ack', outcomeId: this.acked });
      } else {
        this.lastOutcomeId = id;
        this.pushes.push(frame);
      }
    } else if (frame.kind === 'recall') this.answerRecall(frame);
    else if (frame.kind === 'welcome') {
      this.sessionId = frame.sessionId as string;
      this.key = frame.key as string;
      if (!frame.resumed) this.chain = [];
    }
    this.notify();
  }

  private answerRecall(recall: Frame): void {
    const from = recall.fromSeq as number;
    const to = recall.toSeq as number;
    const base: Frame = { kind: 'chain', recallId: recall.recallId!, sessionId: recall.sessionId! };
    this.recallsAnswered++;
    if (recall.sessionId !== this.sessionId || from < 0 || to > this.chain.length) {
      return this.sendFrame({ ...base, entries: [], done: true, missing: true });
    }
    const entries = this.chain.slice(from, to);
    if (entries.length === 0) return this.sendFrame({ ...base, entries: [], done: true });
    for (let i = 0; i < entries.length; i += 256) {
      const page = entries.slice(i, i + 256) as unknown as Json[];
      this.sendFrame({ ...base, entries: page, done: i + 256 >= entries.length });
    }
  }

  sendFrame(frame: Frame): void {
    this.sendText(JSON.stringify(frame));
  }

  sendText(text: string, binary = false): void {
    this.ws?.send(binary ? Buffer.from(text, 'utf8') : text, { binary });
  }

  /** Seals `command` as the next entry of the chain and sends it; resolves with its reply or the close code. */
  async command(command: Frame, tamper?: Tamper): Promise<Frame | { close: number }> {
    if (!this.sessionId || !this.key) throw new Error(`${this.name}: not welcomed`);
    const seq = this.chain.length;
    const entry: Entry = { seq, body: command, seal: seal(this.key, this.chain[seq - 1]?.seal, seq, command) };
    if (tamper !== 'sessionId') this.chain.push(entry);
    const frame = {
      kind: 'command',
      sessionId: tamper === 'sessionId' ? `${this.sessionId}.not-mine` : this.sessionId,
      seq,
      seal: tamper === 'seal' ? entry.seal.replace(/^./, (c) => (c === '0' ? '1' : '0')) : entry.seal,
      command,
    } as Frame;
    const from = this.frames.length;
    this.sendFrame(frame);
    const answer = await this.until(`the reply to ${command.traceId as string}`, () => {
      const reply = this.frames.slice(from).find((f) => f.kind === 'reply' && f.traceId === command.traceId);
      if (reply) return reply;
      return this.closeCode !== undefined ? { close: this.closeCode } : undefined;
    });
    if ('kind' in answer && answer.ok === false && notInChain.has((answer.error as Frame).code as string) && tamper !== 'sessionId') {
      if (this.chain[this.chain.length - 1] === entry) this.chain.pop();
    }
    return answer;
  }

  ack(): void {
    this.acked = this.lastOutcomeId;
    this.sendFrame({ kind: 'ack', outcomeId: this.lastOutcomeId });
  }

  async close(): Promise<void> {
    if (!this.ws || this.closeCode !== undefined) return;
    this.ws.close(1000);
    await this.until('the close', () => this.closeCode);
  }
}

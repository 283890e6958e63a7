// The push inbox: outcomes the hub pushes, each taken once by its outcome id (a retransmit or replay of one already
// taken is dropped), and acked in batches — `ackDelayMs` after the first unacked push or every `ackEvery` pushes —
// once the new high-water mark is stored, so a restarted device asks for what follows it and nothing it took comes
// again.
import type { PushFrame } from '../protocol/frames.js';
import type { Outcome } from '../protocol/outcomes.js';
import type { HubSocket } from './HubSocket.js';

/** Where acks go: the connection the pushes came on. */
type AckSocket = Pick<HubSocket, 'send'>;

interface PushInboxConfig {
  /** The highest outcome id taken before (the stored device record's). */
  readonly lastOutcomeId: number;
  readonly ackEvery: number;
  readonly ackDelayMs: number;
  /** A new outcome (never one taken before). */
  take(outcomeId: number, outcome: Outcome): void;
  /** Stores `lastOutcomeId` (the device record) before an ack says it was taken. */
  persist(): Promise<void>;
}

export class PushInbox {
  readonly #config: PushInboxConfig;
  #lastOutcomeId: number;
  /** Pushes on the current connection since the last ack. */
  #unacked = 0;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(config: PushInboxConfig) {
    this.#config = config;
    this.#lastOutcomeId = config.lastOutcomeId;
  }

  /** The highest outcome id taken. */
  get lastOutcomeId(): number {
    return this.#lastOutcomeId;
  }

  onPush(socket: AckSocket, frame: PushFrame): void {
    if (frame.outcomeId > this.#lastOutcomeId) {
      this.#lastOutcomeId = frame.outcomeId;
      this.#config.take(frame.outcomeId, frame.outcome);
    }
    // Duplicates (retransmits, replays) are acked again so the hub stops resending them.
    this.#unacked++;
    if (this.#unacked >= this.#config.ackEvery) void this.flushAck(socket);
    else this.#ackTimer ??= setTimeout(() => void this.flushAck(socket), this.#config.ackDelayMs);
  }

  /** The hub dropped what it had for this device and starts again after `lastOutcomeId` (resync). */
  resetTo(lastOutcomeId: number): void {
    this.#lastOutcomeId = lastOutcomeId;
  }

  /** Stores the high-water mark and acks it now. */
  async flushAck(socket: AckSocket): Promise<void> {
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    this.#unacked = 0;
    const outcomeId = this.#lastOutcomeId;
    await this.#config.persist();
    socket.send({ kind: 'ack', outcomeId });
  }

  /** The connection is over: its pending ack goes with it (the next hello says where the device is). */
  stop(): void {
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    this.#unacked = 0;
  }
}

// The client side of a sealed session (the seed's SessionClient): seals every body it sends,
// keeps it in its log store (the server keeps nothing), and answers a recall by streaming its
// chain in pages. Appends made in the same tick are sealed at once (synchronously, in call order)
// and committed to the store in one batch, so an IndexedDB transaction never waits on hashing and
// a burst costs one transaction. If the store refuses a batch, every entry sealed after the last
// committed one is refused too and the sealer goes back to the last committed entry: the log
// never has a hole.
// With a store that can compact, the client keeps the server's sealed checkpoints (after checking their seal and
// that they sit on its own chain) instead of the entries before them, and answers a recall with the checkpoint
// and the entries after it: storage and recall stay bounded by the checkpoint interval.
import { ChainError } from './ChainError.js';
import { defaultSealing } from './defaultSealing.js';
import { fromHex } from '../internal/hex.js';
import { MemoryLogStore } from './MemoryLogStore.js';
import { verifyCheckpoint, type SealedCheckpoint } from './SealedCheckpoint.js';
import { Sealer } from './Sealer.js';
import type { ChainPosition, SealedEntry } from './SealedEntry.js';
import { GENESIS } from './SealedEntry.js';
import type { SealedLogStore } from './SealedLogStore.js';
import type { Sealing } from './Sealing.js';
import type { RecallFunction, RecallPage } from './SessionHandler.js';

export interface SessionClientConfig<B> {
  readonly sessionId: string;
  /** The key the server sent at initiation, bytes or hex. */
  readonly key: Uint8Array | string;
  /** Where the chain is kept. Default: a new MemoryLogStore. Reopening a persistent store resumes its chain. */
  readonly store?: SealedLogStore<B>;
  readonly sealing?: Sealing;
  /** Entries per page when answering a recall. Default 512. */
  readonly pageSize?: number;
}

interface Pending<B> {
  readonly entry: SealedEntry<B>;
  readonly resolve: (entry: SealedEntry<B>) => void;
  readonly reject: (error: unknown) => void;
}

export class SessionClient<B = unknown> {
  readonly sessionId: string;
  readonly store: SealedLogStore<B>;
  readonly #sealer: Sealer;
  readonly #sealing: Sealing;
  readonly #key: Uint8Array;
  readonly #pageSize: number;
  #committed: ChainPosition;
  #pending: Pending<B>[] = [];
  #flushing: Promise<void> | undefined;
  #recalls = 0;

  /** Opens a client on `config.store`, continuing the chain it already holds. */
  static async open<B>(config: SessionClientConfig<B>): Promise<SessionClient<B>> {
    const store = config.store ?? new MemoryLogStore<B>();
    const last = await store.last();
    if (last !== undefined) return new SessionClient<B>({ ...config, store }, { seq: last.seq, seal: last.seal });
    // Every entry was compacted into the checkpoint: the chain continues from the seal it was bound to.
    const checkpoint = await store.checkpoint?.();
    return new SessionClient<B>({ ...config, store }, checkpoint === undefined ? GENESIS : { seq: checkpoint.seq - 1, seal: checkpoint.prevSeal });
  }

  private constructor(config: SessionClientConfig<B> & { store: SealedLogStore<B> }, after: ChainPosition) {
    if (typeof config.sessionId !== 'string' || config.sessionId.length === 0) throw new TypeError('SessionClient: sessionId must be a non-empty string');
    this.sessionId = config.sessionId;
    this.store = config.store;
    this.#pageSize = config.pageSize ?? 512;
    this.#sealing = config.sealing ?? defaultSealing();
    this.#key = typeof config.key === 'string' ? fromHex(config.key) : config.key;
    this.#sealer = new Sealer({ key: this.#key, after, sealing: this.#sealing });
    this.#committed = after;
  }

  /** How many times the server recalled this session (the only trace a lazy restart leaves). */
  get recalls(): number {
    return this.#recalls;
  }

  /** The seq the next appended body gets. */
  get nextSeq(): number {
    return this.#sealer.nextSeq;
  }

  /**
   * Seals `body` as the next entry and commits it to the store; resolves with the sealed entry
   * (send that to the server). Rejects with ChainError('malformed') if the body is not JSON.
   */
  append(body: B): Promise<SealedEntry<B>> {
    let entry: SealedEntry<B>;
    try {
      entry = this.#sealer.seal(body);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<SealedEntry<B>>((resolve, reject) => {
      this.#pending.push({ entry, resolve, reject });
      this.#flushing ??= Promise.resolve().then(() => this.#flush());
    });
  }

  /** Resolves when everything appended so far is committed (or refused). */
  async flushed(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
  }

  /** The chain from `fromSeq` up to (not including) `upTo`, in pages, read from the store. */
  async *chain(fromSeq = 0, upTo = Number.POSITIVE_INFINITY): AsyncIterable<SealedEntry<B>[]> {
    await this.flushed();
    let seq = fromSeq;
    while (seq < upTo) {
      const page = await this.store.read(seq, Math.min(this.#pageSize, upTo - seq));
      if (page.length === 0) return;
      yield page;
      seq += page.length;
    }
  }

  /** True when the store can keep checkpoints (then ask the server for them). */
  get keepsCheckpoints(): boolean {
    return typeof this.store.checkpoint === 'function' && typeof this.store.compact === 'function';
  }

  /** The checkpoint the store keeps, if any. */
  async checkpoint(): Promise<SealedCheckpoint | undefined> {
    return this.store.checkpoint?.();
  }

  /**
   * Keeps a checkpoint the server sent and drops the entries before it. Verifies first: its seal under this
   * session's key, and that it sits on this client's own chain (its prevSeal is the seal of entry seq-1, which
   * must be committed here). Resolves true when it was kept, false when the store cannot keep checkpoints or
   * already keeps this one or a later one. Rejects with ChainError (nothing changed) when it is forged ('broken_seal',
   * 'malformed'), lies past the committed chain ('gap') or on another chain ('fork').
   */
  async acceptCheckpoint(value: unknown): Promise<boolean> {
    const checkpoint = verifyCheckpoint(this.#sealing, this.#key, value, this.sessionId);
    const store = this.store;
    if (store.compact === undefined || store.checkpoint === undefined) return false;
    await this.flushed();
    const kept = await store.checkpoint();
    if (kept !== undefined && kept.seq >= checkpoint.seq) return false;
    const committed = this.#committed;
    if (checkpoint.seq - 1 > committed.seq) {
      throw new ChainError('gap', `checkpoint ${checkpoint.seq} of session ${this.sessionId} is past this client's chain (last committed seq ${committed.seq})`, {
        seq: checkpoint.seq,
        sessionId: this.sessionId,
      });
    }
    const before = checkpoint.seq - 1 === committed.seq ? committed : (await store.read(checkpoint.seq - 1, 1))[0];
    if (before === undefined || before.seq !== checkpoint.seq - 1 || before.seal !== checkpoint.prevSeal) {
      throw new ChainError('fork', `checkpoint ${checkpoint.seq} of session ${this.sessionId} is not bound to this client's entry ${checkpoint.seq - 1}: another history`, {
        seq: checkpoint.seq,
        sessionId: this.sessionId,
      });
    }
    await store.compact(checkpoint);
    return true;
  }

  /**
   * What answers a server's recall for entries [fromSeq, upTo), and counts it: the kept checkpoint when it stands
   * for entries from `fromSeq` on (then the entries start at its seq), and the entries in pages.
   */
  async recallAnswer(fromSeq: number, upTo: number): Promise<{ checkpoint?: SealedCheckpoint; fromSeq: number; pages: AsyncIterable<SealedEntry<B>[]> }> {
    this.#recalls++;
    await this.flushed();
    const kept = await this.store.checkpoint?.();
    if (kept === undefined || kept.seq <= fromSeq || kept.seq > upTo) return { fromSeq, pages: this.chain(fromSeq, upTo) };
    return { checkpoint: kept, fromSeq: kept.seq, pages: this.chain(kept.seq, upTo) };
  }

  /**
   * Answers a server's recall for entries before `upTo`, and counts it: the kept checkpoint (if any) with the first
   * page, then the entries from it on.
   */
  async *answerRecall(upTo: number): AsyncIterable<RecallPage<B>> {
    const { checkpoint, pages } = await this.recallAnswer(0, upTo);
    let first = checkpoint !== undefined;
    for await (const entries of pages) {
      yield first ? { checkpoint: checkpoint!, entries } : entries;
      first = false;
    }
    if (first) yield { checkpoint: checkpoint!, entries: [] };
  }

  /** A RecallFunction answering from this client, for an in-process handler or a test. */
  recaller(): RecallFunction<B> {
    return (sessionId, upTo) => {
      if (sessionId !== this.sessionId) return Promise.resolve([]);
      return this.answerRecall(upTo);
    };
  }

  /** Waits for pending appends, then closes the store. */
  async close(): Promise<void> {
    await this.flushed();
    await this.store.close();
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        try {
          await this.store.append(batch.map((p) => p.entry));
        } catch (error) {
          const refused = batch.concat(this.#pending);
          this.#pending = [];
          this.#sealer.reset(this.#committed);
          const reason =
            error instanceof Error
              ? error
              : new ChainError('malformed', `the log store refused entries ${batch[0]!.entry.seq}..: ${String(error)}`, { seq: batch[0]!.entry.seq });
          for (const p of refused) p.reject(reason);
          continue;
        }
        const last = batch[batch.length - 1]!.entry;
        this.#committed = { seq: last.seq, seal: last.seal };
        for (const p of batch) p.resolve(p.entry);
      }
    } finally {
      this.#flushing = undefined;
    }
  }
}

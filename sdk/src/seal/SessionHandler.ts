// The server side of sealed sessions (the seed's SessionHandler): initiates sessions, routes each
// sealed entry to its session's state, and when a session is unknown (crash, eviction by the
// failure detector) recalls it lazily: asks the client for its chain through an injected async
// function, verifies every seal from genesis, replays the updates into a fresh state, then handles
// the entry that triggered the recall. Nothing is installed until all of that succeeded, so a
// refused chain changes nothing. Transport-agnostic: the recall function may go over WebSocket,
// HTTP or a direct call.
import { Subject, type Observable } from 'rxjs';
import { canonicalJson } from './canonicalJson.js';
import { ChainError } from './ChainError.js';
import { ChainVerifier } from './ChainVerifier.js';
import { defaultSealing } from './defaultSealing.js';
import { deriveSessionKey } from './deriveSessionKey.js';
import type { FailureDetector, SessionWatch } from './FailureDetector.js';
import { HeartbeatFailureDetector } from './HeartbeatFailureDetector.js';
import { parseSealedEntry, type ChainPosition, type SealedEntry } from './SealedEntry.js';
import type { Sealing } from './Sealing.js';
import { sealCheckpoint, verifyCheckpoint, type SealedCheckpoint } from './SealedCheckpoint.js';
import type { SessionDefinition } from './SessionDefinition.js';
import { toHex } from '../internal/hex.js';
import { WorkQueue } from '../mailbox/WorkQueue.js';

/**
 * Asks the client of `sessionId` for its entries with seq < `upTo`, from genesis, in order, as one
 * array or as pages. Entries are untrusted: every one is checked. A client that keeps a sealed
 * checkpoint instead of its oldest entries answers with a first page carrying it: the entries then
 * start at the checkpoint's seq.
 */
export type RecallFunction<B> = (
  sessionId: string,
  upTo: number,
  options?: RecallOptions,
) => Promise<RecallPage<B>> | AsyncIterable<RecallPage<B>>;

/** A page of a recall's answer: entries, or (first page only) a checkpoint and the entries after it. */
export type RecallPage<B> = readonly SealedEntry<B>[] | { readonly checkpoint?: SealedCheckpoint; readonly entries: readonly SealedEntry<B>[] };

export interface RecallOptions {
  /** Aborted when the handler closes during the recall: stop asking the client. */
  readonly signal: AbortSignal;
}

export interface SessionHandlerConfig<S, B> {
  /** The server's secret (≥ 16 bytes): session keys are derived from it, never stored. */
  readonly secret: Uint8Array;
  readonly definition: SessionDefinition<S, B>;
  readonly sealing?: Sealing;
  /** Default: HeartbeatFailureDetector with a 60 s timeout; null: sessions live until deleted. */
  readonly failureDetector?: FailureDetector | null;
  /** Default: 128 random bits as 32 hex characters. */
  readonly newSessionId?: () => string;
  /** Recent seals kept per session to tell a duplicate from a fork. Default 1024. */
  readonly remember?: number;
  /**
   * Most entries a recall may replay (default: no limit). A session that would need more is refused with
   * ChainError recall_too_long before anything is asked of the client: its owner starts a fresh session.
   */
  readonly maxRecall?: number;
}

export interface InitiatedSession {
  readonly sessionId: string;
  readonly key: Uint8Array;
  /** The key as hex, the form it travels in. */
  readonly keyHex: string;
}

export interface Received<S> {
  /** The session's state after the entry. */
  readonly state: S;
  /** True when the session was unknown and was rebuilt from the client's chain for this entry. */
  readonly recalled: boolean;
  /** True when the entry was the last one applied, come again: nothing was applied twice. */
  readonly duplicate: boolean;
  /** definition.reply(state, body), when the definition has one. */
  readonly reply?: unknown;
}

/** A receive in its session's queue: its run once started; `resolve` when the caller waits for its turn. */
interface PendingReceive<S, B> {
  entry: SealedEntry<B>;
  recall: RecallFunction<B>;
  run?: Promise<Received<S>>;
  resolve?: (run: Promise<Received<S>>) => void;
}

export type SessionEvent =
  | { readonly type: 'initiated'; readonly sessionId: string }
  | {
      readonly type: 'recalled';
      readonly sessionId: string;
      /** Entries verified and replayed (after the checkpoint, when there was one). */
      readonly entries: number;
      readonly ms: number;
      /** The seq of the checkpoint the recall started from, if any. */
      readonly fromCheckpoint?: number;
    }
  | { readonly type: 'rejected'; readonly sessionId: string; readonly error: ChainError }
  | { readonly type: 'deleted'; readonly sessionId: string; readonly reason: 'failure' | 'deleted' | 'closed' };

interface LiveSession<S> {
  state: S;
  readonly verifier: ChainVerifier;
  readonly watch: SessionWatch | undefined;
  last: SealedEntry<unknown> | undefined;
}

export class SessionHandler<S, B = unknown> {
  readonly #secret: Uint8Array;
  readonly #definition: SessionDefinition<S, B>;
  readonly #sealing: Sealing;
  readonly #detector: FailureDetector | null;
  readonly #newSessionId: () => string;
  readonly #remember: number;
  readonly #maxRecall: number;
  readonly #sessions = new Map<string, LiveSession<S>>();
  /**
   * Per session: its entries, one at a time in call order. Kept while the session is live (made once, not per
   * entry); a queue whose session is not live (its recall failed) is removed once idle.
   */
  readonly #queues = new Map<string, WorkQueue<PendingReceive<S, B>>>();
  readonly #events = new Subject<SessionEvent>();
  readonly #closing = new AbortController();
  #closed = false;

  /** initiated, recalled, rejected and deleted sessions, as they happen. */
  readonly events$: Observable<SessionEvent> = this.#events.asObservable();

  constructor(config: SessionHandlerConfig<S, B>) {
    if (!(config.secret instanceof Uint8Array) || config.secret.length < 16) {
      throw new TypeError('SessionHandler: `secret` must be at least 16 random bytes (keep it stable across restarts so chains still verify)');
    }
    this.#secret = config.secret;
    this.#definition = config.definition;
    this.#sealing = config.sealing ?? defaultSealing();
    this.#detector = config.failureDetector === undefined ? new HeartbeatFailureDetector() : config.failureDetector;
    this.#newSessionId = config.newSessionId ?? randomSessionId;
    this.#remember = config.remember ?? 1024;
    this.#maxRecall = config.maxRecall ?? Number.POSITIVE_INFINITY;
  }

  /** Starts a new session: its id and key, to send to the client (the seed's initiate_session). */
  initiate(): InitiatedSession {
    this.#assertOpen();
    const sessionId = this.#newSessionId();
    const key = this.keyOf(sessionId);
    this.#install(sessionId, {
      state: this.#definition.initial(),
      verifier: new ChainVerifier({ key, sessionId, sealing: this.#sealing, remember: this.#remember }),
      last: undefined,
    });
    this.#events.next({ type: 'initiated', sessionId });
    return { sessionId, key, keyHex: this.#sealing.toHex(key) };
  }

  /** The key of `sessionId`, derived again (the seed's prev_keys without storing them). */
  keyOf(sessionId: string): Uint8Array {
    return deriveSessionKey(this.#secret, sessionId, this.#sealing);
  }

  has(sessionId: string): boolean {
    return this.#sessions.has(sessionId);
  }

  state(sessionId: string): S | undefined {
    return this.#sessions.get(sessionId)?.state;
  }

  /** The last applied entry's seq and seal, if the session is live here. */
  position(sessionId: string): ChainPosition | undefined {
    return this.#sessions.get(sessionId)?.verifier.position;
  }

  /**
   * A sealed checkpoint of the live session `sessionId` at its current position (its state after every entry it
   * applied, bound to the last entry's seal), to send to the client; undefined when the session is not live here,
   * has no entry yet, or the definition has no snapshot/restore.
   */
  checkpoint(sessionId: string): SealedCheckpoint | undefined {
    const live = this.#sessions.get(sessionId);
    const snapshot = this.#definition.snapshot;
    if (live === undefined || snapshot === undefined || this.#definition.restore === undefined) return undefined;
    const position = live.verifier.position;
    if (position.seq < 0) return undefined;
    return sealCheckpoint(this.#sealing, this.keyOf(sessionId), position.seq + 1, position.seal, snapshot.call(this.#definition, live.state));
  }

  /** Sessions live in memory. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Proof of life for the failure detector, without a message. */
  heartbeat(sessionId: string): void {
    this.#sessions.get(sessionId)?.watch?.heartbeat();
  }

  /** Drops the session's in-memory state (the seed's delete_session); it is recalled on its next entry. */
  delete(sessionId: string): boolean {
    return this.#drop(sessionId, 'deleted');
  }

  /**
   * Routes a sealed entry to its session and applies it. Entries of one session are handled one
   * at a time, in call order. When the session is unknown, recalls it first (see the class
   * comment). Rejects with ChainError when the entry or chain is refused; then nothing changed.
   * A live session that is sent a later seq than it expects (entries lost on the way) catches up
   * the same way, by recalling the whole chain; it is replaced only if that succeeds.
   * When definition.apply throws, the entry is refused with that error but stays part of the
   * chain (the client has sealed and kept it): the state is unchanged and the chain moves on,
   * and a replay skips it the same way.
   */
  receive(sessionId: string, entry: SealedEntry<B>, recall: RecallFunction<B>): Promise<Received<S>> {
    if (this.#closed) return Promise.reject(new Error('SessionHandler is closed; create a new one'));
    let queue = this.#queues.get(sessionId);
    if (queue === undefined) {
      const own = new WorkQueue<PendingReceive<S, B>>(
        (pending) => {
          const run = this.#receive(sessionId, pending.entry, pending.recall);
          if (pending.resolve) pending.resolve(run);
          else pending.run = run;
          return run;
        },
        {
          onError: noop, // the caller has the rejection (the promise `receive` returned)
          onIdle: () => {
            if (!this.#sessions.has(sessionId) && this.#queues.get(sessionId) === own) this.#queues.delete(sessionId);
          },
        },
      );
      this.#queues.set(sessionId, (queue = own));
    }
    const pending: PendingReceive<S, B> = { entry, recall };
    queue.offer(pending);
    // Handled at once (nothing of this session in hand): its own promise. Otherwise one that takes on the
    // result of its run when its turn comes.
    return pending.run ?? new Promise<Received<S>>((resolve) => (pending.resolve = resolve));
  }

  /** Drops every session and stops the failure detector. */
  close(): void {
    if (this.#closed) return;
    for (const sessionId of [...this.#sessions.keys()]) this.#drop(sessionId, 'closed');
    this.#closed = true;
    this.#closing.abort(new Error('SessionHandler closed during a recall'));
    this.#detector?.close();
    this.#events.complete();
  }

  async #receive(sessionId: string, entry: SealedEntry<B>, recall: RecallFunction<B>): Promise<Received<S>> {
    try {
      if (this.#closed) throw new ChainError('unknown_session', `SessionHandler is closed; session ${sessionId} cannot be handled`, { sessionId });
      const live = this.#sessions.get(sessionId);
      if (live === undefined) return await this.#recallAndApply(sessionId, entry, recall);
      // Entries this handler never saw (lost on the way, or dropped before receive): catch up
      // by recalling the whole chain; the live session stays as it is unless that succeeds.
      const seq = (entry as { seq?: unknown } | null)?.seq;
      if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq > live.verifier.nextSeq) return await this.#recallAndApply(sessionId, entry, recall);
      return this.#applyLive(sessionId, live, entry);
    } catch (error) {
      if (error instanceof ChainError) this.#events.next({ type: 'rejected', sessionId, error });
      throw error;
    }
  }

  #applyLive(sessionId: string, live: LiveSession<S>, raw: SealedEntry<B>): Received<S> {
    live.watch?.heartbeat();
    const entry = parseSealedEntry<B>(raw, sessionId);
    const last = live.last;
    if (last !== undefined && entry.seq === last.seq && entry.seal === last.seal) {
      // Only the body that was sealed is the entry: the same seq and seal around another body is refused.
      if (!sameBody(entry.body, last.body)) {
        throw new ChainError('body_mismatch', `entry ${entry.seq} of session ${sessionId} came again with a body other than the one sealed`, {
          seq: entry.seq,
          sessionId,
        });
      }
      return this.#result(live.state, last.body as B, false, true);
    }
    const run = live.verifier.check<B>([entry]);
    const next = this.#apply(live.state, entry);
    live.verifier.advance(run);
    live.last = entry;
    if (next.error !== undefined) throw next.error;
    live.state = next.state;
    return this.#result(live.state, entry.body, false, false);
  }

  async #recallAndApply(sessionId: string, raw: SealedEntry<B>, recall: RecallFunction<B>): Promise<Received<S>> {
    const started = Date.now();
    const entry = parseSealedEntry<B>(raw, sessionId);
    const key = this.keyOf(sessionId);
    let verifier = new ChainVerifier({ key, sessionId, sealing: this.#sealing, remember: this.#remember });
    let state = this.#definition.initial();
    const upTo = entry.seq;
    const restore = this.#definition.restore;
    let fromCheckpoint: number | undefined;
    // Without checkpoints the length of the replay is known before asking; with them only the client knows where
    // its checkpoint is, so the limit is checked on the tail once its first page came (below).
    if (restore === undefined && upTo > this.#maxRecall) {
      throw new ChainError(
        'recall_too_long',
        `session ${sessionId} would be rebuilt from ${upTo} entries, more than the ${this.#maxRecall} a recall may replay; initiate a new session`,
        { sessionId, seq: upTo },
      );
    }
    if (upTo > 0) {
      const signal = this.#closing.signal;
      let first = true;
      for await (const answer of pagesOf(recall(sessionId, upTo, { signal }), signal)) {
        const page = answer.entries;
        if (answer.checkpoint !== undefined) {
          if (!first || restore === undefined) {
            throw new ChainError('malformed', `a checkpoint of session ${sessionId} came ${first ? 'but this session definition cannot restore one' : 'after the first page of a recall'}`, { sessionId });
          }
          const checkpoint = verifyCheckpoint(this.#sealing, key, answer.checkpoint, sessionId);
          // A checkpoint past the entry that caused the recall would skip entries the hub has not applied yet.
          if (checkpoint.seq > upTo) {
            throw new ChainError('fork', `checkpoint ${checkpoint.seq} of session ${sessionId} is past the entry ${upTo} being handled`, { sessionId, seq: checkpoint.seq });
          }
          try {
            state = restore.call(this.#definition, checkpoint.state);
          } catch (error) {
            throw new ChainError('malformed', `checkpoint ${checkpoint.seq} of session ${sessionId} has a state the definition cannot restore`, { sessionId, seq: checkpoint.seq, cause: error });
          }
          verifier = new ChainVerifier({ key, sessionId, sealing: this.#sealing, remember: this.#remember, after: { seq: checkpoint.seq - 1, seal: checkpoint.prevSeal } });
          fromCheckpoint = checkpoint.seq;
        }
        if (first && upTo - verifier.nextSeq > this.#maxRecall) {
          throw new ChainError(
            'recall_too_long',
            `session ${sessionId} would be rebuilt from ${upTo - verifier.nextSeq} entries, more than the ${this.#maxRecall} a recall may replay; initiate a new session`,
            { sessionId, seq: upTo },
          );
        }
        first = false;
        // Entries past upTo - 1 (a client may send its whole log) are not needed and not looked at.
        const needed = upTo - verifier.nextSeq;
        const run = verifier.check<B>(page.length > needed ? page.slice(0, needed) : page);
        for (const recalled of run.entries) state = this.#apply(state, recalled).state;
        verifier.advance(run);
        if (page.length >= needed) break;
      }
      if (verifier.verified === 0 && fromCheckpoint === undefined) {
        throw new ChainError('unknown_session', `session ${sessionId} is not known here and its client has no chain for it; initiate a new session`, {
          sessionId,
          seq: upTo,
        });
      }
      if (verifier.nextSeq < upTo) {
        throw new ChainError('truncated', `the chain of session ${sessionId} ends at seq ${verifier.nextSeq - 1} but the message claims seq ${upTo}`, {
          sessionId,
          seq: verifier.nextSeq,
        });
      }
    }
    const run = verifier.check<B>([entry]);
    const next = this.#apply(state, entry);
    verifier.advance(run);
    if (this.#closing.signal.aborted) throw this.#closing.signal.reason;
    // Another receive for this session cannot have installed it meanwhile: they are queued.
    this.#install(sessionId, { state: next.state, verifier, last: entry });
    if (upTo > 0) {
      const replayed = fromCheckpoint === undefined ? upTo : upTo - fromCheckpoint;
      this.#events.next({ type: 'recalled', sessionId, entries: replayed, ms: Date.now() - started, ...(fromCheckpoint === undefined ? {} : { fromCheckpoint }) });
    }
    if (next.error !== undefined) throw next.error;
    return this.#result(next.state, entry.body, upTo > 0, false);
  }

  #apply(state: S, entry: SealedEntry<B>): { state: S; error?: unknown } {
    try {
      return { state: this.#definition.apply(state, entry.body) };
    } catch (error) {
      return { state, error: error ?? new Error(`session definition refused entry ${entry.seq}`) };
    }
  }

  #result(state: S, body: B, recalled: boolean, duplicate: boolean): Received<S> {
    const reply = this.#definition.reply;
    return reply === undefined ? { state, recalled, duplicate } : { state, recalled, duplicate, reply: reply(state, body) };
  }

  #install(sessionId: string, session: Omit<LiveSession<S>, 'watch'>): void {
    this.#sessions.get(sessionId)?.watch?.stop();
    const watch = this.#detector?.watch(sessionId, () => this.#drop(sessionId, 'failure'));
    this.#sessions.set(sessionId, { ...session, watch });
  }

  #drop(sessionId: string, reason: 'failure' | 'deleted' | 'closed'): boolean {
    const live = this.#sessions.get(sessionId);
    if (live === undefined) return false;
    this.#sessions.delete(sessionId);
    // An idle queue goes with its session; a busy one once it is idle (onIdle).
    if (this.#queues.get(sessionId)?.size === 0) this.#queues.delete(sessionId);
    live.watch?.stop();
    this.#events.next({ type: 'deleted', sessionId, reason });
    return true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('SessionHandler is closed; create a new one');
  }
}

/** A recall page as the handler reads it: untrusted entries, and a checkpoint when the page carried one. */
interface UntrustedPage {
  readonly checkpoint?: unknown;
  readonly entries: readonly unknown[];
}

function untrustedPage(value: unknown): UntrustedPage {
  if (Array.isArray(value)) return { entries: value };
  if (typeof value === 'object' && value !== null && Array.isArray((value as { entries?: unknown }).entries)) {
    const { checkpoint, entries } = value as { checkpoint?: unknown; entries: unknown[] };
    return checkpoint === undefined ? { entries } : { checkpoint, entries };
  }
  throw new ChainError('malformed', 'a recall answer page must be an array of sealed entries, or { checkpoint, entries }');
}

async function* pagesOf<B>(answer: Promise<RecallPage<B>> | AsyncIterable<RecallPage<B>>, signal: AbortSignal): AsyncIterable<UntrustedPage> {
  if (!(Symbol.asyncIterator in answer)) {
    yield untrustedPage(await untilAborted(answer, signal));
    return;
  }
  const pages = answer[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await untilAborted(pages.next(), signal);
      if (next.done === true) return;
      yield untrustedPage(next.value);
    }
  } finally {
    // Tell the transport we stopped reading (refused chain, enough entries, or handler closed).
    void Promise.resolve(pages.return?.()).catch(() => undefined);
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts (no listener left behind). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function randomSessionId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return toHex(bytes);
}

function noop(): void {}

/** Two entry bodies are the same when their canonical JSON is (a body that has none matches nothing). */
function sameBody(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

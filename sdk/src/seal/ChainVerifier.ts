// The server side of a chain: checks sealed entries, in order, under the session's key. A check
// either passes for a whole run of entries or throws a ChainError naming the first bad seq;
// the verifier only moves when told to (advance), so a refused run changes nothing.
import { canonicalJson } from './canonicalJson.js';
import { ChainError } from './ChainError.js';
import { defaultSealing } from './defaultSealing.js';
import { fromHex } from '../internal/hex.js';
import { GENESIS, parseSealedEntry, type ChainPosition, type SealedEntry } from './SealedEntry.js';
import type { SealFunction, Sealing } from './Sealing.js';

export interface ChainVerifierConfig {
  readonly key: Uint8Array | string;
  /** Named in errors. */
  readonly sessionId?: string;
  /** Continue after this (already verified) entry; default: from genesis. */
  readonly after?: ChainPosition;
  readonly sealing?: Sealing;
  /** How many recent seals to remember, to tell a duplicate from a fork. Default 64. */
  readonly remember?: number;
}

/** A run of entries that passed `check`; hand it to `advance` to move the verifier past it. */
export interface CheckedRun<B = unknown> {
  readonly entries: readonly SealedEntry<B>[];
  readonly from: ChainPosition;
  readonly to: ChainPosition;
  /** @internal the last seal's bytes, the next entry's prevSeal */
  readonly prevSeal: Uint8Array;
}

export class ChainVerifier {
  readonly #sealing: Sealing;
  readonly #seal: SealFunction;
  readonly #sessionId: string | undefined;
  readonly #remember: number;
  #position: ChainPosition;
  #prevSeal: Uint8Array;
  #recent: string[] = [];
  #verified = 0;

  constructor(config: ChainVerifierConfig) {
    this.#sealing = config.sealing ?? defaultSealing();
    this.#seal = this.#sealing.sealer(typeof config.key === 'string' ? fromHex(config.key) : config.key);
    this.#sessionId = config.sessionId;
    this.#remember = config.remember ?? 64;
    this.#position = config.after ?? GENESIS;
    this.#prevSeal = fromHex(this.#position.seal);
  }

  get nextSeq(): number {
    return this.#position.seq + 1;
  }

  get position(): ChainPosition {
    return this.#position;
  }

  /** Number of entries this verifier has advanced over. */
  get verified(): number {
    return this.#verified;
  }

  /** Checks that `entries` continue the chain and every seal holds. Throws ChainError; moves nothing. */
  check<B>(entries: readonly unknown[]): CheckedRun<B> {
    const sessionId = this.#sessionId;
    const where = sessionId === undefined ? '' : ` of session ${sessionId}`;
    const checked: SealedEntry<B>[] = new Array(entries.length);
    let expected = this.#position.seq + 1;
    let prevSeal = this.#prevSeal;
    for (let i = 0; i < entries.length; i++, expected++) {
      const entry = parseSealedEntry<B>(entries[i], sessionId);
      if (entry.seq !== expected) this.#refuseOrder(entry, expected, checked, where);
      let canonical: string;
      try {
        canonical = canonicalJson(entry.body);
      } catch (error) {
        throw new ChainError('malformed', `entry ${entry.seq}${where}: ${(error as Error).message}`, { seq: entry.seq, sessionId, cause: error });
      }
      const sealBytes = this.#seal(prevSeal, expected, canonical);
      if (this.#sealing.toHex(sealBytes) !== entry.seal) {
        if (i === 0 && this.#verified === 0 && this.#nothingVerifies(entries)) {
          throw new ChainError(
            'wrong_key',
            `no entry of the chain${where} verifies under this session's key: it was sealed with another key or belongs to another session`,
            { seq: entry.seq, sessionId },
          );
        }
        throw new ChainError(
          'broken_seal',
          `entry ${entry.seq}${where} does not match its seal: its body or seal was altered, or it was forged (or sealed with another key)`,
          { seq: entry.seq, sessionId },
        );
      }
      checked[i] = entry;
      prevSeal = sealBytes;
    }
    const last = checked[checked.length - 1];
    return { entries: checked, from: this.#position, to: last === undefined ? this.#position : { seq: last.seq, seal: last.seal }, prevSeal };
  }

  /** Moves past a run returned by `check` (it must start where the verifier stands). */
  advance(run: CheckedRun): void {
    if (run.from !== this.#position) throw new Error('ChainVerifier.advance: the run was checked from another position; check it again');
    for (const entry of run.entries) this.#recent.push(entry.seal);
    if (this.#recent.length > this.#remember) this.#recent.splice(0, this.#recent.length - this.#remember);
    this.#verified += run.entries.length;
    this.#position = run.to;
    this.#prevSeal = run.prevSeal;
  }

  /** check + advance. */
  verify<B>(entries: readonly unknown[]): readonly SealedEntry<B>[] {
    const run = this.check<B>(entries);
    this.advance(run);
    return run.entries;
  }

  #refuseOrder(entry: SealedEntry<unknown>, expected: number, page: readonly SealedEntry<unknown>[], where: string): never {
    const sessionId = this.#sessionId;
    if (entry.seq > expected) {
      throw new ChainError('gap', `entry ${expected}${where} is missing: expected seq ${expected}, got ${entry.seq}`, { seq: expected, sessionId });
    }
    const known = this.#sealAt(entry.seq, page);
    if (known === undefined || known === entry.seal) {
      throw new ChainError(
        'duplicate',
        `entry ${entry.seq}${where} came again: the chain is already at seq ${expected - 1}` + (known === undefined ? ' (too old to compare its seal)' : ''),
        { seq: entry.seq, sessionId },
      );
    }
    throw new ChainError('fork', `entry ${entry.seq}${where} has a different seal than the entry already verified at that seq: two histories`, {
      seq: entry.seq,
      sessionId,
    });
  }

  #sealAt(seq: number, page: readonly SealedEntry<unknown>[]): string | undefined {
    const pageStart = this.#position.seq + 1;
    if (seq >= pageStart) return page[seq - pageStart]?.seal;
    const recentStart = pageStart - this.#recent.length;
    return seq >= recentStart ? this.#recent[seq - recentStart] : undefined;
  }

  /** True when at least two entries follow one another and none verifies against its predecessor's seal. */
  #nothingVerifies(entries: readonly unknown[]): boolean {
    if (entries.length < 2) return false;
    for (let j = 1; j < entries.length; j++) {
      const prev = entries[j - 1] as Partial<SealedEntry>;
      const entry = entries[j] as Partial<SealedEntry>;
      try {
        const p = parseSealedEntry(prev);
        const e = parseSealedEntry(entry);
        if (this.#sealing.toHex(this.#seal(fromHex(p.seal), e.seq, canonicalJson(e.body))) === e.seal) return false;
      } catch {
        // a malformed neighbour proves nothing either way
      }
    }
    return true;
  }
}

// The client side of a chain: seals bodies one after the other, synchronously, keeping the
// previous seal in memory. Stores receive entries already sealed, so an IndexedDB transaction
// never waits on hashing.
import { canonicalJson } from './canonicalJson.js';
import { ChainError } from './ChainError.js';
import { defaultSealing } from './defaultSealing.js';
import { fromHex } from '../internal/hex.js';
import { GENESIS, type ChainPosition, type SealedEntry } from './SealedEntry.js';
import type { SealFunction, Sealing } from './Sealing.js';

export interface SealerConfig {
  /** The session key, bytes or hex, as the server sent it. */
  readonly key: Uint8Array | string;
  /** Continue after this entry (the last one in the store); default: from genesis. */
  readonly after?: ChainPosition;
  readonly sealing?: Sealing;
}

export class Sealer {
  readonly #sealing: Sealing;
  readonly #seal: SealFunction;
  #seq: number;
  #sealHex: string;
  #prevSeal: Uint8Array;

  constructor(config: SealerConfig) {
    this.#sealing = config.sealing ?? defaultSealing();
    const key = typeof config.key === 'string' ? fromHex(config.key) : config.key;
    this.#seal = this.#sealing.sealer(key);
    const after = config.after ?? GENESIS;
    this.#seq = after.seq;
    this.#sealHex = after.seal;
    this.#prevSeal = fromHex(after.seal);
  }

  /** The seq the next sealed entry gets. */
  get nextSeq(): number {
    return this.#seq + 1;
  }

  /** The last sealed entry's seq and seal. */
  get position(): ChainPosition {
    return { seq: this.#seq, seal: this.#sealHex };
  }

  /** Seals `body` as the next entry. Throws ChainError('malformed') if the body is not JSON; nothing advances then. */
  seal<B>(body: B): SealedEntry<B> {
    const seq = this.#seq + 1;
    let canonical: string;
    try {
      canonical = canonicalJson(body);
    } catch (error) {
      throw new ChainError('malformed', `cannot seal entry ${seq}: ${(error as Error).message}`, { seq, cause: error });
    }
    const sealBytes = this.#seal(this.#prevSeal, seq, canonical);
    const seal = this.#sealing.toHex(sealBytes);
    this.#prevSeal = sealBytes;
    this.#seq = seq;
    this.#sealHex = seal;
    return { seq, body, seal };
  }

  /** Moves back (or forward) to `position`, e.g. after a store refused a batch. */
  reset(position: ChainPosition): void {
    this.#prevSeal = fromHex(position.seal);
    this.#seq = position.seq;
    this.#sealHex = position.seal;
  }
}

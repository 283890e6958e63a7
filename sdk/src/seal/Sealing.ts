// The one interface behind which sealing runs, synchronously, on whichever HMAC-SHA-256 is fastest
// on the platform: @noble/hashes in the isomorphic core (nobleSealing), node:crypto in Node
// (nodeSealing from @stage/sdk/node). Sealing must be synchronous so that it never spans an
// IndexedDB transaction; WebCrypto's subtle.sign is async and far too slow per message.

/** HMAC-SHA-256(key, prevSeal ‖ u64be(seq) ‖ utf8(canonicalBody)) for one key; returns the 32 seal bytes. */
export type SealFunction = (prevSeal: Uint8Array, seq: number, canonicalBody: string) => Uint8Array;

export interface Sealing {
  /** For diagnostics and benchmark reports: 'node:crypto', '@noble/hashes'. */
  readonly name: string;
  /** HMAC-SHA-256(key, message), synchronously. Used for key derivation. */
  hmac(key: Uint8Array, message: Uint8Array): Uint8Array;
  /** A seal function bound to `key` (implementations precompute the keyed state once). */
  sealer(key: Uint8Array): SealFunction;
  /** Lowercase hex of seal bytes (platforms have faster encoders than a JS loop). */
  toHex(bytes: Uint8Array): string;
}

/** Writes `seq` as 8 bytes, unsigned big-endian, into `out` at `offset`. */
export function writeSeq(out: Uint8Array, offset: number, seq: number): void {
  const high = Math.floor(seq / 0x1_0000_0000);
  const low = seq >>> 0;
  out[offset] = high >>> 24;
  out[offset + 1] = (high >>> 16) & 0xff;
  out[offset + 2] = (high >>> 8) & 0xff;
  out[offset + 3] = high & 0xff;
  out[offset + 4] = low >>> 24;
  out[offset + 5] = (low >>> 16) & 0xff;
  out[offset + 6] = (low >>> 8) & 0xff;
  out[offset + 7] = low & 0xff;
}

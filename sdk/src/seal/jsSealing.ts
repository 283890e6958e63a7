// Sealing on a small SHA-256 written for this one job, in plain JavaScript (isomorphic): the
// HMAC inner and outer states are computed once per key, and each seal runs the compression
// function over one reused buffer, so sealing allocates nothing but the 32 result bytes. About
// twice as fast as a general-purpose HMAC object in the browser, where node:crypto is not
// available. Checked against the committed test vectors and against @noble/hashes (the reference,
// nobleSealing). The one-off hashes (a key longer than a block, `hmac`) run on the same compression
// function, so the default sealing ships one SHA-256, not two.
import { toHex } from '../internal/hex.js';
import type { Sealing, SealFunction } from './Sealing.js';

/**
 * The first 32 bits of the fractional parts of the `k`-th roots of the first `count` primes (FIPS 180-4 §4.2.2,
 * §5.3.3): the round constants K are the cube roots of the first 64, the initial hash the square roots of the first 8.
 * Computed at load rather than written out (72 literal words cost ~0.6 KB of a gzipped browser bundle), in exact
 * integer math: floor((p·2^(32k))^(1/k)) found bit by bit in BigInt (the roots are below 2^35), its low 32 bits
 * being the fraction's. Checked against the published tables in jsSealing.test.ts.
 */
function rootWords(count: number, k: number): Uint32Array {
  const words = new Uint32Array(count);
  const power = BigInt(k);
  for (let p = 2, i = 0; i < count; p++) {
    let prime = true;
    for (let d = 2; d < p; d++) if (p % d === 0) prime = false;
    if (!prime) continue;
    const scaled = BigInt(p) << (32n * power);
    let root = 0n;
    for (let bit = 1n << 40n; bit; bit >>= 1n) if ((root | bit) ** power <= scaled) root |= bit;
    words[i++] = Number(BigInt.asUintN(32, root));
  }
  return words;
}

/** The SHA-256 round constants and initial hash value (exported for the test that checks them). */
export const K = /* @__PURE__ */ rootWords(64, 3);
export const IV = /* @__PURE__ */ rootWords(8, 2);
const W = new Uint32Array(64);

/** Runs the SHA-256 compression function over `blocks` 64-byte blocks of `bytes` from `offset`, updating `state`. */
function compress(state: Uint32Array, bytes: Uint8Array, offset: number, blocks: number): void {
  let h0 = state[0]!, h1 = state[1]!, h2 = state[2]!, h3 = state[3]!, h4 = state[4]!, h5 = state[5]!, h6 = state[6]!, h7 = state[7]!;
  for (let block = 0; block < blocks; block++, offset += 64) {
    for (let i = 0; i < 16; i++) {
      const j = offset + i * 4;
      W[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
    }
    for (let i = 16; i < 64; i++) {
      const w15 = W[i - 15]!, w2 = W[i - 2]!;
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  state[0] = h0; state[1] = h1; state[2] = h2; state[3] = h3; state[4] = h4; state[5] = h5; state[6] = h6; state[7] = h7;
}

/** Writes `word` (taken as an unsigned 32-bit integer) big-endian at `bytes[at..at+4)`. */
function putUint32(bytes: Uint8Array, at: number, word: number): void {
  // A Uint8Array keeps the low 8 bits of what is stored.
  bytes[at] = word >>> 24;
  bytes[at + 1] = word >>> 16;
  bytes[at + 2] = word >>> 8;
  bytes[at + 3] = word;
}

/** Writes `value` (a whole number up to 2^53) as 8 bytes big-endian at `bytes[at..at+8)`. */
function putUint64(bytes: Uint8Array, at: number, value: number): void {
  putUint32(bytes, at, Math.floor(value / 0x1_0000_0000));
  putUint32(bytes, at + 4, value);
}

/** Appends SHA-256 padding for a message of `length` bytes at `bytes[0..length)` preceded by `prefixBytes` already hashed; returns the padded length. */
function pad(bytes: Uint8Array, length: number, prefixBytes: number): number {
  bytes[length] = 0x80;
  let end = length + 1;
  while (end % 64 !== 56) bytes[end++] = 0;
  putUint64(bytes, end, (prefixBytes + length) * 8);
  return end + 8;
}

/** Writes the 32 bytes of a SHA-256 state, big-endian, at the start of `out`; returns `out`. */
function writeDigest(state: Uint32Array, out: Uint8Array): Uint8Array {
  for (let i = 0; i < 8; i++) putUint32(out, i * 4, state[i]!);
  return out;
}

/** SHA-256 of `message` continuing from `state` (a fresh IV, or a keyed HMAC state after `prefixBytes`). */
function hashFrom(state: Uint32Array, message: Uint8Array, prefixBytes: number): Uint8Array {
  const bytes = new Uint8Array(message.length + 72);
  bytes.set(message);
  const padded = pad(bytes, message.length, prefixBytes);
  compress(state, bytes, 0, padded / 64);
  return writeDigest(state, new Uint8Array(32));
}

/** SHA-256 of `message` (exported for the known-answer tests). */
export function sha256(message: Uint8Array): Uint8Array {
  return hashFrom(IV.slice(), message, 0);
}

/** The SHA-256 state after one 64-byte block of key ⊕ `padByte` (the HMAC inner or outer start). */
function keyedState(key: Uint8Array, padByte: number): Uint32Array {
  const block = new Uint8Array(64);
  const k = key.length > 64 ? sha256(key) : key;
  for (let i = 0; i < 64; i++) block[i] = (k[i] ?? 0) ^ padByte;
  const state = IV.slice();
  compress(state, block, 0, 1);
  return state;
}

const encoder = new TextEncoder();

export const jsSealing: Sealing = {
  name: 'js-sha256',
  hmac(key, message) {
    const inner = hashFrom(keyedState(key, 0x36), message, 64);
    return hashFrom(keyedState(key, 0x5c), inner, 64);
  },
  sealer(key): SealFunction {
    const inner = keyedState(key, 0x36);
    const outer = keyedState(key, 0x5c);
    const state = new Uint32Array(8);
    const outerBlock = new Uint8Array(64);
    let buffer = new Uint8Array(256);
    return (prevSeal, seq, canonicalBody) => {
      // prevSeal (32) ‖ u64be(seq) (8) ‖ utf8(body) ‖ padding (≤ 72)
      const room = 40 + canonicalBody.length * 3 + 72;
      if (buffer.length < room) buffer = new Uint8Array(Math.max(room, buffer.length * 2));
      buffer.set(prevSeal, 0);
      putUint64(buffer, 32, seq);
      const { written } = encoder.encodeInto(canonicalBody, buffer.subarray(40));
      const padded = pad(buffer, 40 + written, 64);
      state.set(inner);
      compress(state, buffer, 0, padded / 64);
      writeDigest(state, outerBlock);
      pad(outerBlock, 32, 64);
      state.set(outer);
      compress(state, outerBlock, 0, 1);
      return writeDigest(state, new Uint8Array(32));
    };
  },
  toHex,
};

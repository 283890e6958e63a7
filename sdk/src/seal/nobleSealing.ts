// Sealing on @noble/hashes: pure JavaScript, synchronous, runs everywhere (browser and Node).
// The keyed HMAC state is built once per key and cloned per seal, which saves the two key-pad
// compressions a fresh HMAC would spend on every message.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../internal/hex.js';
import { writeSeq, type Sealing, type SealFunction } from './Sealing.js';

const encoder = new TextEncoder();

export const nobleSealing: Sealing = {
  name: '@noble/hashes',
  hmac(key, message) {
    return hmac(sha256, key, message);
  },
  sealer(key): SealFunction {
    const keyed = hmac.create(sha256, key);
    const seqBytes = new Uint8Array(8);
    return (prevSeal, seq, canonicalBody) => {
      writeSeq(seqBytes, 0, seq);
      return keyed.clone().update(prevSeal).update(seqBytes).update(encoder.encode(canonicalBody)).digest();
    };
  },
  toHex,
};

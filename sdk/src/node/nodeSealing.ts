// Sealing on node:crypto: the fastest HMAC-SHA-256 in Node (native, synchronous). Use it in a
// Node process with setDefaultSealing(nodeSealing), or pass `sealing: nodeSealing` in a config.
import { createHmac, createSecretKey } from 'node:crypto';
import type { Sealing, SealFunction } from '../seal/Sealing.js';

export const nodeSealing: Sealing = {
  name: 'node:crypto',
  hmac(key, message) {
    return createHmac('sha256', key).update(message).digest();
  },
  sealer(key): SealFunction {
    // A KeyObject imports the key once instead of on every createHmac call.
    const keyObject = createSecretKey(key);
    const seqBytes = Buffer.alloc(8);
    return (prevSeal, seq, canonicalBody) => {
      seqBytes.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 0);
      seqBytes.writeUInt32BE(seq >>> 0, 4);
      return createHmac('sha256', keyObject).update(prevSeal).update(seqBytes).update(canonicalBody, 'utf8').digest();
    };
  },
  toHex(bytes) {
    return Buffer.isBuffer(bytes) ? bytes.toString('hex') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  },
};

// The committed test vectors (sdk/test-vectors/seal.json) against this implementation.
import { describe, expect, it } from 'vitest';
import vectors from '../../test-vectors/seal.json';
import { canonicalJson } from './canonicalJson.js';
import { ChainVerifier } from './ChainVerifier.js';
import { deriveSessionKey } from './deriveSessionKey.js';
import { fromHex, toHex } from '../internal/hex.js';
import fc from 'fast-check';
import { jsSealing } from './jsSealing.js';
import { nobleSealing } from './nobleSealing.js';
import { Sealer } from './Sealer.js';
import type { SealedEntry } from './SealedEntry.js';

describe.each([
  ['nobleSealing', nobleSealing],
  ['jsSealing', jsSealing],
])('seal test vectors with %s', (_name, sealing) => {
  it('derives the committed session key from the secret and session id', () => {
    const { secretHex, sessionId, keyHex } = vectors.keyDerivation;
    expect(toHex(deriveSessionKey(fromHex(secretHex), sessionId, sealing))).toBe(keyHex);
  });

  it('writes each body in its committed canonical form', () => {
    for (const entry of vectors.chain.entries) expect(canonicalJson(entry.body)).toBe(entry.canonical);
  });

  it('seals the committed chain to the committed seals', () => {
    const sealer = new Sealer({ key: vectors.chain.keyHex, sealing });
    for (const entry of vectors.chain.entries) expect(sealer.seal(entry.body)).toEqual({ seq: entry.seq, body: entry.body, seal: entry.seal });
  });

  it('verifies the committed chain', () => {
    const verifier = new ChainVerifier({ key: vectors.chain.keyHex, sealing });
    const entries: SealedEntry[] = vectors.chain.entries.map(({ seq, body, seal }) => ({ seq, body, seal }));
    expect(verifier.verify(entries)).toHaveLength(entries.length);
    expect(verifier.position.seal).toBe(entries[entries.length - 1]!.seal);
  });

  it('encodes seq as 8 bytes big-endian, beyond 32 bits too', () => {
    const { keyHex, prevSealHex, seq, canonical, seal } = vectors.largeSeq;
    const sealBytes = sealing.sealer(fromHex(keyHex))(fromHex(prevSealHex), seq, canonical);
    expect(toHex(sealBytes)).toBe(seal);
  });

  it('puts prevSeal, seq and the canonical body in that order into the HMAC', () => {
    const first = vectors.chain.entries[0]!;
    const input = fromHex(first.hmacInputHex);
    expect(toHex(input.slice(0, 32))).toBe(vectors.chain.genesisSealHex);
    expect(toHex(input.slice(32, 40))).toBe('0000000000000000');
    expect(new TextDecoder().decode(input.slice(40))).toBe(first.canonical);
    expect(toHex(sealing.hmac(fromHex(vectors.chain.keyHex), input))).toBe(first.seal);
  });
});

describe('jsSealing', () => {
  it('seals exactly as @noble/hashes HMAC does, for any body length, text and seq', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 80 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.maxSafeNat(),
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        (key, prev, seq, text) => {
          const body = JSON.stringify(text);
          expect(toHex(jsSealing.sealer(key)(prev, seq, body))).toBe(toHex(nobleSealing.sealer(key)(prev, seq, body)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('its one-off HMAC (key derivation) is @noble/hashes HMAC, for keys longer than a block and any message length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }), (key, message) => {
        expect(toHex(jsSealing.hmac(key, message))).toBe(toHex(nobleSealing.hmac(key, message)));
      }),
      { numRuns: 300 },
    );
    // The padding boundaries of SHA-256 (55/56/64 bytes), after the 64-byte HMAC key block.
    const key = fromHex('0b'.repeat(131));
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000]) {
      const message = new Uint8Array(length).fill(0x61);
      expect(toHex(jsSealing.hmac(key, message)), `message of ${length} bytes`).toBe(toHex(nobleSealing.hmac(key, message)));
    }
  });

  it('keeps sealing right after a long body grew its buffer', () => {
    const key = fromHex('01'.repeat(32));
    const seal = jsSealing.sealer(key);
    const check = nobleSealing.sealer(key);
    const prev = new Uint8Array(32);
    for (const length of [0, 1, 15, 16, 17, 55, 56, 64, 119, 5000, 3]) {
      const body = JSON.stringify('é'.repeat(length));
      expect(toHex(seal(prev, length, body))).toBe(toHex(check(prev, length, body)));
    }
  });
});

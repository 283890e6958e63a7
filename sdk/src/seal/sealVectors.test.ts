// The committed test vectors (sdk/test-vectors/seal.json) against this implementation.
import { describe, expect, it } from 'vitest';
import vectors from '../../test-vectors/seal.json';
import { canonicalJson } from './canonicalJson.js';
import { ChainVerifier } from './ChainVerifier.js';
import { deriveSessionKey } from './deriveSessionKey.js';
import { fromHex, toHex } from './hex.js';
import { nobleSealing } from './nobleSealing.js';
import { Sealer } from './Sealer.js';
import type { SealedEntry } from './SealedEntry.js';

describe('seal test vectors', () => {
  it('derives the committed session key from the secret and session id', () => {
    const { secretHex, sessionId, keyHex } = vectors.keyDerivation;
    expect(toHex(deriveSessionKey(fromHex(secretHex), sessionId, nobleSealing))).toBe(keyHex);
  });

  it('writes each body in its committed canonical form', () => {
    for (const entry of vectors.chain.entries) expect(canonicalJson(entry.body)).toBe(entry.canonical);
  });

  it('seals the committed chain to the committed seals', () => {
    const sealer = new Sealer({ key: vectors.chain.keyHex, sealing: nobleSealing });
    for (const entry of vectors.chain.entries) expect(sealer.seal(entry.body)).toEqual({ seq: entry.seq, body: entry.body, seal: entry.seal });
  });

  it('verifies the committed chain', () => {
    const verifier = new ChainVerifier({ key: vectors.chain.keyHex, sealing: nobleSealing });
    const entries: SealedEntry[] = vectors.chain.entries.map(({ seq, body, seal }) => ({ seq, body, seal }));
    expect(verifier.verify(entries)).toHaveLength(entries.length);
    expect(verifier.position.seal).toBe(entries[entries.length - 1]!.seal);
  });

  it('encodes seq as 8 bytes big-endian, beyond 32 bits too', () => {
    const { keyHex, prevSealHex, seq, canonical, seal } = vectors.largeSeq;
    const sealBytes = nobleSealing.sealer(fromHex(keyHex))(fromHex(prevSealHex), seq, canonical);
    expect(toHex(sealBytes)).toBe(seal);
  });

  it('puts prevSeal, seq and the canonical body in that order into the HMAC', () => {
    const first = vectors.chain.entries[0]!;
    const input = fromHex(first.hmacInputHex);
    expect(toHex(input.slice(0, 32))).toBe(vectors.chain.genesisSealHex);
    expect(toHex(input.slice(32, 40))).toBe('0000000000000000');
    expect(new TextDecoder().decode(input.slice(40))).toBe(first.canonical);
    expect(toHex(nobleSealing.hmac(fromHex(vectors.chain.keyHex), input))).toBe(first.seal);
  });
});

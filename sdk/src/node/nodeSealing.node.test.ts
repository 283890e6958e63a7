import { describe, expect, it } from 'vitest';
import vectors from '../../test-vectors/seal.json';
import { ChainVerifier, deriveSessionKey, fromHex, nobleSealing, Sealer, toHex } from '../seal/index.js';
import { nodeSealing } from './nodeSealing.js';

describe('nodeSealing', () => {
  it('derives the committed session key', () => {
    const { secretHex, sessionId, keyHex } = vectors.keyDerivation;
    expect(toHex(deriveSessionKey(fromHex(secretHex), sessionId, nodeSealing))).toBe(keyHex);
  });

  it('seals the committed chain to the committed seals', () => {
    const sealer = new Sealer({ key: vectors.chain.keyHex, sealing: nodeSealing });
    for (const entry of vectors.chain.entries) expect(sealer.seal(entry.body).seal).toBe(entry.seal);
    const { keyHex, prevSealHex, seq, canonical, seal } = vectors.largeSeq;
    expect(nodeSealing.toHex(nodeSealing.sealer(fromHex(keyHex))(fromHex(prevSealHex), seq, canonical))).toBe(seal);
  });

  it('produces chains the noble sealing verifies, and the other way round', () => {
    const key = fromHex('ab'.repeat(32));
    const bodies = Array.from({ length: 50 }, (_, i) => ({ i, s: `é${i}😀` }));
    const byNode = new Sealer({ key, sealing: nodeSealing });
    const byNoble = new Sealer({ key, sealing: nobleSealing });
    const a = bodies.map((b) => byNode.seal(b));
    const b = bodies.map((x) => byNoble.seal(x));
    expect(a).toEqual(b);
    expect(new ChainVerifier({ key, sealing: nobleSealing }).verify(a)).toHaveLength(50);
    expect(new ChainVerifier({ key, sealing: nodeSealing }).verify(b)).toHaveLength(50);
  });
});
